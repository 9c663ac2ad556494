//! Sync stories: the real server on a loopback port, the real device store, and
//! a fault-injecting proxy between them. After each fault the server holds
//! exactly the device's records: none lost, none twice.

use std::time::Duration;

use anyhow::{Result, ensure};
use tiyan_client::sync::transport::Http;
use tiyan_client::sync::{Backoff, Engine, SyncError};
use tiyan_core::protocol::RecordKind;
use tiyan_server::testing::Backend;
use tiyan_system_tests::proxy::{Fault, FaultProxy};
use tiyan_system_tests::sync_rig::{TestServer, assert_same, enrolled_kiosk, rate, rate_cases};

tiyan_server::on_both_backends!(
    a_connection_cut_mid_request_loses_and_duplicates_nothing,
    an_answer_lost_after_the_server_committed_is_not_stored_twice,
    an_upload_whose_answer_is_lost_is_acknowledged_by_the_next_state,
    a_500_then_recovery_and_a_captive_portal_are_not_acknowledgements,
    a_slow_link_still_delivers_everything_once,
    the_worker_retries_with_backoff_and_never_busy_loops,
    a_revoked_device_stops_trying_and_keeps_its_ratings,
    an_incompatible_server_is_reported_not_crashed_on,
    a_call_back_number_leaves_the_kiosk_once_the_server_holds_it,
    the_centres_settings_reach_the_kiosk_at_its_next_sync,
);

struct Rig {
    server: TestServer,
    proxy: FaultProxy,
    kiosk: tiyan_client::Kiosk,
    _dir: tempfile::TempDir,
}

async fn rig(backend: Backend, ratings: usize) -> Result<Rig> {
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(backend).await?;
    let proxy = FaultProxy::start(server.addr).await;
    let kiosk = enrolled_kiosk(&dir.path().join("kiosk"), &server, &proxy.url()).await?;
    rate(&kiosk, ratings)?;
    Ok(Rig { server, proxy, kiosk, _dir: dir })
}

impl Rig {
    fn engine(&self, page: usize) -> Result<Engine<Http>> {
        Ok(Engine::new(self.kiosk.shared_store(), Http::new(&self.proxy.url())?).with_page(page))
    }

    fn acked(&self) -> Result<u64> {
        Ok(self.kiosk.store().acked_through(RecordKind::Rating)?)
    }
}

async fn a_connection_cut_mid_request_loses_and_duplicates_nothing(backend: Backend) -> Result<()> {
    let r = rig(backend, 120).await?;
    r.proxy.set(Fault::CutRequest { after: 700 });
    let err = r.engine(50)?.run_once().await.expect_err("the cut must fail the round");
    ensure!(matches!(err, SyncError::Unreachable(_)), "{err:?}");
    ensure!(r.acked()? == 0, "nothing may be marked sent");
    r.proxy.set(Fault::Pass);
    r.engine(50)?.run_once().await?;
    ensure!(assert_same(r.server.store.as_ref(), &r.kiosk).await? == 120);
    Ok(())
}

async fn an_answer_lost_after_the_server_committed_is_not_stored_twice(backend: Backend) -> Result<()> {
    let r = rig(backend, 80).await?;
    r.proxy.set(Fault::LoseUploadAnswer);
    let err = r.engine(30)?.run_once().await.expect_err("the upload's answer is lost");
    ensure!(matches!(err, SyncError::Unreachable(_)), "{err:?}");
    // Pages travel several at a time: the server may have committed more than
    // the first before the device gave the round up (and may still be at it).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held = r.server.ratings_of(r.kiosk.store().device_id()).await?.len() as u64;
    ensure!([30, 60, 80].contains(&held), "the server committed whole pages ({held})");
    ensure!(r.acked()? == 0, "the device heard no acknowledgement, so it marked nothing sent");

    r.proxy.set(Fault::Pass);
    let report = r.engine(30)?.run_once().await?;
    ensure!(report.stored == 80 - held, "the retry sends only what the server lacks: {report:?}");
    ensure!(assert_same(r.server.store.as_ref(), &r.kiosk).await? == 80);
    Ok(())
}

async fn an_upload_whose_answer_is_lost_is_acknowledged_by_the_next_state(backend: Backend) -> Result<()> {
    let r = rig(backend, 60).await?;
    // Upload straight, then make the device forget: the server holds all 60,
    // the device's watermark says 0, as if every answer had been lost.
    r.engine(1000)?.run_once().await?;
    r.kiosk.store().set_acked_through(RecordKind::Rating, 0)?;
    ensure!(r.kiosk.store().waiting()? == 60);
    let forwarded = r.proxy.forwarded();
    let report = r.engine(1000)?.run_once().await?;
    ensure!(report.stored == 0 && report.duplicates == 0, "nothing is sent again: {report:?}");
    ensure!(r.proxy.forwarded() - forwarded < 2_000, "only the state request went out");
    ensure!(assert_same(r.server.store.as_ref(), &r.kiosk).await? == 60);
    Ok(())
}

