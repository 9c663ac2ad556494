//! The monthly assessment over a province: 50 halls, 600 windows (a kiosk
//! each), 2,000 staff, twelve months, 10,000,000 ratings (and a ledger item
//! for every bad review), generated in bulk (PostgreSQL: one server-side
//! INSERT … SELECT over generate_series; SQLite: one prepared statement in one
//! transaction; indexes built afterwards), with the time printed. Then a
//! month's figures and rankings of every hall, through the service the page
//! and `tiyan-server report` use, against the 100 ms issue 19 asks for on
//! PostgreSQL: first with the month before open (it is computed too, for the
//! windows called in), then with it closed, as it is once a hall closes its
//! months; then the province's twelve-month trend (under 1 s). Both read the
//! rollups the triggers kept while the ratings went in; run it at 10,000,000
//! and 20,000,000 ratings to see that the time does not grow with them.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use tiyan_core::Text;
use tiyan_core::assessment::Month;
use tiyan_core::reference::{FORMAT, Hall, ReferenceData, Staff, Window};
use tiyan_server::testing::{Backend, TestDb};
use tiyan_services::{Clock, Services, assessment};
use tiyan_storage::{Closing, Location};
use uuid::Uuid;

use crate::stats::summarize;
use crate::sync::{backends, name};

const HALLS: u64 = 50;
const WINDOWS_PER_HALL: u64 = 12;
const STAFF_PER_HALL: u64 = 40;
const WINDOWS: u64 = HALLS * WINDOWS_PER_HALL;
/// Issue 19: a province's month under 100 ms on PostgreSQL, its year's trend under 1 s.
const TARGET: Duration = Duration::from_millis(100);
const TREND_TARGET: Duration = Duration::from_secs(1);
const SAMPLES: usize = 7;
/// The first rating: 1 December 2025, 09:00 in the halls; the last a year on.
const START: &str = "2025-12-01T09:00:00+08:00";
const YEAR_SECONDS: u64 = 365 * 86_400;

fn hall_id(h: u64) -> String {
    format!("h{:02}", h + 1)
}

fn window_id(w: u64) -> String {
    format!("{}-w{:02}", hall_id(w / WINDOWS_PER_HALL), w % WINDOWS_PER_HALL + 1)
}

fn staff_id(h: u64, s: u64) -> String {
    format!("{}-s{:02}", hall_id(h), s + 1)
}

fn device_id(w: u64) -> Uuid {
    Uuid::from_u128(u128::from(w) + 1)
}

/// Who serves at window `w` (its number in the hall) at `seconds` past the
/// first rating: one staff member per window in a half-day shift, moved round
/// the hall's staff from day to day (the same in SQL below). A window served by
/// a new person at every rating, as the data was before, is no hall's day, and
/// would make a day's rollup as long as its ratings.
fn on_duty(w: u64, seconds: u64) -> u64 {
    (w * 3 + (seconds / 86_400) * 7 + (seconds % 86_400) / 43_200) % STAFF_PER_HALL
}

/// A level from a rating's number, most of them content (the same in SQL below).
fn level(g: u64, k: u64) -> u8 {
    match (g * k) % 100 {
        0..55 => 5,
        55..80 => 4,
        80..90 => 3,
        90..95 => 2,
        _ => 1,
    }
}

pub struct Options {
    pub ratings: u64,
    pub only: Vec<String>,
    pub postgres: Option<String>,
    pub dir: std::path::PathBuf,
    pub keep: bool,
    pub database: Option<String>,
}

pub fn run(o: &Options) -> Result<()> {
    std::fs::create_dir_all(&o.dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        if let Some(database) = &o.database {
            let location = if database.starts_with("postgres") {
                Location::Postgres(database.clone())
            } else {
                Location::Sqlite(database.into())
            };
            println!("\n=== the province generated before in {location} ===");
            reopen_months(&location).await?;
            return measure(tiyan_server::database::open(&location).await?).await;
        }
        for backend in backends(o.postgres.as_deref(), &o.only) {
            println!("\n=== {} ===", name(backend));
            let db = generated(backend, o.ratings, o.postgres.as_deref(), &o.dir).await?;
            measure(db.open().await).await?;
            if o.keep {
                let kept = match &db.location {
                    Location::Postgres(url) => url.clone(),
                    Location::Sqlite(path) => path.display().to_string(),
                };
                println!("kept for `--database {kept}`");
                std::mem::forget(db);
            }
        }
        Ok(())
    })
}

