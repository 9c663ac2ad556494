//! The conformance suite: what every backend must do alike, asserted through
//! the storage traits alone (no service, no HTTP). Each function takes a fresh
//! store that holds one hall's reference data (a hall, a window of it and a
//! staff member there, named by [`Place`]); `tiyan-server`'s tests run every
//! one on SQLite and on PostgreSQL. A new backend passes this suite first.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tiyan_core::Level;
use tiyan_core::enrolment::CodeRefusal;
use tiyan_core::ledger::{Action, Event, LedgerState, Source, replay};
use tiyan_core::protocol::{DeviceRole, Upload};
use tiyan_core::rating::Rating;
use tiyan_core::sync::PageError;
use tiyan_core::workdays::Calendar;
use uuid::Uuid;

use crate::{AppendEvent, Enrolment, Error, IngestPage, LedgerIntake, NewCode, NewItem, Storage};

/// Where the store's reference data puts a kiosk.
#[derive(Debug, Clone)]
pub struct Place {
    pub hall: String,
    pub window: String,
    pub staff: String,
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T09:00:00+08:00").map(|t| t.to_utc()).unwrap_or_default()
}

/// A kiosk enrolled at the place, through a code.
async fn kiosk(store: &dyn Storage, place: &Place) -> Uuid {
    let code = format!("{:x}", Uuid::now_v7().as_u128());
    let new = NewCode {
        code_sha256: code.clone(),
        role: DeviceRole::Kiosk,
        hall_id: place.hall.clone(),
        window_id: Some(place.window.clone()),
        created_at: now(),
        expires_at: now() + Duration::hours(1),
    };
    store.create_code(&new).await.expect("a code for a known place");
    let device = Uuid::now_v7();
    let enrolment = Enrolment {
        code_sha256: code,
        device_id: device,
        name: "kiosk".into(),
        secret_sha256: [7; 32],
        expected: None,
        now: now(),
    };
    store.redeem_code(&enrolment).await.expect("the code enrols");
    device
}

fn rating(device: Uuid, seq: u64, place: &Place, level: Level) -> Rating {
    Rating {
        id: Uuid::now_v7(),
        seq,
        device_id: device,
        device_time: (now() + Duration::minutes(seq as i64)).fixed_offset(),
        hall_id: place.hall.clone(),
        window_id: place.window.clone(),
        staff_id: place.staff.clone(),
        case_no: None,
        attitude: level,
        competence: level,
        reasons: if level.is_bad() { vec!["long_wait".into()] } else { vec![] },
        comment: None,
        phone: None,
        misuse: false,
    }
}

fn page(device: Uuid, records: Vec<Rating>, ledger: LedgerIntake) -> IngestPage {
    IngestPage {
        device_id: device,
        request_id: Uuid::now_v7(),
        upload: Arc::new(Upload::Rating(records)),
        received_at: now(),
        ledger: Arc::new(ledger),
    }
}

/// A page is stored once: its request again is a replay, its records again
/// are duplicates, a record again with other content is a conflict that keeps
/// nothing of its page, and a page that leaves a hole is refused.
pub async fn a_page_is_stored_once_and_a_conflict_keeps_nothing(store: Arc<dyn Storage>, place: Place) {
    let store = store.as_ref();
    let device = kiosk(store, &place).await;
    let records: Vec<Rating> = (1..=3).map(|s| rating(device, s, &place, Level::Satisfied)).collect();
    let first = page(device, records.clone(), LedgerIntake::default());
    let ack = store.ingest(&first).await.expect("a first page");
    assert_eq!((ack.stored, ack.duplicates, ack.through), (3, 0, 3));
    assert!(matches!(store.ingest(&first).await, Err(Error::Replayed(_))), "the same request twice");
    let again = page(device, records.clone(), LedgerIntake::default());
    let ack = store.ingest(&again).await.expect("a resend");
    assert_eq!((ack.stored, ack.duplicates, ack.through), (0, 3, 3));
    let mut changed = records[2].clone();
    changed.attitude = Level::VeryDissatisfied;
    let next = rating(device, 4, &place, Level::Satisfied);
    let conflict = page(device, vec![changed, next], LedgerIntake::default());
    assert!(matches!(store.ingest(&conflict).await, Err(Error::Conflict { .. })), "other content");
    let hole = page(device, vec![rating(device, 6, &place, Level::Satisfied)], LedgerIntake::default());
    assert!(matches!(store.ingest(&hole).await, Err(Error::Page(PageError::Gap { .. }))), "a hole");
    let held = store.ratings(&Default::default()).await.expect("ratings");
    assert_eq!(held.iter().map(|r| r.rating.seq).collect::<Vec<_>>(), [1, 2, 3], "nothing of a refused page");
    assert_eq!(held.iter().map(|r| &r.rating).collect::<Vec<_>>(), records.iter().collect::<Vec<_>>());
}

