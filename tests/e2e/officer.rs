//! The officer laptop on the real app: sign in (a wrong password first), write
//! an entry with timers, a problem, a suggestion and a rotated camera photo,
//! leave it as a draft, kill -9, reopen it intact, submit, sync, see it on the
//! server once with the photo's hash matching and no metadata, see the
//! problem's ledger state on the laptop, and the publishable page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use fantoccini::Locator;
use tiyan_client::Store;
use tiyan_client::photo::samples;
use tiyan_client::sync::Engine;
use tiyan_client::sync::transport::Http;
use tiyan_server::testing::Backend;
use tiyan_system_tests::sync_rig::TestServer;
use tiyan_system_tests::{App, clock_start_arg, device_clock};

const LONG: Duration = Duration::from_secs(15);
const OFFICER: &str = "gz-2026-07";
const PASSWORD: &str = "tiyan-2026";

async fn sign_in(app: &App) -> Result<()> {
    app.wait_screen("signin", LONG).await?;
    app.fill("officer-id", OFFICER).await?;
    app.fill("officer-password", PASSWORD).await?;
    app.click("officer-sign-in").await?;
    app.wait_screen("list", LONG).await
}

async fn select(app: &App, testid: &str, value: &str) -> Result<()> {
    app.find(testid).await?.select_by_value(value).await?;
    Ok(())
}

async fn value(app: &App, testid: &str) -> Result<String> {
    Ok(app.find(testid).await?.prop("value").await?.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_writes_an_entry_survives_a_kill_submits_and_sees_it_registered() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(Backend::Sqlite).await?;
    let data = dir.path().join("laptop");
    {
        // The administrator enrolled this laptop with an officer code.
        let store = std::sync::Arc::new(Store::open_with_clock(&data.join("tiyan.db"), device_clock())?);
        Engine::new(store, Http::new(&server.url())?)
            .enroll(&server.url(), &server.officer_code().await?, "laptop")
            .await?;
    }
    let photo = dir.path().join("IMG_0412.jpg");
    std::fs::write(&photo, samples::with_exif_rotation_and_gps(&samples::two_colour_jpeg(1600, 1200)))?;

    let app = App::launch(&data, &["--clock-start", &clock_start_arg()]).await?;
    app.wait_screen("signin", LONG).await?;
    app.fill("officer-id", OFFICER).await?;
    app.fill("officer-password", "wrong-one").await?;
    app.click("officer-sign-in").await?;
    app.wait_text("officer-error", "密码错误", LONG).await?;
    app.screenshot("20-officer-sign-in").await?;
    sign_in(&app).await?;
    ensure!(app.text("officer-card").await?.contains("梁*能"), "the name is masked");

    app.click("diary-new").await?;
    app.wait_screen("editor", LONG).await?;
    ensure!(app.text("editor-officer-card").await?.starts_with("梁*能"), "the officer card, masked");
    select(&app, "editor-hall", "jianghai").await?;
    select(&app, "editor-matter", "m-geti").await?;
    select(&app, "editor-channel", "window").await?;
    select(&app, "editor-mode", "unannounced").await?;
    for timer in ["timer-ticket", "timer-called", "timer-done"] {
        app.click(timer).await?;
    }
    app.fill("minutes-waiting", "30").await?;
    app.fill("minutes-handling", "10").await?;
    app.fill("minutes-total", "45").await?;
    app.fill("editor-trips", "1").await?;
    app.click("score-8").await?;
    app.fill("editor-account", "九点到大厅取号，等了半小时叫号，窗口十分钟办完。").await?;
    app.fill("editor-highlights", "工作人员主动指导填表").await?;
    app.click("problem-add").await?;
    app.fill("problem-text-0", "叫号屏字太小太暗").await?;
    app.click("suggestion-add").await?;
    app.fill("suggestion-text-0", "当场发照或发临时执照").await?;
    app.click("check-window_signs-poor").await?;
    app.find("photo-input").await?.send_keys(&photo.display().to_string()).await?;
    app.find("photo-0").await?;
    app.wait_text("editor-saved", ":", LONG).await?;
    // The draft on disk has what was typed, the photo upright and stripped.
    let deadline = Instant::now() + LONG;
    loop {
        let body: String =
            tiyan_system_tests::db(&data)?.query_row("SELECT body FROM diary_drafts", [], |r| r.get(0))?;
        if body.contains("当场发照") && body.contains("sha256") {
            break;
        }
        ensure!(Instant::now() < deadline, "the draft was not saved: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.screenshot("21-officer-editor").await?;

    // The lid closes hard.
    app.kill9()?;
    drop(app);
    let app = App::launch(&data, &["--clock-start", &clock_start_arg()]).await?;
    sign_in(&app).await?;
    app.click("diary-row").await?;
    app.wait_screen("editor", LONG).await?;
    ensure!(value(&app, "problem-text-0").await? == "叫号屏字太小太暗");
    ensure!(value(&app, "editor-account").await?.starts_with("九点到大厅取号"));
    ensure!(value(&app, "minutes-total").await? == "45");
    app.find("photo-0").await?;

    app.click("editor-submit").await?;
    app.find("editor-page").await?;
    let submitted = Instant::now();
    let held = loop {
        let held = server.store.diary_revisions().await?;
        if !held.is_empty() {
            break held;
        }
        ensure!(submitted.elapsed() < LONG, "the entry did not reach the server");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    ensure!(held.len() == 1 && held[0].revision.body.problems.len() == 1);
    let sha = &held[0].revision.body.photos[0].sha256;
    let bytes = server.store.diary_photo(sha).await?.expect("the photo is on the server");
    ensure!(&tiyan_client::sha256_hex(&bytes) == sha, "the photo's hash matches");
    ensure!(!bytes.windows(4).any(|w| w == b"Exif"), "no metadata on the server");
    ensure!(image::load_from_memory(&bytes)?.height() == 1600, "upright: the 1600×1200 photo stands 1200×1600");

    // The ledger's word comes back with the next sync.
    app.click("editor-back").await?;
    app.wait_screen("list", LONG).await?;
    app.wait_text("diary-row-ledger", "已登记", Duration::from_secs(30)).await?;
    app.wait_text("diary-row-synced", "已上传", LONG).await?;
    app.screenshot("22-officer-list").await?;
    app.click("diary-row").await?;
    app.wait_text("problem-ledger", "已登记", LONG).await?;

    app.click("editor-page").await?;
    app.wait_screen("page", LONG).await?;
    let page = app.wait_text("page-content", "梁*能", LONG).await?;
    ensure!(page.contains("叫号屏字太小太暗") && !page.contains("梁小能"));
    ensure!(
        app.client.find(Locator::Css("[data-testid='page-content'] img")).await.is_ok(),
        "the photo is on the page"
    );
    app.screenshot("23-officer-page").await?;
    app.quit().await?;
    server.stop().await;
    Ok(())
}
