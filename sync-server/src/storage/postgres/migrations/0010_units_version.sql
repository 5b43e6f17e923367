-- Version 10 (after 0009): a counter of changes to the org units (issue 14: every
-- request read the whole `units` table to build the tree that access is decided by,
-- thousands of rows in a city, on every replica). A store reads this one row and
-- rebuilds its cached tree only when the number moved (`storage/register.rs`); the
-- trigger bumps it once per statement that changes units, from any replica or process.
CREATE TABLE units_version (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    version BIGINT NOT NULL
);
INSERT INTO units_version(only_row, version) VALUES (TRUE, 0);
CREATE FUNCTION bump_units_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE units_version SET version = version + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER units_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON units
    FOR EACH STATEMENT EXECUTE FUNCTION bump_units_version();
