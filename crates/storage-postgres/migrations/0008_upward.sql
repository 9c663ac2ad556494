-- Reporting up to the province's 好差评 platform (see tiyan_storage::upward).
-- The targets the configuration names, with the lease that lets one sender
-- per target run across every server process.
CREATE TABLE upward_targets (
    name         TEXT PRIMARY KEY,
    all_halls    BOOLEAN NOT NULL,
    lease_holder UUID,
    lease_until  TIMESTAMPTZ
);
CREATE TABLE upward_target_halls (
    target  TEXT NOT NULL REFERENCES upward_targets (name) ON DELETE CASCADE,
    hall_id TEXT NOT NULL,
    PRIMARY KEY (target, hall_id)
);
-- One row per record and target, written in the transaction that stores the
-- rating (or closes the item): waiting → sent → acknowledged or refused.
CREATE TABLE upward_outbox (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target     TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('rating', 'rectification')),
    record_id  UUID NOT NULL,
    hall_id    TEXT NOT NULL,
    day        DATE NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('waiting', 'sent', 'acknowledged', 'refused')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    TIMESTAMPTZ NOT NULL,
    reason     TEXT,
    settled_at TIMESTAMPTZ,
    UNIQUE (target, kind, record_id)
);
CREATE INDEX upward_outbox_due ON upward_outbox (target, seq) WHERE state IN ('waiting', 'sent');
CREATE INDEX upward_outbox_refused ON upward_outbox (hall_id, seq) WHERE state = 'refused';
CREATE INDEX upward_outbox_day ON upward_outbox (day, hall_id);

-- New ratings, queued for every target that takes their hall, in the order given.
CREATE FUNCTION tiyan_ratings_queued_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO upward_outbox (target, kind, record_id, hall_id, day, created_at, state, next_at)
    SELECT t.name, 'rating', n.id, n.hall_id, n.device_date, n.received_at, 'waiting', n.received_at
    FROM new_ratings n JOIN upward_targets t
      ON t.all_halls OR EXISTS (SELECT 1 FROM upward_target_halls h WHERE h.target = t.name AND h.hall_id = n.hall_id)
    WHERE NOT n.misuse
    ORDER BY n.device_time, n.seq
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER ratings_queued_up AFTER INSERT ON ratings REFERENCING NEW TABLE AS new_ratings
    FOR EACH STATEMENT EXECUTE FUNCTION tiyan_ratings_queued_up();

-- A bad review's item closing: its handling is reported (once).
CREATE FUNCTION tiyan_ledger_queued_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = 'closed' AND OLD.state <> 'closed' AND NEW.source = 'rating' AND NEW.hall_id IS NOT NULL THEN
        INSERT INTO upward_outbox (target, kind, record_id, hall_id, day, created_at, state, next_at)
        SELECT t.name, 'rectification', NEW.id, NEW.hall_id, NEW.registered_date, NEW.updated_at, 'waiting',
               NEW.updated_at
        FROM upward_targets t
        WHERE t.all_halls
           OR EXISTS (SELECT 1 FROM upward_target_halls h WHERE h.target = t.name AND h.hall_id = NEW.hall_id)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ledger_queued_up AFTER UPDATE OF state ON ledger
    FOR EACH ROW EXECUTE FUNCTION tiyan_ledger_queued_up();

-- What the platforms want of the reference data: the credit code of the
-- department that runs a hall, and the province's indicator code of a reason.
ALTER TABLE halls ADD COLUMN credit_code TEXT;
ALTER TABLE reasons ADD COLUMN indicator TEXT;
