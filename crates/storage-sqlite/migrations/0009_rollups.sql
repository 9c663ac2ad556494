-- Rollups kept at ingest, so that a month's figures read a few thousand rows
-- per hall instead of every rating (issue 19). Kept in the transaction that
-- writes the ratings or changes the ledger: the ledger by
-- triggers, whoever writes (the sync, the hall office, the console); the
-- ratings by the sync's ingest, their one writer. The tables and their
-- meaning are PostgreSQL's (its migration 0007 says more); the rules in the
-- triggers are `tiyan_storage::predicate`'s fragments, written out because a
-- migration is static, and `rollup_rules_are_core_s` in tiyan-storage-sqlite
-- holds the texts equal to them.

CREATE TABLE rating_days (
    hall_id     TEXT NOT NULL,
    device_date TEXT NOT NULL,
    staff_id    TEXT NOT NULL,
    window_id   TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('rated', 'misuse', 'repeat', 'excluded')),
    a1 INTEGER NOT NULL, a2 INTEGER NOT NULL, a3 INTEGER NOT NULL, a4 INTEGER NOT NULL, a5 INTEGER NOT NULL,
    c1 INTEGER NOT NULL, c2 INTEGER NOT NULL, c3 INTEGER NOT NULL, c4 INTEGER NOT NULL, c5 INTEGER NOT NULL,
    bad INTEGER NOT NULL,
    PRIMARY KEY (hall_id, device_date, staff_id, window_id, kind)
) STRICT, WITHOUT ROWID;

CREATE TABLE ledger_days (
    hall_id         TEXT NOT NULL,
    registered_date TEXT NOT NULL,
    staff_id        TEXT NOT NULL,
    window_id       TEXT NOT NULL,
    items     INTEGER NOT NULL,
    replied   INTEGER NOT NULL,
    explained INTEGER NOT NULL,
    rectified INTEGER NOT NULL,
    on_time   INTEGER NOT NULL,
    PRIMARY KEY (hall_id, registered_date, staff_id, window_id)
) STRICT, WITHOUT ROWID;

-- New ratings are counted by the sync's ingest, one upsert per row of a page
-- (tiyan-storage-sqlite's ROLL_UP_RATINGS): a trigger per rating cost SQLite a
-- quarter of its ingest speed, and ratings have no other writer.

-- A ledger item adds to the rollups when it is written and takes its part
-- away again before it changes or goes.
CREATE TRIGGER ledger_inserted_rolled_up AFTER INSERT ON ledger BEGIN
    INSERT INTO rating_days (hall_id, device_date, staff_id, window_id, kind,
                             a1, a2, a3, a4, a5, c1, c2, c3, c4, c5, bad)
    SELECT r.hall_id, r.device_date, r.staff_id, r.window_id, 'excluded',
            (r.attitude = 1), (r.attitude = 2), (r.attitude = 3), (r.attitude = 4), (r.attitude = 5),
            (r.competence = 1), (r.competence = 2), (r.competence = 3), (r.competence = 4), (r.competence = 5),
            ((r.attitude IN (2, 1) OR r.competence IN (2, 1)))
    FROM ratings r WHERE r.id = NEW.id AND NEW.source = 'rating' AND NEW.state = 'excluded' AND r.misuse = 0
    ON CONFLICT (hall_id, device_date, staff_id, window_id, kind) DO UPDATE SET
        a1 = a1 + excluded.a1, a2 = a2 + excluded.a2, a3 = a3 + excluded.a3, a4 = a4 + excluded.a4,
        a5 = a5 + excluded.a5, c1 = c1 + excluded.c1, c2 = c2 + excluded.c2, c3 = c3 + excluded.c3,
        c4 = c4 + excluded.c4, c5 = c5 + excluded.c5, bad = bad + excluded.bad;
    INSERT INTO ledger_days (hall_id, registered_date, staff_id, window_id,
                             items, replied, explained, rectified, on_time)
    SELECT NEW.hall_id, NEW.registered_date, coalesce(NEW.staff_id, ''), coalesce(NEW.window_id, ''), 1,
           (NEW.reply IS NOT NULL), coalesce(NEW.outcome = 'explained', 0),
           coalesce(NEW.outcome IN ('fixed', 'rectified'), 0),
           coalesce(NEW.outcome IN ('fixed', 'rectified') AND NEW.rectified_on_time, 0)
    WHERE NEW.hall_id IS NOT NULL AND NEW.state <> 'excluded'
      AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.id = NEW.id AND r.misuse = 1)
    ON CONFLICT (hall_id, registered_date, staff_id, window_id) DO UPDATE SET
        items = items + excluded.items, replied = replied + excluded.replied,
        explained = explained + excluded.explained, rectified = rectified + excluded.rectified,
        on_time = on_time + excluded.on_time;
END;

