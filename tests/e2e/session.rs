//! The kiosk session (`packaging/kiosk/tiyan-kiosk-session`, what
//! tiyan-kiosk.service runs at boot) with the real app under Xvfb: the app comes
//! back after a kill, a second start hands over to the running app, the log is
//! on the admin screen and saved to a "USB stick", and the administrator's exit
//! with the PIN ends the session for good. Screenshot: target/screenshots/session-*.png.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use tiyan_system_tests::{
    ADMIN_PIN, App, Guard, alive, app_binary, app_pid, display, prepared_kiosk, wait_gone, workspace,
};

const LONG: Duration = Duration::from_secs(30);

fn session_script() -> PathBuf {
    workspace().join("packaging/kiosk/tiyan-kiosk-session")
}

/// Everything the app has logged into its data folder so far.
fn log_text(data_dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(data_dir.join("logs")).into_iter().flatten().flatten() {
        text.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
    }
    text
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while !done() {
        if Instant::now() > deadline {
            bail!("timed out waiting until {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Processes whose command line mentions `needle` (the data folder).
fn processes_with(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) && alive(entry.file_name().to_str().and_then(|p| p.parse().ok()).unwrap_or(0)) {
            found.push(cmdline);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_brings_the_app_back_until_the_administrator_leaves() -> Result<()> {
    let data = tempfile::tempdir()?;
    prepared_kiosk(data.path(), "jianghai-w02", "100102")?;
    let data_dir = data.path().display().to_string();
    let app_bin = app_binary()?.display().to_string();
    let env = [
        ("DISPLAY", display()),
        ("TIYAN_APP", app_bin.as_str()),
        ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
        ("RUST_LOG", "info"),
    ];

    // 1. The session as the machine runs it at boot (not under WebDriver, so
    //    nothing but the script itself starts the app again).
    let session = Command::new("sh")
        .arg(session_script())
        .args(["--data-dir", &data_dir])
        .envs(env)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .process_group(0)
        .spawn()
        .context("starting the kiosk session")?;
    let mut session = Guard(session);
    let ready = || log_text(data.path()).matches("device ready").count();
    wait_until("the app is up", LONG, || ready() == 1 && app_pid(data.path()).is_ok_and(alive))?;
    let first = app_pid(data.path())?;

    // Killed (a crash, the OOM killer): the session starts it again.
    Command::new("kill").args(["-9", &first.to_string()]).status()?;
    // The new app has taken the folder's lock (its pid is in the lock file):
    // it is still starting, which is when a double tap on the icon hurts.
    wait_until("the app is starting again", LONG, || app_pid(data.path()).is_ok_and(|p| p != first && alive(p)))?;
    let second = app_pid(data.path())?;

    // A second start at that moment hands over to the starting app and ends:
    // the hand-over holds from the moment the lock is taken.
    let mut again = Command::new(&app_bin)
        .args(["--data-dir", &data_dir])
        .envs(env)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + LONG;
    let status = loop {
        if let Some(status) = again.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = again.kill();
            bail!("the second start did not end");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    ensure!(status.success(), "the second start ended with {status}");
    wait_until("the app is back", LONG, || ready() == 2)?;
    ensure!(alive(second) && app_pid(data.path())? == second, "the running app must stay");
    wait_until("the running app was brought to the front", LONG, || {
        log_text(data.path()).contains("brought it to the front")
    })?;
    ensure!(session.0.try_wait()?.is_none(), "the session goes on");
    drop(session);
    wait_gone(second)?;

    // 2. The same session under WebDriver: the administrator reads the log,
    //    saves it to a stick, and leaves with the PIN; nothing starts again.
    let app = App::launch_via(&session_script(), &env[1..], data.path(), &[]).await?;
    let result = administrator_leaves(&app).await;
    if result.is_err() {
        let _ = app.screenshot("session-failed").await;
    }
    result?;
    let last = app_pid(data.path())?;
    wait_gone(last)?;
    tokio::time::sleep(Duration::from_secs(4)).await;
    ensure!(app_pid(data.path())? == last, "the app was started again after the administrator's exit");
    let left: Vec<_> = processes_with(&data_dir).into_iter().filter(|c| !c.contains("tauri-driver")).collect();
    ensure!(left.is_empty(), "the session should have ended: {left:?}");
    let _ = tokio::time::timeout(Duration::from_secs(5), app.client.close()).await;
    Ok(())
}

async fn administrator_leaves(app: &App) -> Result<()> {
    app.wait_screen("welcome", LONG).await?;
    app.click("admin-open").await?;
    app.wait_screen("adminPin", LONG).await?;
    app.keypad("admin-pin", ADMIN_PIN).await?;
    app.wait_screen("admin", LONG).await?;
    app.click("admin-log-show").await?;
    app.wait_text("admin-log", "device ready", LONG).await?;
    let stick = tempfile::tempdir()?;
    app.fill("admin-log-dir", &stick.path().display().to_string()).await?;
    app.click("admin-log-save").await?;
    app.wait_text("admin-log-saved", &stick.path().display().to_string(), LONG).await?;
    let copied: Vec<_> = std::fs::read_dir(stick.path())?
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()))
        .flatten()
        .flatten()
        .collect();
    ensure!(!copied.is_empty(), "no log file on the stick");
    let on_stick = std::fs::read_to_string(copied[0].path())?;
    ensure!(on_stick.contains("device ready"), "{on_stick}");
    app.screenshot("session-01-admin-log").await?;
    app.click("admin-exit").await?;
    // The app ends while the click is answered: the driver may report that as
    // an error. What counts is checked next: the process is gone for good.
    let _ = app.click("admin-exit-confirm").await;
    Ok(())
}
