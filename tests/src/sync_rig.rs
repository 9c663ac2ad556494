//! A real server on a loopback port over either backend, and a real device
//! store, for sync stories.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Result, ensure};
use chrono::Duration;
use tiyan_client::Kiosk;
use tiyan_client::sync::Engine;
use tiyan_client::sync::transport::Http;
use tiyan_core::protocol::DeviceRole;
use tiyan_core::rating::{Rating, RatingInput};
use tiyan_server::testing::{Backend, TestDb};
use tiyan_services::reference_files::{Loaded, load_json};
use tiyan_services::{Services, Who, devices, reference};
use tiyan_storage::{RatingFilter, Storage};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::{ADMIN_PIN, STAFF_PIN, demo_reference};

/// `tiyan_server::serve` on 127.0.0.1:0 in this process, over a fresh database
/// of the backend asked for, with the demo hall imported.
pub struct TestServer {
    pub store: Arc<dyn Storage>,
    pub addr: SocketAddr,
    pub db: TestDb,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    pub async fn start(backend: Backend) -> Result<TestServer> {
        TestServer::start_with(backend, tiyan_server::Settings::default()).await
    }

    pub async fn start_with(backend: Backend, settings: tiyan_server::Settings) -> Result<TestServer> {
        let db = TestDb::new(backend).await;
        let store = db.open().await;
        import(&store, load_json(&demo_reference())?).await?;
        let (addr, stop, task) = serve_with(store.clone(), settings).await?;
        Ok(TestServer { store, addr, db, stop: Some(stop), task })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn code(&self, window: &str) -> Result<String> {
        Ok(issue(&self.store, DeviceRole::Kiosk, Some(window)).await?)
    }

    /// An enrolment code for an officer laptop of the demo hall.
    pub async fn officer_code(&self) -> Result<String> {
        Ok(issue(&self.store, DeviceRole::Officer, None).await?)
    }

    /// The device's ratings as the server holds them, in sequence order.
    pub async fn ratings_of(&self, device: Uuid) -> Result<Vec<Rating>> {
        ratings_of(self.store.as_ref(), device).await
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Serves `store` on a free loopback port until the sender is used.
pub async fn serve(store: Arc<dyn Storage>) -> Result<(SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<()>)> {
    serve_with(store, tiyan_server::Settings::default()).await
}

/// As [`serve`], with `settings` (its clock replaced by the tests' clock).
pub async fn serve_with(
    store: Arc<dyn Storage>,
    settings: tiyan_server::Settings,
) -> Result<(SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let settings = tiyan_server::Settings { clock: crate::clock().clone(), ..settings };
    let state = tiyan_server::AppState::with_settings(store, settings);
    let task = tokio::spawn(async move {
        let _ = tiyan_server::serve(listener, state, async {
            let _ = stopped.await;
        })
        .await;
    });
    Ok((addr, stop, task))
}

/// The services over `store` on the tests' clock, as the console uses them.
pub fn console(store: &Arc<dyn Storage>) -> Services {
    Services::new(store.clone(), crate::clock().clone())
}

/// Reference data imported as the console imports it.
pub async fn import(store: &Arc<dyn Storage>, loaded: Loaded) -> tiyan_services::Result<i64> {
    let cx = console(store);
    reference::import(&cx, &Who::console(cx.now()), loaded).await
}

pub async fn issue(store: &Arc<dyn Storage>, role: DeviceRole, window: Option<&str>) -> tiyan_services::Result<String> {
    let cx = console(store);
    devices::issue_code(&cx, &Who::console(cx.now()), role, "jianghai", window, Duration::hours(1)).await
}

pub async fn ratings_of(store: &dyn Storage, device: Uuid) -> Result<Vec<Rating>> {
    Ok(store
        .ratings(&RatingFilter::default())
        .await?
        .into_iter()
        .map(|r| r.rating)
        .filter(|r| r.device_id == device)
        .collect())
}

/// A kiosk enrolled with the server at `url` (directly or through a proxy),
/// with the admin PIN set and staff 100102 on duty at window 02.
pub async fn enrolled_kiosk(dir: &std::path::Path, server: &TestServer, url: &str) -> Result<Kiosk> {
    let code = server.code("jianghai-w02").await?;
    kiosk_enrolled_with(dir, url, &code).await
}

/// A kiosk enrolled at `url` with `code`, set up and staffed.
pub async fn kiosk_enrolled_with(dir: &std::path::Path, url: &str, code: &str) -> Result<Kiosk> {
    let kiosk = Kiosk::open_with_clock(dir, crate::device_clock())?;
    Engine::new(kiosk.shared_store(), Http::new(url)?).enroll(url, code, "test kiosk").await?;
    kiosk.set_admin_pin(ADMIN_PIN)?;
    kiosk.staff_sign_in("100102", STAFF_PIN)?;
    Ok(kiosk)
}

/// Commits `n` ratings through the kiosk, as citizens would.
pub fn rate(kiosk: &Kiosk, n: usize) -> Result<()> {
    for i in 0..n {
        kiosk.submit_rating(&citizen(i, false))?;
    }
    Ok(())
}

/// Commits `n` ratings of cases `JH-<from>`… through the kiosk, each case
/// asked for by the window's system first (ratings of cases are never misuse),
/// every other one naming its matter ([`CASE_MATTER`]); every tenth citizen
/// leaves a phone number for a call-back.
pub fn rate_cases(kiosk: &Kiosk, from: usize, n: usize) -> Result<()> {
    kiosk.admin_lock();
    for i in from..from + n {
        let request = tiyan_core::window::RateRequest {
            request_id: Uuid::now_v7(),
            case_no: format!("JH-2026-{i:06}"),
            ticket_no: None,
            matter: i.is_multiple_of(2).then(|| CASE_MATTER.to_string()),
        };
        kiosk.link_rate(&request)?;
        kiosk.submit_rating(&citizen(i, true))?;
    }
    Ok(())
}

/// The matter the window's system names for [`rate_cases`]' even cases (a demo matter).
pub const CASE_MATTER: &str = "个体工商户设立登记";

/// The `i`-th citizen's rating: every level, a bad review with its reason, a
/// comment now and then, and with `phones` a call-back number on every tenth.
pub fn citizen(i: usize, phones: bool) -> RatingInput {
    let a = (i % 5 + 1) as u8;
    let phone = phones && i.is_multiple_of(10);
    RatingInput {
        session_id: Uuid::now_v7(),
        attitude: a,
        competence: 5 - (i % 3) as u8,
        reasons: if a <= 2 { vec!["long_wait".into()] } else { vec![] },
        comment: i.is_multiple_of(7).then(|| format!("第 {i} 位群众的意见")),
        phone: phone.then(|| format!("1391234{i:04}")),
        phone_consent: phone,
    }
}

/// The server holds exactly the device's records: each once, none lost, same content.
pub async fn assert_same(store: &dyn Storage, kiosk: &Kiosk) -> Result<usize> {
    let device = kiosk.store().device_id();
    let local = kiosk.store().ratings_after(0, usize::MAX >> 1)?;
    let held = ratings_of(store, device).await?;
    ensure!(held.len() == local.len(), "the server holds {} ratings, the device has {}", held.len(), local.len());
    for (a, b) in local.iter().zip(&held) {
        ensure!(a == b, "rating {} differs:\n device {a:?}\n server {b:?}", a.seq);
    }
    ensure!(kiosk.store().waiting()? == 0, "the device still counts {} waiting", kiosk.store().waiting()?);
    Ok(held.len())
}

/// Path of a workspace binary built by `cargo build` (the server, for kill tests).
pub fn server_binary() -> Result<PathBuf> {
    let bin = std::env::var_os("TIYAN_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace().join("target/debug/tiyan-server"));
    ensure!(bin.exists(), "{} is missing: cargo build -p tiyan-server first (scripts/test.sh does)", bin.display());
    Ok(bin)
}

/// The built `tiyan-server` on the database `db` (a SQLite file or a
/// PostgreSQL URL), quiet but for warnings.
pub fn server_cli(db: impl AsRef<std::ffi::OsStr>) -> Result<std::process::Command> {
    let mut c = std::process::Command::new(server_binary()?);
    c.arg("--db").arg(db).env("RUST_LOG", "warn").stdin(std::process::Stdio::null());
    Ok(c)
}

/// A one-time kiosk code for window 02, issued by the console on `db`.
pub fn kiosk_code(db: &str) -> Result<String> {
    let out = server_cli(db)?.args(["enroll", "--hall", "jianghai", "--window", "jianghai-w02"]).output()?;
    ensure!(out.status.success(), "enroll failed: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8(out.stdout)?.trim().to_string())
}

/// Drains one kiosk the way its worker would: a round, and after a failure
/// (a server process or the database down for a while) another one `pause`
/// later, until nothing waits; the rounds that failed.
pub async fn drain_retrying(
    store: Arc<tiyan_client::Store>,
    url: String,
    within: std::time::Duration,
    pause: std::time::Duration,
) -> Result<usize> {
    let engine = Engine::new(store.clone(), Http::new(&url)?).with_page(25);
    let mut failures = 0;
    let deadline = std::time::Instant::now() + within;
    while store.waiting()? > 0 {
        ensure!(std::time::Instant::now() < deadline, "not drained within {within:?}");
        if engine.run_once().await.is_err() {
            failures += 1;
            tokio::time::sleep(pause).await;
        }
    }
    Ok(failures)
}

/// A server database as an operator sets one up: the demo hall imported, and
/// the supervisor 周督导 (login `sup`) made with `password` through `user add`.
pub fn server_db_with_supervisor(db: &std::path::Path, password: &str) -> Result<()> {
    use std::io::Write;
    ensure!(server_cli(db)?.arg("import").arg(demo_reference()).status()?.success(), "import");
    let mut add = server_cli(db)?
        .args(["user", "add", "--role", "supervisor", "--name", "周督导", "--login", "sup"])
        .stdin(std::process::Stdio::piped())
        .spawn()?;
    add.stdin
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdin"))?
        .write_all(format!("{password}\n{password}\n").as_bytes())?;
    ensure!(add.wait()?.success(), "user add");
    Ok(())
}

/// `tiyan-server serve` on `db` at 127.0.0.1:`port`, its clock started at
/// `clock_start` (RFC 3339; [`crate::clock_start_arg`] runs it beside the
/// tests' clock); answered once the port accepts connections.
pub async fn start_server_process(db: &std::path::Path, port: u16, clock_start: &str) -> Result<crate::Guard> {
    use anyhow::Context;
    let child = server_cli(db)?
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--clock-start", clock_start])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("starting tiyan-server")?;
    let guard = crate::Guard(child);
    crate::wait_for_port(port).await?;
    Ok(guard)
}

/// An entry at the demo hall with one problem (`text`), written and submitted
/// on the laptop by `officer`: the problem's id and the entry's.
pub fn submit_problem(store: &tiyan_client::Store, officer: &str, text: &str) -> Result<(Uuid, Uuid)> {
    use tiyan_core::diary::{Channel, Mode, Problem, ProblemCategory};
    let mut draft = store.new_draft(officer)?;
    let problem = Uuid::now_v7();
    draft.body.hall_id = Some("jianghai".into());
    draft.body.matter_id = Some("m-geti".into());
    draft.body.channel = Some(Channel::Window);
    draft.body.mode = Some(Mode::Unannounced);
    draft.body.score = Some(7);
    draft.body.trips = Some(1);
    draft.body.account = "取号后在等候区看不清叫号屏。".into();
    draft.body.problems = vec![Problem { id: problem, category: ProblemCategory::WindowSigns, text: text.into() }];
    store.save_draft(officer, draft.entry_id, &draft.body)?;
    store.submit_entry(officer, draft.entry_id)?;
    Ok((problem, draft.entry_id))
}

/// What the centre sets for the demo hall's kiosks in the tests of settings
/// from the centre: a lunch break 12:00–13:30, sleep when closed, an idle time
/// of 45 s, Chinese only; the misuse interval left to the kiosk.
pub fn lunch_policy() -> tiyan_core::settings::KioskPolicy {
    use tiyan_core::settings::{KioskPolicy, Span};
    let hm = |s: &str| chrono::NaiveTime::parse_from_str(s, "%H:%M").expect("a time");
    KioskPolicy {
        lunch: Some(Span { from: hm("12:00"), to: hm("13:30") }),
        sleep_when_closed: true,
        idle_seconds: Some(45),
        interval_seconds: None,
        languages: Some(vec![tiyan_core::Language::ZhCn]),
    }
}
