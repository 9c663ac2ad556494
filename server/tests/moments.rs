//! The hall office at the awkward moments of its clock, on both backends, with
//! the server's clock passed in: the minutes after midnight in the hall (still
//! the day before in UTC), a month that is over by the hall's date, a live
//! alert whose fifteen minutes span midnight and the new year, and a deadline
//! that falls in a year whose holiday arrangement is not published yet. (The
//! suites also run whole under libfaketime at such moments: scripts/test.sh.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::StatusCode;
use chrono::{DateTime, FixedOffset};
use tiyan_core::Level;
use tiyan_core::accounts::Role;
use tiyan_core::assessment::Month;
use tiyan_core::rating::Rating;
use tiyan_server::testing::Backend;
use tiyan_services::calendar::{self, CalendarEdit};
use tiyan_services::ledger::{self, StepForm, StepRequest};
use tiyan_services::{Error, Invalid};
use tiyan_services::{alerts, assessment};
use tiyan_storage::Account;
use uuid::Uuid;

use common::*;

tiyan_server::on_both_backends!(
    just_after_midnight_the_dashboard_counts_the_halls_new_day_and_month,
    a_month_closes_once_it_is_over_by_the_halls_date,
    a_live_alert_counts_its_fifteen_minutes_across_midnight_and_the_new_year,
    a_deadline_in_a_year_without_a_calendar_is_an_estimate_and_says_so,
);

struct Hall {
    s: Server,
    supervisor: Account,
    admin: Account,
    clerk: Account,
    device: Uuid,
    secret: String,
    next_seq: AtomicU64,
}

async fn hall(backend: Backend) -> Hall {
    let s = server(backend).await;
    let supervisor = s.account(None, "sup", Role::Supervisor, None).await;
    let admin = s.account(Some(&supervisor), "admin", Role::HallAdmin, Some("jianghai")).await;
    let clerk = s.account(Some(&supervisor), "clerk", Role::Clerk, Some("jianghai")).await;
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    Hall { s, supervisor, admin, clerk, device, secret, next_seq: AtomicU64::new(1) }
}

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

