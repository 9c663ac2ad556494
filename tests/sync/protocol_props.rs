//! A property-based, state-machine test of the sync protocol: random sequences
//! of new ratings, sync rounds with lost answers, duplicated and delayed
//! (hence reordered) requests, and crashes and restarts of either side. The
//! server is the real router and SQLite store, reached in-process; the device
//! is the real store and sync engine. After every step the device never
//! believes the server holds more than it does, and the server holds only the
//! device's records, unchanged and in an unbroken sequence; at quiescence it
//! holds exactly the device's records.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use http_body_util::BodyExt;
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use tiyan_client::Kiosk;
use tiyan_client::sync::Engine;
use tiyan_client::sync::transport::{Method, Request, Response, Transport, TransportError};
use tiyan_core::protocol::{DeviceRole, RecordKind};
use tiyan_server::testing::{Backend, TestDb};
use tiyan_server::{AppState, Settings, app};
use tiyan_services::reference_files::load_json;
use tiyan_storage::{RatingFilter, Storage};
use tower::ServiceExt;

/// How one round's requests go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Chaos {
    /// From this request of the round on, the server acts but the answer is lost.
    lose_from: Option<usize>,
    /// Every request reaches the server twice.
    duplicate: bool,
    /// This request is held back (the device sees a failure) and delivered later.
    delay: Option<usize>,
}

#[derive(Debug, Clone)]
enum Step {
    Rate(usize),
    Sync { chaos: Chaos, page: usize },
    DeliverDelayed,
    RestartDevice,
    RestartServer,
}

/// The reference: how many ratings the device has made.
struct Model;

impl ReferenceStateMachine for Model {
    type State = u64;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<u64> {
        Just(0).boxed()
    }

    fn transitions(_: &u64) -> BoxedStrategy<Step> {
        let chaos = (proptest::option::of(0usize..4), any::<bool>(), proptest::option::of(0usize..4))
            .prop_map(|(lose_from, duplicate, delay)| Chaos { lose_from, duplicate, delay });
        prop_oneof![
            3 => (1usize..12).prop_map(Step::Rate),
            4 => (chaos, 1usize..8).prop_map(|(chaos, page)| Step::Sync { chaos, page }),
            1 => Just(Step::DeliverDelayed),
            1 => Just(Step::RestartDevice),
            1 => Just(Step::RestartServer),
        ]
        .boxed()
    }

    fn apply(state: u64, step: &Step) -> u64 {
        match step {
            Step::Rate(n) => state + *n as u64,
            _ => state,
        }
    }
}

/// The server behind a router, reached without a socket, with chaos.
#[derive(Clone)]
struct Chaotic {
    router: axum::Router,
    chaos: Chaos,
    sent: Arc<AtomicUsize>,
    held: Arc<Mutex<Vec<Request>>>,
}

async fn deliver(router: &axum::Router, request: &Request) -> Response {
    let mut builder = axum::http::Request::builder()
        .method(match request.method {
            Method::Get => "GET",
            Method::Post => "POST",
        })
        .uri(&request.path);
    for (k, v) in &request.headers {
        builder = builder.header(k, v);
    }
    let req = builder.body(Body::from(request.body.clone())).expect("request");
    let response = router.clone().oneshot(req).await.expect("router");
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.expect("body").to_bytes().to_vec();
    Response { status, body }
}

impl Transport for Chaotic {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        let n = self.sent.fetch_add(1, Ordering::SeqCst);
        if self.chaos.delay == Some(n) {
            self.held.lock().expect("held").push(request);
            return Err(TransportError("held back".into()));
        }
        let mut response = deliver(&self.router, &request).await;
        if self.chaos.duplicate {
            response = deliver(&self.router, &request).await;
        }
        if self.chaos.lose_from.is_some_and(|k| n >= k) {
            return Err(TransportError("answer lost".into()));
        }
        Ok(response)
    }
}

/// A page held back while its predecessor was lost waits for it only briefly here.
fn settings() -> Settings {
    Settings {
        predecessor_wait: std::time::Duration::from_millis(50),
        clock: tiyan_system_tests::clock().clone(),
        ..Settings::default()
    }
}

struct Sut {
    rt: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    db: TestDb,
    server: Arc<dyn Storage>,
    router: axum::Router,
    kiosk: Kiosk,
    held: Arc<Mutex<Vec<Request>>>,
}

impl Sut {
    fn new(backend: Backend) -> Sut {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let dir = tempfile::tempdir().expect("dir");
        let (db, server, code) = rt.block_on(async {
            let db = TestDb::new(backend).await;
            let server = db.open().await;
            let demo = load_json(&tiyan_system_tests::demo_reference()).expect("demo");
            tiyan_system_tests::sync_rig::import(&server, demo).await.expect("import");
            let code = tiyan_system_tests::sync_rig::issue(&server, DeviceRole::Kiosk, Some("jianghai-w02"))
                .await
                .expect("code");
            (db, server, code)
        });
        let router = app(AppState::with_settings(server.clone(), settings()));
        let kiosk =
            Kiosk::open_with_clock(&dir.path().join("device"), tiyan_system_tests::device_clock()).expect("device");
        let held = Arc::new(Mutex::new(Vec::new()));
        let sut = Sut { rt, dir, db, server, router, kiosk, held };
        let clean = sut.transport(Chaos { lose_from: None, duplicate: false, delay: None });
        sut.rt
            .block_on(Engine::new(sut.kiosk.shared_store(), clean).enroll("mem://server", &code, "prop"))
            .expect("enrol");
        sut.kiosk.set_admin_pin("260418").expect("pin");
        sut.kiosk.staff_sign_in("100102", "2580").expect("sign in");
        sut
    }

