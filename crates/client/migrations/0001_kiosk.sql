-- The kiosk's first schema. Ratings are append-only: triggers refuse UPDATE and DELETE.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE halls (
    id      TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL
) STRICT;

CREATE TABLE windows (
    id      TEXT PRIMARY KEY,
    hall_id TEXT NOT NULL REFERENCES halls (id),
    number  TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    active  INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE staff (
    id            TEXT PRIMARY KEY,
    hall_id       TEXT NOT NULL REFERENCES halls (id),
    employee_no   TEXT NOT NULL,
    name          TEXT NOT NULL,
    department_zh TEXT,
    department_en TEXT,
    pin_hash      TEXT NOT NULL,
    photo_sha256  TEXT,
    thumbnail     BLOB,
    active        INTEGER NOT NULL DEFAULT 1
) STRICT;
-- Retired staff keep their number (their ratings still name it); a new member may reuse it.
CREATE UNIQUE INDEX staff_active_employee_no ON staff (employee_no) WHERE active = 1;

CREATE TABLE reasons (
    code     TEXT PRIMARY KEY,
    label_zh TEXT NOT NULL,
    label_en TEXT NOT NULL,
    position INTEGER NOT NULL,
    active   INTEGER NOT NULL DEFAULT 1
) STRICT;

-- Who is on duty at the window: one open session per window at most.
CREATE TABLE staff_sessions (
    id            INTEGER PRIMARY KEY,
    staff_id      TEXT NOT NULL REFERENCES staff (id),
    window_id     TEXT NOT NULL REFERENCES windows (id),
    signed_in_at  TEXT NOT NULL,
    signed_out_at TEXT,
    signed_out_by TEXT CHECK (signed_out_by IN ('staff', 'admin', 'reference'))
) STRICT;
CREATE UNIQUE INDEX staff_sessions_one_open ON staff_sessions (window_id) WHERE signed_out_at IS NULL;

-- Consecutive wrong PINs per subject ('admin', 'staff:<id>'), for the growing delay and lock-out.
CREATE TABLE pin_failures (
    subject      TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    last_failure TEXT NOT NULL
) STRICT;

-- seq is the rowid: SQLite gives each insert max(seq) + 1 inside the committing
-- transaction, and since ratings are never deleted (trigger below) a number is
-- never handed out twice, across restarts and crashes alike.
CREATE TABLE ratings (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    session_id  TEXT NOT NULL UNIQUE,
    device_id   TEXT NOT NULL,
    device_time TEXT NOT NULL,
    hall_id     TEXT NOT NULL,
    window_id   TEXT NOT NULL,
    staff_id    TEXT NOT NULL,
    case_no     TEXT UNIQUE,
    attitude    INTEGER NOT NULL CHECK (attitude BETWEEN 1 AND 5),
    competence  INTEGER NOT NULL CHECK (competence BETWEEN 1 AND 5),
    reasons     TEXT NOT NULL DEFAULT '[]',
    comment     TEXT,
    phone       TEXT,
    misuse      INTEGER NOT NULL CHECK (misuse IN (0, 1))
) STRICT;

CREATE TRIGGER ratings_no_update BEFORE UPDATE ON ratings
BEGIN SELECT RAISE(ABORT, 'ratings are append-only'); END;
CREATE TRIGGER ratings_no_delete BEFORE DELETE ON ratings
BEGIN SELECT RAISE(ABORT, 'ratings are append-only'); END;

-- How far the server has acknowledged each kind of record: it holds every
-- record of the kind up to acked_through (it never holds one past a hole).
CREATE TABLE sync_streams (
    kind          TEXT PRIMARY KEY,
    acked_through INTEGER NOT NULL,
    acked_at      TEXT NOT NULL
) STRICT;
