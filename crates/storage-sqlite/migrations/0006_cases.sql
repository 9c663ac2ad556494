-- The window link: cases served at a kiosk's window and the rating rate.
--
-- Each case a kiosk recorded as served (its window's system asked for the
-- case's rating): a record of the device's own stream, kept as sent.
CREATE TABLE cases (
    id                    TEXT PRIMARY KEY,
    device_id             TEXT NOT NULL REFERENCES devices (id),
    seq                   INTEGER NOT NULL,
    device_time           TEXT NOT NULL,
    device_date           TEXT NOT NULL,
    device_offset_minutes INTEGER NOT NULL,
    received_at           TEXT NOT NULL,
    hall_id               TEXT NOT NULL,
    window_id             TEXT NOT NULL,
    staff_id              TEXT NOT NULL,
    case_no               TEXT NOT NULL,
    ticket_no             TEXT,
    matter                TEXT,
    UNIQUE (device_id, seq)
) STRICT;
CREATE TRIGGER cases_no_update BEFORE UPDATE ON cases
BEGIN SELECT RAISE(ABORT, 'cases are append-only'); END;
CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases
BEGIN SELECT RAISE(ABORT, 'cases are append-only'); END;

-- A hall's cases, each once (the first record of a case number stands: a case
-- asked again at another kiosk or after a reset is the same case).
CREATE TABLE served_cases (
    hall_id     TEXT NOT NULL,
    case_no     TEXT NOT NULL,
    case_id     TEXT NOT NULL,
    device_date TEXT NOT NULL,
    staff_id    TEXT NOT NULL,
    window_id   TEXT NOT NULL,
    PRIMARY KEY (hall_id, case_no)
) STRICT;
CREATE INDEX served_cases_date ON served_cases (hall_id, device_date);

-- A hall's rated cases, each once: the first rating of a case number counts;
-- a second (another kiosk, a kiosk reset) is kept with `case_repeat` set and
-- left out of every figure, like misuse (一次一评).
CREATE TABLE rated_cases (
    hall_id     TEXT NOT NULL,
    case_no     TEXT NOT NULL,
    rating_id   TEXT NOT NULL,
    device_date TEXT NOT NULL,
    staff_id    TEXT NOT NULL,
    window_id   TEXT NOT NULL,
    PRIMARY KEY (hall_id, case_no)
) STRICT;
CREATE INDEX rated_cases_date ON rated_cases (hall_id, device_date);

ALTER TABLE ratings ADD COLUMN case_repeat INTEGER NOT NULL DEFAULT 0;
DROP INDEX ratings_assessment;
CREATE INDEX ratings_assessment
    ON ratings (hall_id, device_date, staff_id, window_id, attitude, competence, misuse, case_repeat);

-- Below this share of its cases rated in a month, a window is flagged.
ALTER TABLE hall_settings ADD COLUMN rating_rate_percent INTEGER NOT NULL DEFAULT 90;

-- Cases that have a rating already: the ratings held so far bind theirs.
INSERT INTO rated_cases (hall_id, case_no, rating_id, device_date, staff_id, window_id)
SELECT hall_id, case_no, id, device_date, staff_id, window_id FROM ratings
WHERE case_no IS NOT NULL ORDER BY received_at, device_id, seq
ON CONFLICT DO NOTHING;
