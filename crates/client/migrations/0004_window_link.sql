-- The window link (the hall's queue and case system driving the kiosk).
--
-- Each case the window's system asked to have rated: append-only records of
-- their own sync stream (the rowid is the sequence number), one per case
-- number (asked again, it is the same case).
CREATE TABLE cases (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    device_time TEXT NOT NULL,
    hall_id     TEXT NOT NULL,
    window_id   TEXT NOT NULL,
    staff_id    TEXT NOT NULL,
    case_no     TEXT NOT NULL UNIQUE,
    ticket_no   TEXT,
    matter      TEXT
) STRICT;

CREATE TRIGGER cases_no_update BEFORE UPDATE ON cases
BEGIN SELECT RAISE(ABORT, 'cases are append-only'); END;
CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases
BEGIN SELECT RAISE(ABORT, 'cases are append-only'); END;

-- The link's requests by the id their sender gave them, with the answer
-- given: the same request again gets the same answer, another request under
-- the same id is refused. Kept a day.
CREATE TABLE link_requests (
    request_id  TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status      INTEGER NOT NULL,
    answer      TEXT NOT NULL,
    at          TEXT NOT NULL
) STRICT;
CREATE INDEX link_requests_at ON link_requests (at);
