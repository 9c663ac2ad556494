-- Reporting up to the province's 好差评 platform (see tiyan_storage::upward
-- and PostgreSQL's 0008_upward.sql). Ratings are queued by the ingest (see
-- sync.rs: one statement per page, no trigger per rating); a closing item by
-- the trigger below.
CREATE TABLE upward_targets (
    name         TEXT PRIMARY KEY,
    all_halls    INTEGER NOT NULL,
    lease_holder TEXT,
    lease_until  TEXT
);
CREATE TABLE upward_target_halls (
    target  TEXT NOT NULL REFERENCES upward_targets (name) ON DELETE CASCADE,
    hall_id TEXT NOT NULL,
    PRIMARY KEY (target, hall_id)
);
CREATE TABLE upward_outbox (
    seq        INTEGER PRIMARY KEY,
    target     TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('rating', 'rectification')),
    record_id  TEXT NOT NULL,
    hall_id    TEXT NOT NULL,
    day        TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('waiting', 'sent', 'acknowledged', 'refused')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    TEXT NOT NULL,
    reason     TEXT,
    settled_at TEXT,
    UNIQUE (target, kind, record_id)
);
CREATE INDEX upward_outbox_due ON upward_outbox (target, seq) WHERE state IN ('waiting', 'sent');
CREATE INDEX upward_outbox_refused ON upward_outbox (hall_id, seq) WHERE state = 'refused';
CREATE INDEX upward_outbox_day ON upward_outbox (day, hall_id);

CREATE TRIGGER ledger_queued_up AFTER UPDATE OF state ON ledger
WHEN NEW.state = 'closed' AND OLD.state <> 'closed' AND NEW.source = 'rating' AND NEW.hall_id IS NOT NULL
BEGIN
    INSERT INTO upward_outbox (target, kind, record_id, hall_id, day, created_at, state, next_at)
    SELECT t.name, 'rectification', NEW.id, NEW.hall_id, NEW.registered_date, NEW.updated_at, 'waiting',
           NEW.updated_at
    FROM upward_targets t
    WHERE t.all_halls
       OR EXISTS (SELECT 1 FROM upward_target_halls h WHERE h.target = t.name AND h.hall_id = NEW.hall_id)
    ON CONFLICT DO NOTHING;
END;

-- What the platforms want of the reference data: the credit code of the
-- department that runs a hall, and the province's indicator code of a reason.
ALTER TABLE halls ADD COLUMN credit_code TEXT;
ALTER TABLE reasons ADD COLUMN indicator TEXT;
