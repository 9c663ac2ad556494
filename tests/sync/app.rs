//! The run command's story on the real app: a kiosk started with a server and
//! an enrolment code enrols by itself, takes a rating, and the rating is on the
//! server within seconds; the admin screen says so. The server here runs on
//! PostgreSQL, as a province's would (the kill tests use the embedded SQLite).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use tiyan_server::testing::Backend;
use tiyan_system_tests::sync_rig::TestServer;
use tiyan_system_tests::{ADMIN_PIN, App, db};
use uuid::Uuid;

const LONG: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rating_on_the_kiosk_arrives_on_the_server_within_seconds() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(Backend::Postgres).await?;
    let code = server.code("jianghai-w02").await?;
    let data = dir.path().join("kiosk");
    let url = server.url();
    let start = tiyan_system_tests::clock_start_arg();
    let app = App::launch(&data, &["--server", &url, "--enrolment-code", &code, "--clock-start", &start]).await?;

    app.rate_once_after_enrolment(4, 5, LONG).await?;
    let rated = Instant::now();

    let device: Uuid = db(&data)?
        .query_row("SELECT value FROM meta WHERE key = 'device_id'", [], |r| r.get::<_, String>(0))?
        .parse()?;
    while server.ratings_of(device).await?.is_empty() {
        ensure!(rated.elapsed() < Duration::from_secs(10), "the rating did not reach the server within 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let held = server.ratings_of(device).await?;
    ensure!(held.len() == 1 && held[0].attitude.value() == 4 && held[0].window_id == "jianghai-w02");
    println!("rating on the server {} ms after the thank-you screen", rated.elapsed().as_millis());

    // The admin screen: connected, nothing waiting, a last successful sync.
    app.wait_screen("welcome", LONG).await?;
    app.click("admin-open").await?;
    app.keypad("admin-pin", ADMIN_PIN).await?;
    app.wait_screen("admin", LONG).await?;
    app.wait_text("sync-server", &url, LONG).await?;
    app.wait_text("sync-waiting", "0", LONG).await?;
    ensure!(!app.text("sync-last-success").await?.trim().is_empty());
    app.client.execute("document.querySelector(\"[data-testid='sync-panel']\").scrollIntoView()", vec![]).await?;
    app.screenshot("14-admin-sync").await?;
    app.quit().await?;
    server.stop().await;
    Ok(())
}

/// Settings from the centre on the real app: the hall office asked its kiosks
/// to sleep outside opening hours, with a lunch break, Chinese only and an idle
/// time of its own. A kiosk enrolled at 12:30 on a Monday sets up, then shows
/// the dimmed closed screen with the hours and no language button; its admin
/// screen shows the idle time as the centre's, not to be changed there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_asleep_at_lunch_shows_the_centres_hours_and_settings() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(Backend::Sqlite).await?;
    let mut settings = server.store.figure_settings("jianghai").await?;
    settings.kiosk = tiyan_system_tests::sync_rig::lunch_policy();
    server.store.set_figure_settings("jianghai", &settings).await?;
    let code = server.code("jianghai-w02").await?;
    let data = dir.path().join("kiosk");
    let url = server.url();
    let args = ["--server", &url, "--enrolment-code", &code, "--clock-start", "2026-11-23T12:30:00+08:00"];
    let app = App::launch(&data, &args).await?;
    app.wait_screen("setup", LONG).await?;
    // The settings' save was the data's second edition.
    app.wait_text("setup-import-summary", "2", LONG).await?;
    app.keypad("setup-pin", ADMIN_PIN).await?;
    app.keypad("setup-pin", ADMIN_PIN).await?;
    app.wait_screen("asleep", LONG).await?;
    let hours = app.text("asleep-hours").await?;
    ensure!(hours.contains("09:00–17:00") && hours.contains("12:00–13:30"), "{hours}");
    let toggles = app.client.find_all(fantoccini::Locator::Css("[data-testid='lang-toggle']")).await?;
    ensure!(toggles.is_empty(), "one language offered: no language button");
    app.screenshot("15-kiosk-asleep-at-lunch").await?;

    app.click("admin-open").await?;
    app.keypad("admin-pin", ADMIN_PIN).await?;
    app.wait_screen("admin", LONG).await?;
    app.find("admin-idle-centre").await?;
    let idle = app.find("admin-idle").await?;
    ensure!(idle.prop("value").await?.as_deref() == Some("45"), "the centre's idle time");
    ensure!(idle.attr("disabled").await?.is_some(), "not to be changed on the kiosk");
    ensure!(app.text("admin-hours").await?.contains("12:00–13:30"));
    app.screenshot("16-kiosk-admin-settings-from-the-centre").await?;
    app.quit().await?;
    server.stop().await;
    Ok(())
}
