-- Schema version 7: what a photo record attests (docs/signing.md, record kind `photo`):
-- the SHA-256 of the camera's original file as it arrived, and the device's clock and
-- hybrid logical clock when it was ingested. Photos ingested before this version have
-- none; no photo record is made for them, since their original is gone.
ALTER TABLE photos ADD COLUMN original_sha256 TEXT CHECK (length(original_sha256) = 64);
ALTER TABLE photos ADD COLUMN ingested_ms INTEGER;
ALTER TABLE photos ADD COLUMN ingested_hlc TEXT;
