//! The SQL both backends run as it is written here: one text per statement
//! wherever the two dialects agree, so a query is changed once. A backend
//! keeps its own text only where SQL must differ (group commit and `unnest`,
//! `FOR UPDATE` and advisory locks, JSON kept as `jsonb` or as text, a UUID
//! matched as text, an instant with or without its offset beside it), and
//! [`crate::predicate`] gives both what a rule filters on.
//!
//! Placeholders are PostgreSQL's (`$1`); the SQLite backend reads them as
//! `?1`, the same numbers. No cast (`::`): PostgreSQL infers each parameter's
//! type from the column it meets, and SQLite has none.

/// The columns an [`crate::Account`] is read from, in order (`a`: accounts).
pub const ACCOUNT_COLUMNS: &str = "a.id, a.login, a.name, a.role, a.hall_id, a.created_at, a.disabled_at, a.region";

/// The columns an [`crate::Alert`] is read from, in order.
pub const ALERT_COLUMNS: &str =
    "id, hall_id, window_id, raised_at, ratings, bad, minutes, acknowledged_at, account_id, note";

/// The columns a [`crate::Device`] is read from, in order.
pub const DEVICE_COLUMNS: &str = "id, name, role, hall_id, window_id, enrolled_at, revoked_at, last_seen_at";

/// The columns a [`crate::LedgerRow`] is read from, in order (`l`: ledger).
pub const LEDGER_COLUMNS: &str = "l.id, l.source, l.hall_id, l.window_id, l.staff_id, l.device_id, l.entry_id,
    l.officer_id, l.category, l.summary, l.registered_at, l.registered_date, l.state, l.due_date, l.due_estimate,
    l.escalated, l.reply, l.satisfaction, l.events, l.updated_at, l.revision_id";

/// Hall-office accounts, their sessions, the audit log.
pub mod accounts {
    use std::sync::LazyLock;

    use super::ACCOUNT_COLUMNS;

    pub static BY_ID: LazyLock<String> =
        LazyLock::new(|| format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1"));
    pub static CREDENTIALS: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {ACCOUNT_COLUMNS}, a.password_hash FROM accounts a WHERE a.login = $1 AND
            a.disabled_at IS NULL"
        )
    });
    pub static LIST: LazyLock<String> = LazyLock::new(|| {
        format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a ORDER BY a.disabled_at IS NOT NULL, a.role, a.login")
    });
    pub const UPDATE: &str = "UPDATE accounts SET role = $2, hall_id = $3, region = $5, disabled_at = $4 WHERE id = $1";
    /// The halls a region holds: those whose division code starts with its digits
    /// (`$1`: the prefix and `%`), retired ones too (their history is the region's).
    pub const HALLS_UNDER: &str = "SELECT id FROM halls WHERE division LIKE $1";
    pub const END_SESSIONS_OF: &str = "DELETE FROM sessions WHERE account_id = $1";
    pub const SET_PASSWORD: &str = "UPDATE accounts SET password_hash = $2 WHERE id = $1";
    pub const NEW_SESSION: &str =
        "INSERT INTO sessions (token_sha256, account_id, csrf, created_at, last_seen_at) VALUES ($1, $2,
        $3, $4, $4)";
    pub static SESSION: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {ACCOUNT_COLUMNS}, s.csrf, s.created_at, s.last_seen_at FROM sessions s JOIN accounts
            a ON a.id = s.account_id WHERE s.token_sha256 = $1 AND a.disabled_at IS NULL"
        )
    });
    pub const TOUCH_SESSION: &str = "UPDATE sessions SET last_seen_at = $2 WHERE token_sha256 = $1";
    pub const END_SESSION: &str = "DELETE FROM sessions WHERE token_sha256 = $1";
    pub const PRUNE_SESSIONS: &str = "DELETE FROM sessions WHERE last_seen_at < $1";
    pub const AUDIT: &str =
        "INSERT INTO audit_log (at, account_id, actor, client, action, target, detail) VALUES ($1, $2,
        $3, $4, $5, $6, $7)";
    pub const AUDIT_LOG: &str = "SELECT id, at, account_id, actor, client, action, target, detail FROM audit_log
         WHERE (action = $1 OR $1 IS NULL) AND (actor = $2 OR $2 IS NULL) AND (id < $3 OR $3 IS NULL)
         ORDER BY id DESC LIMIT $4";
}

