//! The window link's reaction time: a rating request from the window's
//! system until the rating screen is on the kiosk, against the same screen
//! brought up by a tap on "start rating", in the real app under Xvfb, the two
//! interleaved in one run.
//!
//! Both start outside the app and cross into it: the request as HTTP from
//! the window's side (`tiyan_window::Link`, a kept-alive connection, as a
//! queue system holds one), the tap as a WebDriver click (through tauri-driver
//! and WebKit's automation, which synthesises the pointer events). Both end
//! at the animation frame that first has the rating screen in the page,
//! stamped by the page on the system clock (`performance.timeOrigin + now()`)
//! and compared with this process's clock before the request or the click.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail, ensure};
use tiyan_system_tests::{App, free_port, prepared_kiosk};
use tiyan_window::{Case, Link};
use uuid::Uuid;

use crate::stats::{ms, summarize};

/// Installed once: stamps the first frame with the rating screen after each reset.
const WATCH: &str = "
    window.__rateShownAt = null;
    const main = document.querySelector('main');
    new MutationObserver(() => {
      if (main.dataset.screen === 'rate' && window.__rateShownAt === null) {
        window.__rateShownAt = 0;
        requestAnimationFrame(() => { window.__rateShownAt = performance.timeOrigin + performance.now(); });
      }
    }).observe(main, { attributes: true, attributeFilter: ['data-screen'] });";

const RESET: &str = "window.__rateShownAt = null;";
const SHOWN: &str = "return window.__rateShownAt;";
const CANCEL: &str = "document.querySelector(\"[data-testid='rate-cancel']\").click();";

fn epoch_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64() * 1000.0).unwrap_or_default()
}

pub fn run(requests: usize, app_bin: &Path) -> Result<()> {
    if !app_bin.exists() {
        bail!("{} is missing (scripts/bench.sh builds it)", app_bin.display());
    }
    let app_bin = app_bin.to_path_buf();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(measure(requests, &app_bin))
}

async fn measure(requests: usize, app_bin: &Path) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("kiosk");
    prepared_kiosk(&data, "jianghai-w02", "100102")?;
    let port = free_port();
    let link_at = format!("127.0.0.1:{port}");
    let token_file = dir.path().join("token");
    let token_arg = token_file.display().to_string();
    let app =
        App::launch_via(app_bin, &[], &data, &["--window-link", &link_at, "--window-link-token-file", &token_arg])
            .await?;
    let result = rounds(&app, &link_at, &token_file, requests).await;
    app.quit().await?;
    result
}

async fn wait_welcome(app: &App) -> Result<()> {
    app.wait_screen("welcome", Duration::from_secs(10)).await
}

/// Polls the page's stamp (a few ms apart; the stamp itself is the page's).
async fn shown_at(app: &App) -> Result<f64> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let v = app.client.execute(SHOWN, vec![]).await?;
        if let Some(at) = v.as_f64().filter(|at| *at > 0.0) {
            return Ok(at);
        }
        ensure!(std::time::Instant::now() < deadline, "the rating screen never showed");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn rounds(app: &App, link_at: &str, token_file: &Path, requests: usize) -> Result<()> {
    let token = std::fs::read_to_string(token_file).context("the link's token")?.trim().to_string();
    let link = Link::new(&format!("http://{link_at}"), &token)?;
    wait_welcome(app).await?;
    app.client.execute(WATCH, vec![]).await?;
    // A warm-up of each, not counted.
    let mut by_link = Vec::with_capacity(requests);
    let mut by_tap = Vec::with_capacity(requests);
    for i in 0..requests + 5 {
        // The window asks.
        app.client.execute(RESET, vec![]).await?;
        let t0 = epoch_ms();
        let answer = link.rate(Uuid::now_v7(), &Case { case_no: format!("BENCH-{i:04}"), ..Case::default() }).await?;
        ensure!(answer.ok(), "the kiosk refused: {:?}", answer.body);
        let link_ms = shown_at(app).await? - t0;
        app.client.execute(CANCEL, vec![]).await?;
        wait_welcome(app).await?;

        // The staff member taps (the button found first: a finger needs no finding).
        let start = app.find("welcome-start").await?;
        app.client.execute(RESET, vec![]).await?;
        let t0 = epoch_ms();
        start.click().await?;
        let tap_ms = shown_at(app).await? - t0;
        app.client.execute(CANCEL, vec![]).await?;
        wait_welcome(app).await?;
        ensure!(link_ms > 0.0 && tap_ms > 0.0, "a stamp before its start: {link_ms} / {tap_ms} ms");
        if i >= 5 {
            by_link.push(Duration::from_secs_f64(link_ms / 1000.0));
            by_tap.push(Duration::from_secs_f64(tap_ms / 1000.0));
        }
    }
    let link_s = summarize(by_link);
    let tap_s = summarize(by_tap);
    println!("window link: {requests} rating requests and {requests} taps, interleaved, release app on Xvfb");
    println!("{}", link_s.line("rating request → rating screen"));
    println!("{}", tap_s.line("tap on 开始评价 → rating screen (reference)"));
    let ratio = link_s.p99.as_secs_f64() / tap_s.p99.as_secs_f64();
    println!(
        "p99: request {} against tap {}: {ratio:.2}× the tap (target ≤ 1.2×) {}; under 150 ms: {}",
        ms(link_s.p99),
        ms(tap_s.p99),
        if ratio <= 1.2 { "MET" } else { "NOT MET" },
        if link_s.p99 < Duration::from_millis(150) { "MET" } else { "NOT MET" },
    );
    Ok(())
}
