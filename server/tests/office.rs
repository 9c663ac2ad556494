//! The hall office on both backends: the ledger as storage keeps it (items
//! from what devices send, steps by role, a stale or racing step refused, an
//! upheld appeal out of the counts) and the admin web as a stranger, a forger
//! and a clerk of another hall would try it, through `Router::oneshot`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use axum::http::{StatusCode, header};
use chrono::Duration;
use tiyan_core::Level;
use tiyan_core::Text;
use tiyan_core::accounts::Role;
use tiyan_core::ledger::LedgerState;
use tiyan_core::rating::Rating;
use tiyan_core::reference::{Hall, Window};
use tiyan_server::testing::Backend;
use tiyan_services::Clock;
use tiyan_services::Error;
use tiyan_services::ledger::{self, StepForm, StepRequest};
use tiyan_services::reference::{self, Edit, StaffForm};
use tiyan_storage::{Account, AuditFilter, LedgerFilter};
use uuid::Uuid;

use common::*;

tiyan_server::on_both_backends!(
    bad_reviews_become_items_and_steps_follow_the_roles,
    two_clerks_taking_one_step_at_once_record_it_once,
    an_upheld_appeal_takes_the_rating_out_of_the_counts,
    each_account_sees_its_own_halls_ledger_only,
    signed_out_the_admin_web_shows_only_the_sign_in_page,
    a_change_without_the_token_or_from_elsewhere_is_refused_and_changes_nothing,
    wrong_passwords_lock_out_and_an_idle_session_ends,
    a_clerk_reveals_a_phone_number_and_the_audit_log_says_so,
    a_call_back_number_is_masked_once_its_time_after_the_item_is_up,
);

const PHONE: &str = "13812345678";

/// The demo hall, a second hall (海珠) with a window and a staff member, and
/// a supervisor, a clerk of each hall and a viewer.
struct Office {
    s: Server,
    supervisor: Account,
    clerk: Account,
    other_clerk: Account,
    viewer: Account,
}

async fn office(backend: Backend) -> Office {
    let s = server(backend).await;
    let supervisor = s.account(None, "sup", Role::Supervisor, None).await;
    let text = |zh: &str| Text { zh: zh.into(), en: String::new() };
    for edit in [
        Edit::Hall(Hall {
            kiosk: None,
            id: "haizhu".into(),
            name: text("海珠政务服务中心"),
            division: None,
            credit_code: None,
        }),
        Edit::Window(Window {
            id: "haizhu-w01".into(),
            hall_id: "haizhu".into(),
            number: "01".into(),
            name: text("综合"),
            credit_code: None,
        }),
        Edit::Staff {
            staff: StaffForm {
                id: "staff-200101".into(),
                hall_id: "haizhu".into(),
                employee_no: "200101".into(),
                name: "陈一".into(),
                department: None,
            },
            pin: Some("246810".into()),
            photo: None,
        },
    ] {
        reference::edit(s.cx(), &s.who(&supervisor), edit).await.unwrap();
    }
    let by = Some(&supervisor);
    let clerk = s.account(by, "clerk", Role::Clerk, Some("jianghai")).await;
    let other_clerk = s.account(by, "clerk2", Role::Clerk, Some("haizhu")).await;
    let viewer = s.account(by, "viewer", Role::Viewer, Some("jianghai")).await;
    Office { s, supervisor, clerk, other_clerk, viewer }
}

/// A bad review from a kiosk of `hall` at `window` (with a consented call-back number).
fn bad(device: Uuid, seq: u64, hall: &str, window: &str, staff: &str) -> Rating {
    Rating {
        hall_id: hall.into(),
        window_id: window.into(),
        staff_id: staff.into(),
        attitude: Level::Dissatisfied,
        reasons: vec!["long_wait".into()],
        comment: Some("等了很久没人指引".into()),
        phone: Some(PHONE.into()),
        ..rating(device, seq)
    }
}

