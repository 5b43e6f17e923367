-- PostgreSQL schema version 1: the embedded store's schema as of its version 6, in one
-- step (the PostgreSQL store starts there). Times are RFC 3339 UTC text with
-- milliseconds, as in SQLite, so they compare as text and read back the same way.
CREATE TABLE units (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL, parent TEXT
);
CREATE TABLE sites (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, unit TEXT NOT NULL,
    address TEXT NOT NULL, lat DOUBLE PRECISION, lon DOUBLE PRECISION
);
CREATE TABLE people (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, unit TEXT NOT NULL,
    department TEXT, disabled_at TEXT
);
CREATE TABLE enrolment_codes (
    code_hash TEXT PRIMARY KEY, person TEXT NOT NULL REFERENCES people(id),
    used_at TEXT
);
CREATE TABLE devices (
    id TEXT PRIMARY KEY, person TEXT NOT NULL REFERENCES people(id),
    token_hash TEXT NOT NULL UNIQUE, enrolled_at TEXT NOT NULL,
    revoked_at TEXT, last_seen_at TEXT, expires_at TEXT NOT NULL,
    public_key TEXT
);
-- seq is the pull cursor. It is drawn under the feed lock in the transaction that
-- commits the record (see `postgres/records.rs`), so sequence order is commit order and
-- a reader that sees a number has already seen every smaller one that will ever exist.
CREATE TABLE records (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, body TEXT NOT NULL,
    body_hash TEXT NOT NULL, unit TEXT NOT NULL, department TEXT,
    author_person TEXT NOT NULL, author_device TEXT NOT NULL,
    draft BOOLEAN NOT NULL, personal BOOLEAN NOT NULL, received_at TEXT NOT NULL,
    case_id TEXT,
    proof_prev TEXT, proof_signature TEXT, proof_link TEXT, chain TEXT
);
CREATE INDEX records_by_case ON records(case_id) WHERE case_id IS NOT NULL;
CREATE INDEX records_by_kind ON records(kind, seq);
CREATE INDEX records_by_device_link ON records(author_device, proof_link)
    WHERE proof_link IS NOT NULL;
CREATE INDEX records_by_device_prev ON records(author_device, proof_prev)
    WHERE proof_prev IS NOT NULL;
-- What the scope needs of a hazard case, and the kept fold of its events.
CREATE TABLE cases (
    case_id TEXT PRIMARY KEY, unit TEXT NOT NULL, department TEXT,
    personal BOOLEAN NOT NULL, fold TEXT
);
CREATE TABLE record_blobs (
    record TEXT NOT NULL, sha256 TEXT NOT NULL, personal BOOLEAN NOT NULL,
    before_uploaders BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (record, sha256)
);
CREATE INDEX record_blobs_by_sha ON record_blobs(sha256);
CREATE TABLE uploads (
    id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, length BIGINT NOT NULL,
    device TEXT NOT NULL, person TEXT NOT NULL, done BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX uploads_open_by_device ON uploads(device) WHERE NOT done;
CREATE INDEX uploads_open_by_age ON uploads(created_at) WHERE NOT done;
CREATE TABLE blob_uploaders (
    sha256 TEXT NOT NULL, person TEXT NOT NULL, uploaded_at TEXT NOT NULL,
    PRIMARY KEY (sha256, person)
);
-- Enrolment attempts per client address within the rate-limit window: in the database,
-- so every replica counts the same attempts.
CREATE TABLE enrol_attempts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client TEXT NOT NULL, at_ms BIGINT NOT NULL
);
CREATE INDEX enrol_attempts_by_client ON enrol_attempts(client, at_ms);
CREATE INDEX enrol_attempts_by_time ON enrol_attempts(at_ms);