/// A code enrols one device, however many redeem it at once.
pub async fn a_code_redeemed_at_once_enrols_one_device(store: Arc<dyn Storage>, place: Place) {
    let new = NewCode {
        code_sha256: "conformance-code".into(),
        role: DeviceRole::Kiosk,
        hall_id: place.hall.clone(),
        window_id: Some(place.window.clone()),
        created_at: now(),
        expires_at: now() + Duration::hours(1),
    };
    store.create_code(&new).await.expect("a code");
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let e = Enrolment {
                code_sha256: "conformance-code".into(),
                device_id: Uuid::now_v7(),
                name: "race".into(),
                secret_sha256: [1; 32],
                expected: None,
                now: now(),
            };
            store.redeem_code(&e).await
        }));
    }
    let mut enrolled = 0;
    for t in tasks {
        match t.await.expect("the task ran") {
            Ok(_) => enrolled += 1,
            Err(Error::Code(CodeRefusal::Invalid)) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(enrolled, 1);
    let unknown = NewCode { code_sha256: "elsewhere".into(), hall_id: "no-such-hall".into(), ..new };
    assert!(store.create_code(&unknown).await.is_err(), "a code for a place that is not in the data");
}

/// A bad review's item arrives with its upload; a step decided on its history
/// is written once, however many are written at once, and a status replayed
/// from an older history does not overwrite what a step wrote.
pub async fn a_step_is_written_only_on_the_history_it_was_decided_on(store: Arc<dyn Storage>, place: Place) {
    let device = kiosk(store.as_ref(), &place).await;
    let bad = rating(device, 1, &place, Level::Dissatisfied);
    let calendar = Calendar::default();
    let registered =
        Event { at: now(), date: now().date_naive(), action: Action::Register { verify_days: 1 }, note: String::new() };
    let status = replay(std::slice::from_ref(&registered), Source::Rating, &calendar).expect("registered");
    let item = NewItem {
        id: bad.id,
        source: Source::Rating,
        hall_id: Some(place.hall.clone()),
        window_id: Some(place.window.clone()),
        staff_id: Some(place.staff.clone()),
        device_id: device,
        entry_id: None,
        revision_id: None,
        officer_id: None,
        category: "long_wait".into(),
        summary: String::new(),
        registered_at: now(),
        registered_date: now().date_naive(),
        event: registered.clone(),
        status: status.clone(),
    };
    let intake = LedgerIntake { items: vec![item], answers: vec![] };
    store.ingest(&page(device, vec![bad.clone()], intake)).await.expect("the bad review");
    let (row, events) = store.ledger_item(bad.id).await.expect("read").expect("its item");
    assert_eq!((row.state, row.events, events.len()), (LedgerState::Registered, 1, 1));

    let verify = Event { at: now(), date: now().date_naive(), action: Action::Verify, note: "属实".into() };
    let history = [registered, verify.clone()];
    let verified = replay(&history, Source::Rating, &calendar).expect("verified");
    let step = AppendEvent { item: bad.id, seq: 2, actor: "clerk".into(), event: verify, status: verified };
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (store, step) = (store.clone(), step.clone());
        tasks.push(tokio::spawn(async move { store.append_ledger_event(&step).await }));
    }
    let mut written = 0;
    for t in tasks {
        match t.await.expect("the task ran") {
            Ok(()) => written += 1,
            Err(Error::Stale) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(written, 1, "one of six");
    // A recomputation from the one-event history comes too late: the step stands.
    store.set_status(bad.id, 1, &status).await.expect("set status");
    let (row, events) = store.ledger_item(bad.id).await.expect("read").expect("its item");
    assert_eq!((row.state, row.events, events.len()), (LedgerState::Verified, 2, 2));
    let missing = AppendEvent { item: Uuid::now_v7(), ..step };
    assert!(matches!(store.append_ledger_event(&missing).await, Err(Error::NotFound(_))));
}
