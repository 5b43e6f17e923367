-- Schema version 6: signed, chained records (docs/signing.md). Each record this device
-- queues for the server is signed in the transaction that queues it; its proof keeps
-- the body exactly as signed (so the record pushed is the record signed), the link of
-- the device's previous record, the DER signature (hex) and its own link, which the
-- next record names. Rows queued before this version have none and go up unsigned.

CREATE TABLE record_proofs (
    outbox_seq INTEGER PRIMARY KEY REFERENCES outbox(seq),
    body       TEXT NOT NULL,
    prev       TEXT NOT NULL,
    signature  TEXT NOT NULL,
    link       TEXT NOT NULL
) STRICT;
