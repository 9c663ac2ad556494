//! Sync throughput over loopback, with the real HTTP server and client:
//! one device draining a long queue, compared in the same run with the server
//! store's own ceiling (the same rows inserted straight into its SQLite file in
//! batches of the same size); then a fleet of devices uploading at once.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use chrono::{DateTime, FixedOffset, Utc};
use tiyan_client::Kiosk;
use tiyan_client::sync::Engine;
use tiyan_client::sync::api::{Api, Credentials};
use tiyan_client::sync::engine::PAGE;
use tiyan_client::sync::transport::Http;
use tiyan_core::Level;
use tiyan_core::protocol::{DeviceRole, EnrollRequest, Upload};
use tiyan_core::rating::Rating;
use tiyan_server::reference_files::load_json;
use tiyan_server::store::{NewCode, SqliteStore, Storage};
use uuid::Uuid;

use crate::stats::{ms, summarize};

fn demo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/reference.json")
}

fn rating(device: Uuid, seq: u64, start: DateTime<FixedOffset>) -> Rating {
    let a = Level::try_from((seq % 5 + 1) as u8).unwrap_or(Level::Satisfied);
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

fn code(store: &SqliteStore, window: Option<&str>) -> Result<String> {
    let code = tiyan_server::codes::new_code();
    let new = NewCode {
        code: &code,
        role: DeviceRole::Kiosk,
        hall_id: "jianghai",
        window_id: window,
        expires_at: Utc::now() + chrono::Duration::hours(1),
    };
    store.create_code(&new, Utc::now())?;
    Ok(code)
}

struct Server {
    store: Arc<SqliteStore>,
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
}

async fn start_server(db: &Path) -> Result<Server> {
    let store = Arc::new(SqliteStore::open(db)?);
    let demo = load_json(&demo())?;
    store.import_reference(&demo.data, &demo.photos)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = tiyan_server::AppState::new(store.clone());
    tokio::spawn(async move {
        let _ = tiyan_server::serve(listener, state, async {
            let _ = stopped.await;
        })
        .await;
    });
    Ok(Server { store, url, stop })
}

/// Queues `n` ratings in the device's database in one transaction (setting up
/// the queue is not what is measured).
fn queue(kiosk_dir: &Path, device: Uuid, n: usize) -> Result<()> {
    let mut conn = rusqlite::Connection::open(kiosk_dir.join("tiyan.db"))?;
    tiyan_client::db::configure(&conn)?;
    let start = DateTime::parse_from_rfc3339("2026-11-23T09:00:00.000+08:00")?;
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare(
            "INSERT INTO ratings (seq, id, session_id, device_id, device_time, hall_id, window_id, staff_id, case_no,
                                  attitude, competence, reasons, comment, phone, misuse)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, NULL, 0)",
        )?;
        for seq in 1..=n as u64 {
            let r = rating(device, seq, start);
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

/// The ceiling: the device's rows, inserted straight into a fresh server file
/// in batches of one page, one transaction each, the same columns.
fn ceiling(db: &Path, rows: &[Rating]) -> Result<Duration> {
    drop(SqliteStore::open(db)?);
    let mut conn = rusqlite::Connection::open(db)?;
    tiyan_infra::sqlite::configure(&conn)?;
    let device = rows.first().map(|r| r.device_id).context("no rows")?;
    conn.execute("INSERT INTO halls (id, name_zh, name_en) VALUES ('jianghai', '江海区政务服务中心', '')", [])?;
    conn.execute(
        "INSERT INTO devices (id, name, role, hall_id, secret_hash, enrolled_at) VALUES (?1, 'bench', 'kiosk', 'jianghai', 'x', '2026-11-23T00:00:00Z')",
        [device.to_string()],
    )?;
    let received = Utc::now().to_rfc3339();
    let t = Instant::now();
    for batch in rows.chunks(PAGE) {
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO ratings (id, device_id, seq, device_time, received_at, hall_id, window_id, staff_id,
                                      case_no, attitude, competence, reasons, comment, phone, misuse)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?;
            for r in batch {
                stmt.execute(rusqlite::params![
                    r.id.to_string(),
                    r.device_id.to_string(),
                    r.seq,
                    r.device_time.to_rfc3339(),
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
        }
        tx.commit()?;
    }
    Ok(t.elapsed())
}

pub fn run(ratings: usize, devices: usize, per_device: usize, base: &Path) -> Result<()> {
    std::fs::create_dir_all(base)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        drain(ratings, base).await?;
        fleet(devices, per_device, base).await
    })
}

/// Rounds of drain and ceiling, interleaved so that a noisy disk or neighbour
/// weighs on both alike; the medians are compared.
const ROUNDS: usize = 3;

async fn drain(ratings: usize, base: &Path) -> Result<()> {
    println!("sync drain: {ratings} queued ratings, one device, loopback HTTP, pages of {PAGE}, {ROUNDS} rounds");
    let (mut drains, mut ceilings) = (Vec::new(), Vec::new());
    let mut rows = Vec::new();
    for _ in 0..ROUNDS {
        let dir = tempfile::tempdir_in(base)?;
        let (took, drained) = drain_once(ratings, dir.path()).await?;
        drains.push(took);
        ceilings.push(ceiling(&dir.path().join("ceiling.db"), &drained)?);
        rows = drained;
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let rate = |d: Duration| ratings as f64 / d.as_secs_f64();
    let (drain_rate, ceiling_rate) = (rate(median(drains.clone())), rate(median(ceilings.clone())));
    let all = |v: &[Duration]| v.iter().map(|d| format!("{:.0}", rate(*d))).collect::<Vec<_>>().join(", ");
    println!(
        "  drain, device to server (HTTP, JSON, ingest, acks)  {drain_rate:>9.0} records/s  (rounds: {})",
        all(&drains)
    );
    println!(
        "  server store ceiling (straight batch inserts)        {ceiling_rate:>9.0} records/s  (rounds: {})",
        all(&ceilings)
    );
    println!("  drain / ceiling = {:.2} (target: at least 0.5)", drain_rate / ceiling_rate);
    breakdown(&rows)
}

/// One device with `ratings` queued, drained into a fresh server: the time and the rows.
async fn drain_once(ratings: usize, dir: &Path) -> Result<(Duration, Vec<Rating>)> {
    let server = start_server(&dir.join("server.db")).await?;
    let kiosk_dir = dir.join("kiosk");
    let kiosk = Kiosk::open(&kiosk_dir)?;
    let code = code(&server.store, Some("jianghai-w02"))?;
    Engine::new(kiosk.shared_store(), Http::new(&server.url)?).enroll(&server.url, &code, "bench").await?;
    let device = kiosk.store().device_id();
    queue(&kiosk_dir, device, ratings)?;
    ensure!(kiosk.store().waiting()? == ratings as u64);

    let engine = Engine::new(kiosk.shared_store(), Http::new(&server.url)?);
    let t = Instant::now();
    let report = engine.run_once().await?;
    let took = t.elapsed();
    ensure!(report.stored == ratings as u64, "stored {} of {ratings}", report.stored);
    ensure!(kiosk.store().waiting()? == 0);
    ensure!(server.store.ratings(&Default::default())?.len() == ratings, "the server does not hold every rating");
    let _ = server.stop.send(());
    Ok((took, kiosk.store().ratings_after(0, ratings)?))
}

/// Where a page's time goes besides the insert: the CPU work on its JSON.
fn breakdown(rows: &[Rating]) -> Result<()> {
    let pages: Vec<Vec<u8>> =
        rows.chunks(PAGE).map(|p| serde_json::to_vec(&Upload::Rating(p.to_vec()))).collect::<Result<_, _>>()?;
    let t = Instant::now();
    for page in &pages {
        std::hint::black_box(serde_json::from_slice::<Upload>(page)?);
    }
    let parse = t.elapsed() / pages.len() as u32;
    println!("  per page of {PAGE}: JSON parse on the server {}", ms(parse));
    Ok(())
}

async fn fleet(devices: usize, per_device: usize, base: &Path) -> Result<()> {
    let dir = tempfile::tempdir_in(base)?;
    let server = start_server(&dir.path().join("server.db")).await?;
    // Enrol the fleet first (each enrolment hashes a secret with Argon2id).
    let mut fleet = Vec::with_capacity(devices);
    for i in 0..devices {
        let api = Api::new(Http::new(&server.url)?);
        let code = code(&server.store, None)?;
        let device = Uuid::now_v7();
        let e = api.enroll(&EnrollRequest { code, device_id: device, name: format!("kiosk {i}"), role: None }).await?;
        fleet.push((api, Credentials { device_id: device, secret: e.secret }));
    }
    let page = 100;
    println!(
        "\nfleet: {devices} devices uploading at once, {per_device} ratings each in pages of {page}, loopback HTTP"
    );
    // A device's first request after a server start verifies its secret with
    // Argon2id (deliberately slow); later ones hit the server's verified cache.
    // All devices at once is the worst case: a server restart in a busy hour.
    let fleet = Arc::new(fleet);
    let mut firsts = Vec::new();
    for i in 0..devices {
        let fleet = fleet.clone();
        firsts.push(tokio::spawn(async move {
            let (api, c) = &fleet[i];
            let t = Instant::now();
            api.state(c).await.map(|_| t.elapsed())
        }));
    }
    let mut first = Vec::new();
    for task in firsts {
        first.push(task.await??);
    }
    let s = summarize(first);
    println!("  first request of each device, all at once (Argon2id verify)  p50 {}  p99 {}", ms(s.p50), ms(s.p99));
    let fleet = Arc::into_inner(fleet).context("fleet still shared")?;
    let start = DateTime::parse_from_rfc3339("2026-11-23T09:00:00.000+08:00")?;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for (api, c) in fleet {
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let records: Vec<Rating> = (1..=per_device as u64).map(|s| rating(c.device_id, s, start)).collect();
            for chunk in records.chunks(page) {
                let upload = Upload::Rating(chunk.to_vec());
                let t = Instant::now();
                // A refused or failed request is retried, as the worker would.
                loop {
                    match api.upload(&c, &upload).await {
                        Ok(_) => break,
                        Err(e) if !e.needs_a_person() => tokio::time::sleep(Duration::from_millis(50)).await,
                        Err(e) => return Err(anyhow::anyhow!(e)),
                    }
                }
                latencies.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let took = t.elapsed();
    let total = devices * per_device;
    let held = server.store.ratings(&Default::default())?.len();
    let s = summarize(latencies);
    println!("  upload request latency  p50 {}  p99 {}  max {}", ms(s.p50), ms(s.p99), ms(s.max));
    println!(
        "  {:.0} records/s over {:.2} s; the server holds {held} of {total}: {} lost",
        total as f64 / took.as_secs_f64(),
        took.as_secs_f64(),
        total - held
    );
    ensure!(held == total, "records were lost");
    let _ = server.stop.send(());
    Ok(())
}