impl Office {
    /// Bad reviews sent by a kiosk of the demo hall through the API; their ids.
    async fn bad_reviews(&self, n: u64) -> Vec<Uuid> {
        let (device, secret) = self.s.enroll(Some("jianghai-w02")).await;
        let records: Vec<Rating> =
            (1..=n).map(|i| bad(device, i, "jianghai", "jianghai-w02", "staff-100102")).collect();
        let (status, body) = self.s.upload(device, &secret, ratings(&records)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        records.iter().map(|r| r.id).collect()
    }

    /// One bad review from a kiosk of the second hall.
    async fn bad_review_elsewhere(&self) -> Uuid {
        let device = Uuid::now_v7();
        let code = tiyan_services::devices::issue_code(
            self.s.cx(),
            &self.s.who(&self.supervisor),
            tiyan_core::protocol::DeviceRole::Kiosk,
            "haizhu",
            Some("haizhu-w01"),
            Duration::hours(1),
        )
        .await
        .unwrap();
        let body = serde_json::json!({"code": code, "device_id": device, "name": "haizhu kiosk"});
        let (status, answer) =
            self.s.call("POST", "/api/v1/enroll", &proto(), serde_json::to_vec(&body).unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let secret = answer["ok"]["secret"].as_str().unwrap().to_string();
        let r = bad(device, 1, "haizhu", "haizhu-w01", "staff-200101");
        let (status, body) = self.s.upload(device, &secret, ratings(std::slice::from_ref(&r))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        r.id
    }

    async fn step(&self, by: &Account, item: Uuid, form: StepForm, note: &str) -> Result<LedgerState, Error> {
        let (row, _) = self.s.store.ledger_item(item).await?.unwrap();
        let request = StepRequest { item, expected_events: row.events, form, note, linked: false };
        ledger::take(self.s.cx(), &self.s.who(by), &request).await.map(|s| s.state)
    }

    async fn state(&self, item: Uuid) -> LedgerState {
        self.s.store.ledger_item(item).await.unwrap().unwrap().0.state
    }
}

async fn bad_reviews_become_items_and_steps_follow_the_roles(backend: Backend) {
    let o = office(backend).await;
    let ids = o.bad_reviews(2).await;
    // Each bad review is one item.
    let page = o.s.store.ledger_page(&LedgerFilter { per_page: 50, ..LedgerFilter::default() }).await.unwrap();
    assert_eq!(page.total, 2);
    let item = ids[0];
    let (row, events) = o.s.store.ledger_item(item).await.unwrap().unwrap();
    assert_eq!((row.state, events.len()), (LedgerState::Registered, 1));
    assert_eq!(row.window_id.as_deref(), Some("jianghai-w02"));
    assert!(row.due_date.is_some(), "verify within a working day");

    // A viewer and another hall's clerk may not; the supervisor does not verify.
    for by in [&o.viewer, &o.other_clerk, &o.supervisor] {
        let refused = o.step(by, item, StepForm::Verify, "").await;
        assert!(matches!(refused, Err(Error::Forbidden(_) | Error::NotFound(_))), "{refused:?}");
    }
    assert_eq!(o.step(&o.clerk, item, StepForm::Verify, "核实属实").await.unwrap(), LedgerState::Verified);
    // Steps out of order are refused.
    assert!(o.step(&o.clerk, item, StepForm::Close, "").await.is_err());
    assert!(matches!(o.step(&o.clerk, item, StepForm::Reply, "  ").await, Err(Error::Step(_))), "a reply needs text");
    assert_eq!(
        o.step(&o.clerk, item, StepForm::Rectify { complex: false }, "增设导引").await.unwrap(),
        LedgerState::Rectifying
    );
    let (row, _) = o.s.store.ledger_item(item).await.unwrap().unwrap();
    let due = row.due_date.unwrap();
    assert!(due > o.s.today() + Duration::days(4), "five working days: {due}");
    // Only a supervisor escalates.
    assert!(o.step(&o.clerk, item, StepForm::Escalate, "").await.is_err());
    o.step(&o.supervisor, item, StepForm::Escalate, "请加快").await.unwrap();
    assert!(o.s.store.ledger_item(item).await.unwrap().unwrap().0.escalated);
    o.step(&o.clerk, item, StepForm::RecordRectification, "已增设导引员").await.unwrap();
    o.step(&o.clerk, item, StepForm::Reply, "已整改，感谢监督").await.unwrap();
    // The citizen's satisfaction on the call-back closes the item; closed, nothing more is taken.
    let satisfied = StepForm::Satisfaction(tiyan_core::ledger::Satisfaction::Satisfied);
    assert_eq!(o.step(&o.clerk, item, satisfied, "回访满意").await.unwrap(), LedgerState::Closed);
    assert!(o.step(&o.clerk, item, StepForm::Close, "").await.is_err());
    let (_, events) = o.s.store.ledger_item(item).await.unwrap().unwrap();
    assert_eq!(events.len(), 7, "registered + six steps, each an event");
    // A step with an old count of events is stale: someone acted meanwhile.
    let stale = StepRequest { item: ids[1], expected_events: 0, form: StepForm::Verify, note: "", linked: false };
    let refused = ledger::take(o.s.cx(), &o.s.who(&o.clerk), &stale).await;
    assert!(matches!(refused, Err(Error::Stale)), "{refused:?}");
    assert_eq!(o.state(ids[1]).await, LedgerState::Registered);
}

async fn two_clerks_taking_one_step_at_once_record_it_once(backend: Backend) {
    let o = Arc::new(office(backend).await);
    let item = o.bad_reviews(1).await[0];
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let o = o.clone();
        tasks.push(tokio::spawn(async move {
            let request = StepRequest { item, expected_events: 1, form: StepForm::Verify, note: "", linked: false };
            ledger::take(o.s.cx(), &o.s.who(&o.clerk), &request).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(Error::Stale) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(ok, 1, "one of eight concurrent verifications is taken");
    assert_eq!(o.s.store.ledger_item(item).await.unwrap().unwrap().1.len(), 2);
}

async fn an_upheld_appeal_takes_the_rating_out_of_the_counts(backend: Backend) {
    let o = office(backend).await;
    let ids = o.bad_reviews(2).await;
    let today = o.s.today();
    let counts = || async { ledger::dashboard(o.s.cx(), &o.s.who(&o.supervisor), today).await.unwrap() };
    let before = counts().await;
    o.step(&o.clerk, ids[0], StepForm::Verify, "").await.unwrap();
    o.step(&o.clerk, ids[0], StepForm::Appeal, "群众误操作，监控可证").await.unwrap();
    assert_eq!(counts().await.appealed, 1);
    // Only a supervisor decides.
    assert!(o.step(&o.clerk, ids[0], StepForm::UpholdAppeal, "").await.is_err());
    assert_eq!(o.step(&o.supervisor, ids[0], StepForm::UpholdAppeal, "监控核实").await.unwrap(), LedgerState::Excluded);
    let after = counts().await;
    assert_eq!(after.excluded, before.excluded + 1);
    assert_eq!(after.appealed, 0);
    // A rejected appeal goes back to rectification.
    o.step(&o.clerk, ids[1], StepForm::Verify, "").await.unwrap();
    o.step(&o.clerk, ids[1], StepForm::Appeal, "").await.unwrap();
    assert_eq!(
        o.step(&o.supervisor, ids[1], StepForm::RejectAppeal, "理由不足").await.unwrap(),
        LedgerState::Rectifying
    );
}

async fn each_account_sees_its_own_halls_ledger_only(backend: Backend) {
    let o = office(backend).await;
    let here = o.bad_reviews(1).await[0];
    let there = o.bad_review_elsewhere().await;
    async fn list(o: &Office, a: &Account) -> Vec<Uuid> {
        let page = ledger::list(o.s.cx(), &o.s.who(a), LedgerFilter { per_page: 50, ..LedgerFilter::default() })
            .await
            .unwrap();
        page.items.iter().map(|i| i.id).collect()
    }
    assert_eq!(list(&o, &o.clerk).await, vec![here]);
    assert_eq!(list(&o, &o.other_clerk).await, vec![there]);
    assert_eq!(list(&o, &o.supervisor).await.len(), 2);
    // A clerk asking for another hall's list by its filter still gets their own.
    let filter = LedgerFilter { halls: Some(vec!["haizhu".into()]), per_page: 50, ..LedgerFilter::default() };
    let page = ledger::list(o.s.cx(), &o.s.who(&o.clerk), filter).await.unwrap();
    assert!(page.items.iter().all(|i| i.hall_id.as_deref() == Some("jianghai")));
    // In the page: another hall's item by its address is "not found", as is a made-up one.
    let mut clerk = Browser::signed_in(&o.s, "clerk").await;
    assert_eq!(clerk.get(&format!("/admin/ledger/{here}")).await.0, StatusCode::OK);
    assert_eq!(clerk.get(&format!("/admin/ledger/{there}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(clerk.get(&format!("/admin/ledger/{}", Uuid::now_v7())).await.0, StatusCode::NOT_FOUND);
    assert_eq!(clerk.get("/admin/ledger/not-an-id").await.0, StatusCode::NOT_FOUND);
    // Nor may they step it, reveal its number or see its page as another role's.
    let (status, _, _) = clerk.post(&format!("/admin/ledger/{there}/reveal"), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for page in ["/admin/audit", "/admin/accounts", "/admin/devices", "/admin/reference"] {
        assert_eq!(clerk.get(page).await.0, StatusCode::NOT_FOUND, "{page} is not a clerk's");
    }
    let mut sup = Browser::signed_in(&o.s, "sup").await;
    assert_eq!(sup.get(&format!("/admin/ledger/{there}")).await.0, StatusCode::OK);
    assert_eq!(sup.get("/admin/audit").await.0, StatusCode::OK);
}

async fn signed_out_the_admin_web_shows_only_the_sign_in_page(backend: Backend) {
    let o = office(backend).await;
    let item = o.bad_reviews(1).await[0];
    let mut stranger = Browser::new(&o.s.router);
    for page in ["/admin", "/admin/ledger", &format!("/admin/ledger/{item}"), "/admin/audit", "/admin/accounts"] {
        let (status, location, body) = stranger.get(page).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        assert!(location.starts_with("/admin/sign-in?next="), "{page}: {location}");
        assert!(!body.contains(PHONE) && !body.contains("等了很久"), "{page} says nothing");
    }
    let (status, _, body) = stranger.get("/admin/sign-in").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("大厅办公登录"), "Chinese first");
    let (status, _, _) = stranger.post(&format!("/admin/ledger/{item}/step"), &[("step", "verify")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "a change signed out goes to the sign-in page");
    assert_eq!(o.state(item).await, LedgerState::Registered);
    // The public page lists no device.
    let (_, _, body) = stranger.get("/").await;
    assert!(!body.contains("jianghai-w02"), "{body}");
    // Every answer forbids framing and caching.
    let response = stranger.raw("GET", "/admin/sign-in", None, vec![]).await;
    assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
    assert!(response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("frame-ancestors 'none'"));
}

async fn a_change_without_the_token_or_from_elsewhere_is_refused_and_changes_nothing(backend: Backend) {
    let o = office(backend).await;
    let item = o.bad_reviews(1).await[0];
    let mut clerk = Browser::signed_in(&o.s, "clerk").await;
    let path = format!("/admin/ledger/{item}/step");
    let form = |csrf: &str| format!("csrf={csrf}&step=verify&expected_events=1&note=");
    // No token, a wrong token, and the right token from another site.
    for (body, origin) in
        [(form(""), ORIGIN), (form("0123456789abcdef"), ORIGIN), (form(&clerk.csrf), "http://evil.example")]
    {
        let response = clerk.raw("POST", &path, Some(origin), body.into_bytes()).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(o.state(item).await, LedgerState::Registered);
    }
    // No Origin and no Referer: refused too.
    let response = clerk.raw("POST", &path, None, form(&clerk.csrf).into_bytes()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // A token of another session does not fit this one.
    let other = Browser::signed_in(&o.s, "sup").await;
    let response = clerk.raw("POST", &path, Some(ORIGIN), form(&other.csrf).into_bytes()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // Malformed: not a form the page sends.
    let response = clerk.raw("POST", &path, Some(ORIGIN), b"csrf=%ZZ&&&step".to_vec()).await;
    assert!(response.status().is_client_error());
    assert_eq!(o.state(item).await, LedgerState::Registered);
    // The real form works.
    let (status, location, _) =
        clerk.post(&path, &[("step", "verify"), ("expected_events", "1"), ("note", "核实")]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, format!("/admin/ledger/{item}").as_str()));
    assert_eq!(o.state(item).await, LedgerState::Verified);
    // A sign-in from another site is refused before any password is checked.
    let stranger = Browser::new(&o.s.router);
    let body = format!("login=clerk&password={}", PASSWORD.replace(' ', "+"));
    let response = stranger.raw("POST", "/admin/sign-in", Some("http://evil.example"), body.into_bytes()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn wrong_passwords_lock_out_and_an_idle_session_ends(backend: Backend) {
    let o = office(backend).await;
    let mut b = Browser::new(&o.s.router);
    let mut locked = false;
    for _ in 0..8 {
        let (status, _, body) = b.sign_in("clerk", "not the password").await;
        assert_eq!(status, StatusCode::OK, "the form again, with what went wrong");
        assert!(!b.cookies.contains_key("tiyan_admin"));
        if body.contains("错误次数过多") {
            locked = true;
            break;
        }
        assert!(body.contains("账号或密码错误"));
    }
    assert!(locked, "wrong passwords lock the login out");
    let (status, _, body) = b.sign_in("clerk", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("错误次数过多"), "even the right password waits");
    let log = o.s.store.audit_log(&AuditFilter { limit: 100, ..AuditFilter::default() }).await.unwrap();
    assert!(log.iter().filter(|e| e.entry.action == "sign_in_failed").count() >= 3);

    // The supervisor signs in; idle past the limit the session ends (any process sees it: it is in the database).
    let mut sup = Browser::signed_in(&o.s, "sup").await;
    assert_eq!(sup.get("/admin").await.0, StatusCode::OK);
    sup.router = o.s.process(Clock::manual(o.s.now() + Duration::minutes(31)));
    let (status, location, _) = sup.get("/admin/ledger").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.contains("ended=1"), "{location}");
    // Signing out ends the session for good.
    let mut sup = Browser::signed_in(&o.s, "sup").await;
    let (status, _, _) = sup.post("/admin/sign-out", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(!sup.cookies.contains_key("tiyan_admin"), "the browser is told to forget the session");
    assert_eq!(sup.get("/admin").await.0, StatusCode::SEE_OTHER);
}

async fn a_clerk_reveals_a_phone_number_and_the_audit_log_says_so(backend: Backend) {
    let o = office(backend).await;
    let item = o.bad_reviews(1).await[0];
    let mut clerk = Browser::signed_in(&o.s, "clerk").await;
    let (_, _, page) = clerk.get(&format!("/admin/ledger/{item}")).await;
    assert!(page.contains("138****5678") && !page.contains(PHONE), "masked until revealed");
    let (status, _, page) = clerk.post(&format!("/admin/ledger/{item}/reveal"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    // A step's confirmation is shown once, then forgotten.
    let (status, _, _) =
        clerk.post(&format!("/admin/ledger/{item}/step"), &[("step", "verify"), ("expected_events", "1")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(clerk.get(&format!("/admin/ledger/{item}")).await.2.contains("已办理"));
    assert!(!clerk.get(&format!("/admin/ledger/{item}")).await.2.contains("已办理"));
    assert!(page.contains(PHONE));
    // A viewer of the same hall sees it masked and cannot reveal it.
    let mut viewer = Browser::signed_in(&o.s, "viewer").await;
    let (_, _, page) = viewer.get(&format!("/admin/ledger/{item}")).await;
    assert!(!page.contains(PHONE));
    let (status, _, page) = viewer.post(&format!("/admin/ledger/{item}/reveal"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!page.contains(PHONE));
    let log = o.s.store.audit_log(&AuditFilter { limit: 100, ..AuditFilter::default() }).await.unwrap();
    let reveals: Vec<_> = log.iter().filter(|e| e.entry.action == "reveal_phone").collect();
    assert_eq!(reveals.len(), 1);
    assert_eq!((reveals[0].entry.actor.as_str(), reveals[0].entry.target.clone()), ("clerk", item.to_string()));
    // Sign-ins are in the log beside the reveal.
    assert!(log.iter().any(|e| e.entry.action == "sign_in"));
}

/// PIPL over time: the number is kept in full while its item is open and for
/// the set days after it closed, then only its masked form; the erasure is in
/// the audit log, and a second pass finds nothing more to do.
async fn a_call_back_number_is_masked_once_its_time_after_the_item_is_up(backend: Backend) {
    use tiyan_services::housekeeping::{Retention, erase_phones};
    let o = office(backend).await;
    let items = o.bad_reviews(2).await;
    let (closed, open) = (items[0], items[1]);
    for (form, note) in [
        (StepForm::Verify, "已回访"),
        (StepForm::Explain, "已解释"),
        (StepForm::Reply, "已答复"),
        (StepForm::Satisfaction(tiyan_core::ledger::Satisfaction::Satisfied), ""),
    ] {
        o.step(&o.clerk, closed, form, note).await.unwrap();
    }
    let retention = Retention { phones: Duration::days(180), ..Retention::default() };
    let phone_of = |id: Uuid| {
        let store = o.s.store.clone();
        async move {
            let all = store.ratings(&tiyan_storage::RatingFilter::default()).await.unwrap();
            all.into_iter().find(|r| r.rating.id == id).and_then(|r| r.rating.phone)
        }
    };
    let store = o.s.store.as_ref();
    assert_eq!(erase_phones(store, retention, o.s.now() + Duration::days(179)).await.unwrap(), 0);
    assert_eq!(phone_of(closed).await.as_deref(), Some(PHONE), "kept within its time");
    assert_eq!(erase_phones(store, retention, o.s.now() + Duration::days(181)).await.unwrap(), 1);
    assert_eq!(phone_of(closed).await.as_deref(), Some("138****5678"), "only the masked form stays");
    assert_eq!(phone_of(open).await.as_deref(), Some(PHONE), "an open item's number is still needed");
    assert_eq!(erase_phones(store, retention, o.s.now() + Duration::days(400)).await.unwrap(), 0);
    let filter = AuditFilter { action: Some("phones_erased".into()), limit: 10, ..Default::default() };
    let log = store.audit_log(&filter).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].entry.actor.as_str(), log[0].entry.detail.as_str()), ("server", "1 kept past 180 days"));
    // The clerk's reveal shows what is left; nothing changes a rating otherwise.
    let mut clerk = Browser::signed_in(&o.s, "clerk").await;
    let (status, _, page) = clerk.post(&format!("/admin/ledger/{closed}/reveal"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("138****5678") && !page.contains(PHONE));
}
