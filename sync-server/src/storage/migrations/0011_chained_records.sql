-- Server schema version 11: chained records (ADR 12, docs/signing.md). A device signs
-- once per push, so most records arrive without a signature of their own (the
-- `proof_signature` column stays empty) and are authenticated by the signature that
-- seals their chain segment in the same request. `proof_chained` is 1 for a record in
-- that form, whose link is SHA-256(prev ‖ content digest) whether it is signed or not;
-- empty for a record signed on its own before it (link over its signature too).
ALTER TABLE records ADD COLUMN proof_chained INTEGER;
