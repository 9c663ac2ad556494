//! An officer laptop and the real server on a loopback port: sign-in online
//! then offline, an entry with a photo written offline, and its sync through a
//! link that keeps cutting: the revision arrives once, the photo resumes where
//! each cut left it and matches its SHA-256, the problem is registered in the
//! ledger and its state comes back to the laptop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use anyhow::{Result, ensure};
use tiyan_client::Store;
use tiyan_client::photo::samples;
use tiyan_client::sync::Engine;
use tiyan_client::sync::transport::Http;
use tiyan_core::diary::{Channel, Mode, PhotoRef, Problem, ProblemCategory};
use tiyan_core::ledger::LedgerState;
use tiyan_server::testing::Backend;
use tiyan_system_tests::device_clock;
use tiyan_system_tests::proxy::{Fault, FaultProxy};
use tiyan_system_tests::sync_rig::{TestServer, submit_problem};

tiyan_server::on_both_backends!(
    an_entry_written_offline_arrives_once_with_its_photo_and_its_problem_registered,
    a_lock_out_at_the_server_holds_on_every_laptop,
    the_clerks_reply_reaches_the_laptop_and_the_officers_answer_lands_once,
);
use uuid::Uuid;

const OFFICER: &str = "gz-2026-07";
const PASSWORD: &str = "tiyan-2026";

/// A photo that stays large once processed: noise does not compress.
fn noisy_jpeg() -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let img = image::RgbImage::from_fn(2400, 1800, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        image::Rgb([seed as u8, (seed >> 8) as u8, (seed >> 16) as u8])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Jpeg).unwrap();
    samples::with_exif_rotation_and_gps(&out)
}

async fn an_entry_written_offline_arrives_once_with_its_photo_and_its_problem_registered(
    backend: Backend,
) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(backend).await?;
    let proxy = FaultProxy::start(server.addr).await;
    let store = Arc::new(Store::open_with_clock(&dir.path().join("laptop/tiyan.db"), device_clock())?);
    let engine = Engine::new(store.clone(), Http::new(&proxy.url())?);
    engine.enroll(&proxy.url(), &server.officer_code().await?, "officer laptop").await?;

    // First sign-in online; a wrong password is refused by the server and counted here.
    assert!(matches!(
        engine.officer_sign_in(OFFICER, "not-it").await,
        Err(tiyan_client::Error::WrongPin { failures: 1, .. })
    ));
    let officer = engine.officer_sign_in(OFFICER, PASSWORD).await?;
    ensure!(officer.name == "梁小能");

    // On site, no network: sign-in works offline, the entry is written with a photo.
    proxy.set(Fault::Refuse);
    engine.officer_sign_in(OFFICER, PASSWORD).await?;
    let photo = store.add_photo(OFFICER, &noisy_jpeg())?;
    ensure!(photo.bytes > 2 * tiyan_core::protocol::PHOTO_CHUNK_BYTES, "the photo spans several chunks");
    let mut draft = store.new_draft(OFFICER)?;
    let problem = Uuid::now_v7();
    let b = &mut draft.body;
    b.hall_id = Some("jianghai".into());
    b.matter_id = Some("m-geti".into());
    b.channel = Some(Channel::Window);
    b.mode = Some(Mode::Unannounced);
    b.score = Some(8);
    b.trips = Some(1);
    b.account = "九点取号，半小时后叫号，十分钟办完。".into();
    b.problems =
        vec![Problem { id: problem, category: ProblemCategory::WindowSigns, text: "叫号屏字太小".into() }];
    b.suggestions = vec!["当场发照".into()];
    b.photos = vec![PhotoRef { sha256: photo.sha256.clone(), caption: "叫号屏".into() }];
    store.save_draft(OFFICER, draft.entry_id, &draft.body)?;
    let revision = store.submit_entry(OFFICER, draft.entry_id)?;
    ensure!(engine.run_once().await.is_err(), "no network, no sync");

    // The network comes back but cuts every connection after 700 kB: each pass
    // gets a chunk or two further, and never sends a byte twice that was kept.
    proxy.set(Fault::CutRequest { after: 700 * 1024 });
    let mut passes = 0;
    while engine.run_once().await.is_err() {
        passes += 1;
        ensure!(passes < 20, "the photo never got through");
    }
    ensure!(passes >= 1, "the link should have cut at least once");
    proxy.set(Fault::Pass);
    // A connection the cuts left in the client's pool may fail once more, as
    // the worker would see it; it tries again.
    let mut tries = 0;
    while let Err(e) = engine.run_once().await {
        tries += 1;
        ensure!(tries < 3, "the link is whole again, yet: {e}");
    }

    let held = server.store.diary_revisions().await?;
    ensure!(held.len() == 1, "{} revisions on the server", held.len());
    ensure!(held[0].revision == revision);
    let bytes = server.store.diary_photo(&photo.sha256).await?.expect("the photo is on the server");
    ensure!(tiyan_client::sha256_hex(&bytes) == photo.sha256);
    ensure!(bytes == store.photo(&photo.sha256, false)?);
    ensure!(!bytes.windows(4).any(|w| w == b"Exif"), "no metadata reached the server");
    ensure!(store.waiting()? == 0 && store.photos_to_upload()?.is_empty());
    let ledger = store.ledger_states(draft.entry_id)?;
    ensure!(ledger.len() == 1 && ledger[0].problem_id == problem && ledger[0].state == LedgerState::Registered);
    println!("photo of {} bytes through a cutting link in {} passes", bytes.len(), passes + 1);
    server.stop().await;
    Ok(())
}

