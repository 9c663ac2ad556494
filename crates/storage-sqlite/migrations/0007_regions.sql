-- A province's tree of regions (GB/T 2260 division codes, nine digits for a
-- township): reference data like the halls, retired rather than deleted.
CREATE TABLE regions (
    code    TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    active  INTEGER NOT NULL DEFAULT 1
) STRICT;

-- The region a hall hangs under; a region's halls are those whose code starts
-- with its significant digits.
ALTER TABLE halls ADD COLUMN division TEXT;
CREATE INDEX halls_division ON halls (division);

-- An account placed over a hall, a region, or (neither) everywhere; the rule
-- of which role may be where is core's (Role::may_be_at). SQLite keeps a CHECK
-- in the table's text, so the table is built again without the old one; the
-- sessions' references to it are checked at the commit.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE accounts_placed (
    id            TEXT PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('supervisor', 'hall_admin', 'clerk', 'viewer')),
    hall_id       TEXT REFERENCES halls (id),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    disabled_at   TEXT,
    region        TEXT REFERENCES regions (code),
    CHECK (hall_id IS NULL OR region IS NULL)
) STRICT;
INSERT INTO accounts_placed (id, login, name, role, hall_id, password_hash, created_at, disabled_at)
    SELECT id, login, name, role, hall_id, password_hash, created_at, disabled_at FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_placed RENAME TO accounts;