async fn a_500_then_recovery_and_a_captive_portal_are_not_acknowledgements(backend: Backend) -> Result<()> {
    let r = rig(backend, 50).await?;
    r.proxy.set(Fault::Status500);
    let err = r.engine(20)?.run_once().await.expect_err("500");
    ensure!(matches!(err, SyncError::NotAnEnvelope { status: 500, .. }), "{err:?}");
    ensure!(!err.needs_a_person(), "a 500 is retried");

    r.proxy.set(Fault::CaptivePortal);
    let err = r.engine(20)?.run_once().await.expect_err("HTML is no envelope");
    ensure!(matches!(err, SyncError::NotAnEnvelope { status: 200, .. }), "{err:?}");
    ensure!(r.acked()? == 0, "a 200 with an HTML body acknowledged nothing");
    ensure!(r.server.ratings_of(r.kiosk.store().device_id()).await?.is_empty());

    r.proxy.set(Fault::Pass);
    r.engine(20)?.run_once().await?;
    ensure!(assert_same(r.server.store.as_ref(), &r.kiosk).await? == 50);
    Ok(())
}

async fn a_slow_link_still_delivers_everything_once(backend: Backend) -> Result<()> {
    let r = rig(backend, 300).await?;
    r.proxy.set(Fault::Slow { chunk: 2048, pause_ms: 5 });
    let report = r.engine(100)?.run_once().await?;
    ensure!(report.stored == 300, "{report:?}");
    ensure!(assert_same(r.server.store.as_ref(), &r.kiosk).await? == 300);
    Ok(())
}

async fn the_worker_retries_with_backoff_and_never_busy_loops(backend: Backend) -> Result<()> {
    let r = rig(backend, 30).await?;
    r.proxy.set(Fault::Refuse);
    let url = r.proxy.url();
    let store = r.kiosk.shared_store();
    let backoff = Backoff { base: Duration::from_millis(100), cap: Duration::from_millis(800) };
    let sync = tiyan_client::sync::worker::spawn(store, |u: &str| Http::new(u), backoff);
    let _ = url;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let attempts = r.proxy.connections();
    // Full jitter under a 0.8 s cap: about one attempt per 0.4 s on average, never a storm.
    ensure!((3..=40).contains(&attempts), "{attempts} connections in 3 s");
    let status = sync.status()?;
    ensure!(status.waiting == 30 && status.last_error.is_some() && !status.waiting_for_person, "{status:?}");

    // The network returns: the next attempt drains everything.
    r.proxy.set(Fault::Pass);
    sync.nudge();
    // The store marks the ratings sent before the round ends (a state request
    // follows the upload), so wait for the round's end, then ask how it ended.
    wait_until(Duration::from_secs(10), || {
        let s = sync.status()?;
        Ok(s.waiting == 0 && !s.syncing)
    })
    .await?;
    let status = sync.status()?;
    ensure!(status.last_error.is_none(), "{status:?}");

    // A new rating is sent soon after it is committed.
    rate(&r.kiosk, 1)?;
    sync.nudge();
    wait_until(Duration::from_secs(5), || Ok(sync.status()?.waiting == 0)).await?;
    ensure!(assert_same(r.server.store.as_ref(), &r.kiosk).await? == 31);
    Ok(())
}

