-- Server schema version 12 (after 0011): what the dashboard reads without scanning
-- every case (issue 15 item 8: on 100,000 cases one dashboard took 1 s in a debug build,
-- most of it counting the cases still awaiting their report by reading every record's
-- case id, and summing nine expressions over every case row).
--
-- The cases of which hazard events are stored but no report yet (so no case row): kept
-- by `put_record` in the transaction that stores such an event, and left by the one
-- that writes the case's row. Filled here from the records of a store from before.
CREATE TABLE cases_awaiting_report (case_id TEXT PRIMARY KEY) STRICT;
INSERT INTO cases_awaiting_report(case_id)
    SELECT DISTINCT case_id FROM records
    WHERE case_id IS NOT NULL AND kind = 'hazard-event'
      AND case_id NOT IN (SELECT case_id FROM cases);
-- A case row whose fold holds no report (none is written so today): counted by this
-- small index instead of a scan of the queue's.
CREATE INDEX cases_without_report ON cases(case_id)
    WHERE status IS NOT NULL AND category IS NULL;
-- The solved cases per report group and level, and their times to fix, from this index
-- alone (the report's own index leads with the status, not the solved level).
CREATE INDEX cases_solved ON cases(report_unit, category, solved_level, solved_at_ms,
    reported_at_ms) WHERE solved_level IS NOT NULL;
-- The open cases not yet due as of a time: the report counts the overdue ones as the
-- open ones with a due time less these, a range of the cases due later (the recent
-- ones) instead of every open case; the status leads, so each open status is one
-- range.
CREATE INDEX cases_due_later ON cases(status, due_ms, report_unit, category);
-- The spot-check planner's open cases per site of an area (it read and parsed every
-- case's fold).
CREATE INDEX cases_open_by_site ON cases(status, unit, site);
-- The weekly trend: each unit's cases found and solved per week as counts of index
-- ranges, in place of the time-first indexes it grouped (and sorted) before.
CREATE INDEX cases_unit_reported ON cases(unit, reported_at_ms);
CREATE INDEX cases_unit_solved ON cases(unit, solved_at_ms) WHERE solved_at_ms IS NOT NULL;
DROP INDEX cases_by_reported;
DROP INDEX cases_by_solved;
