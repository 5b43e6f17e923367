-- Server schema version 14 (after 0013): a counter of changes to the org units (issue
-- 14: every request read the whole `units` table to build the tree that access is
-- decided by, thousands of rows in a city). A store reads this one row and rebuilds
-- its cached tree only when the number moved (`storage/register.rs`); the triggers
-- bump it on any change, whichever process made it (the admin command is another).
CREATE TABLE units_version (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    version INTEGER NOT NULL
);
INSERT INTO units_version(only_row, version) VALUES (1, 0);
CREATE TRIGGER units_version_on_insert AFTER INSERT ON units
BEGIN
    UPDATE units_version SET version = version + 1;
END;
CREATE TRIGGER units_version_on_update AFTER UPDATE ON units
BEGIN
    UPDATE units_version SET version = version + 1;
END;
CREATE TRIGGER units_version_on_delete AFTER DELETE ON units
BEGIN
    UPDATE units_version SET version = version + 1;
END;