async fn a_revoked_device_stops_trying_and_keeps_its_ratings(backend: Backend) -> Result<()> {
    let r = rig(backend, 10).await?;
    let sync = tiyan_client::sync::worker::spawn(r.kiosk.shared_store(), |u: &str| Http::new(u), Backoff::default());
    wait_until(Duration::from_secs(10), || Ok(sync.status()?.waiting == 0)).await?;
    r.server.store.revoke(r.kiosk.store().device_id(), tiyan_system_tests::clock().now()).await?;
    rate(&r.kiosk, 5)?;
    sync.nudge();
    wait_until(Duration::from_secs(10), || Ok(sync.status()?.waiting_for_person)).await?;
    let status = sync.status()?;
    ensure!(status.last_error.as_ref().map(|e| e.code.as_str()) == Some("device_revoked"), "{status:?}");
    ensure!(status.enrolment.state == tiyan_client::sync_state::EnrolmentState::Revoked);
    let before = r.proxy.connections();
    // New ratings no longer make it try: a revoked device is not retried blindly.
    for _ in 0..5 {
        rate(&r.kiosk, 1)?;
        sync.nudge();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    ensure!(r.proxy.connections() == before, "{} new connections after revocation", r.proxy.connections() - before);
    ensure!(r.kiosk.store().rating_counts()?.total == 20, "the ratings stay on the device");
    ensure!(sync.status()?.waiting == 10);
    Ok(())
}

async fn an_incompatible_server_is_reported_not_crashed_on(backend: Backend) -> Result<()> {
    let r = rig(backend, 3).await?;
    // A server of another protocol version answers in its own envelope.
    let api = tiyan_client::sync::api::Api::new(Http::new(&r.proxy.url())?);
    let health = api.health().await?;
    ensure!(health.status == "ok");
    let fake = axum_like_server(r#"{"protocol":2,"server_time":"2026-11-23T01:00:00Z","ok":{}}"#).await?;
    let err = tiyan_client::sync::api::Api::new(Http::new(&fake)?).health().await.expect_err("version 2");
    ensure!(matches!(err, SyncError::ProtocolMismatch(2)) && err.needs_a_person(), "{err:?}");
    Ok(())
}

/// A one-trick HTTP server answering every request with `body`.
async fn axum_like_server(body: &'static str) -> Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf).await;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(body.as_bytes()).await;
        }
    });
    Ok(format!("http://{addr}"))
}