/// Figures' settings, closed months, live alerts, the year's officers.
pub mod assessment {
    use std::sync::LazyLock;

    use super::ALERT_COLUMNS;

    pub const FIGURE_SETTINGS: &str =
        "SELECT minimum_ratings, publish_names, opens, closes, silence_minutes, alert_minutes,
        alert_min_ratings, alert_bad_percent, rating_rate_percent, kiosk_policy FROM hall_settings WHERE hall_id = $1";
    pub const SET_FIGURE_SETTINGS: &str =
        "INSERT INTO hall_settings (hall_id, verify_days, rectify_days, complex_days, minimum_ratings,
        publish_names, opens, closes, silence_minutes, alert_minutes, alert_min_ratings,
        alert_bad_percent, rating_rate_percent, kiosk_policy) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
        $12, $13, $14) ON CONFLICT (hall_id) DO UPDATE SET minimum_ratings = excluded.minimum_ratings, publish_names =
        excluded.publish_names, opens = excluded.opens, closes = excluded.closes, silence_minutes =
        excluded.silence_minutes, alert_minutes = excluded.alert_minutes, alert_min_ratings =
        excluded.alert_min_ratings, alert_bad_percent = excluded.alert_bad_percent, rating_rate_percent =
        excluded.rating_rate_percent, kiosk_policy = excluded.kiosk_policy";
    /// A hall's cases by day, staff member and window, in one statement (one
    /// snapshot, one trip): cases served and of those rated, by where they
    /// were served; then ratings that named a case, by where they were given.
    pub const CASE_TALLIES: &str = "SELECT s.device_date, s.staff_id, s.window_id, count(*), count(r.rating_id), 0
        FROM served_cases s LEFT JOIN rated_cases r ON r.hall_id = s.hall_id AND r.case_no = s.case_no
        WHERE s.hall_id = $1 AND s.device_date >= $2 AND s.device_date < $3
        GROUP BY s.device_date, s.staff_id, s.window_id
        UNION ALL
        SELECT device_date, staff_id, window_id, 0, 0, count(*) FROM rated_cases
        WHERE hall_id = $1 AND device_date >= $2 AND device_date < $3 GROUP BY device_date, staff_id, window_id";
    /// A hall's ratings in `[$2, $3)` from a rollup kept at ingest (`table`,
    /// with its date column `date`, of which `month` is the month as the
    /// backend reads it: `YYYY-MM` text on SQLite, the month's first day on
    /// PostgreSQL), by month, kind and what `by` says: the count at each level
    /// of attitude, then of competence, then the bad reviews. Misuse and a
    /// case's repeats only ever count as a month's total, so they come as one
    /// row a month with neither staff member nor window: spread over every
    /// pair that had one, they were a quarter of a province's rows at
    /// 10,000,000 ratings, and more with every million.
    pub fn hall_tallies(table: &str, date: &str, month: &str, by: crate::TallyBy) -> String {
        let counted = "kind IN ('rated', 'excluded')";
        let staff = match by {
            crate::TallyBy::StaffAndWindow => format!("CASE WHEN {counted} THEN staff_id ELSE '' END"),
            crate::TallyBy::Window => "''".to_string(),
        };
        format!(
            "SELECT {month}, {staff}, CASE WHEN {counted} THEN window_id ELSE '' END, kind, sum(a1), sum(a2), sum(a3),
                sum(a4), sum(a5), sum(c1), sum(c2), sum(c3), sum(c4), sum(c5), sum(bad)
             FROM {table} WHERE hall_id = $1 AND {date} >= $2 AND {date} < $3
             GROUP BY 1, 2, 3, 4"
        )
    }
    /// The ratings of the halls (`in_halls`, a backend's filter on `hall_id`
    /// reading `$1`) in `[$2, $3)`, from the rollup, by month and kind: as
    /// [`hall_tallies`], for a region's trend.
    pub fn region_rating_months(month: fn(&str) -> String, in_halls: &str) -> String {
        format!(
            "SELECT {m}, kind, sum(a1), sum(a2), sum(a3), sum(a4), sum(a5),
                sum(c1), sum(c2), sum(c3), sum(c4), sum(c5), sum(bad)
             FROM rating_days WHERE {in_halls} AND device_date >= $2 AND device_date < $3
             GROUP BY 1, 2",
            m = month("device_date")
        )
    }
    /// A hall's ledger items registered in `[$2, $3)` that count, from the
    /// rollup kept with the ledger, by month, staff member and window (`''`:
    /// none): items, replied, explained, rectified, rectified on time.
    pub fn ledger_months(month: fn(&str) -> String) -> String {
        format!(
            "SELECT {m}, staff_id, window_id, sum(items), sum(replied), sum(explained), sum(rectified),
                sum(on_time)
             FROM ledger_days WHERE hall_id = $1 AND registered_date >= $2 AND registered_date < $3
             GROUP BY 1, 2, 3",
            m = month("registered_date")
        )
    }
    pub const CLOSED_MONTHS: &str = "SELECT hall_id, month FROM month_closings ORDER BY month DESC, hall_id";
    pub const RECENT_ALERT: &str = "SELECT 1 FROM alerts WHERE window_id = $1 AND raised_at >= $2";
    pub const NEW_ALERT: &str =
        "INSERT INTO alerts (id, hall_id, window_id, raised_at, ratings, bad, minutes) VALUES ($1, $2,
        $3, $4, $5, $6, $7)";
    /// Open alerts of the halls `in_halls` (the backend's hall filter on `$1`) keeps.
    pub fn open_alerts(in_halls: &str) -> String {
        format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE acknowledged_at IS NULL AND {in_halls} ORDER BY raised_at DESC"
        )
    }
    pub static ALERT: LazyLock<String> = LazyLock::new(|| format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1"));
    pub const ACKNOWLEDGE_ALERT: &str =
        "UPDATE alerts SET acknowledged_at = $2, account_id = $3, note = $4 WHERE id = $1 AND
        acknowledged_at IS NULL";
    /// Each officer's problems registered in a span, and how many led to a rectification.
    pub static OFFICER_PROBLEMS: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT officer_id, count(*), count(*) FILTER (WHERE {rectified})
             FROM ledger WHERE source = 'problem' AND officer_id IS NOT NULL
               AND registered_date >= $1 AND registered_date < $2
             GROUP BY officer_id",
            rectified = crate::predicate::rectified("outcome")
        )
    });
    pub const NOMINATIONS: &str = "SELECT officer_id FROM excellent_officers WHERE year = $1 ORDER BY officer_id";
    pub const NOMINATE: &str =
        "INSERT INTO excellent_officers (year, officer_id, nominated_at, account_id) VALUES ($1, $2, $3,
        $4) ON CONFLICT DO NOTHING";
    pub const WITHDRAW: &str = "DELETE FROM excellent_officers WHERE year = $1 AND officer_id = $2";
}

