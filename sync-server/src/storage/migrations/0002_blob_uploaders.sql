-- Server schema version 2: who uploaded each photo. A photo is readable by its
-- uploaders and through the records *they* attached it to; naming a photo's hash in a
-- record of one's own grants nothing (issue 10).
CREATE TABLE blob_uploaders (
    sha256 TEXT NOT NULL, person TEXT NOT NULL, uploaded_at TEXT NOT NULL,
    PRIMARY KEY (sha256, person)
) STRICT;
-- Every finished tus upload already names its person.
INSERT OR IGNORE INTO blob_uploaders(sha256, person, uploaded_at)
    SELECT sha256, person, created_at FROM uploads WHERE done = 1;
-- Links stored before this version keep today's rule for a photo whose uploader is
-- not known (no finished upload names it), so an existing store keeps serving them.
ALTER TABLE record_blobs ADD COLUMN before_uploaders INTEGER NOT NULL DEFAULT 0;
UPDATE record_blobs SET before_uploaders = 1;
