-- A month's ratings of a staff member at a window, by kind: rating_days summed
-- over the month. A month of a province's figures reads this (a few thousand
-- rows) instead of the month's day rows (tens of thousands at 10,000,000
-- ratings), so its time no longer grows with the days or the ratings.
--
-- It is kept from rating_days itself, by statement triggers with transition
-- tables: whatever changes a day row (the ratings' trigger, an upheld appeal's
-- 'excluded' counts, a bulk load that fills the days) moves its month by the
-- same amounts, in the same transaction, grouped and in key order (no deadlock
-- between two writers). SQLite keeps the day rows only: a hall's month there
-- reads a few hundred.
CREATE TABLE rating_months (
    hall_id   TEXT NOT NULL,
    month     DATE NOT NULL CHECK (extract(day FROM month) = 1),
    staff_id  TEXT NOT NULL,
    window_id TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('rated', 'misuse', 'repeat', 'excluded')),
    a1 INTEGER NOT NULL, a2 INTEGER NOT NULL, a3 INTEGER NOT NULL, a4 INTEGER NOT NULL, a5 INTEGER NOT NULL,
    c1 INTEGER NOT NULL, c2 INTEGER NOT NULL, c3 INTEGER NOT NULL, c4 INTEGER NOT NULL, c5 INTEGER NOT NULL,
    bad INTEGER NOT NULL,
    PRIMARY KEY (hall_id, month, staff_id, window_id, kind)
);

INSERT INTO rating_months
SELECT hall_id, date_trunc('month', device_date)::date, staff_id, window_id, kind,
       sum(a1), sum(a2), sum(a3), sum(a4), sum(a5), sum(c1), sum(c2), sum(c3), sum(c4), sum(c5), sum(bad)
FROM rating_days GROUP BY 1, 2, 3, 4, 5;

CREATE FUNCTION tiyan_rating_days_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rating_months AS m
    SELECT hall_id, date_trunc('month', device_date)::date, staff_id, window_id, kind,
           sum(a1), sum(a2), sum(a3), sum(a4), sum(a5), sum(c1), sum(c2), sum(c3), sum(c4), sum(c5), sum(bad)
    FROM new_days GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (hall_id, month, staff_id, window_id, kind) DO UPDATE SET
        a1 = m.a1 + excluded.a1, a2 = m.a2 + excluded.a2, a3 = m.a3 + excluded.a3, a4 = m.a4 + excluded.a4,
        a5 = m.a5 + excluded.a5, c1 = m.c1 + excluded.c1, c2 = m.c2 + excluded.c2, c3 = m.c3 + excluded.c3,
        c4 = m.c4 + excluded.c4, c5 = m.c5 + excluded.c5, bad = m.bad + excluded.bad;
    RETURN NULL;
END $$;
CREATE TRIGGER rating_days_to_months_inserted AFTER INSERT ON rating_days REFERENCING NEW TABLE AS new_days
    FOR EACH STATEMENT EXECUTE FUNCTION tiyan_rating_days_inserted();

-- An update moves a day row's counts (its key never changes): the month moves by the difference.
CREATE FUNCTION tiyan_rating_days_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rating_months AS m
    SELECT n.hall_id, date_trunc('month', n.device_date)::date, n.staff_id, n.window_id, n.kind,
           sum(n.a1 - o.a1), sum(n.a2 - o.a2), sum(n.a3 - o.a3), sum(n.a4 - o.a4), sum(n.a5 - o.a5),
           sum(n.c1 - o.c1), sum(n.c2 - o.c2), sum(n.c3 - o.c3), sum(n.c4 - o.c4), sum(n.c5 - o.c5),
           sum(n.bad - o.bad)
    FROM new_days n
    JOIN old_days o USING (hall_id, device_date, staff_id, window_id, kind)
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (hall_id, month, staff_id, window_id, kind) DO UPDATE SET
        a1 = m.a1 + excluded.a1, a2 = m.a2 + excluded.a2, a3 = m.a3 + excluded.a3, a4 = m.a4 + excluded.a4,
        a5 = m.a5 + excluded.a5, c1 = m.c1 + excluded.c1, c2 = m.c2 + excluded.c2, c3 = m.c3 + excluded.c3,
        c4 = m.c4 + excluded.c4, c5 = m.c5 + excluded.c5, bad = m.bad + excluded.bad;
    RETURN NULL;
END $$;
CREATE TRIGGER rating_days_to_months_updated AFTER UPDATE ON rating_days
    REFERENCING OLD TABLE AS old_days NEW TABLE AS new_days
    FOR EACH STATEMENT EXECUTE FUNCTION tiyan_rating_days_updated();
