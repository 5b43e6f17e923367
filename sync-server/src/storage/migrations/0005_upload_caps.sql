-- Unfinished uploads are capped per device and expire: both questions look only at the
-- open (not done) uploads, by device and by age, so index just those.
CREATE INDEX uploads_open_by_device ON uploads(device) WHERE done = 0;
CREATE INDEX uploads_open_by_age ON uploads(created_at) WHERE done = 0;
