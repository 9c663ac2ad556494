-- The hall office: accounts and their sessions, the audit log, the ledger of
-- bad reviews and problems (items, their events, links), the working-day
-- calendar and each hall's limits, and the officers' answers to replies.
-- The same tables as the SQLite backend's migration 4.

CREATE TABLE accounts (
    id            UUID PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('supervisor', 'hall_admin', 'clerk', 'viewer')),
    hall_id       TEXT REFERENCES halls (id),
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    disabled_at   TIMESTAMPTZ,
    CHECK ((role = 'supervisor') = (hall_id IS NULL))
);

-- Only the SHA-256 of a session's token is kept.
CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    account_id   UUID NOT NULL REFERENCES accounts (id),
    csrf         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE audit_log (
    id         BIGSERIAL PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    account_id UUID,
    actor      TEXT NOT NULL,
    client     TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION tiyan_append_only();

CREATE TABLE hall_settings (
    hall_id      TEXT PRIMARY KEY REFERENCES halls (id),
    verify_days  INTEGER NOT NULL CHECK (verify_days BETWEEN 1 AND 30),
    rectify_days INTEGER NOT NULL CHECK (rectify_days BETWEEN 1 AND 60),
    complex_days INTEGER NOT NULL CHECK (complex_days BETWEEN 1 AND 90)
);

CREATE TABLE calendar_days (
    date DATE PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE calendar_years (
    year        INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL
);

-- One item per bad review or problem; its id is the rating's or the problem's.
-- The state and what follows from it are derived from the events (kept here so
-- that the list filters and sorts on them), recomputed with every event.
CREATE TABLE ledger (
    id              UUID PRIMARY KEY,
    source          TEXT NOT NULL CHECK (source IN ('rating', 'problem')),
    hall_id         TEXT,
    window_id       TEXT,
    staff_id        TEXT,
    device_id       UUID NOT NULL,
    entry_id        UUID,
    revision_id     UUID,
    officer_id      TEXT,
    category        TEXT NOT NULL,
    summary         TEXT NOT NULL,
    registered_at   TIMESTAMPTZ NOT NULL,
    registered_date DATE NOT NULL,
    state           TEXT NOT NULL,
    due_date        DATE,
    due_estimate    BOOLEAN NOT NULL DEFAULT FALSE,
    escalated       BOOLEAN NOT NULL DEFAULT FALSE,
    reply           TEXT,
    satisfaction    TEXT,
    events          INTEGER NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX ledger_hall_state ON ledger (hall_id, state, due_date);
CREATE INDEX ledger_state_due ON ledger (state, due_date);
CREATE INDEX ledger_registered ON ledger (registered_at);
CREATE INDEX ledger_device ON ledger (device_id);
CREATE INDEX ledger_window ON ledger (window_id, registered_date);
CREATE INDEX ledger_staff ON ledger (staff_id, registered_date);

CREATE TABLE ledger_events (
    item_id UUID NOT NULL REFERENCES ledger (id),
    seq     INTEGER NOT NULL,
    at      TIMESTAMPTZ NOT NULL,
    date    DATE NOT NULL,
    actor   TEXT NOT NULL,
    action  JSONB NOT NULL,
    note    TEXT NOT NULL,
    PRIMARY KEY (item_id, seq)
);
CREATE TRIGGER ledger_events_append_only BEFORE UPDATE OR DELETE ON ledger_events
    FOR EACH ROW EXECUTE FUNCTION tiyan_append_only();

CREATE TABLE ledger_links (
    a          UUID NOT NULL REFERENCES ledger (id),
    b          UUID NOT NULL REFERENCES ledger (id),
    at         TIMESTAMPTZ NOT NULL,
    account_id UUID NOT NULL,
    PRIMARY KEY (a, b),
    CHECK (a < b)
);
CREATE INDEX ledger_links_b ON ledger_links (b);

CREATE TABLE feedback (
    id           UUID PRIMARY KEY,
    device_id    UUID NOT NULL REFERENCES devices (id),
    seq          BIGINT NOT NULL,
    officer_id   TEXT NOT NULL,
    problem_id   UUID NOT NULL,
    satisfaction TEXT NOT NULL,
    answered_at  TIMESTAMPTZ NOT NULL,
    answered_offset_minutes SMALLINT NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,
    applied      BOOLEAN NOT NULL,
    UNIQUE (device_id, seq)
);

-- The problems registered so far, and every bad review already held, become
-- items with their registration (to verify within one working day).
INSERT INTO ledger (id, source, hall_id, device_id, entry_id, revision_id, officer_id, category, summary,
                    registered_at, registered_date, state, events, updated_at)
SELECT li.problem_id, 'problem', r.body->>'hall_id', li.device_id, li.entry_id, li.revision_id, li.officer_id,
       li.category, li.text, li.registered_at, ((li.registered_at AT TIME ZONE 'UTC') + interval '8 hours')::date, 'registered',
       1, li.registered_at
FROM ledger_items li JOIN diary_revisions r ON r.id = li.revision_id;

INSERT INTO ledger (id, source, hall_id, window_id, staff_id, device_id, category, summary, registered_at,
                    registered_date, state, events, updated_at)
SELECT id, 'rating', hall_id, window_id, staff_id, device_id,
       coalesce((SELECT string_agg(value, ',') FROM jsonb_array_elements_text(reasons)), ''), coalesce(comment, ''),
       received_at, ((received_at AT TIME ZONE 'UTC') + interval '8 hours')::date, 'registered', 1, received_at
FROM ratings WHERE attitude <= 2 OR competence <= 2;

INSERT INTO ledger_events (item_id, seq, at, date, actor, action, note)
SELECT id, 1, registered_at, registered_date, 'server', '{"step":"register","verify_days":1}', '' FROM ledger;

DROP TABLE ledger_items;
