-- The central server's first schema. Records from devices are append-only.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Reference data, versioned as a whole: every import that changes it bumps meta.reference_version.
CREATE TABLE halls (
    id      TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    active  INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE windows (
    id      TEXT PRIMARY KEY,
    hall_id TEXT NOT NULL REFERENCES halls (id),
    number  TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    active  INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE photos (
    sha256 TEXT PRIMARY KEY,
    bytes  BLOB NOT NULL
) STRICT;

CREATE TABLE staff (
    id            TEXT PRIMARY KEY,
    hall_id       TEXT NOT NULL REFERENCES halls (id),
    employee_no   TEXT NOT NULL,
    name          TEXT NOT NULL,
    department_zh TEXT,
    department_en TEXT,
    pin_hash      TEXT NOT NULL,
    photo_sha256  TEXT REFERENCES photos (sha256),
    active        INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE UNIQUE INDEX staff_active_employee_no ON staff (employee_no) WHERE active = 1;

CREATE TABLE reasons (
    code     TEXT PRIMARY KEY,
    label_zh TEXT NOT NULL,
    label_en TEXT NOT NULL,
    position INTEGER NOT NULL,
    active   INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE matters (
    id          TEXT PRIMARY KEY,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    category_zh TEXT NOT NULL,
    category_en TEXT NOT NULL,
    quarter     TEXT,
    active      INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE officers (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    gender         TEXT,
    age            INTEGER,
    occupation     TEXT,
    appointed_from TEXT NOT NULL,
    appointed_to   TEXT NOT NULL,
    password_hash  TEXT,
    active         INTEGER NOT NULL DEFAULT 1
) STRICT;

-- Devices and their enrolment. Only a hash of each secret or code is kept.
CREATE TABLE enrolment_codes (
    code_sha256 TEXT PRIMARY KEY,
    role        TEXT NOT NULL CHECK (role IN ('kiosk', 'officer')),
    hall_id     TEXT NOT NULL REFERENCES halls (id),
    window_id   TEXT REFERENCES windows (id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    used_by     TEXT
) STRICT;

CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('kiosk', 'officer')),
    hall_id      TEXT NOT NULL REFERENCES halls (id),
    window_id    TEXT REFERENCES windows (id),
    secret_hash  TEXT NOT NULL,
    enrolled_at  TEXT NOT NULL,
    revoked_at   TEXT,
    last_seen_at TEXT
) STRICT;

-- Per device and kind of record: the server holds every record up to `through`.
CREATE TABLE streams (
    device_id TEXT NOT NULL REFERENCES devices (id),
    kind      TEXT NOT NULL,
    through   INTEGER NOT NULL,
    PRIMARY KEY (device_id, kind)
) STRICT;

-- Upload request ids already served: a request sent twice is a replay.
CREATE TABLE seen_requests (
    device_id  TEXT NOT NULL,
    request_id TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (device_id, request_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE ratings (
    id           TEXT PRIMARY KEY,
    device_id    TEXT NOT NULL REFERENCES devices (id),
    seq          INTEGER NOT NULL,
    device_time  TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    hall_id      TEXT NOT NULL,
    window_id    TEXT NOT NULL,
    staff_id     TEXT NOT NULL,
    case_no      TEXT,
    attitude     INTEGER NOT NULL CHECK (attitude BETWEEN 1 AND 5),
    competence   INTEGER NOT NULL CHECK (competence BETWEEN 1 AND 5),
    reasons      TEXT NOT NULL,
    comment      TEXT,
    phone        TEXT,
    misuse       INTEGER NOT NULL CHECK (misuse IN (0, 1)),
    UNIQUE (device_id, seq)
) STRICT;
CREATE INDEX ratings_hall_time ON ratings (hall_id, device_time);

CREATE TRIGGER ratings_no_update BEFORE UPDATE ON ratings
BEGIN SELECT RAISE(ABORT, 'ratings are append-only'); END;
CREATE TRIGGER ratings_no_delete BEFORE DELETE ON ratings
BEGIN SELECT RAISE(ABORT, 'ratings are append-only'); END;