/// A database generated before has the month before closed by the last run:
/// open it again, round the closings' guard against deletion (a bench's own data).
async fn reopen_months(location: &Location) -> Result<()> {
    match location {
        Location::Sqlite(path) => rusqlite::Connection::open(path)?.execute_batch(
            "BEGIN; DROP TRIGGER month_closings_no_delete; DELETE FROM month_closings;
             CREATE TRIGGER month_closings_no_delete BEFORE DELETE ON month_closings
             BEGIN SELECT RAISE(ABORT, 'a closed month is frozen'); END; COMMIT;",
        )?,
        // TRUNCATE fires no row trigger.
        Location::Postgres(url) => {
            tiyan_server::testing::connect(url).await.batch_execute("TRUNCATE month_closings").await?
        }
    }
    Ok(())
}

fn reference() -> ReferenceData {
    let text = |s: String| Text { zh: s.clone(), en: s };
    ReferenceData {
        format: FORMAT.into(),
        version: 1,
        halls: (0..HALLS)
            .map(|h| Hall {
                kiosk: None,
                id: hall_id(h),
                name: text(format!("第{}大厅", h + 1)),
                division: None,
                credit_code: None,
            })
            .collect(),
        windows: (0..WINDOWS)
            .map(|w| Window {
                id: window_id(w),
                hall_id: hall_id(w / WINDOWS_PER_HALL),
                number: format!("{:02}", w % WINDOWS_PER_HALL + 1),
                name: text(format!("窗口{}", w % WINDOWS_PER_HALL + 1)),
                credit_code: None,
            })
            .collect(),
        staff: (0..HALLS)
            .flat_map(|h| {
                (0..STAFF_PER_HALL).map(move |s| Staff {
                    id: staff_id(h, s),
                    hall_id: hall_id(h),
                    employee_no: format!("{:06}", h * 1000 + s),
                    name: format!("员工{}", h * 1000 + s),
                    department: None,
                    pin_hash: String::new(),
                    photo: None,
                    photo_sha256: None,
                })
            })
            .collect(),
        reasons: vec![],
        matters: vec![],
        officers: vec![],
        regions: vec![],
    }
}

async fn generated(backend: Backend, ratings: u64, postgres: Option<&str>, dir: &Path) -> Result<TestDb> {
    let db = TestDb::create(backend, Some(dir), postgres).await;
    drop(db.open().await); // migrated
    let started = Instant::now();
    match &db.location {
        Location::Sqlite(path) => {
            let path = path.clone();
            tokio::task::spawn_blocking(move || generate_sqlite(&path, ratings)).await??;
        }
        Location::Postgres(url) => generate_postgres(url, ratings).await?,
    }
    println!(
        "generated {ratings} ratings of {HALLS} halls, {WINDOWS} windows, {} staff over 12 months (with the ledger's items and the indexes) in {:.1} s",
        HALLS * STAFF_PER_HALL,
        started.elapsed().as_secs_f64()
    );
    Ok(db)
}