/// Enrolment codes and devices.
pub mod devices {
    pub const NEW_CODE: &str = "INSERT INTO enrolment_codes (code_sha256, role, hall_id, window_id, created_at,
        expires_at) VALUES ($1, $2, $3, $4, $5, $6)";
    use std::sync::LazyLock;

    use super::DEVICE_COLUMNS;

    pub const USE_CODE: &str = "UPDATE enrolment_codes SET used_at = $1, used_by = $2 WHERE code_sha256 = $3";
    pub const REPLACE_SECRET: &str = "UPDATE devices SET secret_hash = $1 WHERE id = $2";
    pub const REVOKE: &str = "UPDATE devices SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2";
    pub static LIST: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {DEVICE_COLUMNS}, (SELECT count(*) FROM ratings r WHERE r.device_id = d.id) FROM
            devices d ORDER BY hall_id, window_id, enrolled_at"
        )
    });
    pub static CREDENTIALS: LazyLock<String> =
        LazyLock::new(|| format!("SELECT {DEVICE_COLUMNS}, secret_hash FROM devices WHERE id = $1"));
}

/// Officers' diary photos and their problems' items.
pub mod diary {
    use std::sync::LazyLock;

    use super::LEDGER_COLUMNS;

    pub static PROBLEMS_OF_DEVICE: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {LEDGER_COLUMNS} FROM ledger l WHERE l.device_id = $1 AND l.source = 'problem' ORDER
            BY l.registered_at"
        )
    });
    pub const UPLOAD_STARTED: &str =
        "INSERT INTO photo_uploads (sha256, device_id, size, updated_at) VALUES ($1, $2, $3, $4) ON
        CONFLICT (sha256, device_id) DO UPDATE SET updated_at = excluded.updated_at";
    pub const UPLOAD_DONE: &str = "DELETE FROM photo_uploads WHERE sha256 = $1 AND device_id = $2";
    pub const KEEP_PHOTO: &str =
        "INSERT INTO diary_photos (sha256, bytes, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
    pub const PHOTO: &str = "SELECT bytes FROM diary_photos WHERE sha256 = $1";
    pub const PRUNE_UPLOADS: &str = "DELETE FROM photo_uploads WHERE updated_at < $1";
}

