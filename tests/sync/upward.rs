//! Reporting up: every rating and every closed bad review reaches the
//! province's platform exactly once, in each profile's codes, through the
//! platform's outages, refusals, stalls and dropped answers, with two server
//! processes sending and one killed with `kill -9` in the middle. The platform
//! is `tiyan_system_tests::province`'s reference receiver on a loopback port.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use serde_json::Value;
use tiyan_core::accounts::{Place, Role};
use tiyan_core::ledger::Satisfaction;
use tiyan_server::testing::{Backend, TestDb};
use tiyan_services::accounts::{self, AccountForm};
use tiyan_services::ledger::{StepForm, StepRequest};
use tiyan_services::upward::{self, TargetConfig};
use tiyan_services::{Services, Who};
use tiyan_storage::LedgerFilter;
use tiyan_system_tests::province::{Mode, Province, Shape};
use tiyan_system_tests::sync_rig::{TestServer, console, drain_retrying, enrolled_kiosk, rate_cases, server_cli};
use tiyan_system_tests::{Guard, demo_reference};

tiyan_server::on_both_backends!(
    every_rating_and_closed_item_reaches_each_profile_once_in_its_codes,
    a_platform_down_for_a_while_gets_everything_in_order_once,
    a_refused_record_is_shown_with_the_reason_and_sent_again_after_the_fix,
    a_record_the_reference_data_cannot_make_waits_for_the_hall_office_to_fix_it,
    stalls_dropped_answers_and_double_answers_leave_each_record_once,
    two_processes_sending_each_killed_in_turn_report_each_rating_once,
);

const GB_TOKEN: &str = "gb-token-4c1d9e";
const ZJ_TOKEN: &str = "zj-token-7a2b55";
/// The demo hall's unified social credit code, and that of the department
/// window 02 belongs to (`demo/reference.json`).
const DEPT_CODE: &str = "11440704MB2D439114";
const WINDOW_DEPT_CODE: &str = "11440704007654321R";

fn target(name: &str, p: &Province, dir: &Path) -> TargetConfig {
    let token_file = dir.join(format!("{name}.token"));
    std::fs::write(&token_file, format!("{}\n", p.token)).unwrap();
    let text = format!(
        r#"
name = "{name}"
url = "{url}"
profile = "{profile}"
token_file = "{token_file}"
sender = "021"
timeout_ms = 400
retry_cap_secs = 2
"#,
        url = p.url(),
        profile = match p.shape {
            Shape::Gbt39046 => "gbt39046",
            Shape::Zhejiang => "zhejiang",
        },
        token_file = token_file.display(),
    );
    toml::from_str(&text).unwrap()
}

async fn server_reporting_to(backend: Backend, targets: &[TargetConfig]) -> Result<TestServer> {
    let upward = targets.iter().map(|t| t.resolve().map(Arc::new)).collect::<Result<Vec<_>>>()?;
    TestServer::start_with(backend, tiyan_server::Settings { upward, ..Default::default() }).await
}

/// `n` ratings rated at a kiosk and synced to `server`: their ids, in the kiosk's order.
async fn rated(server: &TestServer, dir: &Path, n: usize) -> Result<Vec<String>> {
    let kiosk = enrolled_kiosk(dir, server, &server.url()).await?;
    rate_cases(&kiosk, 0, n)?;
    drain_retrying(kiosk.shared_store(), server.url(), Duration::from_secs(60), Duration::from_millis(100)).await?;
    let device = kiosk.store().device_id();
    Ok(server.ratings_of(device).await?.into_iter().filter(|r| !r.misuse).map(|r| r.id.to_string()).collect())
}

async fn clerk(cx: &Services) -> tiyan_storage::Account {
    let form = AccountForm {
        login: "clerk",
        name: "台账员",
        role: Role::Clerk,
        place: Place::Hall("jianghai".into()),
        password: "correct horse battery",
    };
    accounts::create(cx, &Who::console(cx.now()), &form).await.unwrap()
}

