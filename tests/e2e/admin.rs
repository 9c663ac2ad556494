//! The hall office in Debian's Chromium, over WebDriver, against the real
//! `tiyan-server` process: a supervisor makes a hall administrator and a
//! clerk; the hall administrator enrols a kiosk and an officer laptop from the
//! devices page; a kiosk's bad review arrives through sync; the clerk
//! verifies, reveals the phone number, sets a five-day rectification, records
//! it, replies and closes on the citizen's satisfaction; an upheld appeal
//! takes a rating out of the counts; an officer's answer arrives from the
//! laptop; restarted with its clock ten days on, the server shows an item
//! past its deadline in red. Screenshots of each page: target/screenshots/admin-*.png.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use anyhow::{Result, ensure};
use tiyan_client::sync::Engine;
use tiyan_client::sync::transport::Http;
use tiyan_client::{Kiosk, Store};
use tiyan_core::ledger::{LedgerState, Satisfaction};
use tiyan_core::rating::RatingInput;
use tiyan_system_tests::chromium::Chromium;
use tiyan_system_tests::sync_rig::{
    kiosk_enrolled_with, server_db_with_supervisor, start_server_process, submit_problem,
};
use tiyan_system_tests::{Guard, clock_start_arg, device_clock, free_port, hall_now};
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";
const PHONE: &str = "13812345678";
const OFFICER: &str = "gz-2026-07";
const OFFICER_PASSWORD: &str = "tiyan-2026";

/// A bad review with a consented call-back number, through the kiosk, synced;
/// for a case the window entered (a second rating within seconds without one
/// would be flagged as misuse, and left out of the counts).
async fn bad_review(kiosk: &Kiosk, url: &str, comment: &str) -> Result<()> {
    kiosk.set_case_no(&format!("A{}", Uuid::now_v7().simple()))?;
    kiosk.submit_rating(&RatingInput {
        session_id: Uuid::now_v7(),
        attitude: 2,
        competence: 3,
        reasons: vec!["long_wait".into()],
        comment: Some(comment.into()),
        phone: Some(PHONE.into()),
        phone_consent: true,
    })?;
    Engine::new(kiosk.shared_store(), Http::new(url)?).run_once().await?;
    Ok(())
}

/// Opens the newest item of the clerk's list whose summary reads `summary`.
async fn open_item(b: &Chromium, summary: &str) -> Result<()> {
    b.goto("/admin/ledger?show=all").await?;
    let rows = b.client.find_all(fantoccini::Locator::Css("table.ledger tbody tr")).await?;
    for row in rows {
        if row.text().await?.contains(summary) {
            let link = row.find(fantoccini::Locator::Css("td a")).await?;
            b.client.execute("window.__leaving = true", vec![]).await?;
            link.click().await?;
            return b.settled().await;
        }
    }
    anyhow::bail!("no item reads {summary:?} in the list")
}

