-- The window link: cases served at a kiosk's window and the rating rate
-- (see the SQLite backend's 0006_cases.sql for why each is there).
CREATE TABLE cases (
    id                    UUID PRIMARY KEY,
    device_id             UUID NOT NULL REFERENCES devices (id),
    seq                   BIGINT NOT NULL,
    device_time           TIMESTAMPTZ NOT NULL,
    device_date           DATE NOT NULL,
    device_offset_minutes SMALLINT NOT NULL,
    received_at           TIMESTAMPTZ NOT NULL,
    hall_id               TEXT NOT NULL,
    window_id             TEXT NOT NULL,
    staff_id              TEXT NOT NULL,
    case_no               TEXT NOT NULL,
    ticket_no             TEXT,
    matter                TEXT,
    UNIQUE (device_id, seq)
);
CREATE TRIGGER cases_append_only BEFORE UPDATE OR DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION tiyan_append_only();

CREATE TABLE served_cases (
    hall_id     TEXT NOT NULL,
    case_no     TEXT NOT NULL,
    case_id     UUID NOT NULL,
    device_date DATE NOT NULL,
    staff_id    TEXT NOT NULL,
    window_id   TEXT NOT NULL,
    PRIMARY KEY (hall_id, case_no)
);
CREATE INDEX served_cases_date ON served_cases (hall_id, device_date);

CREATE TABLE rated_cases (
    hall_id     TEXT NOT NULL,
    case_no     TEXT NOT NULL,
    rating_id   UUID NOT NULL,
    device_date DATE NOT NULL,
    staff_id    TEXT NOT NULL,
    window_id   TEXT NOT NULL,
    PRIMARY KEY (hall_id, case_no)
);
CREATE INDEX rated_cases_date ON rated_cases (hall_id, device_date);

ALTER TABLE ratings ADD COLUMN case_repeat BOOLEAN NOT NULL DEFAULT false;
DROP INDEX ratings_assessment;
CREATE INDEX ratings_assessment
    ON ratings (hall_id, device_date, staff_id, window_id, attitude, competence, misuse, case_repeat);

ALTER TABLE hall_settings ADD COLUMN rating_rate_percent INTEGER NOT NULL DEFAULT 90;

INSERT INTO rated_cases (hall_id, case_no, rating_id, device_date, staff_id, window_id)
SELECT DISTINCT ON (hall_id, case_no) hall_id, case_no, id, device_date, staff_id, window_id FROM ratings
WHERE case_no IS NOT NULL ORDER BY hall_id, case_no, received_at, device_id, seq
ON CONFLICT DO NOTHING;