/// Verifies, explains, replies and records the citizen's satisfaction: the item closes.
async fn close(cx: &Services, clerk: &tiyan_storage::Account, item: uuid::Uuid) -> Result<()> {
    for (form, note) in [
        (StepForm::Verify, "已回访"),
        (StepForm::Explain, "材料要求依法设定，已当面解释"),
        (StepForm::Reply, "已向群众说明办理要求"),
        (StepForm::Satisfaction(Satisfaction::Satisfied), ""),
    ] {
        let (row, _) = cx.store.ledger_item(item).await?.expect("the item");
        let who = Who::account(clerk, std::net::Ipv4Addr::LOCALHOST.into(), cx.now());
        let request = StepRequest { item, expected_events: row.events, form, note, linked: false };
        tiyan_services::ledger::take(cx, &who, &request).await?;
    }
    let (row, _) = cx.store.ledger_item(item).await?.expect("the item");
    ensure!(row.state == tiyan_core::ledger::LedgerState::Closed, "the item is {:?}, not closed", row.state);
    Ok(())
}

/// The reconciliation's totals for `target`, by the console.
async fn totals(cx: &Services, name: &str) -> Result<tiyan_storage::UpwardDay> {
    let today = tiyan_core::workdays::china_date(cx.now());
    let (from, to) = upward::span(today, 30);
    let r = upward::reconciliation(cx, &Who::console(cx.now()), from, to).await?;
    Ok(r.totals().into_iter().find(|t| t.target == name).unwrap_or_default())
}

