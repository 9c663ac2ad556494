-- The officer laptop: officers who signed in here, their drafts, the submitted
-- revisions (append-only, the diary sync stream), photos, and the ledger's word
-- on each reported problem.

-- The profile from the server's first (online) sign-in, and a verifier of the
-- password made on this laptop, so that later sign-ins work offline.
CREATE TABLE officers_local (
    officer_id     TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    gender         TEXT,
    age            INTEGER,
    occupation     TEXT,
    appointed_from TEXT NOT NULL,
    appointed_to   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    verified_at    TEXT NOT NULL
) STRICT;

-- What the officer is writing; saved as they type. base_revision: the
-- submitted revision this draft edits (0 for a new entry).
CREATE TABLE diary_drafts (
    entry_id      TEXT PRIMARY KEY,
    officer_id    TEXT NOT NULL REFERENCES officers_local (officer_id),
    base_revision INTEGER NOT NULL DEFAULT 0,
    body          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;

-- Submitted revisions. seq (the rowid) is the diary stream's sequence number.
CREATE TABLE diary_revisions (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    entry_id     TEXT NOT NULL,
    revision     INTEGER NOT NULL CHECK (revision >= 1),
    officer_id   TEXT NOT NULL REFERENCES officers_local (officer_id),
    submitted_at TEXT NOT NULL,
    body         TEXT NOT NULL,
    UNIQUE (entry_id, revision)
) STRICT;

CREATE TRIGGER diary_revisions_no_update BEFORE UPDATE ON diary_revisions
BEGIN SELECT RAISE(ABORT, 'diary revisions are append-only'); END;
CREATE TRIGGER diary_revisions_no_delete BEFORE DELETE ON diary_revisions
BEGIN SELECT RAISE(ABORT, 'diary revisions are append-only'); END;

-- Processed photos (upright, no metadata, at most 2048 px), by SHA-256 of the JPEG.
CREATE TABLE diary_photos (
    sha256      TEXT PRIMARY KEY,
    officer_id  TEXT NOT NULL REFERENCES officers_local (officer_id),
    bytes       BLOB NOT NULL,
    thumb       BLOB NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    added_at    TEXT NOT NULL,
    uploaded_at TEXT
) STRICT;

CREATE TABLE ledger_states (
    problem_id TEXT PRIMARY KEY,
    entry_id   TEXT NOT NULL,
    state      TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