impl Hall {
    /// The server's clock moves to `time` (China time), and the kiosk sends a
    /// rating given then (attitude, competence) with a case number (so that
    /// none is misuse); a bad one gives a reason.
    async fn rate_at(&self, time: &str, attitude: u8, competence: u8) -> Uuid {
        self.s.clock.set(instant(time));
        let seq = self.next_seq.fetch_add(1, Ordering::SeqCst);
        let (attitude, competence) =
            (Level::try_from(i64::from(attitude)).unwrap(), Level::try_from(i64::from(competence)).unwrap());
        let bad = attitude.is_bad() || competence.is_bad();
        let r = Rating {
            device_time: at(time),
            case_no: Some(format!("B{seq:04}")),
            attitude,
            competence,
            reasons: if bad { vec!["long_wait".into()] } else { vec![] },
            ..rating(self.device, seq)
        };
        let (status, body) = self.s.upload(self.device, &self.secret, ratings(std::slice::from_ref(&r))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        r.id
    }

    async fn step(&self, by: &Account, item: Uuid, form: StepForm) -> Result<(), Error> {
        let (row, _) = self.s.store.ledger_item(item).await?.unwrap();
        let request = StepRequest { item, expected_events: row.events, form, note: "核实", linked: false };
        ledger::take(self.s.cx(), &self.s.who(by), &request).await.map(|_| ())
    }
}

/// The number in the dashboard tile that opens `href`.
fn tile(page: &str, href: &str) -> u64 {
    let at = page.find(&format!("href=\"{href}\"")).unwrap_or_else(|| panic!("no tile opens {href}: {page}"));
    number_after(&page[at..], "<span class=\"count\">")
}

/// The figure of "this month's ratings" labelled `label`.
fn month_figure(page: &str, label: &str) -> u64 {
    let at = page.find(&format!("<dt>{label}</dt>")).unwrap_or_else(|| panic!("no {label}: {page}"));
    number_after(&page[at..], "<dd>")
}

fn number_after(text: &str, marker: &str) -> u64 {
    let from = text.find(marker).unwrap() + marker.len();
    text[from..].split('<').next().unwrap().trim().parse().unwrap()
}

async fn just_after_midnight_the_dashboard_counts_the_halls_new_day_and_month(backend: Backend) {
    let h = hall(backend).await;
    // Monday 30 November: a bad review, to be verified within a working day
    // (by Tuesday 1 December), and a good rating just before midnight.
    let bad = h.rate_at("2026-11-30T10:00:00+08:00", 1, 2).await;
    h.rate_at("2026-11-30T23:58:00+08:00", 5, 5).await;
    let (row, _) = h.s.store.ledger_item(bad).await.unwrap().unwrap();
    assert_eq!(row.due_date.map(|d| d.to_string()).as_deref(), Some("2026-12-01"));
    assert!(!row.due_estimate);
    // Five minutes past midnight in the hall; in UTC it is still 30 November.
    h.rate_at("2026-12-01T00:03:00+08:00", 5, 4).await;
    h.s.clock.set(instant("2026-12-01T00:05:00+08:00"));
    assert_eq!(h.s.now().date_naive().to_string(), "2026-11-30", "UTC is a day behind");

    let mut b = Browser::signed_in(&h.s, "sup").await;
    let (status, _, page) = b.get("/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tile(&page, "/admin/ledger?due_by=2026-12-01"), 1, "due today is the hall's today");
    assert_eq!(tile(&page, "/admin/ledger?overdue=1"), 0);
    assert_eq!(tile(&page, "/admin/ledger?state=registered"), 0, "nothing was registered on 1 December");
    // This month is December in the hall: the rating at 00:03 only.
    assert_eq!(month_figure(&page, "计入评价"), 1);
    assert_eq!(month_figure(&page, "差评"), 0);
    // The next day (signed in again: a day idle ends a session) the verification is overdue.
    h.s.clock.set(instant("2026-12-02T00:01:00+08:00"));
    let (_, _, page) = Browser::signed_in(&h.s, "sup").await.get("/admin").await;
    assert_eq!(tile(&page, "/admin/ledger?overdue=1"), 1);
    assert_eq!(tile(&page, "/admin/ledger?due_by=2026-12-02"), 0);
}

async fn a_month_closes_once_it_is_over_by_the_halls_date(backend: Backend) {
    let h = hall(backend).await;
    for minute in 0..3 {
        h.rate_at(&format!("2026-11-30T23:5{minute}:00+08:00"), 5, 5).await;
    }
    let reference = h.s.store.reference().await.unwrap();
    let cx = h.s.cx();
    let november = Month::parse("2026-11").unwrap();
    h.s.clock.set(instant("2026-11-30T23:59:00+08:00"));
    let early = assessment::close(cx, &h.s.who(&h.admin), &reference, "jianghai", november).await;
    assert!(matches!(early, Err(Error::Invalid(Invalid::MonthNotOver))), "{early:?}");
    // A minute past midnight in the hall (16:01 UTC on 30 November) the month is over.
    h.s.clock.set(instant("2026-12-01T00:01:00+08:00"));
    assessment::close(cx, &h.s.who(&h.admin), &reference, "jianghai", november).await.unwrap();
    let view = assessment::month(cx, &h.s.who(&h.admin), &reference, "jianghai", november).await.unwrap();
    assert_eq!(view.closed.as_ref().map(|c| c.closed_at), Some(h.s.now()));
    assert_eq!(view.figures.hall.figures.ratings, 3);
    // December is the hall's current month now: not closed.
    let december = Month::parse("2026-12").unwrap();
    assert!(assessment::close(cx, &h.s.who(&h.supervisor), &reference, "jianghai", december).await.is_err());
}

async fn a_live_alert_counts_its_fifteen_minutes_across_midnight_and_the_new_year(backend: Backend) {
    let h = hall(backend).await;
    let cx = h.s.cx();
    let admin = || h.s.who(&h.admin);
    // New Year's Eve: a good and a bad rating, then a bad one at 23:58.
    h.rate_at("2026-12-31T23:52:00+08:00", 5, 5).await;
    h.rate_at("2026-12-31T23:55:00+08:00", 1, 1).await;
    h.rate_at("2026-12-31T23:58:00+08:00", 2, 3).await;
    assert!(alerts::open(cx, &admin()).await.unwrap().is_empty(), "three ratings are too few");
    // Three minutes into 2027 the fourth makes 2 bad of 4 within fifteen minutes.
    h.rate_at("2027-01-01T00:03:00+08:00", 4, 4).await;
    let open = alerts::open(cx, &admin()).await.unwrap();
    assert_eq!(open.len(), 1, "the window's minutes run across midnight");
    assert_eq!((open[0].ratings, open[0].bad, open[0].minutes), (4, 2, 15));
    assert_eq!(open[0].raised_at, instant("2027-01-01T00:03:00+08:00"));
    alerts::acknowledge(cx, &admin(), open[0].id, "已到窗口了解情况").await.unwrap();
    // At 00:20 the evening's ratings are out of the window: one bad of one is no alert.
    h.rate_at("2027-01-01T00:20:00+08:00", 1, 1).await;
    assert!(alerts::open(cx, &admin()).await.unwrap().is_empty());
}

async fn a_deadline_in_a_year_without_a_calendar_is_an_estimate_and_says_so(backend: Backend) {
    let h = hall(backend).await;
    // The server knows 2025 and 2026 only (what a new server imports).
    let years: Vec<i32> = h.s.store.calendar_years().await.unwrap().iter().map(|y| y.year).collect();
    assert_eq!(years, [2025, 2026]);
    // Tuesday 29 December 2026: a bad review, verified, rectification in five working days.
    let item = h.rate_at("2026-12-29T10:00:00+08:00", 2, 2).await;
    h.step(&h.clerk, item, StepForm::Verify).await.unwrap();
    h.step(&h.clerk, item, StepForm::Rectify { complex: false }).await.unwrap();
    // Wed 30, Thu 31, then 2027 as plain weeks but for New Year's Day, which
    // the law fixes: Mon 4, Tue 5, Wed 6 January. An estimate.
    let (row, _) = h.s.store.ledger_item(item).await.unwrap().unwrap();
    assert_eq!(row.due_date.map(|d| d.to_string()).as_deref(), Some("2027-01-06"));
    assert!(row.due_estimate);

    // The item and the dashboard say so, and the dashboard asks for the year.
    let mut b = Browser::signed_in(&h.s, "clerk").await;
    let (_, _, page) = b.get(&format!("/admin/ledger/{item}")).await;
    let due = page.split("id=\"item-due\">").nth(1).unwrap().split("</dd>").next().unwrap();
    assert!(due.contains("2027-01-06") && due.contains("（估算）"), "{due}");
    let (_, _, page) = b.get("/admin").await;
    assert!(page.contains("有 1 项的期限为估算。"), "{page}");
    assert!(page.contains("尚未导入 2027 年的节假日安排"), "{page}");

    // The arrangement is published and imported: the deadline becomes a date.
    // (A made-up file in holiday-cn's format: 1 January and Monday 4 January
    // off.) Wed 30, Thu 31, Tue 5, Wed 6, Thu 7.
    let file = r#"{"year": 2027, "days": [
        {"name": "元旦", "date": "2027-01-01", "isOffDay": true},
        {"name": "元旦", "date": "2027-01-04", "isOffDay": true}]}"#;
    let who = h.s.who(&h.supervisor);
    calendar::edit(h.s.cx(), &who, CalendarEdit::File(file.as_bytes().to_vec())).await.unwrap();
    let (row, _) = h.s.store.ledger_item(item).await.unwrap().unwrap();
    assert_eq!(row.due_date.map(|d| d.to_string()).as_deref(), Some("2027-01-07"));
    assert!(!row.due_estimate, "no longer an estimate");
    let (_, _, page) = b.get("/admin").await;
    assert!(!page.contains("期限为估算") && !page.contains("尚未导入 2027 年"), "{page}");
}