CREATE TRIGGER ledger_changed_rolled_up AFTER UPDATE ON ledger BEGIN
    INSERT INTO rating_days (hall_id, device_date, staff_id, window_id, kind,
                             a1, a2, a3, a4, a5, c1, c2, c3, c4, c5, bad)
    SELECT r.hall_id, r.device_date, r.staff_id, r.window_id, 'excluded',
            -(r.attitude = 1), -(r.attitude = 2), -(r.attitude = 3), -(r.attitude = 4), -(r.attitude = 5),
            -(r.competence = 1), -(r.competence = 2), -(r.competence = 3), -(r.competence = 4), -(r.competence = 5),
            -((r.attitude IN (2, 1) OR r.competence IN (2, 1)))
    FROM ratings r WHERE r.id = OLD.id AND OLD.source = 'rating' AND OLD.state = 'excluded' AND r.misuse = 0
    ON CONFLICT (hall_id, device_date, staff_id, window_id, kind) DO UPDATE SET
        a1 = a1 + excluded.a1, a2 = a2 + excluded.a2, a3 = a3 + excluded.a3, a4 = a4 + excluded.a4,
        a5 = a5 + excluded.a5, c1 = c1 + excluded.c1, c2 = c2 + excluded.c2, c3 = c3 + excluded.c3,
        c4 = c4 + excluded.c4, c5 = c5 + excluded.c5, bad = bad + excluded.bad;
    INSERT INTO ledger_days (hall_id, registered_date, staff_id, window_id,
                             items, replied, explained, rectified, on_time)
    SELECT OLD.hall_id, OLD.registered_date, coalesce(OLD.staff_id, ''), coalesce(OLD.window_id, ''), -1,
           -(OLD.reply IS NOT NULL), -coalesce(OLD.outcome = 'explained', 0),
           -coalesce(OLD.outcome IN ('fixed', 'rectified'), 0),
           -coalesce(OLD.outcome IN ('fixed', 'rectified') AND OLD.rectified_on_time, 0)
    WHERE OLD.hall_id IS NOT NULL AND OLD.state <> 'excluded'
      AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.id = OLD.id AND r.misuse = 1)
    ON CONFLICT (hall_id, registered_date, staff_id, window_id) DO UPDATE SET
        items = items + excluded.items, replied = replied + excluded.replied,
        explained = explained + excluded.explained, rectified = rectified + excluded.rectified,
        on_time = on_time + excluded.on_time;
    INSERT INTO rating_days (hall_id, device_date, staff_id, window_id, kind,
                             a1, a2, a3, a4, a5, c1, c2, c3, c4, c5, bad)
    SELECT r.hall_id, r.device_date, r.staff_id, r.window_id, 'excluded',
            (r.attitude = 1), (r.attitude = 2), (r.attitude = 3), (r.attitude = 4), (r.attitude = 5),
            (r.competence = 1), (r.competence = 2), (r.competence = 3), (r.competence = 4), (r.competence = 5),
            ((r.attitude IN (2, 1) OR r.competence IN (2, 1)))
    FROM ratings r WHERE r.id = NEW.id AND NEW.source = 'rating' AND NEW.state = 'excluded' AND r.misuse = 0
    ON CONFLICT (hall_id, device_date, staff_id, window_id, kind) DO UPDATE SET
        a1 = a1 + excluded.a1, a2 = a2 + excluded.a2, a3 = a3 + excluded.a3, a4 = a4 + excluded.a4,
        a5 = a5 + excluded.a5, c1 = c1 + excluded.c1, c2 = c2 + excluded.c2, c3 = c3 + excluded.c3,
        c4 = c4 + excluded.c4, c5 = c5 + excluded.c5, bad = bad + excluded.bad;
    INSERT INTO ledger_days (hall_id, registered_date, staff_id, window_id,
                             items, replied, explained, rectified, on_time)
    SELECT NEW.hall_id, NEW.registered_date, coalesce(NEW.staff_id, ''), coalesce(NEW.window_id, ''), 1,
           (NEW.reply IS NOT NULL), coalesce(NEW.outcome = 'explained', 0),
           coalesce(NEW.outcome IN ('fixed', 'rectified'), 0),
           coalesce(NEW.outcome IN ('fixed', 'rectified') AND NEW.rectified_on_time, 0)
    WHERE NEW.hall_id IS NOT NULL AND NEW.state <> 'excluded'
      AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.id = NEW.id AND r.misuse = 1)
    ON CONFLICT (hall_id, registered_date, staff_id, window_id) DO UPDATE SET
        items = items + excluded.items, replied = replied + excluded.replied,
        explained = explained + excluded.explained, rectified = rectified + excluded.rectified,
        on_time = on_time + excluded.on_time;
END;

