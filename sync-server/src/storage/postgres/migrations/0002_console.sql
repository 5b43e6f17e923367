-- PostgreSQL schema version 2: the desk console (issue 15), the twin of the embedded
-- store's 0007_console.sql: sign-in accounts, sessions and the sign-in rate limit.
--
-- A desk person sets a password with the one-time code `people add` / `people reissue`
-- printed; the code is used up as a phone's enrolment would use it, and makes the
-- person a console device (a `devices` row whose token is never shown to anyone).
-- `password_hash` is an argon2id PHC string. Sessions are stored as the SHA-256 of the
-- cookie's value, with the session's form token (CSRF). Times are RFC 3339 UTC text
-- with milliseconds, as elsewhere.
CREATE TABLE console_accounts (
    login TEXT PRIMARY KEY,
    person TEXT NOT NULL UNIQUE REFERENCES people(id),
    device TEXT NOT NULL REFERENCES devices(id),
    password_hash TEXT NOT NULL,
    set_at TEXT NOT NULL
);
CREATE TABLE console_sessions (
    id_hash TEXT PRIMARY KEY,
    person TEXT NOT NULL REFERENCES people(id),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX console_sessions_by_person ON console_sessions(person);
-- Failed sign-ins within the rate-limit window, per client address (`addr:…`) and per
-- sign-in name (`login:…`): in the database, so every replica counts the same ones.
CREATE TABLE console_signin_failures (
    key TEXT NOT NULL, at_ms BIGINT NOT NULL
);
CREATE INDEX console_signin_failures_by_key ON console_signin_failures(key, at_ms);
CREATE INDEX console_signin_failures_by_time ON console_signin_failures(at_ms);
