-- The central server on PostgreSQL: the same tables as the SQLite backend's
-- migrations 1 to 3, in PostgreSQL's own types. Records from devices are
-- append-only: triggers refuse UPDATE and DELETE on them.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Reference data, versioned as a whole: every import that changes it bumps meta.reference_version.
-- Rows are retired (active = false), never deleted: records name them.
CREATE TABLE halls (
    id      TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    active  BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE windows (
    id      TEXT PRIMARY KEY,
    hall_id TEXT NOT NULL REFERENCES halls (id),
    number  TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    active  BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE photos (
    sha256 TEXT PRIMARY KEY,
    bytes  BYTEA NOT NULL
);

CREATE TABLE staff (
    id            TEXT PRIMARY KEY,
    hall_id       TEXT NOT NULL REFERENCES halls (id),
    employee_no   TEXT NOT NULL,
    name          TEXT NOT NULL,
    department_zh TEXT,
    department_en TEXT,
    pin_hash      TEXT NOT NULL,
    photo_sha256  TEXT REFERENCES photos (sha256),
    active        BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE UNIQUE INDEX staff_active_employee_no ON staff (employee_no) WHERE active;

CREATE TABLE reasons (
    code     TEXT PRIMARY KEY,
    label_zh TEXT NOT NULL,
    label_en TEXT NOT NULL,
    position INTEGER NOT NULL,
    active   BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE matters (
    id          TEXT PRIMARY KEY,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    category_zh TEXT NOT NULL,
    category_en TEXT NOT NULL,
    quarter     TEXT,
    active      BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE officers (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    gender         TEXT,
    age            SMALLINT,
    occupation     TEXT,
    appointed_from DATE NOT NULL,
    appointed_to   DATE NOT NULL,
    password_hash  TEXT,
    active         BOOLEAN NOT NULL DEFAULT TRUE
);

-- Devices and their enrolment. Only a hash of each code or secret is kept.
CREATE TABLE enrolment_codes (
    code_sha256 TEXT PRIMARY KEY,
    role        TEXT NOT NULL CHECK (role IN ('kiosk', 'officer')),
    hall_id     TEXT NOT NULL REFERENCES halls (id),
    window_id   TEXT REFERENCES windows (id),
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    used_by     UUID
);

CREATE TABLE devices (
    id           UUID PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('kiosk', 'officer')),
    hall_id      TEXT NOT NULL REFERENCES halls (id),
    window_id    TEXT REFERENCES windows (id),
    secret_hash  TEXT NOT NULL,
    enrolled_at  TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ,
    last_seen_at TIMESTAMPTZ
);

-- Per device and kind of record: the server holds every record up to `through`.
-- An upload locks its row, so pages of one stream are taken one at a time.
CREATE TABLE streams (
    device_id UUID NOT NULL REFERENCES devices (id),
    kind      TEXT NOT NULL,
    through   BIGINT NOT NULL,
    PRIMARY KEY (device_id, kind)
);

-- Upload request ids already served: a request sent twice is a replay.
CREATE TABLE seen_requests (
    device_id  UUID NOT NULL,
    request_id UUID NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (device_id, request_id)
);
CREATE INDEX seen_requests_at ON seen_requests (at);

CREATE FUNCTION tiyan_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;

-- device_time is the instant; device_date and device_offset_minutes are the
-- device's own calendar date and UTC offset, what figures group by.
CREATE TABLE ratings (
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
    case_no               TEXT,
    attitude              SMALLINT NOT NULL CHECK (attitude BETWEEN 1 AND 5),
    competence            SMALLINT NOT NULL CHECK (competence BETWEEN 1 AND 5),
    reasons               JSONB NOT NULL,
    comment               TEXT,
    phone                 TEXT,
    misuse                BOOLEAN NOT NULL,
    UNIQUE (device_id, seq)
);
CREATE INDEX ratings_hall_date ON ratings (hall_id, device_date);
CREATE TRIGGER ratings_append_only BEFORE UPDATE OR DELETE ON ratings
    FOR EACH ROW EXECUTE FUNCTION tiyan_append_only();

-- Officer diaries: submitted revisions (append-only), photos by SHA-256,
-- uploads in progress, and the ledger items made from reported problems.
CREATE TABLE diary_revisions (
    id                       UUID PRIMARY KEY,
    device_id                UUID NOT NULL REFERENCES devices (id),
    seq                      BIGINT NOT NULL CHECK (seq >= 1),
    entry_id                 UUID NOT NULL,
    revision                 INTEGER NOT NULL CHECK (revision >= 1),
    officer_id               TEXT NOT NULL,
    submitted_at             TIMESTAMPTZ NOT NULL,
    submitted_date           DATE NOT NULL,
    submitted_offset_minutes SMALLINT NOT NULL,
    received_at              TIMESTAMPTZ NOT NULL,
    body                     JSONB NOT NULL,
    UNIQUE (device_id, seq),
    UNIQUE (entry_id, revision)
);
CREATE TRIGGER diary_revisions_append_only BEFORE UPDATE OR DELETE ON diary_revisions
    FOR EACH ROW EXECUTE FUNCTION tiyan_append_only();

CREATE TABLE diary_photos (
    sha256      TEXT PRIMARY KEY,
    bytes       BYTEA NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE photo_uploads (
    sha256     TEXT NOT NULL,
    device_id  UUID NOT NULL REFERENCES devices (id),
    size       BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (sha256, device_id)
);
CREATE INDEX photo_uploads_updated ON photo_uploads (updated_at);

CREATE TABLE photo_chunks (
    sha256    TEXT NOT NULL,
    device_id UUID NOT NULL,
    "offset"  BIGINT NOT NULL,
    bytes     BYTEA NOT NULL,
    PRIMARY KEY (sha256, device_id, "offset"),
    FOREIGN KEY (sha256, device_id) REFERENCES photo_uploads (sha256, device_id) ON DELETE CASCADE
);

CREATE TABLE ledger_items (
    problem_id    UUID PRIMARY KEY,
    entry_id      UUID NOT NULL,
    revision_id   UUID NOT NULL REFERENCES diary_revisions (id),
    device_id     UUID NOT NULL,
    officer_id    TEXT NOT NULL,
    category      TEXT NOT NULL,
    text          TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('registered', 'assigned', 'rectifying', 'rectified', 'replied',
                                                 'explained', 'excluded_by_appeal')),
    registered_at TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX ledger_items_device ON ledger_items (device_id);

CREATE TABLE sign_in_failures (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at TIMESTAMPTZ NOT NULL
);
