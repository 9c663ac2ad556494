-- Officer diaries: submitted revisions (append-only, each device's diary
-- stream), their photos by SHA-256, photo uploads in progress, and the ledger
-- items made from reported problems.

CREATE TABLE diary_revisions (
    id           TEXT PRIMARY KEY,
    device_id    TEXT NOT NULL REFERENCES devices (id),
    seq          INTEGER NOT NULL CHECK (seq >= 1),
    entry_id     TEXT NOT NULL,
    revision     INTEGER NOT NULL CHECK (revision >= 1),
    officer_id   TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    body         TEXT NOT NULL,
    UNIQUE (device_id, seq),
    UNIQUE (entry_id, revision)
) STRICT;

CREATE TRIGGER diary_revisions_no_update BEFORE UPDATE ON diary_revisions
BEGIN SELECT RAISE(ABORT, 'diary revisions are append-only'); END;
CREATE TRIGGER diary_revisions_no_delete BEFORE DELETE ON diary_revisions
BEGIN SELECT RAISE(ABORT, 'diary revisions are append-only'); END;

CREATE TABLE diary_photos (
    sha256      TEXT PRIMARY KEY,
    bytes       BLOB NOT NULL,
    received_at TEXT NOT NULL
) STRICT;

-- Chunks received so far of a photo a device is sending; assembled and checked
-- against the SHA-256 when the last one arrives.
CREATE TABLE photo_uploads (
    sha256    TEXT NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices (id),
    size      INTEGER NOT NULL,
    PRIMARY KEY (sha256, device_id)
) STRICT;

CREATE TABLE photo_chunks (
    sha256    TEXT NOT NULL,
    device_id TEXT NOT NULL,
    offset    INTEGER NOT NULL,
    bytes     BLOB NOT NULL,
    PRIMARY KEY (sha256, device_id, offset),
    FOREIGN KEY (sha256, device_id) REFERENCES photo_uploads (sha256, device_id) ON DELETE CASCADE
) STRICT;

-- The ledger (台账): one item per reported problem, registered when the diary
-- revision that reports it arrives. Later states are set by ledger clerks.
CREATE TABLE ledger_items (
    problem_id    TEXT PRIMARY KEY,
    entry_id      TEXT NOT NULL,
    revision_id   TEXT NOT NULL REFERENCES diary_revisions (id),
    device_id     TEXT NOT NULL,
    officer_id    TEXT NOT NULL,
    category      TEXT NOT NULL,
    text          TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('registered', 'assigned', 'rectifying', 'rectified', 'replied',
                                                 'explained', 'excluded_by_appeal')),
    registered_at TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX ledger_items_device ON ledger_items (device_id);
