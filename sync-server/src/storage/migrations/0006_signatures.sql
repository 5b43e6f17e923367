-- Signed, chained records (docs/signing.md). A device enrolled with a public key has
-- every record it pushes checked against it; a record keeps its proof (the link of the
-- device's previous record, the DER signature in hex, its own link) and where it stands
-- in its device's chain: `linked`, `gap` (its predecessor is not here) or `fork`
-- (another record of the device already follows the same predecessor). A record pushed
-- unsigned (a device enrolled by an older client) has none of these.
ALTER TABLE devices ADD COLUMN public_key TEXT;
ALTER TABLE records ADD COLUMN proof_prev TEXT;
ALTER TABLE records ADD COLUMN proof_signature TEXT;
ALTER TABLE records ADD COLUMN proof_link TEXT;
ALTER TABLE records ADD COLUMN chain TEXT;
CREATE INDEX records_by_device_link ON records(author_device, proof_link)
    WHERE proof_link IS NOT NULL;
CREATE INDEX records_by_device_prev ON records(author_device, proof_prev)
    WHERE proof_prev IS NOT NULL;
