-- Server schema version 4: each case row keeps the fold of its events (JSON), so that a
-- new event is applied to it instead of every event of the case being refolded under a
-- lock (issue 10: a case of 2,200 comments stalled every push for 20 s). Rows written
-- before have none: the next event on such a case refolds it once and keeps the fold.
ALTER TABLE cases ADD COLUMN fold TEXT;
