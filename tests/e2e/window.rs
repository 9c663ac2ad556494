//! The window drives the kiosk: the real app under Xvfb with its window link
//! on, and the real `tiyan-window` playing the hall's queue and case system
//! over HTTP. It signs 李明华 in, asks for a case to be rated (the rating
//! screen with the card within a second), the citizen rates and the rating
//! reaches the server with its case; the same case again is refused; pause
//! shows the paused screen and refuses a rating; resume; a scanner binds a case
//! on the welcome screen and is ignored on the rating screen; sign-out. Then
//! strangers: no token, a wrong one, another source address, the link turned
//! off, a 1 MB body, malformed JSON, a request while the admin screen is open —
//! each refused, each changing nothing. Screenshots: target/screenshots/window-*.png.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::Value;
use tiyan_client::Kiosk;
use tiyan_client::sync::Engine;
use tiyan_client::sync::transport::Http;
use tiyan_server::testing::Backend;
use tiyan_system_tests::sync_rig::TestServer;
use tiyan_system_tests::{ADMIN_PIN, App, clock_start_arg, db, device_clock, free_port, hall_now, workspace};
use tiyan_window::Case;
use uuid::Uuid;

const LONG: Duration = Duration::from_secs(15);

/// `target/debug/tiyan-window` (scripts/test.sh builds it), or `$TIYAN_WINDOW_BIN`.
fn window_binary() -> Result<PathBuf> {
    let bin = std::env::var_os("TIYAN_WINDOW_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/debug/tiyan-window"));
    ensure!(bin.exists(), "{} is missing: cargo build -p tiyan-window (scripts/test.sh does)", bin.display());
    Ok(bin)
}

/// What `tiyan-window` said and how it ended.
struct Said {
    code: i32,
    out: String,
    err: String,
}

impl Said {
    fn json(&self) -> Result<Value> {
        serde_json::from_str(&self.out).with_context(|| format!("tiyan-window printed {:?} / {:?}", self.out, self.err))
    }
}

