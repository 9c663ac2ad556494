-- The hall office: accounts and their sessions, the audit log, the ledger of
-- bad reviews and problems (items, their events, links), the working-day
-- calendar and each hall's limits, and the officers' answers to replies.

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('supervisor', 'hall_admin', 'clerk', 'viewer')),
    hall_id       TEXT REFERENCES halls (id),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    disabled_at   TEXT,
    CHECK ((role = 'supervisor') = (hall_id IS NULL))
) STRICT;

-- Only the SHA-256 of a session's token is kept.
CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    csrf         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    account_id TEXT,
    actor      TEXT NOT NULL,
    client     TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    detail     TEXT NOT NULL
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE hall_settings (
    hall_id      TEXT PRIMARY KEY REFERENCES halls (id),
    verify_days  INTEGER NOT NULL CHECK (verify_days BETWEEN 1 AND 30),
    rectify_days INTEGER NOT NULL CHECK (rectify_days BETWEEN 1 AND 60),
    complex_days INTEGER NOT NULL CHECK (complex_days BETWEEN 1 AND 90)
) STRICT;

-- The days that are not what their weekday says, and the years whose official
-- arrangement was imported.
CREATE TABLE calendar_days (
    date TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    note TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE TABLE calendar_years (
    year        INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    imported_at TEXT NOT NULL
) STRICT;

-- One item per bad review or problem; its id is the rating's or the problem's.
-- The state and what follows from it are derived from the events (kept here so
-- that the list filters and sorts on them), recomputed with every event.
CREATE TABLE ledger (
    id              TEXT PRIMARY KEY,
    source          TEXT NOT NULL CHECK (source IN ('rating', 'problem')),
    hall_id         TEXT,
    window_id       TEXT,
    staff_id        TEXT,
    device_id       TEXT NOT NULL,
    entry_id        TEXT,
    revision_id     TEXT,
    officer_id      TEXT,
    category        TEXT NOT NULL,
    summary         TEXT NOT NULL,
    registered_at   TEXT NOT NULL,
    registered_date TEXT NOT NULL,
    state           TEXT NOT NULL,
    due_date        TEXT,
    due_estimate    INTEGER NOT NULL DEFAULT 0,
    escalated       INTEGER NOT NULL DEFAULT 0,
    reply           TEXT,
    satisfaction    TEXT,
    events          INTEGER NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;
CREATE INDEX ledger_hall_state ON ledger (hall_id, state, due_date);
CREATE INDEX ledger_state_due ON ledger (state, due_date);
CREATE INDEX ledger_registered ON ledger (registered_at);
CREATE INDEX ledger_device ON ledger (device_id);
CREATE INDEX ledger_window ON ledger (window_id, registered_date);
CREATE INDEX ledger_staff ON ledger (staff_id, registered_date);

CREATE TABLE ledger_events (
    item_id TEXT NOT NULL REFERENCES ledger (id),
    seq     INTEGER NOT NULL,
    at      TEXT NOT NULL,
    date    TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    note    TEXT NOT NULL,
    PRIMARY KEY (item_id, seq)
) STRICT;
CREATE TRIGGER ledger_events_no_update BEFORE UPDATE ON ledger_events
BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
CREATE TRIGGER ledger_events_no_delete BEFORE DELETE ON ledger_events
BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;

CREATE TABLE ledger_links (
    a          TEXT NOT NULL REFERENCES ledger (id),
    b          TEXT NOT NULL REFERENCES ledger (id),
    at         TEXT NOT NULL,
    account_id TEXT NOT NULL,
    PRIMARY KEY (a, b),
    CHECK (a < b)
) STRICT;
CREATE INDEX ledger_links_b ON ledger_links (b);

-- Officers' answers to replies: a record stream of the laptops, stored once.
CREATE TABLE feedback (
    id           TEXT PRIMARY KEY,
    device_id    TEXT NOT NULL REFERENCES devices (id),
    seq          INTEGER NOT NULL,
    officer_id   TEXT NOT NULL,
    problem_id   TEXT NOT NULL,
    satisfaction TEXT NOT NULL,
    answered_at  TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    applied      INTEGER NOT NULL,
    UNIQUE (device_id, seq)
) STRICT;

-- The problems registered so far, and every bad review already held, become
-- items with their registration (to verify within one working day).
INSERT INTO ledger (id, source, hall_id, device_id, entry_id, revision_id, officer_id, category, summary,
                    registered_at, registered_date, state, events, updated_at)
SELECT li.problem_id, 'problem', json_extract(r.body, '$.hall_id'), li.device_id, li.entry_id, li.revision_id,
       li.officer_id, li.category, li.text, li.registered_at, date(li.registered_at, '+8 hours'), 'registered', 1,
       li.registered_at
FROM ledger_items li JOIN diary_revisions r ON r.id = li.revision_id;

INSERT INTO ledger (id, source, hall_id, window_id, staff_id, device_id, category, summary, registered_at,
                    registered_date, state, events, updated_at)
SELECT id, 'rating', hall_id, window_id, staff_id, device_id,
       (SELECT coalesce(group_concat(j.value, ','), '') FROM json_each(reasons) j), coalesce(comment, ''),
       received_at, date(received_at, '+8 hours'), 'registered', 1, received_at
FROM ratings WHERE attitude <= 2 OR competence <= 2;

INSERT INTO ledger_events (item_id, seq, at, date, actor, action, note)
SELECT id, 1, registered_at, registered_date, 'server', '{"step":"register","verify_days":1}', '' FROM ledger;

DROP TABLE ledger_items;