async fn measure(store: Arc<dyn tiyan_storage::Storage>) -> Result<()> {
    let cx = Arc::new(Services::new(store.clone(), Clock::system()));
    let reference = Arc::new(reference());
    let month = Month { year: 2026, month: 6 };
    let now = Utc::now();
    let measure = |label: &'static str| {
        let (cx, reference) = (cx.clone(), reference.clone());
        async move {
            let mut samples = Vec::new();
            let mut counted = 0;
            for _ in 0..SAMPLES {
                let t = Instant::now();
                let halls = assessment::province(&cx, reference.clone(), month).await?;
                samples.push(t.elapsed());
                counted = halls.iter().map(|h| h.hall.figures.ratings).sum::<u64>();
            }
            let s = summarize(samples);
            println!(
                "{label}: {month}, {HALLS} halls, {counted} ratings: p50 {:.0} ms, max {:.0} ms (target < {} ms) {}",
                s.p50.as_secs_f64() * 1e3,
                s.max.as_secs_f64() * 1e3,
                TARGET.as_millis(),
                if s.p50 < TARGET { "OK" } else { "over" }
            );
            anyhow::Ok(())
        }
    };
    measure("month's figures and rankings, the month before open").await?;
    close_previous(&cx, &reference, month.previous(), now).await?;
    measure("month's figures and rankings, the month before closed").await?;
    let who = tiyan_services::Who::console(now);
    let mut samples = Vec::new();
    let mut counted = 0;
    for _ in 0..SAMPLES {
        let t = Instant::now();
        let points = assessment::region_trend(&cx, &who, None, month).await?;
        samples.push(t.elapsed());
        counted = points.iter().map(|p| p.ratings).sum::<u64>();
    }
    let s = summarize(samples);
    println!(
        "the province's trend, twelve months to {month} ({counted} ratings): p50 {:.0} ms, max {:.0} ms (target < {} ms) {}",
        s.p50.as_secs_f64() * 1e3,
        s.max.as_secs_f64() * 1e3,
        TREND_TARGET.as_millis(),
        if s.p50 < TREND_TARGET { "OK" } else { "over" }
    );
    let t = Instant::now();
    let one = assessment::settled(&cx, &reference, &hall_id(0), month).await?;
    println!(
        "one hall's month ({} ratings, {} staff ranked): {:.0} ms",
        one.hall.figures.ratings,
        one.staff.iter().filter(|s| s.figures.rank.is_some()).count(),
        t.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

async fn close_previous(cx: &Services, reference: &ReferenceData, m: Month, now: DateTime<Utc>) -> Result<()> {
    let method = assessment::current_method(cx).await?;
    for h in &reference.halls {
        let figures = assessment::computed(cx, reference, &h.id, m, &method).await?;
        cx.store
            .close_month(&Closing {
                hall_id: h.id.clone(),
                month: m,
                method_version: method.version,
                closed_at: now,
                account_id: Uuid::nil(),
                figures: serde_json::to_value(&figures)?,
            })
            .await?;
    }
    Ok(())
}

fn generate_sqlite(path: &Path, ratings: u64) -> Result<()> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;
         DROP INDEX ratings_hall_date; DROP INDEX ratings_window_received;",
    )?;
    let tx = conn.transaction()?;
    places_sqlite(&tx)?;
    let start = DateTime::parse_from_rfc3339(START)?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO ratings (id, device_id, seq, device_time, received_at, hall_id, window_id, staff_id,
                                  attitude, competence, reasons, misuse, device_date, device_offset_minutes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 480)",
        )?;
        let devices: Vec<String> = (0..WINDOWS).map(|w| device_id(w).to_string()).collect();
        let windows: Vec<String> = (0..WINDOWS).map(window_id).collect();
        let halls: Vec<String> = (0..HALLS).map(hall_id).collect();
        let staff: Vec<String> = (0..HALLS).flat_map(|h| (0..STAFF_PER_HALL).map(move |s| staff_id(h, s))).collect();
        for g in 0..ratings {
            let w = g % WINDOWS;
            let h = w / WINDOWS_PER_HALL;
            let seconds = g * YEAR_SECONDS / ratings;
            let t = start + chrono::Duration::seconds(seconds as i64);
            let (a, c) = (level(g, 7919), level(g, 104_729));
            let reasons = if a <= 2 || c <= 2 { r#"["long_wait"]"# } else { "[]" };
            insert.execute(rusqlite::params![
                Uuid::from_u128(u128::from(g) << 64 | 1).to_string(),
                devices[w as usize],
                g / WINDOWS + 1,
                t.to_rfc3339(),
                (t + chrono::Duration::minutes(1)).to_utc().to_rfc3339(),
                halls[h as usize],
                windows[w as usize],
                staff[(h * STAFF_PER_HALL + on_duty(w % WINDOWS_PER_HALL, seconds)) as usize],
                a,
                c,
                reasons,
                g % 97 == 0,
                t.date_naive().to_string(),
            ])?;
        }
    }
    tx.execute_batch(
        "INSERT INTO ledger (id, source, hall_id, window_id, staff_id, device_id, category, summary, registered_at,
                             registered_date, state, events, updated_at, reply, outcome, rectified_on_time)
         SELECT id, 'rating', hall_id, window_id, staff_id, device_id, 'long_wait', '', received_at, device_date,
                'closed', 5, received_at, '已整改', 'rectified', (seq % 10 <> 0)
         FROM ratings WHERE (attitude <= 2 OR competence <= 2) AND misuse = 0;",
    )?;
    // The sync's ingest counts a page's ratings into the rollup as it stores
    // them; a bulk load counts them all at once, as the migration does.
    tx.execute_batch(
        "INSERT INTO rating_days (hall_id, device_date, staff_id, window_id, kind,
                                  a1, a2, a3, a4, a5, c1, c2, c3, c4, c5, bad)
         SELECT hall_id, device_date, staff_id, window_id,
                CASE WHEN misuse THEN 'misuse' WHEN case_repeat THEN 'repeat' ELSE 'rated' END,
                sum(attitude = 1), sum(attitude = 2), sum(attitude = 3), sum(attitude = 4), sum(attitude = 5),
                sum(competence = 1), sum(competence = 2), sum(competence = 3), sum(competence = 4),
                sum(competence = 5), sum(attitude IN (2, 1) OR competence IN (2, 1))
         FROM ratings GROUP BY 1, 2, 3, 4, 5;",
    )?;
    tx.commit()?;
    conn.execute_batch(
        "CREATE INDEX ratings_hall_date ON ratings (hall_id, device_date);
         CREATE INDEX ratings_window_received ON ratings (window_id, received_at);
         ANALYZE;",
    )?;
    Ok(())
}

