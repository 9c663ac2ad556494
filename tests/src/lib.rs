//! Helpers for the whole-system tests: a virtual X display, `tauri-driver` on
//! free ports, the real app binary launched in a real WebKit window, and
//! WebDriver steps by `data-testid`.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

/// The workspace root (this crate lives in `tests/`).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

pub fn demo_reference() -> PathBuf {
    workspace().join("demo/reference.json")
}

/// Where screenshots go, for a person to look at: `target/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let dir = workspace().join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// The app under test: `$TIYAN_APP_BIN`, else the debug build in `target/`.
pub fn app_binary() -> Result<PathBuf> {
    let bin = std::env::var_os("TIYAN_APP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/debug/tiyan-app"));
    if !bin.exists() {
        bail!("{} is missing: build the app first (scripts/test.sh does)", bin.display());
    }
    Ok(bin)
}

fn tauri_driver() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return Ok(PathBuf::from(p));
    }
    let local = workspace().join("target/tools/bin/tauri-driver");
    if local.exists() {
        return Ok(local);
    }
    which("tauri-driver")
        .ok_or_else(|| anyhow!("tauri-driver not found: scripts/setup.sh installs it into target/tools"))
}

pub fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(name)).find(|p| p.exists())
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// A child process killed (and reaped) when dropped, together with its process
/// group when it leads one (tauri-driver's WebKitWebDriver must not outlive it).
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-9", "--", &format!("-{}", self.0.id())]).stderr(Stdio::null()).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The X display the app windows open on: `$TIYAN_E2E_DISPLAY` when the caller
/// provides one (scripts/test.sh runs the suite under xvfb-run), else one Xvfb
/// per test binary, 1280x800 like a common kiosk panel.
pub fn display() -> &'static str {
    static DISPLAY: OnceLock<String> = OnceLock::new();
    DISPLAY.get_or_init(|| std::env::var("TIYAN_E2E_DISPLAY").unwrap_or_else(|_| own_xvfb()))
}

