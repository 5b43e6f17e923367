-- PostgreSQL schema version 3: thumbnails before full photos, the twin of the embedded
-- store's 0008_thumbnails.sql. A thumbnail's upload names the photo it shows
-- (`thumbnail-of`); when the upload finishes the link is kept per person, trusted only
-- as "this person says this is a thumbnail of their photo" and served only through
-- records that person attached the photo to.
ALTER TABLE uploads ADD COLUMN thumbnail_of TEXT;
CREATE TABLE thumbnails (
    photo     TEXT NOT NULL,
    person    TEXT NOT NULL,
    thumbnail TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    PRIMARY KEY (photo, person)
);
