//! Sync over loopback with the real HTTP server and client, on each backend,
//! each figure next to its reference from the same run:
//!
//! - drain: one device with a long queue, against the store's own ceiling (the
//!   same rows straight into the same table in batches of a page: plain
//!   inserts on SQLite, one multi-row INSERT per batch on PostgreSQL; with each
//!   rating's case bound in `rated_cases` too, as one rating per case requires);
//! - peak: thousands of kiosks each sending ratings one by one as they are
//!   given, at a steady rate in all, for a minute;
//! - burst: hundreds of devices with queues, all at once after an outage,
//!   against the ceiling for the same number of records.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use chrono::{DateTime, FixedOffset, Utc};
use tiyan_client::Kiosk;
use tiyan_client::sync::Engine;
use tiyan_client::sync::api::{Api, Credentials};
use tiyan_client::sync::engine::{IN_FLIGHT, PAGE};
use tiyan_client::sync::transport::Http;
use tiyan_core::Level;
use tiyan_core::protocol::{DeviceRole, EnrollRequest, Upload};
use tiyan_core::rating::Rating;
use tiyan_server::testing::{Backend, TestDb};
use tiyan_services::reference_files::load_json;
use tiyan_services::{Clock, Services, Who, devices, reference};
use tiyan_storage::{Location, RatingFilter, Storage};
use uuid::Uuid;

use crate::stats::{ms, summarize};

pub struct Args {
    pub ratings: usize,
    pub peak_kiosks: usize,
    pub peak_rate: u32,
    pub peak_seconds: u64,
    pub burst_devices: usize,
    pub burst_per_device: usize,
    /// A PostgreSQL server (its defaults: fsync on) for the PostgreSQL figures.
    pub postgres: Option<String>,
    /// Run only these parts (drain, peak, burst) or backends (sqlite, postgres); all when empty.
    pub only: Vec<String>,
    pub dir: std::path::PathBuf,
}

fn demo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/reference.json")
}

/// A hall's ratings: mostly good, one in fifty a bad review (each of which also
/// becomes a ledger item on the server). Halls publish bad-review shares well
/// under 1%; 2% keeps the ledger's share of the work on the safe side.
pub(crate) fn rating(device: Uuid, seq: u64, start: DateTime<FixedOffset>) -> Rating {
    let a = match seq % 50 {
        0 => Level::Dissatisfied,
        n if n % 3 == 0 => Level::Satisfied,
        _ => Level::VerySatisfied,
    };
    Rating {
        id: Uuid::now_v7(),
        seq,
        device_id: device,
        device_time: start + chrono::Duration::seconds(seq as i64 * 40),
        hall_id: "jianghai".into(),
        window_id: "jianghai-w02".into(),
        staff_id: "staff-100102".into(),
        case_no: Some(format!("BENCH-{seq}")),
        attitude: a,
        competence: Level::Satisfied,
        reasons: if a.is_bad() { vec!["long_wait".into()] } else { vec![] },
        comment: seq.is_multiple_of(10).then(|| "窗口指引清楚，办理很快".to_string()),
        phone: None,
        misuse: false,
    }
}

pub(crate) fn start_time() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-23T09:00:00.000+08:00").unwrap_or_default()
}

pub(crate) struct Server {
    pub(crate) db: TestDb,
    pub(crate) store: Arc<dyn Storage>,
    pub(crate) url: String,
    pub(crate) stop: tokio::sync::oneshot::Sender<()>,
}

async fn start_server(backend: Backend, args: &Args) -> Result<Server> {
    start_server_with(backend, &args.dir, args.postgres.as_deref(), tiyan_server::Settings::default()).await
}

/// A fresh database of `backend` with the demo hall, served on a free loopback port.
pub(crate) async fn start_server_with(
    backend: Backend,
    dir: &Path,
    postgres: Option<&str>,
    settings: tiyan_server::Settings,
) -> Result<Server> {
    let db = TestDb::create(backend, Some(dir), postgres).await;
    let store = db.open().await;
    let cx = console(&store);
    reference::import(&cx, &Who::console(cx.now()), load_json(&demo())?).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = tiyan_server::AppState::with_settings(store.clone(), settings);
    tokio::spawn(async move {
        let _ = tiyan_server::serve(listener, state, async {
            let _ = stopped.await;
        })
        .await;
    });
    Ok(Server { db, store, url, stop })
}