/// Wrong passwords tried on one laptop lock the officer out on another too:
/// the server counts them, and its lock-out is not sidestepped offline.
async fn a_lock_out_at_the_server_holds_on_every_laptop(backend: Backend) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(backend).await?;
    let laptop = |name: &str| -> Result<Arc<Store>> {
        Ok(Arc::new(Store::open_with_clock(&dir.path().join(name).join("tiyan.db"), device_clock())?))
    };
    let (first, second) = (laptop("first")?, laptop("second")?);
    for store in [&first, &second] {
        Engine::new(store.clone(), Http::new(&server.url())?)
            .enroll(&server.url(), &server.officer_code().await?, "officer laptop")
            .await?;
    }
    let engine = Engine::new(first.clone(), Http::new(&server.url())?);
    for _ in 0..3 {
        let _ = engine.officer_sign_in(OFFICER, "guess").await;
    }
    let other = Engine::new(second.clone(), Http::new(&server.url())?);
    let refused = other.officer_sign_in(OFFICER, PASSWORD).await;
    ensure!(matches!(refused, Err(tiyan_client::Error::PinLocked { .. })), "{refused:?}");
    server.stop().await;
    Ok(())
}

/// The hall office handles a problem to its reply; the laptop shows the reply;
/// the officer answers "basically satisfied" offline; the answer travels with
/// the next sync, lands in the item's events once (however often the laptop
/// syncs), closes the item, and the laptop sees it closed.
async fn the_clerks_reply_reaches_the_laptop_and_the_officers_answer_lands_once(backend: Backend) -> Result<()> {
    use tiyan_core::accounts::{Place, Role};
    use tiyan_core::ledger::Satisfaction;
    use tiyan_services::Who;
    use tiyan_services::accounts::{self, AccountForm};
    use tiyan_services::ledger::{self, StepForm, StepRequest};

    let dir = tempfile::tempdir()?;
    let server = TestServer::start(backend).await?;
    let store = Arc::new(Store::open_with_clock(&dir.path().join("laptop/tiyan.db"), device_clock())?);
    let engine = Engine::new(store.clone(), Http::new(&server.url())?);
    engine.enroll(&server.url(), &server.officer_code().await?, "officer laptop").await?;
    engine.officer_sign_in(OFFICER, PASSWORD).await?;
    let (problem, entry) = submit_problem(&store, OFFICER, "叫号屏字太小")?;
    engine.run_once().await?;

    // The clerk of the hall verifies, fixes it at once and replies.
    let cx = tiyan_system_tests::sync_rig::console(&server.store);
    let now = cx.now();
    let form = |login, role, place| AccountForm { login, name: login, role, place, password: "correct horse battery" };
    let sup = accounts::create(&cx, &Who::console(now), &form("sup", Role::Supervisor, Place::Everywhere)).await?;
    let here = std::net::Ipv4Addr::LOCALHOST.into();
    let clerk_form = form("clerk", Role::Clerk, Place::Hall("jianghai".into()));
    let clerk = accounts::create(&cx, &Who::account(&sup, here, now), &clerk_form).await?;
    let who = Who::account(&clerk, here, now);
    for (events, step, note) in [
        (1, StepForm::Verify, "属实"),
        (2, StepForm::FixAtOnce, "已换大号叫号屏"),
        (3, StepForm::Reply, "已更换为 55 寸叫号屏，感谢您的监督。"),
    ] {
        let request = StepRequest { item: problem, expected_events: events, form: step, note, linked: false };
        ledger::take(&cx, &who, &request).await?;
    }

    // The laptop's next sync brings the reply.
    engine.run_once().await?;
    let seen = store.ledger_states(entry)?;
    ensure!(seen.len() == 1 && seen[0].state == LedgerState::Replied, "{seen:?}");
    ensure!(seen[0].reply.as_deref() == Some("已更换为 55 寸叫号屏，感谢您的监督。"));

    // Answered offline; a second answer to the same reply is refused on the laptop.
    store.answer_problem(OFFICER, problem, Satisfaction::BasicallySatisfied)?;
    ensure!(store.answer_problem(OFFICER, problem, Satisfaction::Dissatisfied).is_err(), "one answer per reply");
    for _ in 0..3 {
        engine.run_once().await?;
    }
    let (item, events) = server.store.ledger_item(problem).await?.expect("the item");
    let answers: Vec<_> = events.iter().filter(|e| e.event.action.name() == "satisfaction").collect();
    ensure!(answers.len() == 1, "{} answers in the item's events", answers.len());
    ensure!(answers[0].actor == format!("officer:{OFFICER}"), "answered by the officer: {}", answers[0].actor);
    ensure!(item.state == LedgerState::Closed && item.satisfaction == Some(Satisfaction::BasicallySatisfied));
    let seen = store.ledger_states(entry)?;
    ensure!(seen[0].state == LedgerState::Closed && seen[0].satisfaction == Some(Satisfaction::BasicallySatisfied));
    server.stop().await;
    Ok(())
}
