-- Server schema version 13 (after 0012): the indexes a pull narrows its page with
-- (issue 14: every pull walked every record since its cursor, server-wide, and asked
-- for each whether the caller may read it). A grid worker's page is now the records of
-- their area, those they pushed, and for a department officer the records of the cases
-- assigned to the department, each found through its index in sequence order.
CREATE INDEX records_by_unit ON records(unit, seq);
CREATE INDEX records_by_author ON records(author_person, seq);
CREATE INDEX cases_by_department ON cases(department) WHERE department IS NOT NULL;