    fn server_ratings(&self) -> Vec<tiyan_core::rating::Rating> {
        let held = self.rt.block_on(self.server.ratings(&RatingFilter::default())).expect("server ratings");
        held.into_iter().map(|r| r.rating).collect()
    }

    fn transport(&self, chaos: Chaos) -> Chaotic {
        Chaotic { router: self.router.clone(), chaos, sent: Arc::default(), held: self.held.clone() }
    }

    fn sync(&self, chaos: Chaos, page: usize) -> bool {
        let engine = Engine::new(self.kiosk.shared_store(), self.transport(chaos)).with_page(page);
        self.rt.block_on(engine.run_once()).is_ok()
    }

    /// The safety properties, true after every step.
    fn check(&self) {
        let device = self.kiosk.store().device_id();
        let local = self.kiosk.store().ratings_after(0, usize::MAX >> 1).expect("device ratings");
        let held = self.server_ratings();
        assert!(held.iter().all(|r| r.device_id == device));
        assert!(held.len() <= local.len(), "the server holds more than the device made");
        for (i, r) in held.iter().enumerate() {
            assert_eq!(r.seq, i as u64 + 1, "the server's sequence has a hole");
            assert_eq!(r, &local[i], "the server's copy of {} differs", r.seq);
        }
        let acked = self.kiosk.store().acked_through(RecordKind::Rating).expect("acked");
        assert!(acked <= held.len() as u64, "the device believes {acked} sent, the server holds {}", held.len());
    }
}

/// The same machine on either backend: `PG` picks PostgreSQL.
struct SyncProtocol<const PG: bool>;

impl<const PG: bool> StateMachineTest for SyncProtocol<PG> {
    type SystemUnderTest = Sut;
    type Reference = Model;

    fn init_test(_: &u64) -> Sut {
        Sut::new(if PG { Backend::Postgres } else { Backend::Sqlite })
    }

    fn apply(mut sut: Sut, made: &u64, step: Step) -> Sut {
        match step {
            Step::Rate(n) => tiyan_system_tests::sync_rig::rate(&sut.kiosk, n).expect("rate"),
            Step::Sync { chaos, page } => {
                let _ = sut.sync(chaos, page);
            }
            Step::DeliverDelayed => {
                let held = std::mem::take(&mut *sut.held.lock().expect("held"));
                for request in held {
                    let _ = sut.rt.block_on(deliver(&sut.router, &request));
                }
            }
            // A restart: everything in memory is gone, the files remain.
            Step::RestartDevice => {
                sut.kiosk = Kiosk::open_with_clock(&sut.dir.path().join("device"), tiyan_system_tests::device_clock())
                    .expect("reopen device");
            }
            Step::RestartServer => {
                sut.server = sut.rt.block_on(sut.db.open());
                sut.router = app(AppState::with_settings(sut.server.clone(), settings()));
            }
        }
        assert_eq!(sut.kiosk.store().last_seq(RecordKind::Rating).expect("last"), *made);
        sut
    }

    fn check_invariants(sut: &Sut, _: &u64) {
        sut.check();
    }

    /// Quiescence: late requests arrive, the network heals, sync runs to the end.
    fn teardown(sut: Sut, made: u64) {
        let held = std::mem::take(&mut *sut.held.lock().expect("held"));
        for request in held {
            let _ = sut.rt.block_on(deliver(&sut.router, &request));
        }
        let clean = Chaos { lose_from: None, duplicate: false, delay: None };
        assert!(sut.sync(clean, 5), "a clean round succeeds");
        sut.check();
        let held = sut.server_ratings();
        assert_eq!(held.len() as u64, made, "at quiescence the server holds exactly the device's ratings");
        assert_eq!(sut.kiosk.store().waiting().expect("waiting"), 0);
    }
}

/// Cases per run: `PROPTEST_CASES` (the soak runs 10,000), else 256 on SQLite;
/// PostgreSQL runs a quarter of them (each case there creates a database).
fn cases(share: u32) -> u32 {
    let all = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256u32);
    (all / share).max(1)
}

prop_state_machine! {
    #![proptest_config(ProptestConfig {
        cases: cases(1),
        max_shrink_iters: 256,
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    #[test]
    fn on_sqlite_the_server_ends_up_with_exactly_the_devices_records(sequential 1..30 => SyncProtocol<false>);
}

prop_state_machine! {
    #![proptest_config(ProptestConfig {
        cases: cases(4),
        max_shrink_iters: 64,
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    #[test]
    fn on_postgres_the_server_ends_up_with_exactly_the_devices_records(sequential 1..30 => SyncProtocol<true>);
}
