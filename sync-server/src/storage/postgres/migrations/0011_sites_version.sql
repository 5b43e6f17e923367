-- Version 11 (after 0010): `units_version` counts changes to sites too. A push looked its
-- site up once for the inspection and again for each hazard; the store's register
-- (`storage/register.rs`) now keeps the sites it has found, for as long as this number
-- stays, so a change to a site must move it like a change to a unit.
CREATE TRIGGER sites_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sites
    FOR EACH STATEMENT EXECUTE FUNCTION bump_units_version();
