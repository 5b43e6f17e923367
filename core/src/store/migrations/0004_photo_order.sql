-- Schema version 4: the order in which an answer's photos were attached, the same on
-- every device. Attachment times cannot give it: another device stores a pulled
-- inspection's photos at its own time, and two attachments can share a millisecond.
ALTER TABLE answer_photos ADD COLUMN position INTEGER NOT NULL DEFAULT 0;

UPDATE answer_photos SET position = (
    SELECT COUNT(*) FROM answer_photos AS earlier
    WHERE earlier.inspection_id = answer_photos.inspection_id
      AND earlier.item_code = answer_photos.item_code
      AND (earlier.attached_at < answer_photos.attached_at
           OR (earlier.attached_at = answer_photos.attached_at
               AND earlier.sha256 < answer_photos.sha256))
);