/// The services over `store`, as the console uses them (on the system clock).
fn console(store: &Arc<dyn Storage>) -> Services {
    Services::new(store.clone(), Clock::system())
}

async fn code(cx: &Services) -> Result<String> {
    let valid = chrono::Duration::hours(1);
    let who = Who::console(cx.now());
    Ok(devices::issue_code(cx, &who, DeviceRole::Kiosk, "jianghai", Some("jianghai-w02"), valid).await?)
}

/// Enrols `n` devices through the service (what the HTTP call does, without the socket).
pub(crate) async fn enrol(store: &Arc<dyn Storage>, n: usize) -> Result<Vec<Credentials>> {
    let cx = console(store);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let device_id = Uuid::now_v7();
        let request = EnrollRequest { code: code(&cx).await?, device_id, name: format!("kiosk {i}"), role: None };
        let e = devices::enroll(&cx, &request).await?;
        out.push(Credentials { device_id, secret: e.secret });
    }
    Ok(out)
}

/// Queues `n` ratings in the device's database in one transaction (setting up
/// the queue is not what is measured).
fn queue(kiosk_dir: &Path, device: Uuid, n: usize) -> Result<()> {
    let mut conn = rusqlite::Connection::open(kiosk_dir.join("tiyan.db"))?;
    tiyan_client::db::configure(&conn)?;
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare(
            "INSERT INTO ratings (seq, id, session_id, device_id, device_time, hall_id, window_id, staff_id, case_no,
                                  attitude, competence, reasons, comment, phone, misuse)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, NULL, 0)",
        )?;
        for seq in 1..=n as u64 {
            let r = rating(device, seq, start_time());
            stmt.execute(rusqlite::params![
                seq,
                r.id.to_string(),
                Uuid::now_v7().to_string(),
                device.to_string(),
                r.device_time.to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
                r.hall_id,
                r.window_id,
                r.staff_id,
                r.case_no,
                r.attitude.value(),
                r.competence.value(),
                serde_json::to_string(&r.reasons)?,
                r.comment,
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The store's ceiling: `rows` straight into a fresh, migrated database of the
/// backend, in batches of one page, one transaction each, the same columns,
/// and each rating's case into `rated_cases` (the schema's one-rating-per-case
/// rule needs that row; leaving it out would measure a store that cannot keep it).
/// (This repeats the server's insert on purpose: it is the reference.)
async fn ceiling(backend: Backend, args: &Args, rows: &[Rating]) -> Result<Duration> {
    let db = TestDb::create(backend, Some(&args.dir), args.postgres.as_deref()).await;
    drop(db.open().await); // creates and migrates the schema
    let mut devices: Vec<Uuid> = rows.iter().map(|r| r.device_id).collect();
    devices.sort();
    devices.dedup();
    let received = Utc::now();
    match &db.location {
        Location::Sqlite(path) => {
            let path = path.clone();
            let rows = rows.to_vec();
            tokio::task::spawn_blocking(move || sqlite_ceiling(&path, &devices, &rows, received)).await?
        }
        Location::Postgres(url) => postgres_ceiling(url, &devices, rows, received).await,
    }
}

fn sqlite_ceiling(path: &Path, devices: &[Uuid], rows: &[Rating], received: DateTime<Utc>) -> Result<Duration> {
    let mut conn = rusqlite::Connection::open(path)?;
    tiyan_infra::sqlite::configure(&conn)?;
    // As the store's writer (it made no difference here: these inserts run in
    // no savepoint, and a row's statement journal fits in memory anyway).
    tiyan_infra::sqlite::journals_in_memory(&conn)?;
    conn.execute("INSERT INTO halls (id, name_zh, name_en) VALUES ('jianghai', '江海区政务服务中心', '')", [])?;
    for d in devices {
        conn.execute(
            "INSERT INTO devices (id, name, role, hall_id, secret_hash, enrolled_at)
             VALUES (?1, 'bench', 'kiosk', 'jianghai', 'x', '2026-11-23T00:00:00Z')",
            [d.to_string()],
        )?;
    }
    let received = received.to_rfc3339();
    let t = Instant::now();
    for batch in rows.chunks(PAGE) {
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO ratings (id, device_id, seq, device_time, device_date, device_offset_minutes,
                                      received_at, hall_id, window_id, staff_id, case_no, attitude, competence,
                                      reasons, comment, phone, misuse)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?;
            for r in batch {
                stmt.execute(rusqlite::params![
                    r.id.to_string(),
                    r.device_id.to_string(),
                    r.seq,
                    r.device_time.to_rfc3339(),
                    r.device_time.date_naive().to_string(),
                    r.device_time.offset().local_minus_utc() / 60,
                    received,
                    r.hall_id,
                    r.window_id,
                    r.staff_id,
                    r.case_no,
                    r.attitude.value(),
                    r.competence.value(),
                    serde_json::to_string(&r.reasons)?,
                    r.comment,
                    r.phone,
                    r.misuse,
                ])?;
            }
            let mut bind = tx.prepare_cached(
                "INSERT INTO rated_cases (hall_id, case_no, rating_id, device_date, staff_id, window_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            )?;
            for r in batch {
                if let Some(case_no) = &r.case_no {
                    bind.execute(rusqlite::params![
                        r.hall_id,
                        case_no,
                        r.id.to_string(),
                        r.device_time.date_naive().to_string(),
                        r.staff_id,
                        r.window_id,
                    ])?;
                }
            }
        }
        tx.commit()?;
    }
    Ok(t.elapsed())
}

async fn postgres_ceiling(url: &str, devices: &[Uuid], rows: &[Rating], received: DateTime<Utc>) -> Result<Duration> {
    let mut client = tiyan_server::testing::connect(url).await;
    client
        .execute("INSERT INTO halls (id, name_zh, name_en) VALUES ('jianghai', '江海区政务服务中心', '')", &[])
        .await?;
    for d in devices {
        client
            .execute(
                "INSERT INTO devices (id, name, role, hall_id, secret_hash, enrolled_at)
                 VALUES ($1, 'bench', 'kiosk', 'jianghai', 'x', now())",
                &[d],
            )
            .await?;
    }
    let insert = client
        .prepare(
            "INSERT INTO ratings (id, device_id, seq, device_time, device_date, device_offset_minutes, received_at,
                                  hall_id, window_id, staff_id, case_no, attitude, competence, reasons, comment,
                                  phone, misuse)
             SELECT u.id, u.dev, u.seq, u.t, u.d, u.o, u.rec, u.h, u.w, u.s, u.c, u.a, u.p, u.r::jsonb, u.cm, u.ph, u.m
             FROM unnest($1::uuid[], $2::uuid[], $3::int8[], $4::timestamptz[], $5::date[], $6::int2[],
                         $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::text[], $12::int2[],
                         $13::int2[], $14::text[], $15::text[], $16::text[], $17::bool[])
                 AS u(id, dev, seq, t, d, o, rec, h, w, s, c, a, p, r, cm, ph, m)",
        )
        .await?;
    let bind = client
        .prepare(
            "INSERT INTO rated_cases (hall_id, case_no, rating_id, device_date, staff_id, window_id)
             SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::date[], $5::text[], $6::text[])
             ON CONFLICT DO NOTHING",
        )
        .await?;
    let t = Instant::now();
    for batch in rows.chunks(PAGE) {
        let col = |f: &dyn Fn(&Rating) -> String| batch.iter().map(f).collect::<Vec<String>>();
        let ids: Vec<Uuid> = batch.iter().map(|r| r.id).collect();
        let devs: Vec<Uuid> = batch.iter().map(|r| r.device_id).collect();
        let seqs: Vec<i64> = batch.iter().map(|r| r.seq as i64).collect();
        let times: Vec<DateTime<Utc>> = batch.iter().map(|r| r.device_time.to_utc()).collect();
        let dates: Vec<chrono::NaiveDate> = batch.iter().map(|r| r.device_time.date_naive()).collect();
        let offsets: Vec<i16> = batch.iter().map(|r| (r.device_time.offset().local_minus_utc() / 60) as i16).collect();
        let received: Vec<DateTime<Utc>> = vec![received; batch.len()];
        let case_no: Vec<Option<String>> = batch.iter().map(|r| r.case_no.clone()).collect();
        let attitude: Vec<i16> = batch.iter().map(|r| i16::from(r.attitude.value())).collect();
        let competence: Vec<i16> = batch.iter().map(|r| i16::from(r.competence.value())).collect();
        let reasons = col(&|r| serde_json::to_string(&r.reasons).unwrap_or_default());
        let comment: Vec<Option<String>> = batch.iter().map(|r| r.comment.clone()).collect();
        let phone: Vec<Option<String>> = batch.iter().map(|r| r.phone.clone()).collect();
        let misuse: Vec<bool> = batch.iter().map(|r| r.misuse).collect();
        let tx = client.transaction().await?;
        tx.execute(
            &insert,
            &[
                &ids,
                &devs,
                &seqs,
                &times,
                &dates,
                &offsets,
                &received,
                &col(&|r| r.hall_id.clone()),
                &col(&|r| r.window_id.clone()),
                &col(&|r| r.staff_id.clone()),
                &case_no,
                &attitude,
                &competence,
                &reasons,
                &comment,
                &phone,
                &misuse,
            ],
        )
        .await?;
        let with_case: Vec<&Rating> = batch.iter().filter(|r| r.case_no.is_some()).collect();
        let case_col = |f: &dyn Fn(&Rating) -> String| with_case.iter().map(|r| f(r)).collect::<Vec<String>>();
        tx.execute(
            &bind,
            &[
                &case_col(&|r| r.hall_id.clone()),
                &case_col(&|r| r.case_no.clone().unwrap_or_default()),
                &with_case.iter().map(|r| r.id).collect::<Vec<Uuid>>(),
                &with_case.iter().map(|r| r.device_time.date_naive()).collect::<Vec<chrono::NaiveDate>>(),
                &case_col(&|r| r.staff_id.clone()),
                &case_col(&|r| r.window_id.clone()),
            ],
        )
        .await?;
        tx.commit().await?;
    }
    Ok(t.elapsed())
}

/// The backends to measure: SQLite, and PostgreSQL when a server is given,
/// narrowed by `only` (`sqlite`, `postgres`).
pub(crate) fn backends(postgres: Option<&str>, only: &[String]) -> Vec<Backend> {
    let mut b = Vec::new();
    if !only.iter().any(|o| o == "postgres") {
        b.push(Backend::Sqlite);
    }
    if only.iter().any(|o| o == "sqlite") {
        return b;
    }
    if postgres.is_some() {
        b.push(Backend::Postgres);
    } else {
        println!("(no PostgreSQL given: --postgres URL, which scripts/bench.sh starts; SQLite figures only)");
    }
    b
}

pub(crate) fn name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

pub fn run(args: Args) -> Result<()> {
    std::fs::create_dir_all(&args.dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        for backend in backends(args.postgres.as_deref(), &args.only) {
            println!("\n=== {} ===", name(backend));
            let parts = ["drain", "peak", "burst"];
            let any_part = args.only.iter().any(|o| parts.contains(&o.as_str()));
            let wanted = |part: &str| !any_part || args.only.iter().any(|o| o == part);
            if wanted("drain") {
                drain(backend, &args).await?;
            }
            if wanted("peak") {
                peak(backend, &args).await?;
            }
            if wanted("burst") {
                burst(backend, &args).await?;
            }
        }
        Ok(())
    })
}

