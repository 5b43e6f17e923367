-- Schema version 1: reference data, templates, inspections, answers, photo references,
-- the outbox and device settings.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- district -> street (street/town) -> community (community/village) -> grid
CREATE TABLE org_units (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    level     TEXT NOT NULL CHECK (level IN ('district', 'street', 'community', 'grid')),
    parent_id TEXT REFERENCES org_units(id)
) STRICT;

-- A site's unit id is the one the server assigned; the unit tree may reach the device
-- after its sites, so it is not a foreign key.
CREATE TABLE sites (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    lat     REAL,
    lon     REAL
) STRICT;
CREATE INDEX sites_by_unit ON sites(unit_id);

-- Templates are immutable per version; several versions live side by side.
CREATE TABLE templates (
    id          TEXT NOT NULL,
    version     INTEGER NOT NULL,
    body        TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (id, version)
) STRICT;

CREATE TABLE inspections (
    id               TEXT PRIMARY KEY,
    site_id          TEXT NOT NULL REFERENCES sites(id),
    template_id      TEXT NOT NULL,
    template_version INTEGER NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('routine', 'spot-check', 'reinspection')),
    status           TEXT NOT NULL CHECK (status IN ('draft', 'submitted')),
    inspector        TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    submitted_at     TEXT,
    FOREIGN KEY (template_id, template_version) REFERENCES templates(id, version)
) STRICT;
CREATE INDEX inspections_by_inspector ON inspections(inspector, status, started_at);
CREATE INDEX inspections_by_site ON inspections(site_id, started_at);

CREATE TABLE answers (
    inspection_id TEXT NOT NULL REFERENCES inspections(id),
    item_code     TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('ok', 'hazard', 'na')),
    note          TEXT,
    answered_at   TEXT NOT NULL,
    PRIMARY KEY (inspection_id, item_code)
) STRICT, WITHOUT ROWID;

-- Processed evidence photos, addressed by the SHA-256 of the stored file.
CREATE TABLE photos (
    sha256      TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    bytes       INTEGER NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    taken_at    TEXT,
    lat         REAL,
    lon         REAL,
    camera      TEXT,
    created_at  TEXT NOT NULL,
    uploaded_at TEXT
) STRICT;

CREATE TABLE answer_photos (
    inspection_id TEXT NOT NULL,
    item_code     TEXT NOT NULL,
    sha256        TEXT NOT NULL REFERENCES photos(sha256),
    attached_at   TEXT NOT NULL,
    PRIMARY KEY (inspection_id, item_code, sha256),
    FOREIGN KEY (inspection_id, item_code) REFERENCES answers(inspection_id, item_code)
) STRICT, WITHOUT ROWID;

-- What this device recorded and has not yet synced, in the order it was recorded.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at    TEXT,
    UNIQUE (kind, record_id)
) STRICT;

-- A submitted inspection is a fact: the database itself refuses to change it.
CREATE TRIGGER inspections_frozen BEFORE UPDATE ON inspections
WHEN OLD.status = 'submitted'
BEGIN SELECT RAISE(ABORT, 'inspection is submitted'); END;

CREATE TRIGGER inspections_undeletable BEFORE DELETE ON inspections
WHEN OLD.status = 'submitted'
BEGIN SELECT RAISE(ABORT, 'inspection is submitted'); END;

CREATE TRIGGER answers_frozen_insert BEFORE INSERT ON answers
WHEN (SELECT status FROM inspections WHERE id = NEW.inspection_id) = 'submitted'
BEGIN SELECT RAISE(ABORT, 'inspection is submitted'); END;

CREATE TRIGGER answers_frozen_update BEFORE UPDATE ON answers
WHEN (SELECT status FROM inspections WHERE id = OLD.inspection_id) = 'submitted'
BEGIN SELECT RAISE(ABORT, 'inspection is submitted'); END;

CREATE TRIGGER answers_frozen_delete BEFORE DELETE ON answers
WHEN (SELECT status FROM inspections WHERE id = OLD.inspection_id) = 'submitted'
BEGIN SELECT RAISE(ABORT, 'inspection is submitted'); END;

CREATE TRIGGER answer_photos_frozen_insert BEFORE INSERT ON answer_photos
WHEN (SELECT status FROM inspections WHERE id = NEW.inspection_id) = 'submitted'
BEGIN SELECT RAISE(ABORT, 'inspection is submitted'); END;

CREATE TRIGGER answer_photos_frozen_delete BEFORE DELETE ON answer_photos
WHEN (SELECT status FROM inspections WHERE id = OLD.inspection_id) = 'submitted'
BEGIN SELECT RAISE(ABORT, 'inspection is submitted'); END;
