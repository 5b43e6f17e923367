-- Schema version 3: what the sync server said about outbox rows it refused.
-- A refused record is kept (never dropped) and retried on a few later syncs, in case the
-- refusal was about something that changes (reference data, a case not yet on the
-- server); after that it is held back and listed in every sync report.

ALTER TABLE outbox ADD COLUMN rejections INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN reject_code TEXT;
ALTER TABLE outbox ADD COLUMN reject_reason TEXT;