/// Rounds of drain and ceiling, interleaved so that a noisy disk or neighbour
/// weighs on both alike; the medians are compared.
const ROUNDS: usize = 5;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn drain(backend: Backend, args: &Args) -> Result<()> {
    let n = args.ratings;
    println!(
        "drain: {n} queued ratings (one in fifty a bad review, each a ledger item), one device, loopback HTTP, pages of {PAGE}, {IN_FLIGHT} in flight, {ROUNDS} rounds"
    );
    let (mut drains, mut ceilings, mut servers) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let (took, rows) = drain_once(backend, args).await?;
        drains.push(took);
        ceilings.push(ceiling(backend, args, &rows).await?);
        servers.push(drain_server_only(backend, args).await?);
    }
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let all = |v: &[Duration]| v.iter().map(|d| format!("{:.0}", rate(*d))).collect::<Vec<_>>().join(", ");
    let (drain_rate, ceiling_rate) = (rate(median(drains.clone())), rate(median(ceilings.clone())));
    println!(
        "  drain, device to server (HTTP, JSON, checks, ingest, acks)  {drain_rate:>9.0} records/s  ({})",
        all(&drains)
    );
    println!(
        "  {} ceiling (straight batch inserts)          {ceiling_rate:>9.0} records/s  ({})",
        name(backend),
        all(&ceilings)
    );
    let target = if backend == Backend::Sqlite { 0.8 } else { 0.6 };
    println!("  drain / ceiling = {:.2} (target: at least {target})", drain_rate / ceiling_rate);
    let server_rate = rate(median(servers.clone()));
    println!(
        "  the same pages read and encoded beforehand, acknowledgements kept in memory (the device on a machine of its own): {server_rate:.0} records/s ({}), {:.2} of the ceiling",
        all(&servers),
        server_rate / ceiling_rate
    );
    breakdown(backend, args).await
}