/// Takes a step on the open item with a note.
async fn step(b: &Chromium, key: &str, note: &str) -> Result<()> {
    if !note.is_empty() {
        b.fill("#note", note).await?;
    }
    b.click(&format!("#step-{key}")).await?;
    let flash = b.text(".flash").await.unwrap_or_default();
    ensure!(flash.contains("已办理"), "step {key}: {flash}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_review_is_handled_in_the_browser_from_arrival_to_close() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("tiyan-server.db");
    server_db_with_supervisor(&db, PASSWORD)?;
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut server = start_server_process(&db, port, &clock_start_arg()).await?;
    let b = Chromium::launch(&url).await?;
    let told = story(&b, dir.path(), &db, &url, port, &mut server).await;
    if told.is_err() {
        b.save_failure("admin-failed").await;
    }
    b.close().await?;
    drop(server);
    told
}

async fn story(b: &Chromium, dir: &Path, db: &Path, url: &str, port: u16, server: &mut Guard) -> Result<()> {
    // Signed out, every page is the sign-in page.
    b.goto("/admin/ledger").await?;
    ensure!(b.path().await?.starts_with("/admin/sign-in"), "{}", b.path().await?);
    b.screenshot("admin-01-sign-in").await?;
    b.fill("#sign-in input[name=login]", "sup").await?;
    b.fill("#sign-in input[name=password]", "wrong password!").await?;
    b.click("#sign-in button[type=submit]").await?;
    ensure!(b.text(".flash").await?.contains("账号或密码错误"));

    // The supervisor makes a hall administrator and a clerk of the demo hall.
    b.sign_in("sup", PASSWORD).await?;
    b.screenshot("admin-02-dashboard-supervisor").await?;
    for (login, name, role) in [("hadmin", "黄管理", "hall_admin"), ("clerk", "林专员", "clerk")] {
        b.goto("/admin/accounts").await?;
        b.fill("#new-account input[name=login]", login).await?;
        b.fill("#new-account input[name=name]", name).await?;
        b.select("#new-account select[name=role]", role).await?;
        b.select("#new-account select[name=place]", "hall:jianghai").await?;
        b.fill("#new-account input[name=password]", PASSWORD).await?;
        b.fill("#new-account input[name=password_again]", PASSWORD).await?;
        b.click("#new-account button[type=submit]").await?;
        ensure!(b.text(".flash").await?.contains("已创建"), "{login}: {}", b.text(".flash").await?);
    }
    ensure!(b.text("#accounts").await?.contains("林专员"));
    // And the supervisor of the city the hall sits in (江门市, under 广东省), from the tree.
    b.fill("#new-account input[name=login]", "jm-sup").await?;
    b.fill("#new-account input[name=name]", "江门督导").await?;
    b.select("#new-account select[name=role]", "supervisor").await?;
    b.select("#new-account select[name=place]", "region:440700").await?;
    b.fill("#new-account input[name=password]", PASSWORD).await?;
    b.fill("#new-account input[name=password_again]", PASSWORD).await?;
    b.click("#new-account button[type=submit]").await?;
    ensure!(b.text(".flash").await?.contains("已创建"), "jm-sup: {}", b.text(".flash").await?);
    ensure!(b.text("#accounts").await?.contains("江门市"), "the account's place is named");
    b.screenshot("admin-03-accounts").await?;
    b.sign_out().await?;

    // The hall administrator enrols a kiosk at window 02 and an officer laptop.
    b.sign_in("hadmin", PASSWORD).await?;
    b.goto("/admin/devices").await?;
    b.select("#code-kiosk select[name=place]", "jianghai|jianghai-w02").await?;
    b.click("#code-kiosk button[type=submit]").await?;
    let kiosk_code = b.text("#code").await?;
    ensure!(b.has("img.qr").await?, "the code's QR image");
    b.screenshot("admin-04-enrolment-code").await?;
    b.goto("/admin/devices").await?;
    b.click("#code-officer button[type=submit]").await?;
    let officer_code = b.text("#code").await?;
    let kiosk = kiosk_enrolled_with(&dir.join("kiosk"), url, &kiosk_code).await?;
    let laptop = Arc::new(Store::open_with_clock(&dir.join("laptop/tiyan.db"), device_clock())?);
    let engine = Engine::new(laptop.clone(), Http::new(url)?);
    engine.enroll(url, &officer_code, "officer laptop").await?;
    b.goto("/admin/devices").await?;
    ensure!(b.count("#devices tbody tr").await? == 2, "both devices listed");
    b.screenshot("admin-05-devices").await?;
    // A window added to the hall's reference data in the page.
    b.goto("/admin/reference").await?;
    b.fill("#form-window input[name=id]", "jianghai-w07").await?;
    b.fill("#form-window input[name=number]", "07").await?;
    b.fill("#form-window input[name=name_zh]", "社保医保").await?;
    b.click("#form-window button[type=submit]").await?;
    ensure!(b.text(".flash").await?.contains("已保存"), "{}", b.text(".flash").await?);
    ensure!(b.text("#window").await?.contains("社保医保"));
    b.screenshot("admin-05b-reference").await?;
    b.sign_out().await?;

    // A citizen's bad review arrives through sync; the clerk handles it to the end.
    bad_review(&kiosk, url, "等了四十分钟没人指引").await?;
    b.sign_in("clerk", PASSWORD).await?;
    b.screenshot("admin-06-dashboard-clerk").await?;
    b.goto("/admin/ledger").await?;
    ensure!(b.count("table.ledger tbody tr").await? == 1);
    b.screenshot("admin-07-ledger").await?;
    open_item(b, "等了四十分钟").await?;
    ensure!(b.text("#phone").await? == "138****5678", "masked first");
    step(b, "verify", "已调取叫号记录，情况属实").await?;
    b.click("#reveal").await?;
    ensure!(b.text("#phone").await? == PHONE, "revealed with one click");
    b.screenshot("admin-08-item-revealed").await?;
    step(b, "rectify", "增设导办员，高峰时段引导取号").await?;
    ensure!(b.text("#item-state").await?.contains("整改中"));
    let due = b.text("#item-due").await?;
    ensure!(due.starts_with("20"), "a deadline is shown: {due}");
    step(b, "record_rectification", "已增设导办员两名").await?;
    step(b, "reply", "您反映的问题已整改，感谢监督。").await?;
    step(b, "satisfied", "电话回访：满意").await?;
    ensure!(b.text("#item-state").await?.contains("已办结"));
    ensure!(b.text("#history").await?.contains("林专员"), "each step names who took it");
    b.screenshot("admin-09-item-closed").await?;

    // An appeal the supervisor upholds takes the rating out of the counts.
    bad_review(&kiosk, url, "误触了不满意").await?;
    open_item(b, "误触了不满意").await?;
    step(b, "verify", "").await?;
    step(b, "appeal", "群众当场表示误触，有监控为证").await?;
    ensure!(!b.has("#step-uphold_appeal").await?, "a clerk does not decide appeals");
    b.sign_out().await?;
    b.sign_in("sup", PASSWORD).await?;
    let excluded = ".figures div:nth-child(3) dd";
    ensure!(b.text(excluded).await? == "0");
    open_item(b, "误触了不满意").await?;
    step(b, "uphold_appeal", "监控核实，确为误触").await?;
    ensure!(b.text("#item-state").await?.contains("不计入"));
    b.goto("/admin").await?;
    ensure!(b.text(excluded).await? == "1", "the upheld rating is out of the counts");
    b.screenshot("admin-10-dashboard-after-appeal").await?;
    b.goto("/admin/audit").await?;
    ensure!(b.text("#audit").await?.contains("reveal_phone"), "the reveal is in the audit log");
    b.screenshot("admin-11-audit").await?;
    b.sign_out().await?;

    // An officer's problem: the clerk replies, the officer answers from the laptop.
    engine.officer_sign_in(OFFICER, OFFICER_PASSWORD).await?;
    let (problem, entry) = submit_problem(&laptop, OFFICER, "叫号屏字太小")?;
    engine.run_once().await?;
    b.sign_in("clerk", PASSWORD).await?;
    open_item(b, "叫号屏字太小").await?;
    step(b, "verify", "").await?;
    step(b, "fix_at_once", "已更换大号叫号屏").await?;
    step(b, "reply", "已更换为 55 寸叫号屏，感谢您的监督。").await?;
    engine.run_once().await?;
    let seen = laptop.ledger_states(entry)?;
    ensure!(seen[0].state == LedgerState::Replied, "{seen:?}");
    laptop.answer_problem(OFFICER, problem, Satisfaction::Satisfied)?;
    engine.run_once().await?;
    b.client.refresh().await?;
    b.settled().await?;
    ensure!(b.text("#satisfaction").await? == "满意", "the officer's answer is on the item");
    ensure!(b.text("#item-state").await?.contains("已办结"));
    b.screenshot("admin-12-officer-answered").await?;
    b.sign_out().await?;

    // The city's supervisor compares the city's halls, and goes down the tree.
    b.sign_in("jm-sup", PASSWORD).await?;
    b.goto("/admin/figures").await?;
    b.click("#region-link").await?;
    ensure!(b.text("h1").await?.contains("江门市"), "{}", b.text("h1").await?);
    ensure!(b.text("#region-halls").await?.contains("江海区政务服务中心"));
    ensure!(b.text("#regions-below").await?.contains("江海区"));
    b.screenshot("admin-12b-region").await?;
    b.sign_out().await?;
    b.sign_in("clerk", PASSWORD).await?;

    // One more, rectified to a five-day deadline and left; ten days on it is red.
    bad_review(&kiosk, url, "窗口人员态度冷淡").await?;
    open_item(b, "态度冷淡").await?;
    step(b, "verify", "").await?;
    step(b, "rectify", "约谈当事人").await?;
    // The old process goes before the new one starts on its port.
    *server = Guard(Command::new("true").spawn()?);
    let ten_days_on = hall_now() + chrono::Duration::days(10);
    *server = start_server_process(db, port, &ten_days_on.to_rfc3339()).await?;
    // Ten days idle: the session has ended, so the clerk signs in again.
    b.sign_in("clerk", PASSWORD).await?;
    ensure!(b.text(".tile.overdue .count").await? == "1", "the dashboard counts it overdue");
    b.goto("/admin/ledger").await?;
    ensure!(b.count("table.ledger tr.overdue").await? == 1, "the list shows it red");
    b.screenshot("admin-13-ledger-overdue").await?;
    open_item(b, "态度冷淡").await?;
    ensure!(b.has("dl.facts.overdue").await?);

    // The English toggle, and the calendar with next year's warning.
    b.click("header .who a[lang=en]").await?;
    ensure!(b.text("h1").await?.contains("Ledger item"), "{}", b.text("h1").await?);
    b.screenshot("admin-14-item-english").await?;
    b.goto("/admin/calendar").await?;
    b.screenshot("admin-15-calendar-english").await?;
    Ok(())
}