/// Runs the real `tiyan-window` against the kiosk's link.
fn window(kiosk: &str, token: &str, args: &[&str]) -> Result<Said> {
    let out = Command::new(window_binary()?).args(["--kiosk", kiosk, "--token", token]).args(args).output()?;
    Ok(Said {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// The cases the kiosk recorded as served.
fn cases_on_kiosk(data: &Path) -> Result<i64> {
    Ok(db(data)?.query_row("SELECT count(*) FROM cases", [], |r| r.get(0))?)
}

/// A scanner: the keys of `code` and Enter, as fast as WebDriver sends them.
async fn scan(app: &App, code: &str) -> Result<()> {
    let mut keys = KeyActions::new("scanner".into());
    for c in code.chars().chain([char::from(Key::Enter)]) {
        keys = keys.then(KeyAction::Down { value: c }).then(KeyAction::Up { value: c });
    }
    app.client.perform_actions(keys).await.context("typing like a scanner")?;
    app.client.release_actions().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_system_drives_the_kiosk_and_strangers_change_nothing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(Backend::Sqlite).await?;
    let url = server.url();
    // A kiosk enrolled at window 02, nobody signed in: the administrator sets
    // the PIN in setup, then the window's system signs the staff member in.
    let data = dir.path().join("kiosk");
    {
        let kiosk = Kiosk::open_with_clock(&data, device_clock())?;
        Engine::new(kiosk.shared_store(), Http::new(&url)?)
            .enroll(&url, &server.code("jianghai-w02").await?, "kiosk")
            .await?;
    }
    let port = free_port();
    let link = format!("127.0.0.1:{port}");
    let kiosk_url = format!("http://{link}");
    let token_file = dir.path().join("window-token");
    let start = clock_start_arg();
    let app = App::launch(
        &data,
        &[
            "--window-link",
            &link,
            "--window-link-token-file",
            &token_file.display().to_string(),
            "--clock-start",
            &start,
        ],
    )
    .await?;
    let told = story(&app, &server, &data, &kiosk_url, &token_file).await;
    if told.is_err() {
        let _ = app.screenshot("window-failed").await;
    }
    app.quit().await?;
    server.stop().await;
    told
}

async fn story(app: &App, server: &TestServer, data: &Path, kiosk: &str, token_file: &Path) -> Result<()> {
    let token = std::fs::read_to_string(token_file)?.trim().to_string();
    ensure!(token.len() == 64, "the app made the token file");
    // Setup: the window waits for it, and is taken the moment it ends (the PIN
    // set in setup must not leave the administrator's unlock behind).
    app.wait_screen("setup", LONG).await?;
    let said = window(kiosk, &token, &["status"])?;
    ensure!(said.code == 0, "status during setup: {}", said.err);
    let said = window(kiosk, &token, &["sign-in", "100102"])?;
    ensure!(said.code == 1 && said.err.contains("link_busy"), "sign-in during setup: {} {}", said.code, said.err);
    app.keypad("setup-pin", ADMIN_PIN).await?;
    app.keypad("setup-pin", ADMIN_PIN).await?;
    app.wait_screen("closed", LONG).await?;
    app.screenshot("window-01-closed").await?;

    // Sign-in by employee number: the card shows as after a PIN sign-in.
    let said = window(kiosk, &token, &["sign-in", "100102"])?;
    ensure!(said.code == 0, "sign-in: {}", said.err);
    ensure!(said.json()?["staff"]["employee_no"] == "100102", "{}", said.out);
    app.wait_screen("welcome", LONG).await?;
    app.wait_text("staff-card", "李明华", LONG).await?;
    app.screenshot("window-02-signed-in").await?;

    // A case to rate: the rating screen with the card, within a second.
    let asked = Instant::now();
    let said = window(kiosk, &token, &["rate", "b20261123-0001", "--ticket", "A012", "--matter", "营业执照变更"])?;
    ensure!(said.code == 0, "rate: {}", said.err);
    app.wait_screen("rate", Duration::from_secs(1)).await.context("the rating screen within a second")?;
    let shown = asked.elapsed();
    ensure!(shown < Duration::from_secs(1), "the rating screen took {shown:?}");
    println!("rating request → rating screen: {} ms (tiyan-window's start included)", shown.as_millis());
    app.wait_text("staff-card", "李明华", LONG).await?;
    app.wait_text("rate-case-no", "B20261123-0001", LONG).await?;
    app.screenshot("window-03-rate-requested").await?;
    ensure!(cases_on_kiosk(data)? == 1);

    // The citizen rates; the rating reaches the server with its case, and the case as served.
    app.click("level-attitude-5").await?;
    app.click("level-competence-4").await?;
    app.click("rate-submit").await?;
    app.wait_screen("thanks", LONG).await?;
    let device: Uuid = db(data)?
        .query_row("SELECT value FROM meta WHERE key = 'device_id'", [], |r| r.get::<_, String>(0))?
        .parse()?;
    let deadline = Instant::now() + LONG;
    let rating = loop {
        if let Some(r) = server.ratings_of(device).await?.into_iter().next() {
            break r;
        }
        ensure!(Instant::now() < deadline, "the rating did not reach the server");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    ensure!(rating.case_no.as_deref() == Some("B20261123-0001") && rating.staff_id == "staff-100102", "{rating:?}");
    let today = hall_now().date_naive();
    let deadline = Instant::now() + LONG;
    loop {
        let tallies =
            server.store.case_tallies("jianghai", today.pred_opt().unwrap(), today.succ_opt().unwrap()).await?;
        let (served, rated): (u64, u64) =
            tallies.iter().fold((0, 0), |(s, r), t| (s + t.tally.served, r + t.tally.rated));
        if (served, rated) == (1, 1) {
            break;
        }
        ensure!(Instant::now() < deadline, "the served case did not reach the server: {tallies:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The same case again: refused, and the kiosk stays where it is.
    let said = window(kiosk, &token, &["rate", "B20261123-0001"])?;
    ensure!(said.code == 1 && said.err.contains("409") && said.err.contains("case_already_rated"), "{}", said.err);
    tokio::time::sleep(Duration::from_millis(300)).await;
    ensure!(app.screen().await? != "rate", "a rated case does not bring the rating screen back");
    app.wait_screen("welcome", LONG).await?;

    // Pause: the paused screen, and no rating is asked for.
    let said = window(kiosk, &token, &["pause"])?;
    ensure!(said.code == 0 && said.json()?["paused"] == true, "{}", said.err);
    app.wait_screen("paused", LONG).await?;
    app.screenshot("window-04-paused").await?;
    let said = window(kiosk, &token, &["rate", "B20261123-0002"])?;
    ensure!(said.code == 1 && said.err.contains("window_paused"), "{}", said.err);
    ensure!(app.screen().await? == "paused" && cases_on_kiosk(data)? == 1);
    let said = window(kiosk, &token, &["resume"])?;
    ensure!(said.code == 0 && said.json()?["paused"] == false);
    app.wait_screen("welcome", LONG).await?;

    // The status: who, not paused, the last case and that it was rated — never how.
    let said = window(kiosk, &token, &["status"])?;
    let status = said.json()?;
    ensure!(status["staff"]["name"] == "李明华" && status["paused"] == false, "{status}");
    ensure!(status["last_case"] == serde_json::json!({"case_no": "B20261123-0001", "rated": true}), "{status}");
    ensure!(!said.out.contains("attitude") && !said.out.contains("competence"), "{}", said.out);

    // A scanner on the welcome screen binds the next rating; on the rating screen it does nothing.
    scan(app, "SCAN-20261123-7").await?;
    app.wait_text("welcome-case-no", "SCAN-20261123-7", LONG).await?;
    app.screenshot("window-05-scanned").await?;
    app.click("welcome-start").await?;
    app.wait_screen("rate", LONG).await?;
    scan(app, "OTHER-0004").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    ensure!(app.screen().await? == "rate");
    app.wait_text("rate-case-no", "SCAN-20261123-7", LONG).await?;
    app.click("rate-cancel").await?;
    app.wait_screen("welcome", LONG).await?;

    let token = strangers(app, data, kiosk, &token).await?;

    // Sign-out: the window is closed.
    let said = window(kiosk, &token, &["sign-out"])?;
    ensure!(said.code == 0 && said.json()?["staff"].is_null(), "{}", said.err);
    app.wait_screen("closed", LONG).await?;
    Ok(())
}

/// Raw requests for what `tiyan-window` would never send.
async fn raw(kiosk: &str, token: Option<&str>, path: &str, body: Vec<u8>) -> Result<(u16, Value)> {
    let mut request = reqwest::Client::new().post(format!("{kiosk}{path}")).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.body(body).send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    Ok((status, serde_json::from_str(&text).with_context(|| format!("not an envelope: {text:.200}"))?))
}

/// What each refusal leaves: the screen, the cases recorded, who is signed in.
async fn unchanged(app: &App, data: &Path, kiosk: &str, token: &str) -> Result<()> {
    ensure!(app.screen().await? == "welcome", "the screen moved");
    ensure!(cases_on_kiosk(data)? == 1, "a case was recorded");
    let said = window(kiosk, token, &["status"])?;
    ensure!(said.json()?["staff"]["employee_no"] == "100102", "{}", said.out);
    Ok(())
}

/// The refusals; answers the token made at the admin screen on the way (the first one no longer works).
async fn strangers(app: &App, data: &Path, kiosk: &str, token: &str) -> Result<String> {
    use tiyan_core::window::paths;
    let rate = |id: Uuid| serde_json::to_vec(&serde_json::json!({"request_id": id, "case_no": "X-1"})).unwrap();

    // No token, a wrong token.
    let (status, v) = raw(kiosk, None, paths::RATE, rate(Uuid::now_v7())).await?;
    ensure!(status == 401 && v["error"]["code"] == "link_unauthorized", "{v}");
    let said = window(kiosk, "0123456789abcdef0123456789abcdef", &["rate", "X-1"])?;
    ensure!(said.code == 1 && said.err.contains("401") && said.err.contains("link_unauthorized"), "{}", said.err);
    unchanged(app, data, kiosk, token).await?;

    // A 1 MB body and malformed JSON: 400, nothing read.
    let (status, v) = raw(kiosk, Some(token), paths::RATE, vec![b' '; 1024 * 1024]).await?;
    ensure!(status == 400 && v["error"]["code"] == "too_large", "{v}");
    let (status, v) = raw(kiosk, Some(token), paths::RATE, b"{\"request_id\": 1, \"case_no\": ".to_vec()).await?;
    ensure!(status == 400 && v["error"]["code"] == "malformed", "{v}");
    unchanged(app, data, kiosk, token).await?;

    // The administrator's screen is open: the window waits (503, a clear code).
    admin(app).await?;
    let said = window(kiosk, token, &["rate", "X-1"])?;
    ensure!(said.code == 1 && said.err.contains("503") && said.err.contains("link_busy"), "{}", said.err);
    ensure!(app.screen().await? == "admin" && cases_on_kiosk(data)? == 1);

    // Another source address: with only the window system's address listed, this PC is a stranger.
    app.wait_text("link-state", kiosk.trim_start_matches("http://"), LONG).await?;
    app.fill("link-allowed", "192.0.2.10").await?;
    app.click("link-save").await?;
    app.wait_text("link-state", kiosk.trim_start_matches("http://"), LONG).await?;
    app.screenshot("window-06-admin-link").await?;
    app.click("admin-back").await?;
    app.wait_screen("welcome", LONG).await?;
    let said = window(kiosk, token, &["rate", "X-1"])?;
    ensure!(said.code == 1 && said.err.contains("403") && said.err.contains("link_source_refused"), "{}", said.err);
    ensure!(app.screen().await? == "welcome" && cases_on_kiosk(data)? == 1);

    // Turned off: nobody listens. Then on again, for this PC, with a new token shown once.
    admin(app).await?;
    app.fill("link-allowed", "127.0.0.1").await?;
    app.find("link-enabled").await?.click().await?;
    app.click("link-save").await?;
    app.wait_text("link-state", "关闭", LONG).await?;
    let said = window(kiosk, token, &["status"])?;
    ensure!(said.code == 2 && said.err.contains("cannot reach"), "{}", said.err);
    app.find("link-enabled").await?.click().await?;
    app.click("link-save").await?;
    app.wait_text("link-state", kiosk.trim_start_matches("http://"), LONG).await?;
    app.click("link-new-token").await?;
    let shown = app.text("link-token").await?;
    let new_token: String = shown.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    ensure!(new_token.len() == 64 && new_token != token, "{shown}");
    app.click("admin-back").await?;
    app.wait_screen("welcome", LONG).await?;
    let said = window(kiosk, token, &["status"])?;
    ensure!(said.code == 1 && said.err.contains("link_unauthorized"), "the old token stopped working: {}", said.err);
    unchanged(app, data, kiosk, &new_token).await?;

    // The token made at the admin screen drives the kiosk from here on.
    let link = tiyan_window::Link::new(kiosk, &new_token)?;
    let id = Uuid::now_v7();
    let case = Case { case_no: "B20261123-0005".into(), ..Case::default() };
    let first = link.rate(id, &case).await?;
    app.wait_screen("rate", LONG).await?;
    // The same request again (a retry after a lost answer): the same answer, nothing new.
    let again = link.rate(id, &case).await?;
    ensure!(first.ok() && again.ok() && first.body["ok"] == again.body["ok"], "{:?} / {:?}", first, again);
    ensure!(cases_on_kiosk(data)? == 2, "one case for one request, however often sent");
    // Another request under a used id is refused.
    let reused = link.rate(id, &Case { case_no: "B20261123-0006".into(), ..Case::default() }).await?;
    ensure!(reused.status == 409 && reused.code() == Some("request_reused"), "{reused:?}");
    app.click("rate-cancel").await?;
    app.wait_screen("welcome", LONG).await?;
    Ok(new_token)
}

/// Opens the admin screen at the link panel.
async fn admin(app: &App) -> Result<()> {
    app.click("admin-open").await?;
    app.keypad("admin-pin", ADMIN_PIN).await?;
    app.wait_screen("admin", LONG).await?;
    app.find("link-state").await.context("the link panel on the admin screen")?;
    Ok(())
}