/// The drain without the device's own work: its pages encoded before the
/// clock starts and sent as the engine sends them ([`IN_FLIGHT`] at a time,
/// each acknowledgement awaited in order), the acknowledgements kept in memory.
/// In a hall the device is a machine of its own; here it shares the server's
/// two cores and disk (reading its queue, writing its JSON, recording each
/// acknowledgement in its own file), and this shows what is the server's.
async fn drain_server_only(backend: Backend, args: &Args) -> Result<Duration> {
    let server = start_server(backend, args).await?;
    let c = enrol(&server.store, 1).await?.remove(0);
    let records: Vec<Rating> = (1..=args.ratings as u64).map(|s| rating(c.device_id, s, start_time())).collect();
    let bodies = records
        .chunks(PAGE)
        .map(|page| serde_json::to_vec(&Upload::Rating(page.to_vec())))
        .collect::<Result<Vec<_>, _>>()?;
    let http = Http::new(&server.url)?;
    let c = Arc::new(c);
    let t = Instant::now();
    let mut in_flight = std::collections::VecDeque::new();
    for body in bodies {
        if in_flight.len() == IN_FLIGHT {
            let sending: tokio::task::JoinHandle<_> = in_flight.pop_front().expect("a page in flight");
            sending.await??;
        }
        let (api, c) = (Api::new(http.clone()), c.clone());
        in_flight.push_back(tokio::spawn(async move { api.upload_json(&c, body).await }));
    }
    for sending in in_flight {
        sending.await??;
    }
    let took = t.elapsed();
    let held = server.store.ratings(&RatingFilter::default()).await?.len();
    ensure!(held == args.ratings, "the server holds {held} of {}", args.ratings);
    let _ = server.stop.send(());
    Ok(took)
}

