-- Rollups kept at ingest, so that a month's figures of a province read a few
-- thousand rows per hall instead of every rating (issue 19). Kept by triggers,
-- in the transaction that writes the ratings or changes the ledger, whoever
-- writes: the sync, the hall office, the console, a bulk load. The hall leads
-- every key (a nation shards them by hall with the ratings).
--
-- The rules in the triggers are `tiyan_storage::predicate`'s fragments
-- (a bad review, an outcome that rectified), written out here because a
-- migration is static; `rollup_rules_are_core_s` in tiyan-storage-postgres
-- holds these texts equal to the fragments.

-- A day's ratings of a staff member at a window, by kind, counted per level
-- and dimension (the figures read the two dimensions apart) with the bad
-- reviews among them. 'rated': counted, unless an appeal excluded it;
-- 'misuse' and 'repeat': never counted; 'excluded': the rated ones an upheld
-- appeal took out (a subset of 'rated').
CREATE TABLE rating_days (
    hall_id     TEXT NOT NULL,
    device_date DATE NOT NULL,
    staff_id    TEXT NOT NULL,
    window_id   TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('rated', 'misuse', 'repeat', 'excluded')),
    a1 INTEGER NOT NULL, a2 INTEGER NOT NULL, a3 INTEGER NOT NULL, a4 INTEGER NOT NULL, a5 INTEGER NOT NULL,
    c1 INTEGER NOT NULL, c2 INTEGER NOT NULL, c3 INTEGER NOT NULL, c4 INTEGER NOT NULL, c5 INTEGER NOT NULL,
    bad INTEGER NOT NULL,
    PRIMARY KEY (hall_id, device_date, staff_id, window_id, kind)
);

-- A day's ledger items of a staff member at a window (either may be '' for
-- none) that count: not excluded by an appeal, not of a rating flagged as
-- misuse. Items of no hall are in no hall's figures.
CREATE TABLE ledger_days (
    hall_id         TEXT NOT NULL,
    registered_date DATE NOT NULL,
    staff_id        TEXT NOT NULL,
    window_id       TEXT NOT NULL,
    items     INTEGER NOT NULL,
    replied   INTEGER NOT NULL,
    explained INTEGER NOT NULL,
    rectified INTEGER NOT NULL,
    on_time   INTEGER NOT NULL,
    PRIMARY KEY (hall_id, registered_date, staff_id, window_id)
);

-- New ratings: one statement per insert, grouped, in key order (two
-- transactions meeting on a row lock it in the same order: no deadlock).
CREATE FUNCTION tiyan_ratings_rolled_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rating_days AS d (hall_id, device_date, staff_id, window_id, kind,
                                  a1, a2, a3, a4, a5, c1, c2, c3, c4, c5, bad)
    SELECT hall_id, device_date, staff_id, window_id,
           CASE WHEN misuse THEN 'misuse' WHEN case_repeat THEN 'repeat' ELSE 'rated' END,
           count(*) FILTER (WHERE attitude = 1), count(*) FILTER (WHERE attitude = 2),
           count(*) FILTER (WHERE attitude = 3), count(*) FILTER (WHERE attitude = 4),
           count(*) FILTER (WHERE attitude = 5),
           count(*) FILTER (WHERE competence = 1), count(*) FILTER (WHERE competence = 2),
           count(*) FILTER (WHERE competence = 3), count(*) FILTER (WHERE competence = 4),
           count(*) FILTER (WHERE competence = 5),
           count(*) FILTER (WHERE (attitude IN (2, 1) OR competence IN (2, 1)))
    FROM new_ratings
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (hall_id, device_date, staff_id, window_id, kind) DO UPDATE SET
        a1 = d.a1 + excluded.a1, a2 = d.a2 + excluded.a2, a3 = d.a3 + excluded.a3, a4 = d.a4 + excluded.a4,
        a5 = d.a5 + excluded.a5, c1 = d.c1 + excluded.c1, c2 = d.c2 + excluded.c2, c3 = d.c3 + excluded.c3,
        c4 = d.c4 + excluded.c4, c5 = d.c5 + excluded.c5, bad = d.bad + excluded.bad;
    RETURN NULL;
END $$;
CREATE TRIGGER ratings_rolled_up AFTER INSERT ON ratings REFERENCING NEW TABLE AS new_ratings
    FOR EACH STATEMENT EXECUTE FUNCTION tiyan_ratings_rolled_up();

