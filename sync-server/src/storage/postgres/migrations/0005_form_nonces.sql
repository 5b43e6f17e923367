-- Version 5, the twin of SQLite's 0010_form_nonces.sql: one-time form nonces. A console
-- form that must act once (the spot-check planner) carries a nonce made with the page;
-- the action uses it up before it does the work, so a double click or a retried POST
-- plans the visits once.
CREATE TABLE console_form_nonces (
    nonce_hash TEXT PRIMARY KEY,
    person TEXT NOT NULL REFERENCES people(id),
    created_at_ms BIGINT NOT NULL,
    used_at_ms BIGINT
);
