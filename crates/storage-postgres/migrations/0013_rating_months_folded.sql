-- Misuse and a case's repeats only ever count as a month's total (the figures'
-- "left out"), so the month rollup keeps them as one row a hall and month,
-- with neither staff member nor window ('' for both): spread over every pair
-- that had one they were a quarter of a province's month rows at 10,000,000
-- ratings and grew with every million. A hall's month is then read by its key
-- alone, without grouping. The day rollup keeps them by staff and window.

-- The rows already there, folded.
WITH spread AS (
    DELETE FROM rating_months WHERE kind IN ('misuse', 'repeat') AND (staff_id <> '' OR window_id <> '')
    RETURNING *
)
INSERT INTO rating_months AS m
SELECT hall_id, month, '', '', kind,
       sum(a1), sum(a2), sum(a3), sum(a4), sum(a5), sum(c1), sum(c2), sum(c3), sum(c4), sum(c5), sum(bad)
FROM spread GROUP BY 1, 2, 5 ORDER BY 1, 2, 5
ON CONFLICT (hall_id, month, staff_id, window_id, kind) DO UPDATE SET
    a1 = m.a1 + excluded.a1, a2 = m.a2 + excluded.a2, a3 = m.a3 + excluded.a3, a4 = m.a4 + excluded.a4,
    a5 = m.a5 + excluded.a5, c1 = m.c1 + excluded.c1, c2 = m.c2 + excluded.c2, c3 = m.c3 + excluded.c3,
    c4 = m.c4 + excluded.c4, c5 = m.c5 + excluded.c5, bad = m.bad + excluded.bad;

-- Who a day row names, as its month keeps it.
CREATE FUNCTION tiyan_month_person(kind TEXT, id TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN kind IN ('rated', 'excluded') THEN id ELSE '' END
$$;

CREATE OR REPLACE FUNCTION tiyan_rating_days_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rating_months AS m
    SELECT hall_id, date_trunc('month', device_date)::date, tiyan_month_person(kind, staff_id),
           tiyan_month_person(kind, window_id), kind,
           sum(a1), sum(a2), sum(a3), sum(a4), sum(a5), sum(c1), sum(c2), sum(c3), sum(c4), sum(c5), sum(bad)
    FROM new_days GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (hall_id, month, staff_id, window_id, kind) DO UPDATE SET
        a1 = m.a1 + excluded.a1, a2 = m.a2 + excluded.a2, a3 = m.a3 + excluded.a3, a4 = m.a4 + excluded.a4,
        a5 = m.a5 + excluded.a5, c1 = m.c1 + excluded.c1, c2 = m.c2 + excluded.c2, c3 = m.c3 + excluded.c3,
        c4 = m.c4 + excluded.c4, c5 = m.c5 + excluded.c5, bad = m.bad + excluded.bad;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION tiyan_rating_days_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rating_months AS m
    SELECT n.hall_id, date_trunc('month', n.device_date)::date, tiyan_month_person(n.kind, n.staff_id),
           tiyan_month_person(n.kind, n.window_id), n.kind,
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