async fn eventually<F: std::future::Future<Output = Result<bool>>>(
    within: Duration,
    what: &str,
    mut f: impl FnMut() -> F,
) -> Result<()> {
    let deadline = Instant::now() + within;
    while !f().await? {
        ensure!(Instant::now() < deadline, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

async fn every_rating_and_closed_item_reaches_each_profile_once_in_its_codes(backend: Backend) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let gb = Province::start(Shape::Gbt39046, GB_TOKEN).await?;
    let zj = Province::start(Shape::Zhejiang, ZJ_TOKEN).await?;
    let (tg, tz) = (target("gb", &gb, dir.path()), target("zj", &zj, dir.path()));
    ensure!(!format!("{tz:?}").contains(ZJ_TOKEN), "a target's Debug must not show its credential");
    let server = server_reporting_to(backend, &[tg, tz]).await?;
    let ids = rated(&server, &dir.path().join("kiosk"), 60).await?;
    ensure!(ids.len() == 60, "60 ratings held, not {}", ids.len());
    for p in [&gb, &zj] {
        p.wait_for("rating", 60, Duration::from_secs(30)).await?;
    }

    // Each once, all of them, and nothing else.
    let held: HashSet<String> = ids.iter().cloned().collect();
    for p in [&gb, &zj] {
        let keys = p.keys("rating");
        ensure!(keys.len() == 60 && keys.iter().cloned().collect::<HashSet<_>>() == held, "{:?}: {keys:?}", p.shape);
        ensure!(p.state().refused.is_empty(), "{:?} refused {:?}", p.shape, p.state().refused);
    }

    // The codes of each profile: a 5 on the kiosk is 1 in the standard and 5 in the province.
    let ratings = server.store.ratings(&tiyan_storage::RatingFilter::default()).await?;
    let by_id: BTreeMap<String, &tiyan_core::rating::Rating> =
        ratings.iter().map(|r| (r.rating.id.to_string(), &r.rating)).collect();
    let gb_held = gb.state().held.clone();
    for h in &gb_held {
        let r = by_id[&h.key];
        let overall = r.attitude.value().min(r.competence.value());
        ensure!(
            h.record["满意度代码"].as_str() == Some((6 - overall).to_string().as_str()),
            "{:?} for {r:?}",
            h.record
        );
        ensure!(h.record["行政区划"] == "440704");
        ensure!(h.record.get("文字评价").and_then(Value::as_str) == r.comment.as_deref());
    }
    ensure!(ratings.iter().filter(|r| r.rating.phone.is_some()).count() == 6, "call-back numbers held");
    let zj_held = zj.state().held.clone();
    for h in &zj_held {
        let r = by_id[&h.key];
        let overall = r.attitude.value().min(r.competence.value());
        ensure!(h.record["satisfaction"].as_str() == Some(overall.to_string().as_str()), "{:?} for {r:?}", h.record);
        ensure!(h.record["deptCode"] == WINDOW_DEPT_CODE, "the window's department: {:?}", h.record);
        ensure!(h.record["areaName"] == "江海区" && h.record["pf"] == "4");
        // The matter the window's system named, by the province's code; none where it named none.
        let named = h.record.get("taskCode").and_then(Value::as_str);
        let even = r.case_no.as_deref().and_then(|c| c.rsplit('-').next()?.parse::<u32>().ok()).map(|n| n % 2 == 0);
        ensure!(named == if even == Some(true) { Some("440704-0001-000") } else { None }, "{:?}", h.record);
        ensure!(named.is_none() || h.record["taskName"] == "个体工商户设立登记");
        let detail = h.record.get("evalDetail").and_then(Value::as_str).unwrap_or_default();
        ensure!(detail == if r.is_bad() { "101" } else { "" }, "indicators {detail:?} for {:?}", r.reasons);
        if let Some(phone) = &r.phone {
            ensure!(!h.record.values().any(|v| v.as_str().is_some_and(|s| s.contains(phone))), "a phone number, sent");
        }
    }

    // Two bad reviews handled and closed: their outcome goes up, once.
    let cx = console(&server.store);
    let clerk = clerk(&cx).await;
    let who = Who::account(&clerk, std::net::Ipv4Addr::LOCALHOST.into(), cx.now());
    let filter = LedgerFilter { per_page: 50, ..LedgerFilter::default() };
    let items = tiyan_services::ledger::list(&cx, &who, filter).await?;
    ensure!(items.items.len() >= 2, "bad reviews make items: {}", items.items.len());
    let closed: Vec<uuid::Uuid> =
        items.items.iter().filter(|i| i.source == tiyan_core::ledger::Source::Rating).take(2).map(|i| i.id).collect();
    for item in &closed {
        close(&cx, &clerk, *item).await?;
    }
    for p in [&gb, &zj] {
        p.wait_for("rectification", 2, Duration::from_secs(30)).await?;
        let keys: HashSet<String> = p.keys("rectification").into_iter().collect();
        ensure!(keys == closed.iter().map(|c| c.to_string()).collect(), "{:?} rectifications {keys:?}", p.shape);
    }
    let zj_rect = zj.state().held.iter().find(|h| h.kind == "rectification").cloned().expect("one");
    ensure!(
        zj_rect.record["rectifyResult"] == "explained" && zj_rect.record["rectifyContent"] == "已向群众说明办理要求"
    );

    // The reconciliation agrees with each platform's own count.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (name, p) in [("gb", &gb), ("zj", &zj)] {
        let t = totals(&cx, name).await?;
        ensure!(t.acknowledged as usize == p.state().held.len(), "{name}: {t:?} against {}", p.state().held.len());
        ensure!(t.waiting == 0 && t.refused == 0 && t.sent == 0, "{name}: {t:?}");
    }
    server.stop().await;
    Ok(())
}

async fn a_platform_down_for_a_while_gets_everything_in_order_once(backend: Backend) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let gb = Province::start(Shape::Gbt39046, GB_TOKEN).await?;
    gb.set_mode(Mode::Down);
    let server = server_reporting_to(backend, &[target("gb", &gb, dir.path())]).await?;
    let ids = rated(&server, &dir.path().join("kiosk"), 120).await?;
    let cx = console(&server.store);
    eventually(Duration::from_secs(10), "tried while down", || async { Ok(gb.state().requests >= 3) }).await?;
    ensure!(gb.count("rating") == 0);
    let t = totals(&cx, "gb").await?;
    ensure!(t.queued == 120 && t.acknowledged == 0 && t.refused == 0, "while down: {t:?}");
    gb.set_mode(Mode::Normal);
    gb.wait_for("rating", 120, Duration::from_secs(30)).await?;
    ensure!(gb.keys("rating") == ids, "in the order they were stored, each once");
    ensure!(gb.state().duplicates == 0);
    eventually(Duration::from_secs(5), "all acknowledged", || async {
        Ok(totals(&cx, "gb").await?.acknowledged == 120)
    })
    .await?;
    server.stop().await;
    Ok(())
}