fn places_sqlite(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    let now = Utc::now().to_rfc3339();
    for h in 0..HALLS {
        tx.execute("INSERT INTO halls (id, name_zh, name_en) VALUES (?1, ?1, ?1)", [hall_id(h)])?;
        for s in 0..STAFF_PER_HALL {
            tx.execute(
                "INSERT INTO staff (id, hall_id, employee_no, name, pin_hash) VALUES (?1, ?2, ?3, ?1, '')",
                rusqlite::params![staff_id(h, s), hall_id(h), format!("{:06}", h * 1000 + s)],
            )?;
        }
    }
    for w in 0..WINDOWS {
        let hall = hall_id(w / WINDOWS_PER_HALL);
        tx.execute(
            "INSERT INTO windows (id, hall_id, number, name_zh, name_en) VALUES (?1, ?2, ?3, ?3, ?3)",
            rusqlite::params![window_id(w), hall, format!("{:02}", w % WINDOWS_PER_HALL + 1)],
        )?;
        tx.execute(
            "INSERT INTO devices (id, name, role, hall_id, window_id, secret_hash, enrolled_at)
             VALUES (?1, ?2, 'kiosk', ?3, ?4, '00', ?5)",
            rusqlite::params![device_id(w).to_string(), format!("kiosk {w}"), hall, window_id(w), now],
        )?;
    }
    Ok(())
}

