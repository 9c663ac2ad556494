//! The monthly assessment in Debian's Chromium against the real `tiyan-server`
//! process, as a new user would try it: a kiosk rates a few services and
//! syncs; the dashboard shows the window's live alert and the supervisor
//! acknowledges it; the month's page shows the ratings; the workbook
//! downloaded from the page opens with the same numbers; the devices page
//! shows the kiosk with its version and nothing waiting; the trend, the
//! printable report and the officers' list; restarted ten days on, the month
//! is closed from the page and appears on the public page, without names.
//! Screenshots: target/screenshots/figures-*.png.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use anyhow::{Result, anyhow, ensure};
use base64::Engine as _;
use calamine::{Data, Reader, Xlsx};
use tiyan_client::Kiosk;
use tiyan_client::sync::Engine;
use tiyan_client::sync::transport::Http;
use tiyan_core::assessment::Month;
use tiyan_core::rating::RatingInput;
use tiyan_system_tests::chromium::Chromium;
use tiyan_system_tests::sync_rig::{kiosk_enrolled_with, server_cli, server_db_with_supervisor, start_server_process};
use tiyan_system_tests::{Guard, clock_start_arg, free_port, hall_now};
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

/// A citizen's rating on the kiosk (a bad one with a reason), for the case
/// the window entered (a second rating within seconds without one is misuse).
fn rate(kiosk: &Kiosk, case_no: &str, attitude: u8, competence: u8) -> Result<()> {
    kiosk.set_case_no(case_no)?;
    let bad = attitude <= 2 || competence <= 2;
    kiosk.submit_rating(&RatingInput {
        session_id: Uuid::now_v7(),
        attitude,
        competence,
        reasons: if bad { vec!["long_wait".into()] } else { vec![] },
        comment: None,
        phone: None,
        phone_consent: false,
    })?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_months_figures_from_a_kiosk_to_the_public_page() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("tiyan-server.db");
    server_db_with_supervisor(&db, PASSWORD)?;
    let code = server_cli(&db)?
        .args(["enroll", "--role", "kiosk", "--hall", "jianghai", "--window", "jianghai-w02"])
        .output()?;
    ensure!(code.status.success(), "enroll");
    let code = String::from_utf8(code.stdout)?.trim().to_string();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut server = start_server_process(&db, port, &clock_start_arg()).await?;
    let b = Chromium::launch(&url).await?;
    let told = story(&b, dir.path(), &db, &url, &code, port, &mut server).await;
    if told.is_err() {
        b.save_failure("figures-failed").await;
    }
    b.close().await?;
    drop(server);
    told
}

/// The page's workbook link fetched by the browser itself (with its session), as bytes.
async fn download(b: &Chromium, css: &str) -> Result<Vec<u8>> {
    let href = b.find(css).await?.attr("href").await?.ok_or_else(|| anyhow!("{css} has no href"))?;
    let script = "const [href, done] = arguments;
        fetch(href).then(r => r.arrayBuffer()).then(buf => {
          let s = ''; for (const byte of new Uint8Array(buf)) s += String.fromCharCode(byte);
          done(btoa(s));
        }).catch(e => done('error: ' + e));";
    let answer = b.client.execute_async(script, vec![serde_json::Value::String(href)]).await?;
    let text = answer.as_str().ok_or_else(|| anyhow!("no answer"))?;
    ensure!(!text.starts_with("error"), "{text}");
    Ok(base64::engine::general_purpose::STANDARD.decode(text)?)
}

