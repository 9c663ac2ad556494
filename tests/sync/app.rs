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