CREATE TRIGGER ledger_deleted_rolled_up AFTER DELETE ON ledger BEGIN
    INSERT INTO rating_days (hall_id, device_date, staff_id, window_id, kind,
                             a1, a2, a3, a4, a5, c1, c2, c3, c4, c5, bad)
    SELECT r.hall_id, r.device_date, r.staff_id, r.window_id, 'excluded',
            -(r.attitude = 1), -(r.attitude = 2), -(r.attitude = 3), -(r.attitude = 4), -(r.attitude = 5),
            -(r.competence = 1), -(r.competence = 2), -(r.competence = 3), -(r.competence = 4), -(r.competence = 5),
            -((r.attitude IN (2, 1) OR r.competence IN (2, 1)))
    FROM ratings r WHERE r.id = OLD.id AND OLD.source = 'rating' AND OLD.state = 'excluded' AND r.misuse = 0
    ON CONFLICT (hall_id, device_date, staff_id, window_id, kind) DO UPDATE SET
        a1 = a1 + excluded.a1, a2 = a2 + excluded.a2, a3 = a3 + excluded.a3, a4 = a4 + excluded.a4,
        a5 = a5 + excluded.a5, c1 = c1 + excluded.c1, c2 = c2 + excluded.c2, c3 = c3 + excluded.c3,
        c4 = c4 + excluded.c4, c5 = c5 + excluded.c5, bad = bad + excluded.bad;
    INSERT INTO ledger_days (hall_id, registered_date, staff_id, window_id,
                             items, replied, explained, rectified, on_time)
    SELECT OLD.hall_id, OLD.registered_date, coalesce(OLD.staff_id, ''), coalesce(OLD.window_id, ''), -1,
           -(OLD.reply IS NOT NULL), -coalesce(OLD.outcome = 'explained', 0),
           -coalesce(OLD.outcome IN ('fixed', 'rectified'), 0),
           -coalesce(OLD.outcome IN ('fixed', 'rectified') AND OLD.rectified_on_time, 0)
    WHERE OLD.hall_id IS NOT NULL AND OLD.state <> 'excluded'
      AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.id = OLD.id AND r.misuse = 1)
    ON CONFLICT (hall_id, registered_date, staff_id, window_id) DO UPDATE SET
        items = items + excluded.items, replied = replied + excluded.replied,
        explained = explained + excluded.explained, rectified = rectified + excluded.rectified,
        on_time = on_time + excluded.on_time;
END;

-- What is held already.
INSERT INTO rating_days (hall_id, device_date, staff_id, window_id, kind, a1, a2, a3, a4, a5, c1, c2, c3, c4, c5, bad)
SELECT hall_id, device_date, staff_id, window_id,
       CASE WHEN misuse THEN 'misuse' WHEN case_repeat THEN 'repeat' ELSE 'rated' END,
       sum(attitude = 1), sum(attitude = 2), sum(attitude = 3), sum(attitude = 4), sum(attitude = 5),
            sum(competence = 1), sum(competence = 2), sum(competence = 3), sum(competence = 4), sum(competence = 5),
            sum((attitude IN (2, 1) OR competence IN (2, 1)))
FROM ratings GROUP BY 1, 2, 3, 4, 5;
INSERT INTO rating_days (hall_id, device_date, staff_id, window_id, kind, a1, a2, a3, a4, a5, c1, c2, c3, c4, c5, bad)
SELECT r.hall_id, r.device_date, r.staff_id, r.window_id, 'excluded',
       sum(r.attitude = 1), sum(r.attitude = 2), sum(r.attitude = 3), sum(r.attitude = 4), sum(r.attitude = 5),
            sum(r.competence = 1), sum(r.competence = 2), sum(r.competence = 3), sum(r.competence = 4), sum(r.competence = 5),
            sum((r.attitude IN (2, 1) OR r.competence IN (2, 1)))
FROM ledger l JOIN ratings r ON r.id = l.id
WHERE l.source = 'rating' AND l.state = 'excluded' AND r.misuse = 0
GROUP BY 1, 2, 3, 4;
INSERT INTO ledger_days (hall_id, registered_date, staff_id, window_id, items, replied, explained, rectified, on_time)
SELECT l.hall_id, l.registered_date, coalesce(l.staff_id, ''), coalesce(l.window_id, ''), count(*),
       count(l.reply), sum(coalesce(l.outcome = 'explained', 0)),
       sum(coalesce(l.outcome IN ('fixed', 'rectified'), 0)),
       sum(coalesce(l.outcome IN ('fixed', 'rectified') AND l.rectified_on_time, 0))
FROM ledger l
WHERE l.hall_id IS NOT NULL AND l.state <> 'excluded'
  AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.id = l.id AND r.misuse = 1)
GROUP BY 1, 2, 3, 4;

-- The figures no longer read the ratings; what still does (the dashboard's
-- day, an export) reads a hall's dates.
DROP INDEX ratings_assessment;
CREATE INDEX ratings_hall_date ON ratings (hall_id, device_date);