/// Ledger items, their status and links.
pub mod ledger {
    /// See `LedgerStore::phones_past`: `$1` the moment, `$2` how many.
    pub const PHONES_PAST: &str = "SELECT r.id, r.phone FROM ratings r LEFT JOIN ledger l ON l.id = r.id
        WHERE r.phone IS NOT NULL AND r.phone NOT LIKE '%*%'
          AND ((l.id IS NULL AND r.received_at < $1) OR (l.state IN ('closed', 'excluded') AND l.updated_at < $1))
        ORDER BY r.received_at LIMIT $2";
    pub const ERASE_PHONE: &str =
        "UPDATE ratings SET phone = $2 WHERE id = $1 AND phone IS NOT NULL AND phone NOT LIKE '%*%'";
    use std::sync::LazyLock;

    use super::LEDGER_COLUMNS;

    pub const WRITE_STATUS: &str =
        "UPDATE ledger SET state = $2, due_date = $3, due_estimate = $4, escalated = $5, reply = $6,
        satisfaction = $7, events = $8, updated_at = coalesce($9, updated_at), outcome = $10,
        rectified_on_time = $11 WHERE id = $1 AND events = $12";
    /// The ratings of the halls (`in_halls`, a backend's filter on `hall_id`)
    /// given on `[$2, $3]`, from the rollup kept at ingest: (counted, bad among
    /// them, excluded by an appeal, bad among those). Misuse never counts; a
    /// case's repeat does here (the dashboard counts what the kiosks took).
    pub fn ratings_between(in_halls: &str) -> String {
        format!(
            "SELECT coalesce(sum(a1 + a2 + a3 + a4 + a5) FILTER (WHERE kind IN ('rated', 'repeat')), 0),
                coalesce(sum(bad) FILTER (WHERE kind IN ('rated', 'repeat')), 0),
                coalesce(sum(a1 + a2 + a3 + a4 + a5) FILTER (WHERE kind = 'excluded'), 0),
                coalesce(sum(bad) FILTER (WHERE kind = 'excluded'), 0)
             FROM rating_days WHERE {in_halls} AND device_date >= $2 AND device_date <= $3"
        )
    }
    pub const REWORD: &str =
        "UPDATE ledger SET category = $2, summary = $3, revision_id = $4 WHERE id = $1 AND entry_id = $5";
    pub const EXISTS: &str = "SELECT 1 FROM ledger WHERE id = $1";
    pub static ITEM: LazyLock<String> =
        LazyLock::new(|| format!("SELECT {LEDGER_COLUMNS} FROM ledger l WHERE l.id = $1"));
    pub static LINKED: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {LEDGER_COLUMNS} FROM ledger l WHERE l.id IN (SELECT b FROM ledger_links WHERE a = $1
            UNION SELECT a FROM ledger_links WHERE b = $1) ORDER BY l.registered_at"
        )
    });
    pub const LINK: &str =
        "INSERT INTO ledger_links (a, b, at, account_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
    pub static RELATED: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {LEDGER_COLUMNS} FROM ledger l
             WHERE ((l.window_id = $1 AND $1 IS NOT NULL) OR (l.staff_id = $2 AND $2 IS NOT NULL))
               AND l.registered_date >= $3
             ORDER BY l.registered_at DESC LIMIT 100"
        )
    });
}

