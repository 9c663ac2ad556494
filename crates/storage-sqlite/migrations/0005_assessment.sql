-- The monthly assessment, the fleet, live alerts and the year's officers.
--
-- Each hall's settings for its figures: the minimum number of ratings for a
-- rank, whether published figures name staff (masked), when a kiosk counts as
-- silent during opening hours, and the live alert rule of its windows.
ALTER TABLE hall_settings ADD COLUMN minimum_ratings INTEGER NOT NULL DEFAULT 10;
ALTER TABLE hall_settings ADD COLUMN publish_names INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hall_settings ADD COLUMN opens TEXT NOT NULL DEFAULT '09:00';
ALTER TABLE hall_settings ADD COLUMN closes TEXT NOT NULL DEFAULT '17:00';
ALTER TABLE hall_settings ADD COLUMN silence_minutes INTEGER NOT NULL DEFAULT 30;
ALTER TABLE hall_settings ADD COLUMN alert_minutes INTEGER NOT NULL DEFAULT 15;
ALTER TABLE hall_settings ADD COLUMN alert_min_ratings INTEGER NOT NULL DEFAULT 4;
ALTER TABLE hall_settings ADD COLUMN alert_bad_percent INTEGER NOT NULL DEFAULT 50;

-- How figures are computed, by version; the newest is current. Never changed:
-- a change is a new version, and a closed month names the one it used.
CREATE TABLE assessment_methods (
    version        INTEGER PRIMARY KEY,
    scores         TEXT NOT NULL,
    prior_weight   INTEGER NOT NULL,
    bottom_percent INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    account_id     TEXT
) STRICT;
INSERT INTO assessment_methods (version, scores, prior_weight, bottom_percent, created_at)
VALUES (1, '[0,3,6,8,10]', 20, 10, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'));

-- A closed month: its figures as they were computed then, frozen.
CREATE TABLE month_closings (
    hall_id        TEXT NOT NULL REFERENCES halls (id),
    month          TEXT NOT NULL,
    method_version INTEGER NOT NULL REFERENCES assessment_methods (version),
    closed_at      TEXT NOT NULL,
    account_id     TEXT NOT NULL,
    figures        TEXT NOT NULL,
    PRIMARY KEY (hall_id, month)
) STRICT;
CREATE TRIGGER month_closings_no_update BEFORE UPDATE ON month_closings
BEGIN SELECT RAISE(ABORT, 'a closed month is frozen'); END;
CREATE TRIGGER month_closings_no_delete BEFORE DELETE ON month_closings
BEGIN SELECT RAISE(ABORT, 'a closed month is frozen'); END;

-- Live alerts of a window, until a hall administrator acknowledges them.
CREATE TABLE alerts (
    id              TEXT PRIMARY KEY,
    hall_id         TEXT NOT NULL,
    window_id       TEXT NOT NULL,
    raised_at       TEXT NOT NULL,
    ratings         INTEGER NOT NULL,
    bad             INTEGER NOT NULL,
    minutes         INTEGER NOT NULL,
    acknowledged_at TEXT,
    account_id      TEXT,
    note            TEXT
) STRICT;
CREATE INDEX alerts_window ON alerts (window_id, raised_at);
CREATE INDEX alerts_open ON alerts (hall_id) WHERE acknowledged_at IS NULL;

-- What a device says of itself when it asks for its state.
ALTER TABLE devices ADD COLUMN app_version TEXT;
ALTER TABLE devices ADD COLUMN clock_offset_seconds INTEGER;
ALTER TABLE devices ADD COLUMN reported_at TEXT;
CREATE TABLE device_newest (
    device_id TEXT NOT NULL REFERENCES devices (id),
    kind      TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    PRIMARY KEY (device_id, kind)
) STRICT;

-- The year's excellent officers, as a supervisor nominated them.
CREATE TABLE excellent_officers (
    year         INTEGER NOT NULL,
    officer_id   TEXT NOT NULL,
    nominated_at TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    PRIMARY KEY (year, officer_id)
) STRICT;

-- How each item was dealt with and whether in time (the month's ledger rates);
-- items handled before this version are replayed once at start-up.
ALTER TABLE ledger ADD COLUMN outcome TEXT;
ALTER TABLE ledger ADD COLUMN rectified_on_time INTEGER;
CREATE INDEX ledger_hall_registered ON ledger (hall_id, registered_date);

-- A month's figures read only these columns: the index alone answers them.
DROP INDEX ratings_hall_date;
CREATE INDEX ratings_assessment
    ON ratings (hall_id, device_date, staff_id, window_id, attitude, competence, misuse);
-- The live alert counts a window's latest ratings.
CREATE INDEX ratings_window_received ON ratings (window_id, received_at);
