-- Schema version 7: records and thumbnails before full photos (issue 13 item 3).
--
-- A pulled record may name a photo whose full file has not reached the server yet (its
-- author's device sends records first, then thumbnails, then full photos). The link is
-- kept: the photo gets a row in `photos` (size 0 until it arrives, and marked as on the
-- server, so this device never uploads it) and one here while its file is missing.
-- `thumbnail_at` is when its thumbnail arrived, so a pending photo can be shown.
CREATE TABLE pending_photos (
    sha256       TEXT PRIMARY KEY REFERENCES photos(sha256),
    noted_at     TEXT NOT NULL,
    thumbnail_at TEXT
) STRICT, WITHOUT ROWID;

-- When this device's thumbnail of a photo it took reached the server (sent before the
-- full photo, once).
ALTER TABLE photos ADD COLUMN thumbnail_sent_at TEXT;
