//! The outbox of reporting up as storage keeps it, on both backends: what the
//! ingest queues (each rating once per target that takes its hall, misuse
//! never), the lease that lets one sender per target run, a record settled
//! twice kept as first acknowledged; and the reconciliation page as a
//! supervisor, a hall administrator of another hall and a clerk see it. The
//! sender against a reference platform is in `tests/sync/upward.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use chrono::Duration;
use tiyan_core::accounts::Role;
use tiyan_core::rating::Rating;
use tiyan_server::testing::Backend;
use tiyan_services::reference;
use tiyan_storage::{AuditFilter, Delivery, UpwardTarget};
use uuid::Uuid;

use common::*;

tiyan_server::on_both_backends!(
    the_ingest_queues_each_rating_once_per_target_and_never_misuse,
    one_sender_holds_a_target_at_a_time_and_takes_over_what_a_dead_one_left,
    the_page_shows_refusals_with_the_reason_and_sends_them_again_audited,
);

async fn targets(s: &Server) {
    s.store.upward_register(&UpwardTarget { name: "province".into(), halls: None }).await.unwrap();
    let only = UpwardTarget { name: "city".into(), halls: Some(vec!["elsewhere".into()]) };
    s.store.upward_register(&only).await.unwrap();
}

/// Ten ratings of a kiosk, the last two flagged as misuse; uploaded twice.
async fn uploaded(s: &Server) -> Vec<Rating> {
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    let records: Vec<Rating> = (1..=10).map(|i| Rating { misuse: i > 8, ..rating(device, i) }).collect();
    for _ in 0..2 {
        let (status, body) = s.upload(device, &secret, ratings(&records)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    records
}

async fn the_ingest_queues_each_rating_once_per_target_and_never_misuse(backend: Backend) {
    let s = server(backend).await;
    targets(&s).await;
    let records = uploaded(&s).await;
    let now = s.now();
    let due = s.store.upward_due("province", now, 100, now + Duration::seconds(30)).await.unwrap();
    let ids: Vec<Uuid> = due.iter().map(|o| o.record_id).collect();
    let expected: Vec<Uuid> = records.iter().filter(|r| !r.misuse).map(|r| r.id).collect();
    assert_eq!(ids, expected, "each rating once, in the order given, misuse left out");
    assert!(due.iter().all(|o| o.hall_id == "jianghai" && o.attempts == 0));
    assert_eq!(due[0].attitude, 5);
    assert!(s.store.upward_due("city", now, 100, now).await.unwrap().is_empty(), "not this target's hall");
    // Sent: not due again until the hold runs out.
    assert!(s.store.upward_due("province", now, 100, now).await.unwrap().is_empty());
    let later = now + Duration::seconds(31);
    assert_eq!(s.store.upward_due("province", later, 100, later).await.unwrap().len(), 8);
}

async fn one_sender_holds_a_target_at_a_time_and_takes_over_what_a_dead_one_left(backend: Backend) {
    let s = server(backend).await;
    targets(&s).await;
    uploaded(&s).await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let now = s.now();
    let lease = |t: i64| now + Duration::seconds(t);
    // Two processes asking at once: one lease.
    let (x, y) = tokio::join!(
        s.store.upward_lease("province", a, now, lease(10)),
        s.store.upward_lease("province", b, now, lease(10))
    );
    assert!(x.unwrap() ^ y.unwrap(), "exactly one holds the target");
    let (holder, other) =
        if s.store.upward_lease("province", a, now, lease(10)).await.unwrap() { (a, b) } else { (b, a) };
    let sent = s.store.upward_due("province", now, 3, lease(60)).await.unwrap();
    assert_eq!(sent.len(), 3);
    // The holder dies with three out; once its lease runs out the other takes over.
    assert!(!s.store.upward_lease("province", other, lease(5), lease(15)).await.unwrap());
    assert!(s.store.upward_lease("province", other, lease(11), lease(21)).await.unwrap());
    assert!(!s.store.upward_lease("province", holder, lease(12), lease(22)).await.unwrap());
    assert_eq!(s.store.upward_reclaim("province", lease(11)).await.unwrap(), 3);
    let again = s.store.upward_due("province", lease(11), 100, lease(60)).await.unwrap();
    assert_eq!(again.len(), 8, "the cut-off batch first, then the rest");
    assert_eq!(again[..3].iter().map(|o| o.seq).collect::<Vec<_>>(), sent.iter().map(|o| o.seq).collect::<Vec<_>>());
    assert!(again[..3].iter().all(|o| o.attempts == 1));
    // An answer that comes twice (or after a refusal was recorded) keeps the first acknowledgement.
    let first = again[0].seq;
    let at = lease(12);
    s.store.upward_settle("province", &[(first, Delivery::Acknowledged)], at).await.unwrap();
    s.store.upward_settle("province", &[(first, Delivery::Refused("late".into()))], at).await.unwrap();
    assert_eq!(s.store.upward_backlog("province").await.unwrap(), 7);
    assert!(s.store.upward_refused(None, 10).await.unwrap().is_empty());
}

async fn the_page_shows_refusals_with_the_reason_and_sends_them_again_audited(backend: Backend) {
    let s = server(backend).await;
    targets(&s).await;
    uploaded(&s).await;
    let sup = s.account(None, "sup", Role::Supervisor, None).await;
    let name = tiyan_core::Text { zh: "海珠政务服务中心".into(), en: String::new() };
    let hall =
        tiyan_core::reference::Hall { kiosk: None, id: "elsewhere".into(), name, division: None, credit_code: None };
    reference::edit(s.cx(), &s.who(&sup), reference::Edit::Hall(hall)).await.unwrap();
    s.account(Some(&sup), "admin2", Role::HallAdmin, Some("elsewhere")).await;
    s.account(Some(&sup), "clerk", Role::Clerk, Some("jianghai")).await;
    let now = s.now();
    let due = s.store.upward_due("province", now, 100, now + Duration::seconds(30)).await.unwrap();
    let mut outcomes: Vec<(i64, Delivery)> = due.iter().map(|o| (o.seq, Delivery::Acknowledged)).collect();
    outcomes[1].1 = Delivery::Refused("满意度代码: 格式或代码不合法".into());
    outcomes[2].1 = Delivery::Refused("deptCode: 缺少必填字段".into());
    s.store.upward_settle("province", &outcomes, now).await.unwrap();

    let mut b = Browser::signed_in(&s, "sup").await;
    let (status, _, page) = b.get("/admin/upward").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("满意度代码: 格式或代码不合法") && page.contains("deptCode: 缺少必填字段"), "{page}");
    assert!(page.contains("class=\"num acknowledged\">6<"), "{page}");
    assert!(page.contains("class=\"num refused\">2<"), "{page}");
    assert_eq!(s.store.upward_refused_count("province").await.unwrap(), 2, "what /metrics shows");

    // Another hall's administrator sees none of it; a clerk has no such page.
    let mut other = Browser::signed_in(&s, "admin2").await;
    let (status, _, page) = other.get("/admin/upward").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("缺少必填字段") && !page.contains("class=\"num refused\""), "{page}");
    let (status, _, _) = other.post("/admin/upward/resend", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(s.store.upward_refused(None, 10).await.unwrap().len(), 2, "another hall's refusals stay");
    let mut clerk = Browser::signed_in(&s, "clerk").await;
    assert_eq!(clerk.get("/admin/upward").await.0, StatusCode::NOT_FOUND);

    // A forged post changes nothing; the supervisor's sends one again, then the rest.
    let forged = b.raw("POST", "/admin/upward/resend", Some("https://evil.example"), b"csrf=x".to_vec()).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(s.store.upward_refused(None, 10).await.unwrap().len(), 2);
    let one = outcomes[1].0.to_string();
    let (status, location, _) = b.post("/admin/upward/resend", &[("seq", &one)]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/upward"));
    assert_eq!(s.store.upward_refused(None, 10).await.unwrap().len(), 1);
    b.post("/admin/upward/resend", &[]).await;
    assert!(s.store.upward_refused(None, 10).await.unwrap().is_empty());
    assert_eq!(s.store.upward_backlog("province").await.unwrap(), 2, "due again");
    assert_eq!(s.store.upward_refused_count("province").await.unwrap(), 0);
    let log = s
        .store
        .audit_log(&AuditFilter { action: Some("upward_resent".into()), limit: 100, ..Default::default() })
        .await;
    assert_eq!(log.unwrap().len(), 3, "each send-again in the log, the other hall's (of nothing) too");
}
