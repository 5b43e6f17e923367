-- Schema version 10: chained records (ADR 12, docs/signing.md). A record is linked in
-- the transaction that queues it (its link is SHA-256 of its signed bytes alone) but no
-- longer signed there: the device signs once per push, the last record of the request,
-- and that signature seals every record before it through the chain. So `signature` is
-- empty until a push seals the record (most records are never signed themselves), and
-- `chained` tells these records from the ones signed at queuing before this version,
-- whose link covers their signature too.

CREATE TABLE record_proofs_v10 (
    outbox_seq INTEGER PRIMARY KEY REFERENCES outbox(seq),
    body       TEXT NOT NULL,
    prev       TEXT NOT NULL,
    signature  TEXT,
    link       TEXT NOT NULL,
    chained    INTEGER NOT NULL DEFAULT 0 CHECK (chained IN (0, 1))
) STRICT;
INSERT INTO record_proofs_v10(outbox_seq, body, prev, signature, link, chained)
    SELECT outbox_seq, body, prev, signature, link, 0 FROM record_proofs;
DROP TABLE record_proofs;
ALTER TABLE record_proofs_v10 RENAME TO record_proofs;
