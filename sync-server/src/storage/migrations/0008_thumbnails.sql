-- Server schema version 8: thumbnails before full photos (issue 13 item 3). A device
-- uploads a photo's 256 px thumbnail as a blob of its own, naming the photo it shows in
-- `Upload-Metadata` (`thumbnail-of`); the link is recorded when the thumbnail's upload
-- finishes. It is trusted only as "this person says this is a thumbnail of their
-- photo": it is served to a reader only through records that person attached the photo
-- to, and it grants nothing on the photo itself.
ALTER TABLE uploads ADD COLUMN thumbnail_of TEXT;
CREATE TABLE thumbnails (
    photo     TEXT NOT NULL,
    person    TEXT NOT NULL,
    thumbnail TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    PRIMARY KEY (photo, person)
) STRICT;