async fn wait_until(timeout: Duration, mut done: impl FnMut() -> Result<bool>) -> Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    while !done()? {
        ensure!(tokio::time::Instant::now() < deadline, "timed out after {timeout:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// PIPL: kept no longer than needed. The kiosk keeps a consented call-back
/// number until the server holds the rating, then erases it: the bytes are in
/// neither the database file nor its WAL once the acknowledgement is recorded.
async fn a_call_back_number_leaves_the_kiosk_once_the_server_holds_it(backend: Backend) -> Result<()> {
    let r = rig(backend, 0).await?;
    rate_cases(&r.kiosk, 0, 20)?; // numbers on the 0th and the 10th, both bad reviews
    let dir = r.kiosk.store().path().parent().expect("the data folder").to_path_buf();
    let on_disk = |phone: &str| -> Result<bool> {
        let mut found = false;
        for name in ["tiyan.db", "tiyan.db-wal"] {
            if let Ok(bytes) = std::fs::read(dir.join(name)) {
                found |= bytes.windows(phone.len()).any(|w| w == phone.as_bytes());
            }
        }
        Ok(found)
    };
    let phones = ["13912340000", "13912340010"];
    ensure!(phones.iter().all(|p| on_disk(p).unwrap_or(false)), "kept while the server does not hold them");
    let held = r.kiosk.store().ratings_after(0, 100)?;
    ensure!(held.iter().filter(|x| x.phone.is_some()).count() == 2);

    r.engine(50)?.run_once().await?;
    ensure!(r.acked()? == 20);
    let on_server = r.server.ratings_of(r.kiosk.store().device_id()).await?;
    let kept: Vec<_> = on_server.iter().filter_map(|x| x.phone.clone()).collect();
    ensure!(kept == phones, "the server holds the numbers for the call-back: {kept:?}");
    ensure!(r.kiosk.store().ratings_after(0, 100)?.iter().all(|x| x.phone.is_none()), "erased on the kiosk");
    for p in phones {
        ensure!(!on_disk(p)?, "{p} is still in the kiosk's files");
    }
    // Anything else about a rating still cannot change.
    let db = rusqlite::Connection::open(dir.join("tiyan.db"))?;
    ensure!(db.execute("UPDATE ratings SET attitude = 5 WHERE seq = 1", []).is_err(), "ratings stay append-only");
    ensure!(db.execute("UPDATE ratings SET phone = '13800000000' WHERE seq = 1", []).is_err(), "no number comes back");
    Ok(())
}

/// Settings from the centre: what the hall office sets for a hall travels with
/// the hall's reference data, applies at the kiosk's next sync over the
/// kiosk's own, and the server's fleet sees the kiosk holding it.
async fn the_centres_settings_reach_the_kiosk_at_its_next_sync(backend: Backend) -> Result<()> {
    use chrono::{FixedOffset, TimeZone};
    use tiyan_core::Language;
    use tiyan_core::settings::KioskSettings;

    let dir = tempfile::tempdir()?;
    let server = TestServer::start(backend).await?;
    // Monday 7 December 2026, 10:00 in the hall; the kiosk's clock is moved by hand.
    let china = FixedOffset::east_opt(8 * 3600).expect("+08:00");
    let clock = std::sync::Arc::new(tiyan_client::clock::ManualClock::new(
        china.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).single().expect("a time"),
    ));
    let kiosk = tiyan_client::Kiosk::open_with_clock(&dir.path().join("kiosk"), clock.clone())?;
    let engine = Engine::new(kiosk.shared_store(), Http::new(&server.url())?);
    engine.enroll(&server.url(), &server.code("jianghai-w02").await?, "test kiosk").await?;
    kiosk.set_admin_pin(tiyan_system_tests::ADMIN_PIN)?;
    kiosk.staff_sign_in("100102", tiyan_system_tests::STAFF_PIN)?;
    kiosk.admin_unlock(tiyan_system_tests::ADMIN_PIN)?;
    let own = KioskSettings { idle_seconds: 90, interval_seconds: 20, language: Language::En, spoken_prompts: true };
    kiosk.admin_update_settings(&own)?;

    // Nothing set at the centre: the hall's hours arrive, the kiosk keeps its own.
    let e = kiosk.store().effective_settings()?;
    ensure!(e.settings == own && e.centre.is_some(), "{e:?}");
    ensure!(!kiosk.status()?.asleep);

    // The hall office sets a lunch break, sleep, the idle time and Chinese only.
    let mut settings = server.store.figure_settings("jianghai").await?;
    settings.kiosk = tiyan_system_tests::sync_rig::lunch_policy();
    let before = kiosk.store().reference_version()?;
    server.store.set_figure_settings("jianghai", &settings).await?;
    ensure!(kiosk.store().effective_settings()?.settings == own, "nothing changes before the next sync");
    engine.run_once().await?;
    ensure!(kiosk.store().reference_version()? > before, "the settings came as a new edition");
    let status = kiosk.status()?;
    ensure!(status.settings.idle_seconds == 45 && status.settings.interval_seconds == 20, "{:?}", status.settings);
    ensure!(status.settings.language == Language::ZhCn && status.languages == vec![Language::ZhCn]);
    let overview = kiosk.admin_overview()?;
    ensure!(
        overview.from_centre.idle_seconds && !overview.from_centre.interval_seconds && overview.from_centre.languages
    );
    // The administrator cannot change what the centre set; what is left to the kiosk still changes.
    kiosk.admin_update_settings(&KioskSettings { idle_seconds: 300, interval_seconds: 30, ..status.settings })?;
    let e = kiosk.store().effective_settings()?;
    ensure!(e.settings.idle_seconds == 45 && e.settings.interval_seconds == 30, "{:?}", e.settings);
    ensure!(kiosk.store().settings()?.idle_seconds == 90, "the kiosk's own value is kept for when the centre lets go");

    // 10:00: open, a citizen rates of their own accord.
    kiosk.submit_rating(&tiyan_system_tests::sync_rig::citizen(0, false))?;
    // 12:30, lunch: asleep. No rating of one's own accord; a case the window opened is still rated.
    clock.advance(chrono::Duration::minutes(150));
    ensure!(kiosk.status()?.asleep);
    let refused = kiosk.submit_rating(&tiyan_system_tests::sync_rig::citizen(1, false));
    ensure!(matches!(refused, Err(tiyan_client::Error::HallClosed)), "{refused:?}");
    kiosk.set_case_no("JH-LATE-1")?;
    kiosk.submit_rating(&tiyan_system_tests::sync_rig::citizen(2, false))?;
    // 13:30: open again.
    clock.advance(chrono::Duration::minutes(60));
    ensure!(!kiosk.status()?.asleep);
    kiosk.submit_rating(&tiyan_system_tests::sync_rig::citizen(3, false))?;
    ensure!(kiosk.store().last_seq(RecordKind::Rating)? == 3, "the refused rating left nothing behind");

    // The fleet sees the kiosk holding the hall's current edition.
    engine.run_once().await?;
    let device = kiosk.store().device_id();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let fleet = server.store.fleet(None).await?;
        let row = fleet.iter().find(|r| r.device.id == device).expect("the kiosk in the fleet");
        if row.reference_held.is_some() && row.reference_held == row.reference_current {
            ensure!(row.reference_held == kiosk.store().reference_version()?);
            break;
        }
        ensure!(std::time::Instant::now() < deadline, "the fleet never saw the edition: {row:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ensure!(assert_same(server.store.as_ref(), &kiosk).await? == 3);
    server.stop().await;
    Ok(())
}