/// Statics are never dropped, so the Xvfb we start is watched by a small shell
/// loop that ends it when this test process is gone.
#[allow(clippy::zombie_processes)] // the watcher outlives us on purpose; init reaps it
fn own_xvfb() -> String {
    let n = (100..400)
        .map(|i| i + std::process::id() % 300)
        .find(|n| !Path::new(&format!("/tmp/.X{n}-lock")).exists())
        .expect("a free display number");
    Command::new("sh")
        .args([
            "-c",
            r#"Xvfb "$1" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 & x=$!
               while kill -0 "$2" 2>/dev/null && kill -0 "$x" 2>/dev/null; do sleep 0.5; done
               kill "$x" 2>/dev/null"#,
            "sh",
            &format!(":{n}"),
            &std::process::id().to_string(),
        ])
        .stdin(Stdio::null())
        .spawn()
        .expect("Xvfb (apt install xvfb; scripts/setup.sh does)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
        assert!(Instant::now() < deadline, "Xvfb :{n} did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    format!(":{n}")
}

/// The real app, launched through tauri-driver + WebKitWebDriver, driven by a
/// WebDriver client.
pub struct App {
    pub client: Client,
    pub data_dir: PathBuf,
    _driver: Guard,
}

impl App {
    /// Starts tauri-driver on free ports and opens a session that launches the
    /// app with `--data-dir <data_dir>` and `extra_args`.
    pub async fn launch(data_dir: &Path, extra_args: &[&str]) -> Result<App> {
        App::launch_via(&app_binary()?, &[], data_dir, extra_args).await
    }

    /// Like [`App::launch`], with `program` started in the app's place (a
    /// session script that starts the app, say) and `env` added to its environment.
    pub async fn launch_via(program: &Path, env: &[(&str, &str)], data_dir: &Path, extra_args: &[&str]) -> Result<App> {
        let (port, native_port) = (free_port(), free_port());
        let driver = Command::new(tauri_driver()?)
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .envs(env.iter().copied())
            .env("DISPLAY", display())
            // WebKitGTK renders blank under Xvfb with compositing on.
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .context("starting tauri-driver")?;
        let driver = Guard(driver);
        // tauri-driver forwards to WebKitWebDriver: both must be listening.
        wait_for_port(port).await?;
        wait_for_port(native_port).await?;

        let mut args = vec!["--data-dir".to_string(), data_dir.display().to_string()];
        args.extend(extra_args.iter().map(|s| s.to_string()));
        let mut caps = serde_json::Map::new();
        // tauri-driver refuses a session whose capabilities carry browserName.
        caps.insert("tauri:options".into(), serde_json::json!({ "application": program, "args": args }));
        let client = ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("opening a WebDriver session on the app")?;
        let app = App { client, data_dir: data_dir.to_path_buf(), _driver: driver };
        app.wait_css("main[data-screen]:not([data-screen='loading'])", Duration::from_secs(30)).await?;
        Ok(app)
    }

    /// A kiosk that enrolled at start (which brought the hall's data and bound
    /// window 02): setup asks only for the admin PIN, staff 100102 signs in, and
    /// a citizen rates `attitude`/`competence`; back on the thank-you screen.
    pub async fn rate_once_after_enrolment(&self, attitude: u8, competence: u8, timeout: Duration) -> Result<()> {
        self.wait_screen("setup", timeout).await?;
        self.wait_text("setup-import-summary", "1", timeout).await?;
        self.keypad("setup-pin", ADMIN_PIN).await?;
        self.keypad("setup-pin", ADMIN_PIN).await?;
        self.wait_screen("closed", timeout).await?;
        self.click("closed-staff-sign-in").await?;
        self.keypad("signin-no", "100102").await?;
        self.keypad("signin-pin", STAFF_PIN).await?;
        self.wait_screen("welcome", timeout).await?;
        self.click("welcome-start").await?;
        self.wait_screen("rate", timeout).await?;
        self.click(&format!("level-attitude-{attitude}")).await?;
        self.click(&format!("level-competence-{competence}")).await?;
        self.click("rate-submit").await?;
        self.wait_screen("thanks", timeout).await
    }

    pub async fn wait_css(&self, css: &str, timeout: Duration) -> Result<Element> {
        self.client
            .wait()
            .at_most(timeout)
            .every(Duration::from_millis(100))
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("waiting for {css}"))
    }

    /// Waits for an element by its `data-testid`.
    pub async fn find(&self, testid: &str) -> Result<Element> {
        self.wait_css(&format!("[data-testid='{testid}']"), Duration::from_secs(10)).await
    }

    /// Clicks an element as a person would: scrolled to the middle of its
    /// scrolling panel first (WebKitWebDriver scrolls only the page itself, and
    /// the admin screen scrolls inside a panel, so a button below its fold
    /// would be refused).
    pub async fn click(&self, testid: &str) -> Result<()> {
        let t = Instant::now();
        let element = self.find(testid).await?;
        self.client
            .execute("arguments[0].scrollIntoView({block: 'center'})", vec![serde_json::to_value(&element)?])
            .await
            .with_context(|| format!("scrolling to {testid}"))?;
        element.click().await.with_context(|| format!("clicking {testid}"))?;
        trace(&format!("click {testid} {:?}", t.elapsed()));
        Ok(())
    }

    pub async fn text(&self, testid: &str) -> Result<String> {
        Ok(self.find(testid).await?.text().await?)
    }

    /// Replaces the content of a text field, scrolled to the middle of the
    /// screen first as [`App::click`] does: the admin screen is longer than the
    /// window, and a field under the fixed bottom bar cannot be cleared.
    pub async fn fill(&self, testid: &str, text: &str) -> Result<()> {
        let t = Instant::now();
        let e = self.find(testid).await?;
        self.client
            .execute("arguments[0].scrollIntoView({block: 'center'})", vec![serde_json::to_value(&e)?])
            .await
            .with_context(|| format!("scrolling to {testid}"))?;
        e.clear().await.with_context(|| format!("clearing {testid}"))?;
        e.send_keys(text).await.with_context(|| format!("typing into {testid}"))?;
        trace(&format!("fill {testid} {:?}", t.elapsed()));
        Ok(())
    }

    /// Taps `digits` on the keypad whose test ids start with `prefix`, then its OK key.
    pub async fn keypad(&self, prefix: &str, digits: &str) -> Result<()> {
        self.click(&format!("{prefix}-clear")).await?;
        for d in digits.chars() {
            self.click(&format!("{prefix}-{d}")).await?;
        }
        self.click(&format!("{prefix}-ok")).await
    }

    /// Waits until `main[data-screen]` names `screen`.
    pub async fn wait_screen(&self, screen: &str, timeout: Duration) -> Result<()> {
        self.wait_css(&format!("main[data-screen='{screen}']"), timeout).await.map(|_| ())
    }

    pub async fn screen(&self) -> Result<String> {
        let main = self.client.find(Locator::Css("main[data-screen]")).await?;
        Ok(main.attr("data-screen").await?.unwrap_or_default())
    }

    /// Waits until the text of `testid` contains `needle`.
    pub async fn wait_text(&self, testid: &str, needle: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.text(testid).await.unwrap_or_default();
            if text.contains(needle) {
                return Ok(text);
            }
            if Instant::now() > deadline {
                bail!("{testid} never showed {needle:?} (last: {text:?})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves what the window shows as `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        // Let transitions and fonts settle.
        tokio::time::sleep(Duration::from_millis(300)).await;
        // WebKitWebDriver's snapshot waits for the page's next rendering update,
        // which on a still screen may be many seconds away (the clock's next
        // minute): schedule a few one-pixel changes to give it one at once.
        self.client.execute(REPAINT_SOON, vec![]).await.context("scheduling a repaint")?;
        let png = self.client.screenshot().await.context("screenshot")?;
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// The app's process id, from the lock file it holds in its data folder.
    pub fn pid(&self) -> Result<u32> {
        app_pid(&self.data_dir)
    }

    /// kill -9 of the app: no chance to flush or clean up anything.
    pub fn kill9(&self) -> Result<()> {
        let pid = self.pid()?;
        let status = Command::new("kill").args(["-9", &pid.to_string()]).status()?;
        if !status.success() {
            bail!("kill -9 {pid} failed");
        }
        wait_gone(pid)
    }

    /// Ends the session and makes sure the app is gone (the kiosk refuses to close itself).
    pub async fn quit(self) -> Result<()> {
        let pid = self.pid().ok();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.client.close()).await;
        if let Some(pid) = pid
            && Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            wait_gone(pid)?;
        }
        Ok(())
    }
}

const REPAINT_SOON: &str = "
    let d = document.getElementById('e2e-repaint');
    if (!d) {
        d = document.createElement('div');
        d.id = 'e2e-repaint';
        d.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none';
        document.body.appendChild(d);
    }
    for (const ms of [50, 150, 400, 1000]) {
        setTimeout(() => { d.style.background = d.style.background === 'rgb(1, 2, 3)' ? 'rgb(3, 2, 1)' : 'rgb(1, 2, 3)'; }, ms);
    }";

pub fn app_pid(data_dir: &Path) -> Result<u32> {
    let text = std::fs::read_to_string(data_dir.join("tiyan.lock")).context("reading tiyan.lock")?;
    text.trim().parse().with_context(|| format!("pid in tiyan.lock: {text:?}"))
}

/// Whether the process runs; a zombie (state Z) is gone for our purposes: it holds no files.
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z"))
}

pub fn wait_gone(pid: u32) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) {
        if Instant::now() > deadline {
            bail!("process {pid} did not die");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

pub async fn wait_for_port(port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        if Instant::now() > deadline {
            bail!("the WebDriver server did not listen on {port}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// With `E2E_TRACE=1`, each step is printed with its duration.
fn trace(step: &str) {
    if std::env::var_os("E2E_TRACE").is_some() {
        eprintln!("[e2e] {step}");
    }
}

/// A read-only look at the app's SQLite file while it runs (WAL lets us read).
/// A kiosk's file after kills: sound, sequence numbers 1..=n, no id twice,
/// every rating a citizen was thanked for (`acked`) still there; how many it holds.
pub fn check_kiosk_store(data_dir: &Path, acked: &std::collections::HashSet<String>) -> Result<usize> {
    let conn = db(data_dir)?;
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    ensure!(integrity == "ok", "integrity_check: {integrity}");
    let mut stmt = conn.prepare("SELECT seq, id FROM ratings ORDER BY seq")?;
    let rows: Vec<(i64, String)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    let ids: std::collections::HashSet<&str> = rows.iter().map(|(_, id)| id.as_str()).collect();
    ensure!(ids.len() == rows.len(), "a rating id appears twice");
    for (i, (seq, _)) in rows.iter().enumerate() {
        ensure!(*seq == i as i64 + 1, "sequence numbers are not 1..n: {seq} at position {i}");
    }
    for id in acked {
        ensure!(ids.contains(id.as_str()), "acknowledged rating {id} was lost");
    }
    Ok(rows.len())
}

pub fn db(data_dir: &Path) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open_with_flags(
        data_dir.join("tiyan.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}

/// Prepares a data folder as an administrator would, through the same store the
/// app uses: demo data, admin PIN, window bound, a staff member signed in.
pub fn prepared_kiosk(data_dir: &Path, window: &str, employee_no: &str) -> Result<()> {
    let k = tiyan_client::Kiosk::open_with_clock(data_dir, device_clock())?;
    k.import_reference(&demo_reference())?;
    k.set_admin_pin(ADMIN_PIN)?;
    k.bind_window(window)?;
    k.staff_sign_in(employee_no, STAFF_PIN)?;
    Ok(())
}

/// Where the system tests start the clocks of their servers and devices: a
/// Monday morning in the hall, in a year whose calendar is published and within
/// the demo officers' appointments. What a test asserts about a day, a month, a
/// deadline or an appointment follows from it, never from the wall clock.
pub const START: &str = "2026-11-23T10:00:00+08:00";

/// The one clock of this test process, started at [`START`] when first read
/// and running on: in-process servers read it, server processes and the app
/// are started at its reading ([`clock_start_arg`]), devices run beside it
/// ([`device_clock`]).
pub fn clock() -> &'static tiyan_services::Clock {
    static CLOCK: OnceLock<tiyan_services::Clock> = OnceLock::new();
    CLOCK.get_or_init(|| {
        let start = chrono::DateTime::parse_from_rfc3339(START).expect("START is RFC 3339");
        tiyan_services::Clock::starting_at(start.to_utc())
    })
}

/// The clock's reading now in the hall's time (China Standard Time).
pub fn hall_now() -> chrono::DateTime<chrono::FixedOffset> {
    clock().now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("+08:00"))
}

/// `--clock-start` for a `tiyan-server serve` or a `tiyan-app` started now: the
/// process's clock then runs beside [`clock`].
pub fn clock_start_arg() -> String {
    hall_now().to_rfc3339()
}

/// A device's clock running beside [`clock`], in the hall's time.
pub fn device_clock() -> std::sync::Arc<dyn tiyan_client::clock::Clock> {
    std::sync::Arc::new(tiyan_client::clock::StartedClock::new(hall_now()))
}

pub const ADMIN_PIN: &str = "260418";
pub const STAFF_PIN: &str = "2580";

pub mod chromium;
pub mod patroni;
pub mod province;
pub mod proxy;
pub mod sync_rig;