async fn a_refused_record_is_shown_with_the_reason_and_sent_again_after_the_fix(backend: Backend) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let zj = Province::start(Shape::Zhejiang, ZJ_TOKEN).await?;
    // The platform will not take comments for now.
    zj.set_mode(Mode::RefuseField("writingEvaluation".into()));
    let server = server_reporting_to(backend, &[target("zj", &zj, dir.path())]).await?;
    let ids = rated(&server, &dir.path().join("kiosk"), 30).await?;
    let with_comment = 5; // rate() comments on every seventh: 0, 7, 14, 21, 28
    zj.wait_for("rating", 30 - with_comment, Duration::from_secs(30)).await?;
    let cx = console(&server.store);
    let who = Who::console(cx.now());
    let today = tiyan_core::workdays::china_date(cx.now());
    let (from, to) = upward::span(today, 7);
    eventually(Duration::from_secs(10), "the refusals recorded", || async {
        Ok(upward::reconciliation(&cx, &who, from, to).await?.refused.len() == with_comment)
    })
    .await?;
    let r = upward::reconciliation(&cx, &who, from, to).await?;
    ensure!(r.refused.iter().all(|x| x.reason == "writingEvaluation: 不合法"), "{:?}", r.refused);
    // Never tried again on its own.
    let asked = zj.state().requests;
    tokio::time::sleep(Duration::from_secs(3)).await;
    ensure!(zj.state().requests == asked, "a refused record was sent again blindly");

    // Fixed at the platform's end; sent again from the console, audited.
    zj.set_mode(Mode::Normal);
    let n = upward::resend(&cx, &Who::console(cx.now()), &[]).await?;
    ensure!(n == with_comment as u64, "{n} sent again");
    zj.wait_for("rating", 30, Duration::from_secs(30)).await?;
    ensure!(zj.keys("rating").iter().cloned().collect::<HashSet<_>>() == ids.into_iter().collect());
    let log = tiyan_services::audit::log(&cx, &Who::console(cx.now()), &Default::default()).await?;
    ensure!(log.iter().any(|e| e.entry.action == "upward_resent"), "the resend is in the audit log");
    server.stop().await;
    Ok(())
}

