-- The monthly assessment, the fleet, live alerts and the year's officers
-- (see the SQLite migration of the same name for what each part is).
ALTER TABLE hall_settings
    ADD COLUMN minimum_ratings INTEGER NOT NULL DEFAULT 10,
    ADD COLUMN publish_names BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN opens TEXT NOT NULL DEFAULT '09:00',
    ADD COLUMN closes TEXT NOT NULL DEFAULT '17:00',
    ADD COLUMN silence_minutes INTEGER NOT NULL DEFAULT 30,
    ADD COLUMN alert_minutes INTEGER NOT NULL DEFAULT 15,
    ADD COLUMN alert_min_ratings INTEGER NOT NULL DEFAULT 4,
    ADD COLUMN alert_bad_percent INTEGER NOT NULL DEFAULT 50;

CREATE TABLE assessment_methods (
    version        BIGINT PRIMARY KEY,
    scores         JSONB NOT NULL,
    prior_weight   INTEGER NOT NULL,
    bottom_percent INTEGER NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    account_id     UUID
);
INSERT INTO assessment_methods (version, scores, prior_weight, bottom_percent, created_at)
VALUES (1, '[0,3,6,8,10]', 20, 10, now());

CREATE TABLE month_closings (
    hall_id        TEXT NOT NULL REFERENCES halls (id),
    month          TEXT NOT NULL,
    method_version BIGINT NOT NULL REFERENCES assessment_methods (version),
    closed_at      TIMESTAMPTZ NOT NULL,
    account_id     UUID NOT NULL,
    figures        JSONB NOT NULL,
    PRIMARY KEY (hall_id, month)
);
CREATE TRIGGER month_closings_frozen BEFORE UPDATE OR DELETE ON month_closings
    FOR EACH ROW EXECUTE FUNCTION tiyan_append_only();

CREATE TABLE alerts (
    id              UUID PRIMARY KEY,
    hall_id         TEXT NOT NULL,
    window_id       TEXT NOT NULL,
    raised_at       TIMESTAMPTZ NOT NULL,
    ratings         INTEGER NOT NULL,
    bad             INTEGER NOT NULL,
    minutes         INTEGER NOT NULL,
    acknowledged_at TIMESTAMPTZ,
    account_id      UUID,
    note            TEXT
);
CREATE INDEX alerts_window ON alerts (window_id, raised_at);
CREATE INDEX alerts_open ON alerts (hall_id) WHERE acknowledged_at IS NULL;

ALTER TABLE devices
    ADD COLUMN app_version TEXT,
    ADD COLUMN clock_offset_seconds BIGINT,
    ADD COLUMN reported_at TIMESTAMPTZ;
CREATE TABLE device_newest (
    device_id UUID NOT NULL REFERENCES devices (id),
    kind      TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    PRIMARY KEY (device_id, kind)
);

CREATE TABLE excellent_officers (
    year         INTEGER NOT NULL,
    officer_id   TEXT NOT NULL,
    nominated_at TIMESTAMPTZ NOT NULL,
    account_id   UUID NOT NULL,
    PRIMARY KEY (year, officer_id)
);

ALTER TABLE ledger ADD COLUMN outcome TEXT, ADD COLUMN rectified_on_time BOOLEAN;
CREATE INDEX ledger_hall_registered ON ledger (hall_id, registered_date);

DROP INDEX ratings_hall_date;
CREATE INDEX ratings_assessment
    ON ratings (hall_id, device_date, staff_id, window_id, attitude, competence, misuse);
CREATE INDEX ratings_window_received ON ratings (window_id, received_at);