/// Where a page's time goes, each step alone, on the backend: the device's
/// JSON, the server's parse and check, the ledger items its bad reviews make,
/// the store's ingest (with those items, in its transaction), and what is done
/// just after (the live-alert check of the window, a device's report).
async fn breakdown(backend: Backend, args: &Args) -> Result<()> {
    const PAGES: usize = 20;
    let server = start_server(backend, args).await?;
    let kiosk_dir = server.db.dir.path().join("kiosk");
    let kiosk = Kiosk::open(&kiosk_dir)?;
    let code = code(&console(&server.store)).await?;
    Engine::new(kiosk.shared_store(), Http::new(&server.url)?).enroll(&server.url, &code, "bench").await?;
    queue(&kiosk_dir, kiosk.store().device_id(), PAGE * PAGES)?;
    let time = |f: &mut dyn FnMut() -> Result<()>| -> Result<Duration> {
        let t = Instant::now();
        for _ in 0..PAGES {
            f()?;
        }
        Ok(t.elapsed() / PAGES as u32)
    };
    let mut json = Vec::new();
    let write_page = time(&mut || {
        json = kiosk.store().ratings_page_json(0, PAGE)?.map(|(_, j)| j).unwrap_or_default();
        Ok(())
    })?;
    let mut parsed = Upload::Rating(Vec::new());
    let parse = time(&mut || {
        parsed = serde_json::from_slice(&json)?;
        Ok(())
    })?;
    let (_, catalog) = server.store.catalog().await?;
    let sender = tiyan_core::intake::Sender { role: DeviceRole::Kiosk, hall_id: "jianghai" };
    let check = time(&mut || {
        tiyan_core::intake::check_upload(sender, &parsed, &catalog)?;
        Ok(())
    })?;
    // The store, pages handed to it one after the other, each with its ledger items.
    let device = kiosk.store().device_id();
    let all = kiosk.store().ratings_after(0, PAGE * PAGES)?;
    let cx = console(&server.store);
    let (mut ledger, mut ingest, mut items) = (Duration::ZERO, Duration::ZERO, 0);
    for (i, chunk) in all.chunks(PAGE).enumerate() {
        let upload = Upload::Rating(chunk.to_vec());
        let t = Instant::now();
        let intake = tiyan_services::ledger::intake(&cx, &upload, device, Utc::now()).await?;
        ledger += t.elapsed();
        items += intake.items.len();
        let page = tiyan_storage::IngestPage {
            device_id: device,
            request_id: Uuid::now_v7(),
            upload: Arc::new(upload),
            received_at: Utc::now(),
            ledger: Arc::new(intake),
        };
        let t = Instant::now();
        let ack = server.store.ingest(&page).await?;
        ingest += t.elapsed();
        ensure!(ack.through == ((i + 1) * PAGE) as u64);
    }
    // Just after: the window's alert over the pages just received, and a device's report.
    let windows = [("jianghai".to_string(), "jianghai-w02".to_string())];
    let t = Instant::now();
    for _ in 0..PAGES {
        tiyan_services::alerts::check(server.store.as_ref(), &windows, Utc::now()).await?;
    }
    let alert = t.elapsed() / PAGES as u32;
    let report = tiyan_storage::DeviceReport {
        app_version: Some("0.1.0".into()),
        clock_offset_seconds: Some(0),
        newest: vec![(tiyan_core::protocol::RecordKind::Rating, (PAGE * PAGES) as u64)],
        reference_held: Some(1),
        at: Utc::now(),
    };
    let t = Instant::now();
    for _ in 0..PAGES {
        server.store.report_devices(&[(device, report.clone())]).await?;
    }
    let reported = t.elapsed() / PAGES as u32;
    let n = PAGES as u32;
    println!(
        "  per page of {PAGE}: the device writes its JSON {}; the server parses it {} and checks it {}",
        ms(write_page),
        ms(parse),
        ms(check)
    );
    println!(
        "  per page of {PAGE}: its ledger items made {} ({} bad reviews a page); the store's ingest with them {}",
        ms(ledger / n),
        items / PAGES,
        ms(ingest / n)
    );
    println!(
        "  just after a page, off its path: the window's alert check over {} ratings {}; a device's report {}",
        PAGE * PAGES,
        ms(alert),
        ms(reported)
    );
    let _ = server.stop.send(());
    Ok(())
}

