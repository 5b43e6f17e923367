-- Server schema version 9: a hazard case's row keeps, beside its fold, the columns the
-- console's queue filters and sorts by and the campaign report groups and counts by
-- (issue 15 item 8: on 100,000 cases the queue took 1.7 s and the dashboard 4.6 s to
-- read and parse every fold). They are written with the fold in one statement, from
-- that fold (`storage/case_index.rs`); rows from before are filled when the store
-- opens (their status is NULL until then). `level` and `solved_level` are 0 community,
-- 1 street, 2 district; times are HLC milliseconds.
ALTER TABLE cases ADD COLUMN status TEXT;
ALTER TABLE cases ADD COLUMN level INTEGER;
ALTER TABLE cases ADD COLUMN category TEXT;
ALTER TABLE cases ADD COLUMN report_unit TEXT;
ALTER TABLE cases ADD COLUMN site TEXT;
ALTER TABLE cases ADD COLUMN reported_at_ms INTEGER;
ALTER TABLE cases ADD COLUMN due_ms INTEGER;
ALTER TABLE cases ADD COLUMN rectified_at_ms INTEGER;
ALTER TABLE cases ADD COLUMN solved_at_ms INTEGER;
ALTER TABLE cases ADD COLUMN solved_level INTEGER;
ALTER TABLE cases ADD COLUMN closed_at_ms INTEGER;
ALTER TABLE cases ADD COLUMN last_hlc_ms INTEGER;
-- The queue: everything it filters by and shows, so a page and its count read this
-- index alone, never the rows with their folds.
CREATE INDEX cases_queue ON cases(status, level, unit, department, category, due_ms,
    reported_at_ms, case_id);
-- The report: its groups, counts and times to fix, likewise from the index alone.
CREATE INDEX cases_report ON cases(report_unit, category, status, level, due_ms,
    rectified_at_ms, solved_at_ms, solved_level, reported_at_ms);
-- The weekly trend.
CREATE INDEX cases_by_reported ON cases(reported_at_ms, unit);
CREATE INDEX cases_by_solved ON cases(solved_at_ms, unit) WHERE solved_at_ms IS NOT NULL;
-- Whether the report may be read from the columns (every case older than its time).
CREATE INDEX cases_by_last_hlc ON cases(last_hlc_ms);
