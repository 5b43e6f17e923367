-- Server schema version 1: reference data, people and devices, records, cases, blobs
-- and tus uploads. `IF NOT EXISTS` because databases made before the schema was
-- numbered already hold these tables at user_version 0.
CREATE TABLE IF NOT EXISTS units (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL, parent TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS sites (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, unit TEXT NOT NULL,
    address TEXT NOT NULL, lat REAL, lon REAL
) STRICT;
CREATE TABLE IF NOT EXISTS people (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, unit TEXT NOT NULL,
    department TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS enrolment_codes (
    code_hash TEXT PRIMARY KEY, person TEXT NOT NULL REFERENCES people(id),
    used_at TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY, person TEXT NOT NULL REFERENCES people(id),
    token_hash TEXT NOT NULL UNIQUE, enrolled_at TEXT NOT NULL
) STRICT;
-- seq is the pull cursor: AUTOINCREMENT so a number is never reused, even after a
-- draft is replaced by its final version.
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, body TEXT NOT NULL,
    body_hash TEXT NOT NULL, unit TEXT NOT NULL, department TEXT,
    author_person TEXT NOT NULL, author_device TEXT NOT NULL,
    draft INTEGER NOT NULL, personal INTEGER NOT NULL, received_at TEXT NOT NULL,
    case_id TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS records_by_case ON records(case_id) WHERE case_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_by_kind ON records(kind, seq);
-- What the scope needs of a hazard case, folded from its events after every push.
CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY, unit TEXT NOT NULL, department TEXT,
    personal INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS record_blobs (
    record TEXT NOT NULL, sha256 TEXT NOT NULL, personal INTEGER NOT NULL,
    PRIMARY KEY (record, sha256)
) STRICT;
CREATE INDEX IF NOT EXISTS record_blobs_by_sha ON record_blobs(sha256);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, length INTEGER NOT NULL,
    device TEXT NOT NULL, person TEXT NOT NULL, done INTEGER NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