/// One device with a queue drained into a fresh server: the time and the rows.
async fn drain_once(backend: Backend, args: &Args) -> Result<(Duration, Vec<Rating>)> {
    let server = start_server(backend, args).await?;
    let kiosk_dir = server.db.dir.path().join("kiosk");
    let kiosk = Kiosk::open(&kiosk_dir)?;
    let code = code(&console(&server.store)).await?;
    Engine::new(kiosk.shared_store(), Http::new(&server.url)?).enroll(&server.url, &code, "bench").await?;
    let device = kiosk.store().device_id();
    queue(&kiosk_dir, device, args.ratings)?;
    ensure!(kiosk.store().waiting()? == args.ratings as u64);

    let engine = Engine::new(kiosk.shared_store(), Http::new(&server.url)?);
    let t = Instant::now();
    let report = engine.run_once().await?;
    let took = t.elapsed();
    ensure!(report.stored == args.ratings as u64, "stored {} of {}", report.stored, args.ratings);
    ensure!(kiosk.store().waiting()? == 0);
    let held = server.store.ratings(&RatingFilter::default()).await?.len();
    ensure!(held == args.ratings, "the server holds {held} of {}", args.ratings);
    let _ = server.stop.send(());
    Ok((took, kiosk.store().ratings_after(0, args.ratings)?))
}