async fn a_record_the_reference_data_cannot_make_waits_for_the_hall_office_to_fix_it(backend: Backend) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let zj = Province::start(Shape::Zhejiang, ZJ_TOKEN).await?;
    let server = server_reporting_to(backend, &[target("zj", &zj, dir.path())]).await?;
    let cx = console(&server.store);
    let hall = |credit_code: Option<&str>| {
        let name = tiyan_core::Text::new("江海区政务服务中心", "Jianghai District Government Service Centre");
        let division = tiyan_core::region::Division::parse("440704").ok();
        let credit_code = credit_code.map(str::to_string);
        tiyan_services::reference::Edit::Hall(tiyan_core::reference::Hall {
            kiosk: None,
            id: "jianghai".into(),
            name,
            division,
            credit_code,
        })
    };
    // Neither the window's department nor the hall has its credit code yet.
    let window = tiyan_core::reference::Window {
        id: "jianghai-w02".into(),
        hall_id: "jianghai".into(),
        number: "02".into(),
        name: tiyan_core::Text::new("商事登记", "Business registration"),
        credit_code: None,
    };
    tiyan_services::reference::edit(&cx, &Who::console(cx.now()), tiyan_services::reference::Edit::Window(window))
        .await?;
    // The hall's credit code is not known yet.
    tiyan_services::reference::edit(&cx, &Who::console(cx.now()), hall(None)).await?;
    let ids = rated(&server, &dir.path().join("kiosk"), 12).await?;
    let who = Who::console(cx.now());
    let (from, to) = upward::span(tiyan_core::workdays::china_date(cx.now()), 7);
    eventually(Duration::from_secs(10), "held back here", || async {
        Ok(upward::reconciliation(&cx, &who, from, to).await?.refused.len() == 12)
    })
    .await?;
    let r = upward::reconciliation(&cx, &who, from, to).await?;
    ensure!(
        r.refused.iter().all(|x| x.reason == "not sent: deptCode: empty, and the platform requires it"),
        "{:?}",
        r.refused
    );
    ensure!(zj.state().requests == 0, "nothing the platform would refuse is sent");
    // A wrong code is refused by the reference data itself.
    let wrong = tiyan_services::reference::edit(&cx, &who, hall(Some("11440704MB2D439115"))).await;
    ensure!(wrong.is_err(), "a credit code with a wrong check character is taken");
    tiyan_services::reference::edit(&cx, &who, hall(Some(DEPT_CODE))).await?;
    ensure!(upward::resend(&cx, &who, &[]).await? == 12);
    zj.wait_for("rating", 12, Duration::from_secs(30)).await?;
    ensure!(zj.keys("rating").into_iter().collect::<HashSet<_>>() == ids.into_iter().collect());
    server.stop().await;
    Ok(())
}

async fn stalls_dropped_answers_and_double_answers_leave_each_record_once(backend: Backend) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let gb = Province::start(Shape::Gbt39046, GB_TOKEN).await?;
    let server = server_reporting_to(backend, &[target("gb", &gb, dir.path())]).await?;
    let kiosk = enrolled_kiosk(&dir.path().join("kiosk"), &server, &server.url()).await?;
    let mut total = 0;
    for mode in [Mode::Stall(Duration::from_millis(900)), Mode::DropAfterStore, Mode::AnswerTwice] {
        gb.set_mode(mode.clone());
        rate_cases(&kiosk, total, 40)?;
        total += 40;
        drain_retrying(kiosk.shared_store(), server.url(), Duration::from_secs(60), Duration::from_millis(100)).await?;
        gb.wait_for("rating", total, Duration::from_secs(30)).await?;
        // Let the sender see its failure, then the platform recover.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        gb.set_mode(Mode::Normal);
        let cx = console(&server.store);
        eventually(Duration::from_secs(20), "settled after {mode:?}", || async {
            let t = totals(&cx, "gb").await?;
            Ok(t.acknowledged as usize == total && t.waiting + t.sent == 0)
        })
        .await?;
    }
    let keys = gb.keys("rating");
    ensure!(keys.len() == total && keys.iter().collect::<HashSet<_>>().len() == total, "each once");
    ensure!(gb.state().duplicates > 0, "the lost answers were sent again, and deduplicated there");
    server.stop().await;
    Ok(())
}

