-- Schema version 2: hazard cases as an append-only log of events.
-- A case's state is never stored: it is folded from these rows (core/src/hazard/fold.rs).

CREATE TABLE hazard_events (
    id          TEXT PRIMARY KEY,          -- UUIDv7; a second copy of an event is ignored
    case_id     TEXT NOT NULL,
    hlc_ms      INTEGER NOT NULL,
    hlc_counter INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    device      TEXT NOT NULL,
    body        TEXT NOT NULL,             -- the whole event as JSON, as received
    origin      TEXT NOT NULL CHECK (origin IN ('local', 'remote')),
    received_ms INTEGER NOT NULL           -- this device's clock when it stored the event
) STRICT;
CREATE INDEX hazard_events_by_case ON hazard_events(case_id, hlc_ms, hlc_counter, id);

-- Photos named by hazard events (reports, rectifications), for upload bookkeeping.
-- No foreign key to photos: an event from another device names photos this device
-- may never hold.
CREATE TABLE hazard_event_photos (
    event_id TEXT NOT NULL REFERENCES hazard_events(id),
    sha256   TEXT NOT NULL,
    PRIMARY KEY (event_id, sha256)
) STRICT, WITHOUT ROWID;
CREATE INDEX hazard_event_photos_by_hash ON hazard_event_photos(sha256);

-- The log is append-only: the database itself refuses to change or remove an event.
CREATE TRIGGER hazard_events_no_update BEFORE UPDATE ON hazard_events
BEGIN SELECT RAISE(ABORT, 'hazard events are append-only'); END;

CREATE TRIGGER hazard_events_no_delete BEFORE DELETE ON hazard_events
BEGIN SELECT RAISE(ABORT, 'hazard events are append-only'); END;

CREATE TRIGGER hazard_event_photos_no_update BEFORE UPDATE ON hazard_event_photos
BEGIN SELECT RAISE(ABORT, 'hazard events are append-only'); END;

CREATE TRIGGER hazard_event_photos_no_delete BEFORE DELETE ON hazard_event_photos
BEGIN SELECT RAISE(ABORT, 'hazard events are append-only'); END;
