-- Schema version 8: where the server placed each pulled record in its device's signed
-- chain when it arrived (`linked`, `gap`, `fork`; docs/signing.md), shown on the case
-- so a fork (a cloned or restored store) or a gap is seen on every device. Kept apart
-- from hazard_events, whose rows are immutable, and only for records the server said.
CREATE TABLE chain_marks (
    record_id TEXT PRIMARY KEY,
    chain     TEXT NOT NULL CHECK (chain IN ('linked', 'gap', 'fork'))
) STRICT, WITHOUT ROWID;