async fn generate_postgres(url: &str, ratings: u64) -> Result<()> {
    let client = tiyan_server::testing::connect(url).await;
    client
        .batch_execute(
            "DROP INDEX ratings_hall_date; DROP INDEX ratings_window_received;
             SET maintenance_work_mem = '512MB'; SET synchronous_commit = off;",
        )
        .await?;
    let (halls, windows, staff) = (HALLS as i64, WINDOWS as i64, STAFF_PER_HALL as i64);
    let per_hall = WINDOWS_PER_HALL as i64;
    let hall = |col: &str| format!("'h' || lpad(({col} + 1)::text, 2, '0')");
    client
        .execute(
            &format!(
                "INSERT INTO halls (id, name_zh, name_en) SELECT {h}, {h}, {h} FROM generate_series(0, $1::bigint - 1) h",
                h = hall("h")
            ),
            &[&halls],
        )
        .await?;
    client
        .execute(
            &format!(
                "INSERT INTO staff (id, hall_id, employee_no, name, pin_hash)
                 SELECT {h} || '-s' || lpad((s + 1)::text, 2, '0'), {h}, lpad((h * 1000 + s)::text, 6, '0'),
                        {h} || '-s' || lpad((s + 1)::text, 2, '0'), ''
                 FROM generate_series(0, $1::bigint - 1) h, generate_series(0, $2::bigint - 1) s",
                h = hall("h")
            ),
            &[&halls, &staff],
        )
        .await?;
    let wh = hall("(w / $2::bigint)");
    let window = format!("{wh} || '-w' || lpad((w % $2::bigint + 1)::text, 2, '0')");
    let device = "('00000000-0000-0000-0000-' || lpad(to_hex(w + 1), 12, '0'))::uuid";
    client
        .execute(
            &format!(
                "INSERT INTO windows (id, hall_id, number, name_zh, name_en)
                 SELECT {window}, {wh}, lpad((w % $2::bigint + 1)::text, 2, '0'), 'w', 'w' FROM generate_series(0, $1::bigint - 1) w"
            ),
            &[&windows, &per_hall],
        )
        .await?;
    client
        .execute(
            &format!(
                "INSERT INTO devices (id, name, role, hall_id, window_id, secret_hash, enrolled_at)
                 SELECT {device}, 'kiosk ' || w, 'kiosk', {wh}, {window}, '00', now() FROM generate_series(0, $1::bigint - 1) w"
            ),
            &[&windows, &per_hall],
        )
        .await?;
    let level = |k: u64| {
        format!(
            "CASE WHEN (g * {k}) % 100 < 55 THEN 5 WHEN (g * {k}) % 100 < 80 THEN 4
                  WHEN (g * {k}) % 100 < 90 THEN 3 WHEN (g * {k}) % 100 < 95 THEN 2 ELSE 1 END"
        )
    };
    let started = Instant::now();
    client
        .execute(
            &format!(
                "INSERT INTO ratings (id, device_id, seq, device_time, device_date, device_offset_minutes, received_at,
                                      hall_id, window_id, staff_id, attitude, competence, reasons, misuse)
                 SELECT (lpad(to_hex(g), 8, '0') || '-0000-0000-0000-000000000001')::uuid
                            , {device}, g / $1::bigint + 1, t, (t AT TIME ZONE 'Asia/Shanghai')::date, 480,
                        t + interval '1 minute', {wh}, {window},
                        {wh} || '-s' || lpad((((w % $2::bigint) * 3 + (sec / 86400) * 7 + (sec % 86400) / 43200)
                                              % $4::bigint + 1)::text, 2, '0'), a, c,
                        CASE WHEN a <= 2 OR c <= 2 THEN '[\"long_wait\"]'::jsonb ELSE '[]'::jsonb END, g % 97 = 0
                 FROM (SELECT g, w, a, c, sec, timestamptz '{START}' + sec * interval '1 second' AS t
                       FROM (SELECT g, g % $1::bigint AS w, {att}::smallint AS a, {comp}::smallint AS c,
                                    (g * {YEAR_SECONDS}) / $3::bigint AS sec
                             FROM generate_series(0::bigint, $3::bigint - 1) g) y) x",
                att = level(7919),
                comp = level(104_729),
            ),
            &[&windows, &per_hall, &(ratings as i64), &staff],
        )
        .await
        .context("generating the ratings")?;
    println!("  ratings inserted in {:.1} s (INSERT … SELECT)", started.elapsed().as_secs_f64());
    client
        .batch_execute(
            "INSERT INTO ledger (id, source, hall_id, window_id, staff_id, device_id, category, summary, registered_at,
                                 registered_date, state, events, updated_at, reply, outcome, rectified_on_time)
             SELECT id, 'rating', hall_id, window_id, staff_id, device_id, 'long_wait', '', received_at, device_date,
                    'closed', 5, received_at, '已整改', 'rectified', (seq % 10 <> 0)
             FROM ratings WHERE (attitude <= 2 OR competence <= 2) AND NOT misuse;
             CREATE INDEX ratings_hall_date ON ratings (hall_id, device_date);
             CREATE INDEX ratings_window_received ON ratings (window_id, received_at);",
        )
        .await
        .context("the ledger and the indexes")?;
    // Its own statement: VACUUM runs outside a transaction. Statistics and the
    // visibility map, as autovacuum would leave them.
    client.batch_execute("VACUUM ANALYZE").await.context("vacuum")?;
    Ok(())
}
