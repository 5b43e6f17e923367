-- Server schema version 15 (after 0014): `units_version` counts changes to sites too.
-- A push looked its site up once for the inspection and again for each hazard; the
-- store's register (`storage/register.rs`) now keeps the sites it has found, for as long
-- as this number stays, so a change to a site must move it like a change to a unit.
CREATE TRIGGER units_version_on_site_insert AFTER INSERT ON sites
BEGIN
    UPDATE units_version SET version = version + 1;
END;
CREATE TRIGGER units_version_on_site_update AFTER UPDATE ON sites
BEGIN
    UPDATE units_version SET version = version + 1;
END;
CREATE TRIGGER units_version_on_site_delete AFTER DELETE ON sites
BEGIN
    UPDATE units_version SET version = version + 1;
END;
