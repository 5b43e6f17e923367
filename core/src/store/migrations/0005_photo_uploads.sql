-- Schema version 5: where an unfinished photo upload stands gets a table of its own.
-- Until now each upload's tus location was a `sync.upload.<sha256>` setting, never
-- removed once the photo was up. A row here lives only while its upload does: it is
-- deleted in the transaction that marks the photo uploaded.

CREATE TABLE photo_uploads (
    sha256     TEXT PRIMARY KEY REFERENCES photos(sha256),
    location   TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- Uploads still in progress keep their place on the server; an emptied setting (an
-- upload forgotten) or one of a photo already uploaded or no longer held has none.
INSERT INTO photo_uploads(sha256, location, updated_at)
SELECT substr(s.key, 13), s.value, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM settings s JOIN photos p ON p.sha256 = substr(s.key, 13)
WHERE substr(s.key, 1, 12) = 'sync.upload.' AND s.value <> '' AND p.uploaded_at IS NULL;

DELETE FROM settings WHERE substr(key, 1, 12) = 'sync.upload.';

-- Which photos are still to upload is asked photo by photo ("does an answer name it?").
CREATE INDEX answer_photos_by_hash ON answer_photos(sha256);