/// The working-day calendar and each hall's limits.
pub mod calendar {
    pub const VERSION: &str = "SELECT value FROM meta WHERE key = 'calendar_version'";
    pub const DAYS: &str = "SELECT date, kind FROM calendar_days";
    pub const YEARS_KNOWN: &str = "SELECT year FROM calendar_years";
    pub const DAYS_BETWEEN: &str =
        "SELECT date, kind, note FROM calendar_days WHERE date >= $1 AND date < $2 ORDER BY date";
    pub const YEARS: &str = "SELECT year, source, imported_at FROM calendar_years ORDER BY year";
    pub const CLEAR_DAYS: &str = "DELETE FROM calendar_days WHERE date >= $1 AND date < $2";
    pub const ADD_DAY: &str = "INSERT INTO calendar_days (date, kind, note) VALUES ($1, $2, $3)";
    pub const SET_YEAR: &str =
        "INSERT INTO calendar_years (year, source, imported_at) VALUES ($1, $2, $3) ON CONFLICT (year) DO
        UPDATE SET source = excluded.source, imported_at = excluded.imported_at";
    pub const SET_DAY: &str =
        "INSERT INTO calendar_days (date, kind, note) VALUES ($1, $2, $3) ON CONFLICT (date) DO UPDATE
        SET kind = excluded.kind, note = excluded.note";
    pub const CLEAR_DAY: &str = "DELETE FROM calendar_days WHERE date = $1";
    pub const LIMITS: &str = "SELECT verify_days, rectify_days, complex_days FROM hall_settings WHERE hall_id = $1";
    pub const SET_LIMITS: &str =
        "INSERT INTO hall_settings (hall_id, verify_days, rectify_days, complex_days) VALUES ($1, $2, $3,
        $4) ON CONFLICT (hall_id) DO UPDATE SET verify_days = excluded.verify_days, rectify_days =
        excluded.rectify_days, complex_days = excluded.complex_days";
}

/// Failed sign-in attempts.
pub mod attempts {
    pub const ATTEMPTS: &str = "SELECT failures, last_failure_at FROM sign_in_failures WHERE key = $1";
    pub const CLEAR: &str = "DELETE FROM sign_in_failures WHERE key = $1";
    pub const PRUNE: &str = "DELETE FROM sign_in_failures WHERE last_failure_at < $1";
}

/// Reference data beside its tables.
pub mod reference {
    pub const META: &str = "SELECT value FROM meta WHERE key = $1";
    pub const SET_META: &str = "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value =
        excluded.value";
    pub const OFFICER_PASSWORD: &str = "UPDATE officers SET password_hash = $1 WHERE id = $2";
    pub const REASON_CODES: &str = "SELECT code FROM reasons";
    pub const OFFICER_IDS: &str = "SELECT id FROM officers";
    pub const PHOTO: &str = "SELECT bytes FROM photos WHERE sha256 = $1";
    /// A hall's own version (what its kiosks hold), or NULL.
    pub const HALL_VERSION: &str = "SELECT reference_version FROM halls WHERE id = $1";
}

/// What a device's requests leave behind.
pub mod sync {
    /// A case's first rating binds it in its hall (a later one is a repeat).
    pub const BIND_RATED_CASE: &str = "INSERT INTO rated_cases (hall_id, case_no, rating_id, device_date, staff_id,
        window_id) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
    /// A case served binds its hall's case number once (the first record stands).
    pub const BIND_SERVED_CASE: &str = "INSERT INTO served_cases (hall_id, case_no, case_id, device_date, staff_id,
        window_id) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
    pub const SEEN: &str = "UPDATE devices SET last_seen_at = $1 WHERE id = $2";
    pub const PRUNE_SEEN: &str = "DELETE FROM seen_requests WHERE at < $1";
}

#[cfg(test)]
mod tests {
    /// Each placeholder's number: what both backends bind by.
    fn numbers(sql: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let mut rest = sql;
        while let Some(i) = rest.find('$') {
            let digits: String = rest[i + 1..].chars().take_while(char::is_ascii_digit).collect();
            out.push(digits.parse().unwrap_or(0));
            rest = &rest[i + 1..];
        }
        out
    }

