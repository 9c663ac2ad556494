-- What a province's server needs: the device's own date and UTC offset beside
-- each device time (figures group by them, never by the server's clock), the
-- time of an upload's last chunk (abandoned uploads are pruned), an index to
-- prune seen request ids, and failed sign-in attempts shared by every process.
-- Device secrets stay in devices.secret_hash: new ones are a hex SHA-256, old
-- Argon2id ones are replaced at each device's next request.

DROP TRIGGER ratings_no_update;
ALTER TABLE ratings ADD COLUMN device_date TEXT NOT NULL DEFAULT '';
ALTER TABLE ratings ADD COLUMN device_offset_minutes INTEGER NOT NULL DEFAULT 0;
-- Stored times are RFC 3339 with the device's offset: the date is the first ten
-- characters, the offset the last six ('+08:00') or a 'Z'.
UPDATE ratings SET
    device_date = substr(device_time, 1, 10),
    device_offset_minutes = CASE WHEN substr(device_time, -1) = 'Z' THEN 0 ELSE
        (CASE substr(device_time, -6, 1) WHEN '-' THEN -1 ELSE 1 END)
        * (CAST(substr(device_time, -5, 2) AS INTEGER) * 60 + CAST(substr(device_time, -2, 2) AS INTEGER)) END;
CREATE TRIGGER ratings_no_update BEFORE UPDATE ON ratings
BEGIN SELECT RAISE(ABORT, 'ratings are append-only'); END;
DROP INDEX ratings_hall_time;
CREATE INDEX ratings_hall_date ON ratings (hall_id, device_date);

DROP TRIGGER diary_revisions_no_update;
ALTER TABLE diary_revisions ADD COLUMN submitted_date TEXT NOT NULL DEFAULT '';
ALTER TABLE diary_revisions ADD COLUMN submitted_offset_minutes INTEGER NOT NULL DEFAULT 0;
UPDATE diary_revisions SET
    submitted_date = substr(submitted_at, 1, 10),
    submitted_offset_minutes = CASE WHEN substr(submitted_at, -1) = 'Z' THEN 0 ELSE
        (CASE substr(submitted_at, -6, 1) WHEN '-' THEN -1 ELSE 1 END)
        * (CAST(substr(submitted_at, -5, 2) AS INTEGER) * 60 + CAST(substr(submitted_at, -2, 2) AS INTEGER)) END;
CREATE TRIGGER diary_revisions_no_update BEFORE UPDATE ON diary_revisions
BEGIN SELECT RAISE(ABORT, 'diary revisions are append-only'); END;

ALTER TABLE photo_uploads ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
UPDATE photo_uploads SET updated_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now');
CREATE INDEX photo_uploads_updated ON photo_uploads (updated_at);

CREATE INDEX seen_requests_at ON seen_requests (at);

CREATE TABLE sign_in_failures (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at TEXT NOT NULL
) STRICT;