/// A province at its peak: `peak_kiosks` kiosks, each sending its ratings one by
/// one as citizens give them, `peak_rate` uploads a second in all, open loop
/// (an upload is due at its time whether or not earlier ones are done).
async fn peak(backend: Backend, args: &Args) -> Result<()> {
    let server = start_server(backend, args).await?;
    let t = Instant::now();
    let fleet = enrol(&server.store, args.peak_kiosks).await?;
    let total = (args.peak_rate as u64 * args.peak_seconds) as usize;
    println!(
        "\npeak: {} kiosks enrolled in {:.1} s; {} single-rating uploads a second for {} s ({total} in all)",
        args.peak_kiosks,
        t.elapsed().as_secs_f64(),
        args.peak_rate,
        args.peak_seconds
    );
    // One HTTP client for the simulation (its connection pool stands for the
    // kiosks' own connections); each upload is its own request.
    let http = Http::new(&server.url)?;
    let tasks = open_loop(&http, Arc::new(fleet), args.peak_rate, total);
    let mut latencies = Vec::with_capacity(total);
    let mut failed = 0usize;
    for task in tasks {
        match task.await? {
            Ok(d) => latencies.push(d),
            Err(e) => {
                failed += 1;
                if failed <= 3 {
                    eprintln!("  an upload failed: {e}");
                }
            }
        }
    }
    let held = server.store.ratings(&RatingFilter::default()).await?.len();
    let s = summarize(latencies);
    println!(
        "  upload latency (from when it was due)  p50 {}  p99 {}  max {}  (target: p99 below 50 ms)",
        ms(s.p50),
        ms(s.p99),
        ms(s.max)
    );
    println!("  the server holds {held} of {total}: {} lost; {failed} uploads failed", total - held.min(total));
    ensure!(held == total && failed == 0, "records were lost");
    let _ = server.stop.send(());
    Ok(())
}

/// `total` single-rating uploads from `fleet`, `rate` a second in all, open
/// loop (each is due at its time whether or not earlier ones are done): each
/// upload's time from when it was due to its answer, or its error.
pub(crate) fn open_loop(
    http: &Http,
    fleet: Arc<Vec<Credentials>>,
    rate: u32,
    total: usize,
) -> Vec<tokio::task::JoinHandle<Result<Duration, tiyan_client::sync::SyncError>>> {
    let seqs: Arc<Vec<std::sync::atomic::AtomicU64>> =
        Arc::new((0..fleet.len()).map(|_| std::sync::atomic::AtomicU64::new(0)).collect());
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let began = tokio::time::Instant::now();
    (0..total)
        .map(|i| {
            let due = began + interval * i as u32;
            let (fleet, seqs, api) = (fleet.clone(), seqs.clone(), Api::new(http.clone()));
            let kiosk = (i * 7919) % fleet.len();
            tokio::spawn(async move {
                tokio::time::sleep_until(due).await;
                let c = &fleet[kiosk];
                // A kiosk rates one citizen at a time: its next rating follows its last.
                let seq = seqs[kiosk].fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                let upload = Upload::Rating(vec![rating(c.device_id, seq, start_time())]);
                let t = tokio::time::Instant::now();
                api.upload(c, &upload).await.map(|_| t.duration_since(due))
            })
        })
        .collect()
}

/// After an outage: every device with a queue, all at once.
/// Where the burst's devices encode their pages. In a hall each device is its
/// own machine, so its JSON is not the server's work; but the bench's devices
/// share the server's two cores and its runtime, and a page encoded in a device
/// task holds a runtime thread the server's handlers need. The burst runs both
/// ways: the first is the figure compared with earlier runs, the second what
/// the server alone does with 200 devices at once.
#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    OnTheServersCores,
    Beforehand,
}