    #[test]
    fn every_placeholder_is_numbered_and_none_is_cast() {
        let all: Vec<&str> = vec![
            super::accounts::BY_ID.as_str(),
            super::accounts::CREDENTIALS.as_str(),
            super::accounts::LIST.as_str(),
            super::accounts::UPDATE,
            super::accounts::END_SESSIONS_OF,
            super::accounts::SET_PASSWORD,
            super::accounts::NEW_SESSION,
            super::accounts::SESSION.as_str(),
            super::accounts::TOUCH_SESSION,
            super::accounts::END_SESSION,
            super::accounts::PRUNE_SESSIONS,
            super::accounts::AUDIT,
            super::accounts::AUDIT_LOG,
            super::devices::NEW_CODE,
            super::assessment::OFFICER_PROBLEMS.as_str(),
            super::sync::BIND_RATED_CASE,
            super::sync::BIND_SERVED_CASE,
            super::assessment::FIGURE_SETTINGS,
            super::assessment::SET_FIGURE_SETTINGS,
            super::assessment::CLOSED_MONTHS,
            super::assessment::CASE_TALLIES,
            super::assessment::RECENT_ALERT,
            super::assessment::NEW_ALERT,
            super::accounts::HALLS_UNDER,
            super::assessment::ALERT.as_str(),
            super::assessment::ACKNOWLEDGE_ALERT,
            super::assessment::NOMINATIONS,
            super::assessment::NOMINATE,
            super::assessment::WITHDRAW,
            super::devices::USE_CODE,
            super::devices::REPLACE_SECRET,
            super::devices::REVOKE,
            super::devices::LIST.as_str(),
            super::devices::CREDENTIALS.as_str(),
            super::diary::PROBLEMS_OF_DEVICE.as_str(),
            super::diary::UPLOAD_STARTED,
            super::diary::UPLOAD_DONE,
            super::diary::KEEP_PHOTO,
            super::diary::PHOTO,
            super::diary::PRUNE_UPLOADS,
            super::ledger::WRITE_STATUS,
            super::ledger::REWORD,
            super::ledger::EXISTS,
            super::ledger::ITEM.as_str(),
            super::ledger::LINKED.as_str(),
            super::ledger::LINK,
            super::ledger::RELATED.as_str(),
            super::calendar::VERSION,
            super::calendar::DAYS,
            super::calendar::YEARS_KNOWN,
            super::calendar::DAYS_BETWEEN,
            super::calendar::YEARS,
            super::calendar::CLEAR_DAYS,
            super::calendar::ADD_DAY,
            super::calendar::SET_YEAR,
            super::calendar::SET_DAY,
            super::calendar::CLEAR_DAY,
            super::calendar::LIMITS,
            super::calendar::SET_LIMITS,
            super::attempts::ATTEMPTS,
            super::attempts::CLEAR,
            super::attempts::PRUNE,
            super::reference::META,
            super::reference::SET_META,
            super::reference::OFFICER_PASSWORD,
            super::reference::REASON_CODES,
            super::reference::OFFICER_IDS,
            super::reference::PHOTO,
            super::sync::SEEN,
            super::sync::PRUNE_SEEN,
        ];
        for sql in all {
            assert!(!sql.contains("::"), "a cast SQLite does not read: {sql}");
            let n = numbers(sql);
            assert!(n.iter().all(|&x| x > 0), "an unnumbered placeholder: {sql}");
            let most = n.iter().copied().max().unwrap_or(0);
            assert!((1..=most).all(|k| n.contains(&k)), "a number missing: {sql}");
            // PostgreSQL types a parameter where it first meets it: `$1 IS NULL`
            // first leaves it untyped ("could not determine data type").
            for k in 1..=most {
                let first = sql.find(&format!("${k}")).unwrap_or(0);
                let after = &sql[first + format!("${k}").len()..];
                assert!(!after.trim_start().starts_with("IS "), "${k} is first met untyped: {sql}");
            }
        }
    }
}

/// Reporting up: the outbox (see `crate::upward`). `in_halls` is a backend's
/// filter on a hall column; `$n` placeholders, as everywhere here.
pub mod upward {
    /// Whether the target `t` takes the hall of `hall`.
    fn takes(hall: &str) -> String {
        format!(
            "(t.all_halls OR EXISTS (SELECT 1 FROM upward_target_halls h WHERE h.target = t.name AND h.hall_id = {hall}))"
        )
    }

    /// A device's page of ratings, just stored (`$1` device, seq in `($2, $3]`),
    /// queued for every target that takes its hall, in the device's order;
    /// misuse is not reported. The targets come first (`CROSS JOIN` keeps
    /// SQLite to that order), so a server that reports to no platform reads
    /// nothing here; it used to read the page back and sort it for none.
    pub fn queue_ratings() -> String {
        format!(
            "INSERT INTO upward_outbox (target, kind, record_id, hall_id, day, created_at, state, next_at)
             SELECT t.name, 'rating', r.id, r.hall_id, r.device_date, r.received_at, 'waiting', r.received_at
             FROM upward_targets t CROSS JOIN ratings r
             WHERE {takes} AND r.device_id = $1 AND r.seq > $2 AND r.seq <= $3 AND NOT r.misuse
             ORDER BY t.name, r.seq
             ON CONFLICT DO NOTHING",
            takes = takes("r.hall_id")
        )
    }

