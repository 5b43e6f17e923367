-- Shutting people and devices out: a person may be disabled (every device of theirs is
-- refused, and their codes do not enrol); a device may be revoked (a lost phone); a
-- device token expires unless the device keeps syncing (each authenticated request
-- moves `expires_at` forward, at most once an hour), and `last_seen_at` records when.
-- Times are RFC 3339 UTC with milliseconds, so they compare as text.
ALTER TABLE people ADD COLUMN disabled_at TEXT;
ALTER TABLE devices ADD COLUMN revoked_at TEXT;
ALTER TABLE devices ADD COLUMN last_seen_at TEXT;
ALTER TABLE devices ADD COLUMN expires_at TEXT NOT NULL DEFAULT '';
-- Devices enrolled before tokens expired get the default lifetime from the upgrade on;
-- when they were last seen is not known.
UPDATE devices SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+90 days');
-- Enrolment attempts per client address within the rate-limit window, pruned as new
-- attempts come. In the database, not in memory, so replicas on one database share it.
CREATE TABLE enrol_attempts (
    client TEXT NOT NULL, at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX enrol_attempts_by_client ON enrol_attempts(client, at_ms);
CREATE INDEX enrol_attempts_by_time ON enrol_attempts(at_ms);