async fn burst(backend: Backend, args: &Args) -> Result<()> {
    let (devices, per_device) = (args.burst_devices, args.burst_per_device);
    let total = devices * per_device;
    println!(
        "\nburst: {devices} devices with {per_device} queued ratings each ({total}), all at once, pages of {PAGE}"
    );
    for encoding in [Encoding::OnTheServersCores, Encoding::Beforehand] {
        burst_once(backend, args, encoding).await?;
    }
    Ok(())
}

async fn burst_once(backend: Backend, args: &Args, encoding: Encoding) -> Result<()> {
    let (devices, per_device) = (args.burst_devices, args.burst_per_device);
    let server = start_server(backend, args).await?;
    let fleet = enrol(&server.store, devices).await?;
    let pages: Vec<Vec<Rating>> =
        fleet.iter().map(|c| (1..=per_device as u64).map(|s| rating(c.device_id, s, start_time())).collect()).collect();
    let total = devices * per_device;
    let encoded: Vec<Option<Vec<Vec<u8>>>> = pages
        .iter()
        .map(|records| {
            (encoding == Encoding::Beforehand)
                .then(|| records.chunks(PAGE).map(|c| serde_json::to_vec(&Upload::Rating(c.to_vec()))).collect())
                .transpose()
        })
        .collect::<Result<_, _>>()?;
    let http = Http::new(&server.url)?;
    // Strangers with made-up enrolment codes, at the same moment.
    let mut strangers = Vec::new();
    for i in 0..devices {
        let api = Api::new(http.clone());
        strangers.push(tokio::spawn(async move {
            let t = Instant::now();
            let request = EnrollRequest {
                code: format!("ZZZZ-ZZZZ-ZZZZ-{i:04}"),
                device_id: Uuid::now_v7(),
                name: "stranger".into(),
                role: None,
            };
            let refused = api.enroll(&request).await.is_err();
            (refused, t.elapsed())
        }));
    }
    let t = Instant::now();
    let mut tasks = Vec::new();
    for ((c, records), bodies) in fleet.into_iter().zip(pages.iter().cloned()).zip(encoded) {
        let api = Api::new(http.clone());
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let state = api.state(&c, &Default::default()).await?;
            let first = t.elapsed();
            let from = state.through(tiyan_core::protocol::RecordKind::Rating) as usize;
            match bodies {
                Some(bodies) => {
                    ensure!(from == 0, "a fresh server holds nothing of the device");
                    for body in bodies {
                        api.upload_json(&c, body).await?;
                    }
                }
                None => {
                    for chunk in records[from..].chunks(PAGE) {
                        api.upload(&c, &Upload::Rating(chunk.to_vec())).await?;
                    }
                }
            }
            Ok::<_, anyhow::Error>(first)
        }));
    }
    let mut firsts = Vec::new();
    for task in tasks {
        firsts.push(task.await??);
    }
    let took = t.elapsed();
    let mut made_up = Vec::new();
    for s in strangers {
        let (refused, d) = s.await?;
        ensure!(refused, "a made-up code enrolled a device");
        made_up.push(d);
    }
    let held = server.store.ratings(&RatingFilter::default()).await?.len();
    let _ = server.stop.send(());
    let rows: Vec<Rating> = pages.into_iter().flatten().collect();
    let ceiling = ceiling(backend, args, &rows).await?;
    let f = summarize(firsts);
    let m = summarize(made_up);
    println!(
        "  {}",
        match encoding {
            Encoding::OnTheServersCores => "the devices encode their pages on the server's cores, in its runtime:",
            Encoding::Beforehand => "the devices' pages encoded beforehand (each device is its own machine):",
        }
    );
    println!("    a device's first request (state)  p50 {}  p99 {}  (target: p99 below 200 ms)", ms(f.p50), ms(f.p99));
    println!("    a made-up enrolment code, refused  p50 {}  p99 {}", ms(m.p50), ms(m.p99));
    println!(
        "    everything drained in {:.2} s; the store's ceiling for {total} records {:.2} s: {:.2}x (target: within 2x)",
        took.as_secs_f64(),
        ceiling.as_secs_f64(),
        took.as_secs_f64() / ceiling.as_secs_f64()
    );
    println!("    the server holds {held} of {total}: {} lost", total - held.min(total));
    ensure!(held == total, "records were lost");
    Ok(())
}