-- What one ledger item adds to the rollups (n = 1) or takes away (n = -1).
CREATE FUNCTION tiyan_ledger_day(l ledger, n INTEGER) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r ratings;
BEGIN
    IF l.source = 'rating' THEN
        SELECT * INTO r FROM ratings WHERE id = l.id;
        IF FOUND AND r.misuse THEN
            RETURN;
        END IF;
        IF FOUND AND l.state = 'excluded' THEN
            INSERT INTO rating_days AS d (hall_id, device_date, staff_id, window_id, kind,
                                          a1, a2, a3, a4, a5, c1, c2, c3, c4, c5, bad)
            VALUES (r.hall_id, r.device_date, r.staff_id, r.window_id, 'excluded',
                    n * (r.attitude = 1)::int, n * (r.attitude = 2)::int, n * (r.attitude = 3)::int,
                    n * (r.attitude = 4)::int, n * (r.attitude = 5)::int,
                    n * (r.competence = 1)::int, n * (r.competence = 2)::int, n * (r.competence = 3)::int,
                    n * (r.competence = 4)::int, n * (r.competence = 5)::int,
                    n * ((r.attitude IN (2, 1) OR r.competence IN (2, 1)))::int)
            ON CONFLICT (hall_id, device_date, staff_id, window_id, kind) DO UPDATE SET
                a1 = d.a1 + excluded.a1, a2 = d.a2 + excluded.a2, a3 = d.a3 + excluded.a3,
                a4 = d.a4 + excluded.a4, a5 = d.a5 + excluded.a5, c1 = d.c1 + excluded.c1,
                c2 = d.c2 + excluded.c2, c3 = d.c3 + excluded.c3, c4 = d.c4 + excluded.c4,
                c5 = d.c5 + excluded.c5, bad = d.bad + excluded.bad;
        END IF;
    END IF;
    IF l.state = 'excluded' OR l.hall_id IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO ledger_days AS d (hall_id, registered_date, staff_id, window_id,
                                  items, replied, explained, rectified, on_time)
    VALUES (l.hall_id, l.registered_date, coalesce(l.staff_id, ''), coalesce(l.window_id, ''), n,
            n * (l.reply IS NOT NULL)::int,
            n * coalesce(l.outcome = 'explained', false)::int,
            n * coalesce(l.outcome IN ('fixed', 'rectified'), false)::int,
            n * coalesce(l.outcome IN ('fixed', 'rectified') AND l.rectified_on_time, false)::int)
    ON CONFLICT (hall_id, registered_date, staff_id, window_id) DO UPDATE SET
        items = d.items + excluded.items, replied = d.replied + excluded.replied,
        explained = d.explained + excluded.explained, rectified = d.rectified + excluded.rectified,
        on_time = d.on_time + excluded.on_time;
END $$;

CREATE FUNCTION tiyan_ledger_rolled_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM tiyan_ledger_day(l, 1) FROM new_items l
        ORDER BY l.hall_id, l.registered_date, l.staff_id, l.window_id;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM tiyan_ledger_day(OLD, -1);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        PERFORM tiyan_ledger_day(NEW, 1);
    END IF;
    RETURN NULL;
END $$;
-- Inserts come in batches (a page of bad reviews, a bulk load): one call per
-- statement. Changes come one item at a time.
CREATE TRIGGER ledger_inserted_rolled_up AFTER INSERT ON ledger REFERENCING NEW TABLE AS new_items
    FOR EACH STATEMENT EXECUTE FUNCTION tiyan_ledger_rolled_up();
CREATE TRIGGER ledger_changed_rolled_up AFTER UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION tiyan_ledger_rolled_up();

-- What is held already.
INSERT INTO rating_days (hall_id, device_date, staff_id, window_id, kind, a1, a2, a3, a4, a5, c1, c2, c3, c4, c5, bad)
SELECT hall_id, device_date, staff_id, window_id,
       CASE WHEN misuse THEN 'misuse' WHEN case_repeat THEN 'repeat' ELSE 'rated' END,
       count(*) FILTER (WHERE attitude = 1), count(*) FILTER (WHERE attitude = 2),
       count(*) FILTER (WHERE attitude = 3), count(*) FILTER (WHERE attitude = 4),
       count(*) FILTER (WHERE attitude = 5),
       count(*) FILTER (WHERE competence = 1), count(*) FILTER (WHERE competence = 2),
       count(*) FILTER (WHERE competence = 3), count(*) FILTER (WHERE competence = 4),
       count(*) FILTER (WHERE competence = 5),
       count(*) FILTER (WHERE (attitude IN (2, 1) OR competence IN (2, 1)))
FROM ratings GROUP BY 1, 2, 3, 4, 5;
SELECT tiyan_ledger_day(l, 1) FROM ledger l;

-- The figures no longer read the ratings; what still does (the dashboard's
-- day, an export) reads a hall's dates.
DROP INDEX ratings_assessment;
CREATE INDEX ratings_hall_date ON ratings (hall_id, device_date);