fn start_process(db: &str, config: &Path, port: u16) -> Result<Child> {
    let child = server_cli(db)?
        .arg("--config")
        .arg(config)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--clock-start", &tiyan_system_tests::clock_start_arg()])
        .stdout(Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        ensure!(Instant::now() < deadline, "tiyan-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(child)
}

async fn two_processes_sending_each_killed_in_turn_report_each_rating_once(backend: Backend) -> Result<()> {
    const TOTAL: usize = 1500;
    let dir = tempfile::tempdir()?;
    let gb = Province::start(Shape::Gbt39046, GB_TOKEN).await?;
    // The platform's own latency, so that a kill lands while a batch is out.
    gb.set_latency(Duration::from_millis(300));
    let test_db = TestDb::new(backend).await;
    let db = test_db.arg();
    ensure!(server_cli(&db)?.arg("import").arg(demo_reference()).stdout(Stdio::null()).status()?.success());
    let token = dir.path().join("gb.token");
    std::fs::write(&token, GB_TOKEN)?;
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        format!(
            "[[upward]]\nname = \"gb\"\nurl = \"{}\"\nprofile = \"gbt39046\"\ntoken_file = \"{}\"\ntimeout_ms = 2000\nretry_cap_secs = 2\n",
            gb.url(),
            token.display()
        ),
    )?;
    let (port_a, port_b) = (tiyan_system_tests::free_port(), tiyan_system_tests::free_port());
    let mut a = Guard(start_process(&db, &config, port_a)?);
    let mut b = Guard(start_process(&db, &config, port_b)?);
    let store = test_db.open().await;
    let code =
        tiyan_system_tests::sync_rig::issue(&store, tiyan_core::protocol::DeviceRole::Kiosk, Some("jianghai-w02"))
            .await?;
    let url_b = format!("http://127.0.0.1:{port_b}");
    let kiosk = tiyan_system_tests::sync_rig::kiosk_enrolled_with(&dir.path().join("kiosk"), &url_b, &code).await?;
    rate_cases(&kiosk, 0, TOTAL)?;
    drain_retrying(kiosk.shared_store(), url_b.clone(), Duration::from_secs(60), Duration::from_millis(100)).await?;
    // Both killed while sending, one after the other: whichever held the lease
    // is killed with a batch out (a batch takes 300 ms at the platform, so the
    // 1,500 take five seconds of sending); the other, and then the first, back,
    // take over.
    eventually(Duration::from_secs(20), "sending under way", || async { Ok(gb.count("rating") > 100) }).await?;
    a.0.kill()?; // SIGKILL
    a.0.wait()?;
    let at_kill = gb.count("rating");
    ensure!(at_kill < TOTAL, "all {TOTAL} were sent before the first kill: slow the platform down");
    let resumed = (at_kill + 200).min(TOTAL);
    eventually(Duration::from_secs(30), "sending resumed", || async { Ok(gb.count("rating") >= resumed) }).await?;
    b.0.kill()?;
    b.0.wait()?;
    let _a = Guard(start_process(&db, &config, port_a)?);
    gb.wait_for("rating", TOTAL, Duration::from_secs(90)).await?;
    let keys = gb.keys("rating");
    ensure!(keys.iter().collect::<HashSet<_>>().len() == TOTAL, "each once at the platform");
    let held: HashSet<String> = tiyan_system_tests::sync_rig::ratings_of(store.as_ref(), kiosk.store().device_id())
        .await?
        .into_iter()
        .map(|r| r.id.to_string())
        .collect();
    ensure!(held == keys.into_iter().collect::<HashSet<_>>(), "the platform holds exactly what the server holds");
    // At most the batches cut off by the kill went twice (and were deduplicated there).
    ensure!(gb.state().duplicates <= 2 * 100, "{} duplicates", gb.state().duplicates);

    // The console's reconciliation agrees with the platform's count.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = server_cli(&db)?.args(["upward", "--days", "30"]).output()?;
        ensure!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout)?;
        let acknowledged: usize = text
            .lines()
            .skip(1)
            .filter(|l| !l.starts_with("refused"))
            .filter_map(|l| l.split('\t').nth(4)?.parse::<usize>().ok())
            .sum();
        if acknowledged == TOTAL {
            break;
        }
        ensure!(Instant::now() < deadline, "the reconciliation says {acknowledged} of {TOTAL}:\n{text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}
