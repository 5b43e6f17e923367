-- Server schema version 10: one-time form nonces (issue 15 item 8). A console form that
-- must act once (the spot-check planner) carries a nonce made with the page; the action
-- uses it up in the transaction that does the work, so a double click or a retried
-- POST plans the visits once.
CREATE TABLE console_form_nonces (
    nonce_hash TEXT PRIMARY KEY,
    person TEXT NOT NULL REFERENCES people(id),
    created_at_ms INTEGER NOT NULL,
    used_at_ms INTEGER
) STRICT;
