//! The rating command, call to committed row, three ways in one run:
//! through Tauri's IPC (the app's own command on the mock runtime), the client
//! call the command wraps, and a bare rusqlite insert with the same pragmas and
//! table: the floor the other two are compared with. The three take turns, one
//! rating each, so disk hiccups fall on all of them alike.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::json;
use tauri::WebviewWindow;
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tiyan_client::Kiosk;
use tiyan_core::rating::RatingInput;
use uuid::Uuid;

use crate::stats::{Summary, summarize};

fn demo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/reference.json")
}

/// A kiosk data folder as the administrator leaves it: demo hall, window 01, staff on duty.
fn prepare(dir: &Path) -> Result<()> {
    let k = Kiosk::open(dir)?;
    k.import_reference(&demo())?;
    k.set_admin_pin("260418")?;
    k.bind_window("jianghai-w01")?;
    k.staff_sign_in("100101", "2580")?;
    Ok(())
}

fn input(i: usize) -> RatingInput {
    let a = (i % 5 + 1) as u8;
    RatingInput {
        session_id: Uuid::now_v7(),
        attitude: a,
        competence: 5,
        reasons: if a <= 2 { vec!["long_wait".into()] } else { vec![] },
        comment: None,
        phone: None,
        phone_consent: false,
    }
}

/// The app's `submit_rating` command through Tauri's IPC and ACL.
struct Ipc {
    _app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
}

impl Ipc {
    fn open(dir: &Path) -> Result<Ipc> {
        let app = tiyan_app::build(mock_builder(), dir, tiyan_app::Start::default())
            .map_err(anyhow::Error::msg)?
            .build(tiyan_app::context())?;
        let window = tauri::WebviewWindowBuilder::new(&app, "kiosk", Default::default()).build()?;
        Ok(Ipc { _app: app, window })
    }

    fn submit(&self, input: &RatingInput) -> Result<Duration> {
        let request = tauri::webview::InvokeRequest {
            cmd: "submit_rating".into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse()?,
            body: tauri::ipc::InvokeBody::Json(json!({ "input": input })),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        let t = Instant::now();
        get_ipc_response(&self.window, request).map_err(|e| anyhow::anyhow!("submit_rating: {e}"))?;
        Ok(t.elapsed())
    }
}

/// One INSERT per transaction on the same table, opened with the same pragmas,
/// values bound to a prepared statement: what any rating store must at least do.
struct Bare {
    conn: rusqlite::Connection,
    device: String,
}

impl Bare {
    fn open(dir: &Path) -> Result<Bare> {
        let path = dir.join("bare.db");
        drop(tiyan_client::Store::open(&path)?); // the same schema and triggers
        let conn = rusqlite::Connection::open(&path)?;
        tiyan_client::db::configure(&conn)?;
        Ok(Bare { conn, device: Uuid::now_v7().to_string() })
    }

    fn insert(&self, seq: usize, input: &RatingInput) -> Result<Duration> {
        let t = Instant::now();
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO ratings (seq, id, session_id, device_id, device_time, hall_id, window_id, staff_id, case_no,
                                  attitude, competence, reasons, comment, phone, misuse)
             VALUES (?1, ?2, ?3, ?4, ?5, 'jianghai', 'jianghai-w01', 'staff-100101', NULL, ?6, ?7, ?8, NULL, NULL, 0)",
        )?;
        stmt.execute(rusqlite::params![
            seq as i64,
            Uuid::now_v7().to_string(),
            input.session_id.to_string(),
            self.device,
            "2026-11-23T09:00:00.000+08:00",
            input.attitude,
            input.competence,
            serde_json::to_string(&input.reasons)?,
        ])?;
        Ok(t.elapsed())
    }
}

pub fn run(count: usize, base: &Path) -> Result<()> {
    std::fs::create_dir_all(base).with_context(|| format!("creating {}", base.display()))?;
    let dirs = [tempfile::tempdir_in(base)?, tempfile::tempdir_in(base)?, tempfile::tempdir_in(base)?];
    println!("rating command, call to committed row: {count} ratings each (WAL, synchronous=FULL, fsync per commit)");
    println!("database folder: {}", std::fs::canonicalize(base)?.display());

    let bare = Bare::open(dirs[0].path())?;
    prepare(dirs[1].path())?;
    let client = Kiosk::open(dirs[1].path())?;
    prepare(dirs[2].path())?;
    let ipc = Ipc::open(dirs[2].path())?;

    let (mut b, mut c, mut i) = (Vec::with_capacity(count), Vec::with_capacity(count), Vec::with_capacity(count));
    for n in 0..count + 200 {
        let warm = n < 200; // the first commits grow the files; leave them out
        let tb = bare.insert(n + 1, &input(n))?;
        let r = input(n);
        let t = Instant::now();
        client.submit_rating(&r)?;
        let tc = t.elapsed();
        let ti = ipc.submit(&input(n))?;
        if !warm {
            b.push(tb);
            c.push(tc);
            i.push(ti);
        }
    }
    let (bare, client, ipc) = (summarize(b), summarize(c), summarize(i));
    println!("{}", bare.line("bare rusqlite INSERT (reference)"));
    println!("{}", client.line("Kiosk::submit_rating (the command's body)"));
    println!("{}", ipc.line("submit_rating command via Tauri IPC"));
    let ratio = |s: &Summary| s.p99.as_secs_f64() / bare.p99.as_secs_f64();
    println!(
        "p99 / bare p99: command via IPC {:.2}x, its body {:.2}x (target: below 1.5x)",
        ratio(&ipc),
        ratio(&client)
    );
    Ok(())
}