    pub const REGISTER: &str = "INSERT INTO upward_targets (name, all_halls) VALUES ($1, $2)
        ON CONFLICT (name) DO UPDATE SET all_halls = excluded.all_halls";
    pub const FORGET_HALLS: &str = "DELETE FROM upward_target_halls WHERE target = $1";
    pub const ADD_HALL: &str =
        "INSERT INTO upward_target_halls (target, hall_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
    /// `$2` takes the lease of `$1` until `$4` unless another holder's runs past `$3`.
    pub const LEASE: &str = "UPDATE upward_targets SET lease_holder = $2, lease_until = $4
        WHERE name = $1 AND (lease_holder IS NULL OR lease_holder = $2 OR lease_until < $3)";
    /// What `$1` has due at `$2`, in order, at most `$3`: the outbox row, its
    /// rating, its item and the matter the window system named for its case;
    /// `reasons` is the dialect's text of `r.reasons`.
    pub fn due(reasons: &str) -> String {
        format!(
            "SELECT o.seq, o.kind, o.record_id, o.hall_id, o.attempts, r.device_time, r.window_id, r.staff_id,
                r.case_no, r.case_repeat, r.attitude, r.competence, {reasons}, r.comment, l.outcome, l.reply,
                l.satisfaction, l.updated_at, r.device_offset_minutes, c.matter
             FROM upward_outbox o
             JOIN ratings r ON r.id = o.record_id
             LEFT JOIN ledger l ON o.kind = 'rectification' AND l.id = o.record_id
             LEFT JOIN served_cases s ON s.hall_id = r.hall_id AND s.case_no = r.case_no
             LEFT JOIN cases c ON c.id = s.case_id
             WHERE o.target = $1 AND o.state IN ('waiting', 'sent') AND o.next_at <= $2
             ORDER BY o.seq LIMIT $3"
        )
    }
    pub const RECLAIM: &str = "UPDATE upward_outbox SET next_at = $2 WHERE target = $1 AND state = 'sent'";
    pub const MARK_SENT: &str =
        "UPDATE upward_outbox SET state = 'sent', attempts = attempts + 1, next_at = $3 WHERE target = $1 AND seq = $2";
    /// Settles `$2` of `$1`: state `$3`, reason `$4`, due again at `$5` (a retry), at `$6`.
    pub const SETTLE: &str = "UPDATE upward_outbox SET state = $3, reason = $4, next_at = $5, settled_at = $6
        WHERE target = $1 AND seq = $2 AND state <> 'acknowledged'";
    pub fn days(in_halls: &str) -> String {
        format!(
            "SELECT day, hall_id, target, count(*),
                count(*) FILTER (WHERE state = 'sent'), count(*) FILTER (WHERE state = 'acknowledged'),
                count(*) FILTER (WHERE state = 'refused'), count(*) FILTER (WHERE state = 'waiting')
             FROM upward_outbox WHERE {in_halls} AND day >= $2 AND day < $3
             GROUP BY day, hall_id, target ORDER BY day, hall_id, target"
        )
    }
    pub fn refused(in_halls: &str) -> String {
        format!(
            "SELECT seq, target, kind, record_id, hall_id, day, reason, settled_at FROM upward_outbox
             WHERE state = 'refused' AND {in_halls} ORDER BY seq LIMIT $2"
        )
    }
    /// Refused records of the halls (`$1`) made due at `$2`; `seqs` is the
    /// dialect's test of `seq` against the list in `$3` (empty: all).
    pub fn resend(in_halls: &str, seqs: &str) -> String {
        format!(
            "UPDATE upward_outbox SET state = 'waiting', attempts = 0, reason = NULL, next_at = $2, settled_at = NULL
             WHERE state = 'refused' AND {in_halls} AND {seqs}"
        )
    }
    pub const BACKLOG: &str = "SELECT count(*) FROM upward_outbox WHERE target = $1 AND state IN ('waiting', 'sent')";
    pub const REFUSED_COUNT: &str = "SELECT count(*) FROM upward_outbox WHERE target = $1 AND state = 'refused'";
}
