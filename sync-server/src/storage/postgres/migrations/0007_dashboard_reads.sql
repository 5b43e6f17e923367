-- Version 7 (after 0006), the twin of SQLite's 0012_dashboard_reads.sql: what the
-- dashboard reads without scanning every case (issue 15 item 8).
--
-- The cases of which hazard events are stored but no report yet (so no case row): kept
-- by `put_record` in the transaction that stores such an event, and left by the one
-- that writes the case's row. Filled here from the records of a store from before.
CREATE TABLE cases_awaiting_report (case_id TEXT PRIMARY KEY);
INSERT INTO cases_awaiting_report(case_id)
    SELECT DISTINCT case_id FROM records r
    WHERE case_id IS NOT NULL AND kind = 'hazard-event'
      AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.case_id = r.case_id);
-- A case row whose fold holds no report (none is written so today).
CREATE INDEX cases_without_report ON cases(case_id)
    WHERE status IS NOT NULL AND category IS NULL;
-- The solved cases per report group and level, and their times to fix.
CREATE INDEX cases_solved ON cases(report_unit, category, solved_level, solved_at_ms,
    reported_at_ms) WHERE solved_level IS NOT NULL;
-- The open cases not yet due as of a time: overdue = open with a due time less these.
CREATE INDEX cases_due_later ON cases(status, due_ms, report_unit, category);
-- The spot-check planner's open cases per site of an area (it read and parsed every
-- case's fold).
CREATE INDEX cases_open_by_site ON cases(status, unit, site);