async fn story(
    b: &Chromium,
    dir: &Path,
    db: &Path,
    url: &str,
    code: &str,
    port: u16,
    server: &mut Guard,
) -> Result<()> {
    // A few citizens rate 李明华 at window 02: two content, then two bad in a row.
    let kiosk = kiosk_enrolled_with(&dir.join("kiosk"), url, code).await?;
    for (i, (a, c)) in [(5, 5), (4, 5), (1, 2), (2, 2)].into_iter().enumerate() {
        rate(&kiosk, &format!("B2026-{i}"), a, c)?;
    }
    Engine::new(kiosk.shared_store(), Http::new(url)?).run_once().await?;
    // Figures go by the device's own date: the month of the kiosk's clock.
    let month = Month::of(hall_now().date_naive());

    // The dashboard shows the live alert at once; the supervisor acknowledges it.
    b.sign_in("sup", PASSWORD).await?;
    ensure!(b.text("#alerts").await?.contains("4 条评价中 2 条差评"), "{}", b.text("#alerts").await?);
    b.screenshot("figures-01-dashboard-alert").await?;
    b.fill("#alerts input[name=note]", "已安排值班长到窗口协助").await?;
    b.click("#alerts button[type=submit]").await?;
    ensure!(b.text(".flash").await?.contains("预警已确认"));
    ensure!(!b.has("#alerts").await?, "an acknowledged alert leaves the dashboard");

    // The month's page (the kiosk's own month): four ratings, two bad, 李明华 with too few to rank.
    b.goto(&format!("/admin/figures?month={month}")).await?;
    let hall = b.text("#hall-figures tbody tr").await?;
    ensure!(hall.contains("50.0%"), "the bad-review rate: {hall}");
    let staff = b.text("#staff-figures tbody tr").await?;
    ensure!(staff.contains("李明华") && staff.contains("评价数不足"), "{staff}");
    ensure!(b.text("#method").await?.contains("第 1 版"));
    b.screenshot("figures-02-month").await?;

    // The workbook from the page: the same numbers, as numbers.
    let bytes = download(b, "#workbook").await?;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))?;
    let sheet = book.worksheet_range("工作人员")?;
    let header: Vec<String> = sheet.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = sheet.rows().nth(1).unwrap();
    ensure!(row[col("姓名")] == Data::String("李明华".into()));
    ensure!(row[col("有效评价数")] == Data::Float(4.0), "{row:?}");
    ensure!(row[col("差评数")] == Data::Float(2.0), "{row:?}");

    // The trend and the printable report.
    b.click("#hall-figures tbody a").await?;
    ensure!(b.has("svg.chart").await?);
    b.screenshot("figures-03-trend").await?;
    b.goto(&format!("/admin/figures?month={month}")).await?;
    b.click("#print-report").await?;
    ensure!(b.has("body.a4").await?);
    b.screenshot("figures-04-print").await?;

    // The fleet: the kiosk, its version, nothing waiting.
    b.goto("/admin/devices").await?;
    let kiosk_row = b.text("#devices tbody tr").await?;
    ensure!(kiosk_row.contains(env!("CARGO_PKG_VERSION")), "{kiosk_row}");
    ensure!(b.text("#devices tbody tr td.waiting").await? == "0");
    b.screenshot("figures-05-fleet").await?;

    // The officers' year, and the public page before anything is published.
    b.goto("/admin/officers").await?;
    b.screenshot("figures-06-officers").await?;
    b.goto("/public").await?;
    ensure!(b.has("#public-none").await?);

    // Days on, the month is over: closed from the page, then public.
    let next_month = month.next().first_day().and_hms_opt(9, 0, 0).unwrap();
    *server = Guard(Command::new("true").spawn()?);
    *server = start_server_process(db, port, &format!("{}+08:00", next_month.format("%FT%T"))).await?;
    b.sign_in("sup", PASSWORD).await?;
    b.goto(&format!("/admin/figures?hall=jianghai&month={month}")).await?;
    b.client.execute("window.confirm = () => true", vec![]).await?;
    b.click("#close-month").await?;
    ensure!(b.text(".flash").await?.contains("已结账"), "{}", b.text(".flash").await?);
    ensure!(b.text("#month-status").await?.contains("冻结"));
    b.screenshot("figures-07-closed").await?;
    b.goto(&format!("/public/jianghai/{month}")).await?;
    let public = b.text("main").await?;
    ensure!(public.contains("50.0%") && !public.contains("李明华"), "{public}");
    b.screenshot("figures-08-public").await?;
    b.goto(&format!("/public/jianghai/{month}?lang=en")).await?;
    b.screenshot("figures-09-public-english").await?;
    Ok(())
}
