-- Version 6, the twin of SQLite's 0011_chained_records.sql: chained records (ADR 12,
-- docs/signing.md). A device signs once per push, so most records arrive without a
-- signature of their own (`proof_signature` stays NULL) and are authenticated by the
-- signature that seals their chain segment in the same request. `proof_chained` is
-- true for a record in that form, whose link is SHA-256(prev ‖ content digest) whether
-- it is signed or not; NULL for a record signed on its own before it (link over its
-- signature too).
ALTER TABLE records ADD COLUMN proof_chained BOOLEAN;
