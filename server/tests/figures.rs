//! The monthly assessment on both backends: the month a rating belongs to is
//! the device's, misuse and upheld appeals are left out and counted, a closed
//! month stays frozen with a later appeal beside it as a correction, the
//! workbook and the `report` command say the same numbers, the fleet shows
//! what a kiosk still holds, a live alert is raised once and acknowledged,
//! officers are nominated by a supervisor only, and the public page shows a
//! closed month only, with staff names masked and only when the hall says so.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, Duration, FixedOffset};
use http_body_util::BodyExt;
use tiyan_core::Level;
use tiyan_core::accounts::Role;
use tiyan_core::assessment::Month;
use tiyan_core::rating::Rating;
use tiyan_server::testing::Backend;
use tiyan_services::Error;
use tiyan_services::assessment;
use tiyan_services::ledger::{self, StepForm, StepRequest};
use tiyan_services::report::{Format, Report, workbook};
use tiyan_services::{alerts, officer_year};
use tiyan_storage::{Account, AuditFilter, TallyBy};
use tower::ServiceExt;
use uuid::Uuid;

use common::*;

tiyan_server::on_both_backends!(
    a_month_is_the_devices_own_and_leaves_out_misuse_and_upheld_appeals,
    a_closed_month_stays_frozen_and_a_later_appeal_shows_as_a_correction,
    a_window_near_the_bottom_two_months_running_is_called_in_whether_the_first_is_closed_or_not,
    the_workbook_and_the_report_command_say_the_same_numbers,
    the_fleet_shows_what_a_kiosk_still_holds,
    a_mostly_bad_window_alerts_once_until_acknowledged,
    only_a_supervisor_nominates_the_years_officers,
    the_public_page_shows_closed_months_without_a_citizen_or_a_full_name,
    the_rating_rate_counts_each_case_once_across_kiosks,
    the_rollups_hold_what_two_racing_kiosks_sent_once_with_appeals_taken_out,
    the_hall_office_sets_its_kiosks_from_the_settings_form,
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

fn month(s: &str) -> Month {
    Month::parse(s).unwrap()
}

impl Hall {
    /// Sends ratings given at `time` by `staff` (attitude, competence), each as its own record.
    async fn rate(&self, time: &str, staff: &str, levels: &[(u8, u8)], misuse: bool) -> Vec<Uuid> {
        let first = self.next_seq.fetch_add(levels.len() as u64, Ordering::SeqCst);
        let records: Vec<Rating> = levels
            .iter()
            .enumerate()
            .map(|(i, &(a, c))| {
                let (attitude, competence) =
                    (Level::try_from(i64::from(a)).unwrap(), Level::try_from(i64::from(c)).unwrap());
                let bad = attitude.is_bad() || competence.is_bad();
                Rating {
                    device_time: at(time) + Duration::seconds(i as i64),
                    staff_id: staff.into(),
                    attitude,
                    competence,
                    reasons: if bad { vec!["long_wait".into()] } else { vec![] },
                    misuse,
                    ..rating(self.device, first + i as u64)
                }
            })
            .collect();
        let (status, body) = self.s.upload(self.device, &self.secret, ratings(&records)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        records.iter().map(|r| r.id).collect()
    }

    async fn step(&self, by: &Account, item: Uuid, form: StepForm) -> Result<(), Error> {
        let (row, _) = self.s.store.ledger_item(item).await?.unwrap();
        let request = StepRequest { item, expected_events: row.events, form, note: "", linked: false };
        ledger::take(self.s.cx(), &self.s.who(by), &request).await.map(|_| ())
    }

    /// Takes a bad review through an appeal the supervisor upholds.
    async fn uphold_appeal(&self, item: Uuid) {
        self.step(&self.clerk, item, StepForm::Verify).await.unwrap();
        self.step(&self.clerk, item, StepForm::Appeal).await.unwrap();
        self.step(&self.supervisor, item, StepForm::UpholdAppeal).await.unwrap();
    }

    async fn figures(&self, m: &str) -> assessment::MonthView {
        let reference = self.s.store.reference().await.unwrap();
        let who = self.s.who(&self.supervisor);
        assessment::month(self.s.cx(), &who, &reference, "jianghai", month(m)).await.unwrap()
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let req = Request::builder().uri(path).body(Body::empty()).unwrap();
        let res = self.s.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        (status, String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap())
    }
}

async fn a_month_is_the_devices_own_and_leaves_out_misuse_and_upheld_appeals(backend: Backend) {
    let h = hall(backend).await;
    // 23:50 on 31 October in the hall is October; 00:10 on 1 November is
    // November for the figures, though it is still 31 October in UTC.
    h.rate("2026-10-31T23:50:00+08:00", "staff-100101", &[(5, 5), (4, 4)], false).await;
    h.rate("2026-11-01T00:10:00+08:00", "staff-100101", &[(5, 4)], false).await;
    // Presses flagged as misuse, and a bad review whose appeal is upheld.
    h.rate("2026-10-15T10:00:00+08:00", "staff-100101", &[(1, 1), (1, 1), (1, 1)], true).await;
    let bad = h.rate("2026-10-15T11:00:00+08:00", "staff-100101", &[(1, 2), (2, 2)], false).await;
    h.uphold_appeal(bad[0]).await;

    let october = h.figures("2026-10").await;
    let f = &october.figures;
    assert_eq!(f.hall.figures.ratings, 3, "two good ones and the bad review that stands");
    assert_eq!(f.hall.figures.bad_reviews, 1);
    assert_eq!((f.left_out.misuse, f.left_out.appeals), (3, 1));
    assert_eq!(f.staff.len(), 1);
    assert_eq!(f.staff[0].staff_id, "staff-100101");
    assert_eq!(f.staff[0].figures.ratings, 3);
    assert_eq!(f.staff[0].figures.rank, None, "3 ratings is below the default minimum of 10");
    assert!(f.staff[0].figures.too_few);
    // (5,5)=10, (4,4)=8, (2,2)=3: satisfaction (10+8+3)/3/10 = 70%.
    assert!((f.hall.figures.satisfaction.unwrap() - 70.0).abs() < 1e-9);
    // Ledger items count in the month they were registered (by the server's
    // clock, 23 November): none in October.
    assert_eq!(f.hall.figures.ledger.items, 0);

    let november = h.figures("2026-11").await;
    assert_eq!(november.figures.hall.figures.ratings, 1);
    assert_eq!(november.figures.staff[0].figures.attitude, [0, 0, 0, 0, 1]);
    // The bad review that stands is an item registered this month; the excluded one is not counted.
    let ledger = november.figures.hall.figures.ledger;
    assert_eq!((ledger.items, ledger.replied, ledger.rectified), (1, 0, 0));
    assert_eq!(november.figures.hall.figures.call_back_rate, Some(0.0));
}

async fn a_closed_month_stays_frozen_and_a_later_appeal_shows_as_a_correction(backend: Backend) {
    let h = hall(backend).await;
    h.rate("2026-10-10T10:00:00+08:00", "staff-100102", &[(5, 5); 9], false).await;
    let bad = h.rate("2026-10-10T11:00:00+08:00", "staff-100102", &[(1, 1)], false).await;
    let reference = h.s.store.reference().await.unwrap();
    let cx = h.s.cx();
    // A clerk may not close; the current month cannot be closed.
    let m = month("2026-10");
    assert!(matches!(
        assessment::close(cx, &h.s.who(&h.clerk), &reference, "jianghai", m).await,
        Err(Error::Forbidden(_))
    ));
    let this_month = Month::of(h.s.today());
    assert!(assessment::close(cx, &h.s.who(&h.admin), &reference, "jianghai", this_month).await.is_err());
    assessment::close(cx, &h.s.who(&h.admin), &reference, "jianghai", m).await.unwrap();
    // Closing twice: refused, nothing changes.
    assert!(matches!(
        assessment::close(cx, &h.s.who(&h.supervisor), &reference, "jianghai", m).await,
        Err(Error::Stale)
    ));

    let before = h.figures("2026-10").await;
    assert!(before.closed.is_some());
    assert!(before.corrections.is_empty());
    assert_eq!(before.figures.hall.figures.ratings, 10);
    assert_eq!(before.figures.staff[0].figures.rank, Some(1));

    // The bad review's appeal is upheld after closing.
    h.uphold_appeal(bad[0]).await;
    let after = h.figures("2026-10").await;
    assert_eq!(after.figures.hall.figures.ratings, 10, "the frozen figure never changes silently");
    assert_eq!(after.figures.hall.figures.bad_reviews, 1);
    let hall_fix = after.corrections.iter().find(|c| c.level == "hall").expect("a correction for the hall");
    assert_eq!((hall_fix.frozen.ratings, hall_fix.now.ratings), (10, 9));
    assert_eq!(hall_fix.now.bad_reviews, 0);
    let staff_fix = after.corrections.iter().find(|c| c.level == "staff").expect("a correction for the staff member");
    assert_eq!(staff_fix.id, "staff-100102");
    assert_eq!(staff_fix.now.rank, None, "9 ratings is now below the minimum");

    // The audit log says who closed it.
    let log = h.s.store.audit_log(&AuditFilter { limit: 50, ..AuditFilter::default() }).await.unwrap();
    assert!(log.iter().any(|e| e.entry.action == "month_closed" && e.entry.actor == "admin"), "{log:?}");
}

async fn a_window_near_the_bottom_two_months_running_is_called_in_whether_the_first_is_closed_or_not(backend: Backend) {
    let h = hall(backend).await;
    // Window 02 (the hall's device) rates well, window 03 badly, in October and November.
    let (w03, w03_secret) = h.s.enroll(Some("jianghai-w03")).await;
    for m in ["2026-10-10", "2026-11-10"] {
        h.rate(&format!("{m}T10:00:00+08:00"), "staff-100101", &[(5, 5); 10], false).await;
        let records: Vec<Rating> = (1..=10)
            .map(|i| Rating {
                device_time: at(&format!("{m}T11:00:00+08:00")) + Duration::seconds(i),
                window_id: "jianghai-w03".into(),
                attitude: Level::Dissatisfied,
                competence: Level::Dissatisfied,
                reasons: vec!["long_wait".into()],
                ..rating(w03, if m.starts_with("2026-10") { i as u64 } else { 10 + i as u64 })
            })
            .collect();
        let (status, body) = h.s.upload(w03, &w03_secret, ratings(&records)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let flags = |v: &assessment::MonthView| {
        let mut f: Vec<(String, bool, bool)> = v
            .figures
            .windows
            .iter()
            .map(|w| (w.window_id.clone(), w.figures.near_bottom, w.figures.called_in))
            .collect();
        f.sort();
        f
    };
    let expected = vec![("jianghai-w02".to_string(), false, false), ("jianghai-w03".to_string(), true, true)];
    // October open: computed again for its windows near the bottom.
    assert_eq!(flags(&h.figures("2026-11").await), expected, "October open");
    // October closed: its frozen windows near the bottom, read from the frozen figures.
    let reference = h.s.store.reference().await.unwrap();
    assessment::close(h.s.cx(), &h.s.who(&h.admin), &reference, "jianghai", month("2026-10")).await.unwrap();
    assert_eq!(
        h.s.store.closed_near_bottom("jianghai", month("2026-10")).await.unwrap(),
        Some(vec!["jianghai-w03".into()])
    );
    assert_eq!(h.s.store.closed_near_bottom("jianghai", month("2026-11")).await.unwrap(), None, "November is open");
    assert_eq!(flags(&h.figures("2026-11").await), expected, "October closed");
}

async fn the_workbook_and_the_report_command_say_the_same_numbers(backend: Backend) {
    let h = hall(backend).await;
    // 12 ratings for 李明华 (ranked), 2 for 陈嘉怡 (too few), at two windows.
    h.rate("2026-10-05T09:00:00+08:00", "staff-100102", &[(5, 5); 10], false).await;
    h.rate("2026-10-05T10:00:00+08:00", "staff-100102", &[(4, 3), (2, 2)], false).await;
    h.rate("2026-10-06T10:00:00+08:00", "staff-100101", &[(5, 5), (5, 5)], false).await;
    let reference = h.s.store.reference().await.unwrap();
    let figures = assessment::settled(h.s.cx(), &reference, "jianghai", month("2026-10")).await.unwrap();
    let bytes = workbook(&Report::Hall(Box::new(figures.clone()))).unwrap();

    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["大厅", "窗口", "工作人员", "方法"]);
    let staff = book.worksheet_range("工作人员").unwrap();
    let header: Vec<String> = staff.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(&header[..5], ["大厅", "人员编号", "工号", "姓名", "有效评价数"]);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row_of = |id: &str| staff.rows().find(|r| r[1] == id).unwrap().to_vec();
    let ming = row_of("staff-100102");
    assert_eq!(ming[col("姓名")], Data::String("李明华".into()));
    assert_eq!(ming[col("有效评价数")], Data::Float(12.0), "numbers are numbers");
    assert_eq!(ming[col("差评数")], Data::Float(1.0));
    assert_eq!(ming[col("排名")], Data::Float(1.0));
    // (10·10 + 7 + 3) / 12 = 9.1667 → 91.67%.
    let Data::Float(s) = ming[col("综合满意度(%)")] else { panic!("satisfaction is not a number: {ming:?}") };
    assert!((s - 1100.0 / 12.0).abs() < 1e-9);
    let jia = row_of("staff-100101");
    assert_eq!(jia[col("有效评价数")], Data::Float(2.0));
    assert_eq!(jia[col("评价数不足")], Data::String("是".into()));
    assert_eq!(jia[col("排名")], Data::Empty);
    let hall_sheet = book.worksheet_range("大厅").unwrap();
    assert_eq!(hall_sheet.rows().nth(1).unwrap()[3], Data::Float(14.0));

    // The command line, run as an operator would, against the same database.
    let db = h.s.db.arg();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tiyan-server"))
        .args(["--db", &db, "report", "--month", "2026-10", "--hall", "jianghai", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = json["staff"].as_array().unwrap();
    let find = |id: &str| rows.iter().find(|r| r["staff_id"] == id).unwrap();
    assert_eq!(find("staff-100102")["ratings"], 12);
    assert_eq!(find("staff-100102")["rank"], 1);
    assert_eq!(find("staff-100101")["ratings"], 2);
    assert!(find("staff-100101")["rank"].is_null());
    // Every hall, as CSV: one header and a line per hall, window and staff member.
    let mut csv = Vec::new();
    tiyan_services::report::write(&mut csv, &Report::Hall(Box::new(figures)), Format::Csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 1 + 1 + 1 + 2, "{csv}");
    // A month that is not one is refused by the command.
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_tiyan-server"))
        .args(["--db", &db, "report", "--month", "2026-13", "--format", "json"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

async fn the_fleet_shows_what_a_kiosk_still_holds(backend: Backend) {
    let h = hall(backend).await;
    let fleet = || async {
        let lines = tiyan_services::fleet::fleet(h.s.cx(), &h.s.who(&h.admin)).await.unwrap();
        lines.into_iter().find(|l| l.row.device.id == h.device).unwrap()
    };
    let ask = |query: String| {
        let (device, secret) = (h.device, h.secret.clone());
        let s = &h.s;
        async move { s.call("GET", &format!("/api/v1/sync/state{query}"), &auth(device, &secret), vec![]).await }
    };
    // A kiosk holding 37 ratings the server has not seen asks for its state, its clock 90 s ahead.
    let clock = (h.s.now() + Duration::seconds(90)).with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap());
    let edition = h.s.store.hall_reference("jianghai", None).await.unwrap().version;
    let query = tiyan_core::protocol::StateQuery {
        app_version: Some("0.1.0".into()),
        device_time: Some(clock),
        rating: Some(37),
        diary: Some(0),
        feedback: Some(0),
        case: None,
        reference: edition,
    };
    let path = query.path();
    let (status, body) = ask(path.trim_start_matches("/api/v1/sync/state").to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let line = fleet().await;
    assert_eq!(line.row.waiting, 37);
    assert_eq!(line.row.app_version.as_deref(), Some("0.1.0"));
    let offset = line.row.clock_offset_seconds.unwrap();
    assert!((85..=95).contains(&offset), "{offset}");
    assert!(line.last_contact.is_some());
    assert_eq!((line.row.reference_held, line.row.reference_current), (edition, edition), "the current edition");
    // It sends 10 of them: 27 wait.
    h.rate("2026-11-02T10:00:00+08:00", "staff-100102", &[(5, 5); 10], false).await;
    assert_eq!(fleet().await.row.waiting, 27);
    // A malformed report is refused and changes nothing.
    for bad in [
        "?rating=-1",
        "?app_version=%3Cscript%3E",
        "?device_time=yesterday",
        &format!("?app_version={}", "9".repeat(41)),
        "?reference=latest",
    ] {
        let (status, _) = ask(bad.to_string()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let line = fleet().await;
    assert_eq!((line.row.waiting, line.row.app_version.as_deref()), (27, Some("0.1.0")));
    // The hall's settings change: the page shows the kiosk behind until it asks again.
    let settings = h.s.store.figure_settings("jianghai").await.unwrap();
    assessment::set_settings(h.s.cx(), &h.s.who(&h.admin), "jianghai", &settings).await.unwrap();
    let line = fleet().await;
    assert!(line.row.reference_held < line.row.reference_current, "{:?}", line.row);
    let mut b = Browser::signed_in(&h.s, "admin").await;
    let (_, _, page) = b.get("/admin/devices").await;
    assert!(page.contains("data-version=\"0.1.0\">0.1.0 × 1<") && page.contains("待更新"), "{page}");
    // A device that says nothing (an older app) is still answered.
    assert_eq!(ask(String::new()).await.0, StatusCode::OK);
    // The fleet is not public: signed out, the devices page sends to sign-in.
    assert_eq!(h.get("/admin/devices").await.0, StatusCode::SEE_OTHER);
}

async fn a_mostly_bad_window_alerts_once_until_acknowledged(backend: Backend) {
    let h = hall(backend).await;
    let (store, cx) = (h.s.store.as_ref(), h.s.cx());
    let admin = || h.s.who(&h.admin);
    // Three ratings, two bad: fewer than four, no alert.
    h.rate("2026-11-23T10:00:00+08:00", "staff-100102", &[(5, 5), (1, 1), (2, 3)], false).await;
    assert!(alerts::open(cx, &admin()).await.unwrap().is_empty());
    // The fourth makes 2 of 4 bad: an alert, at once.
    h.rate("2026-11-23T10:01:00+08:00", "staff-100102", &[(5, 4)], false).await;
    let open = alerts::open(cx, &admin()).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!((open[0].window_id.as_str(), open[0].ratings, open[0].bad), ("jianghai-w02", 4, 2));
    // More bad ratings while it is open: still one alert.
    h.rate("2026-11-23T10:02:00+08:00", "staff-100102", &[(1, 1), (1, 1)], false).await;
    assert_eq!(alerts::open(cx, &admin()).await.unwrap().len(), 1);
    // A clerk may not acknowledge; an empty note is refused; the hall's administrator acknowledges.
    let id = open[0].id;
    assert!(matches!(alerts::acknowledge(cx, &h.s.who(&h.clerk), id, "看过了").await, Err(Error::Forbidden(_))));
    assert!(alerts::acknowledge(cx, &h.s.who(&h.admin), id, "  ").await.is_err());
    alerts::acknowledge(cx, &h.s.who(&h.admin), id, "已与窗口负责人沟通，增派人手").await.unwrap();
    assert!(alerts::open(cx, &admin()).await.unwrap().is_empty());
    assert!(matches!(alerts::acknowledge(cx, &h.s.who(&h.admin), id, "again").await, Err(Error::Stale)));
    let log = store.audit_log(&AuditFilter { limit: 50, ..AuditFilter::default() }).await.unwrap();
    assert!(log.iter().any(|e| e.entry.action == "alert_acknowledged" && e.entry.detail.contains("增派人手")));
    // Within the rule's span after one was raised, no new one.
    h.rate("2026-11-23T10:03:00+08:00", "staff-100102", &[(1, 1)], false).await;
    assert!(alerts::open(cx, &admin()).await.unwrap().is_empty());
}

async fn only_a_supervisor_nominates_the_years_officers(backend: Backend) {
    let h = hall(backend).await;
    let store = h.s.store.as_ref();
    let reference = store.reference().await.unwrap();
    let officer = reference.officers[0].id.clone();
    let year = 2026;
    assert!(officer_year::nominate(h.s.cx(), &h.s.who(&h.admin), &reference, year, &officer, true).await.is_err());
    assert!(officer_year::nominate(h.s.cx(), &h.s.who(&h.supervisor), &reference, year, "nobody", true).await.is_err());
    officer_year::nominate(h.s.cx(), &h.s.who(&h.supervisor), &reference, year, &officer, true).await.unwrap();
    let lines = officer_year::year(h.s.cx(), &reference, year).await.unwrap();
    let line = lines.iter().find(|l| l.officer_id == officer).unwrap();
    assert!(line.nominated);
    assert_eq!((line.entries, line.problems, line.rectified), (0, 0, 0));
    officer_year::nominate(h.s.cx(), &h.s.who(&h.supervisor), &reference, year, &officer, false).await.unwrap();
    assert!(!officer_year::year(h.s.cx(), &reference, year).await.unwrap().iter().any(|l| l.nominated));
}

async fn the_public_page_shows_closed_months_without_a_citizen_or_a_full_name(backend: Backend) {
    let h = hall(backend).await;
    h.rate("2026-10-10T10:00:00+08:00", "staff-100102", &[(5, 5); 12], false).await;
    let (status, body) = h.get("/public").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("2026-10"), "nothing is published before a month is closed");
    assert_eq!(h.get("/public/jianghai/2026-10").await.0, StatusCode::NOT_FOUND);
    let reference = h.s.store.reference().await.unwrap();
    assessment::close(h.s.cx(), &h.s.who(&h.admin), &reference, "jianghai", month("2026-10")).await.unwrap();
    // The index goes down the tree (广东省 › 江门市 › 江海区) to the hall.
    let (status, body) = h.get("/public").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("/public?region=440000"), "{body}");
    let (status, body) = h.get("/public?region=440704").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("/public/jianghai/2026-10"), "{body}");
    let (status, body) = h.get("/public/jianghai/2026-10").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("100.0%"), "{body}");
    assert!(!body.contains("李明华") && !body.contains("李*华"), "no staff unless the hall publishes them");
    // The hall turns names on: masked.
    let mut settings = h.s.store.figure_settings("jianghai").await.unwrap();
    settings.publish_names = true;
    assessment::set_settings(h.s.cx(), &h.s.who(&h.admin), "jianghai", &settings).await.unwrap();
    let (_, body) = h.get("/public/jianghai/2026-10?lang=en").await;
    assert!(body.contains("李*华") && !body.contains("李明华"), "{body}");
    assert!(body.contains("Published evaluation results"));
    // Junk in the address: not found, never an error page with details.
    for path in ["/public/jianghai/2026-13", "/public/nowhere/2026-10", "/public/jianghai/%27%3B--"] {
        assert_eq!(h.get(path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
}

/// A case the window's system asked a kiosk to have rated, as the kiosk records it.
fn case(device: Uuid, seq: u64, time: &str, window: &str, case_no: &str) -> tiyan_core::protocol::CaseServed {
    tiyan_core::protocol::CaseServed {
        id: Uuid::now_v7(),
        seq,
        device_id: device,
        device_time: at(time),
        hall_id: "jianghai".into(),
        window_id: window.into(),
        staff_id: "staff-100102".into(),
        case_no: case_no.into(),
        ticket_no: Some(format!("A{seq:03}")),
        matter: Some("营业执照".into()),
    }
}

async fn the_rating_rate_counts_each_case_once_across_kiosks(backend: Backend) {
    let h = hall(backend).await;
    // Window 02's system asks its kiosk for four cases in October and one in November.
    let served: Vec<_> = [
        ("2026-10-12T09:00:00+08:00", "C1"),
        ("2026-10-12T09:20:00+08:00", "C2"),
        ("2026-10-12T09:40:00+08:00", "C3"),
        ("2026-10-31T23:50:00+08:00", "C4"),
        ("2026-11-01T00:10:00+08:00", "C5"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (t, c))| case(h.device, i as u64 + 1, t, "jianghai-w02", c))
    .collect();
    let body = serde_json::to_vec(&tiyan_core::protocol::Upload::Case(served.clone())).unwrap();
    let (status, answer) = h.s.upload(h.device, &h.secret, body.clone()).await;
    assert_eq!((status, answer["ok"]["stored"].as_u64()), (StatusCode::OK, Some(5)), "{answer}");
    // Sent again (an answer lost): nothing new; with other content: a conflict.
    let (status, answer) = h.s.upload(h.device, &h.secret, body).await;
    assert_eq!((status, answer["ok"]["duplicates"].as_u64()), (StatusCode::OK, Some(5)), "{answer}");
    let mut changed = served[0].clone();
    changed.case_no = "C9".into();
    let other = serde_json::to_vec(&tiyan_core::protocol::Upload::Case(vec![changed])).unwrap();
    assert_eq!(h.s.upload(h.device, &h.secret, other).await.0, StatusCode::CONFLICT);
    // A case of another hall's window is refused.
    let foreign = serde_json::to_vec(&tiyan_core::protocol::Upload::Case(vec![case(
        h.device,
        6,
        "2026-10-13T09:00:00+08:00",
        "haizhu-w01",
        "C6",
    )]))
    .unwrap();
    assert_eq!(h.s.upload(h.device, &h.secret, foreign).await.0, StatusCode::UNPROCESSABLE_ENTITY);

    // Kiosk A rates C1 and C2 and one rating without a case; kiosk B, after a
    // reset at window 03, rates C2 again: kept, left out.
    let rated = |device, seq, time: &str, window: &str, case_no: Option<&str>| Rating {
        device_time: at(time),
        window_id: window.into(),
        case_no: case_no.map(str::to_string),
        ..rating(device, seq)
    };
    let a = [
        rated(h.device, 1, "2026-10-12T09:05:00+08:00", "jianghai-w02", Some("C1")),
        rated(h.device, 2, "2026-10-12T09:25:00+08:00", "jianghai-w02", Some("C2")),
        rated(h.device, 3, "2026-10-12T10:00:00+08:00", "jianghai-w02", None),
    ];
    assert_eq!(h.s.upload(h.device, &h.secret, ratings(&a)).await.0, StatusCode::OK);
    let (other_kiosk, other_secret) = h.s.enroll(Some("jianghai-w03")).await;
    let b = [rated(other_kiosk, 1, "2026-10-12T09:30:00+08:00", "jianghai-w03", Some("C2"))];
    assert_eq!(h.s.upload(other_kiosk, &other_secret, ratings(&b)).await.0, StatusCode::OK);
    assert_eq!(h.s.held().await.len(), 4, "every rating is kept");

    let october = h.figures("2026-10").await.figures;
    let f = &october.hall.figures;
    assert_eq!((f.cases.served, f.cases.rated, f.rating_rate), (4, 2, Some(50.0)));
    assert_eq!((f.ratings, f.without_case), (3, 1), "the repeat is not counted");
    assert_eq!(october.left_out.case_repeats, 1);
    let w02 = october.windows.iter().find(|w| w.window_id == "jianghai-w02").unwrap();
    assert!(w02.figures.rate_low, "50% is under the hall's 90%");
    let november = h.figures("2026-11").await.figures;
    assert_eq!((november.hall.figures.cases.served, november.hall.figures.rating_rate), (1, Some(0.0)));
    // The workbook and the page carry it.
    let bytes = workbook(&Report::Hall(Box::new(october))).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let hall_sheet = book.worksheet_range("大厅").unwrap();
    let header: Vec<String> = hall_sheet.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {header:?}"));
    let row = hall_sheet.rows().nth(1).unwrap();
    assert_eq!(row[col("办件数")], Data::Float(4.0));
    assert_eq!(row[col("评价率(%)")], Data::Float(50.0));
    let mut b = Browser::signed_in(&h.s, "admin").await;
    let (_, _, page) = b.get("/admin/figures?hall=jianghai&month=2026-10").await;
    assert!(page.contains("50.0%") && page.contains("评价率"), "the page shows the rating rate");
}

/// The rollups the figures read are kept by the database as ratings go in: two
/// kiosks at one window upload at once into the same rows, a page is sent
/// twice, appeals are upheld; the rollups then say what a count of what was
/// sent says, month by month, per kind, and the region's trend agrees.
async fn the_rollups_hold_what_two_racing_kiosks_sent_once_with_appeals_taken_out(backend: Backend) {
    let h = hall(backend).await;
    let (second, second_secret) = h.s.enroll(Some("jianghai-w02")).await;
    let staff = ["staff-100101", "staff-100102"];
    // 240 ratings a kiosk over October and November, every level, some misuse.
    let records = |device: Uuid, salt: u64| -> Vec<Rating> {
        (1..=240u64)
            .map(|seq| {
                let n = seq * 7 + salt;
                let level = |k: u64| Level::try_from(1 + ((n * k) % 5) as i64).unwrap();
                let (attitude, competence) = (level(3), level(11));
                let day = Duration::days((n % 50) as i64) + Duration::minutes((n % 480) as i64);
                Rating {
                    device_time: at("2026-10-01T09:00:00+08:00") + day,
                    staff_id: staff[(n % 2) as usize].into(),
                    attitude,
                    competence,
                    reasons: if attitude.is_bad() || competence.is_bad() { vec!["long_wait".into()] } else { vec![] },
                    misuse: n.is_multiple_of(11),
                    ..rating(device, seq)
                }
            })
            .collect()
    };
    let (first, other) = (records(h.device, 0), records(second, 3));
    let send = |device: Uuid, secret: String, records: Vec<Rating>| {
        let s = &h.s;
        async move {
            for page in records.chunks(20) {
                let (status, body) = s.upload(device, &secret, ratings(page)).await;
                assert_eq!(status, StatusCode::OK, "{body}");
            }
        }
    };
    tokio::join!(send(h.device, h.secret.clone(), first.clone()), send(second, second_secret.clone(), other.clone()));
    // A page sent again (the answer was lost): held once.
    let (status, body) = h.s.upload(second, &second_secret, ratings(&other[..20])).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Appeals upheld on every fifth bad review that is no misuse.
    let sent: Vec<&Rating> = first.iter().chain(&other).collect();
    let bad: Vec<&&Rating> =
        sent.iter().filter(|r| !r.misuse && (r.attitude.is_bad() || r.competence.is_bad())).collect();
    let upheld: Vec<Uuid> = bad.iter().step_by(5).map(|r| r.id).collect();
    for id in &upheld {
        h.uphold_appeal(*id).await;
    }

    // What a count of what was sent says.
    let tally = |keep: &dyn Fn(&Rating) -> bool, m: Month| {
        let mut t = tiyan_core::assessment::Tally::default();
        for r in sent.iter().filter(|r| Month::of(r.device_time.date_naive()) == m && keep(r)) {
            t.add(r.attitude.value(), r.competence.value(), 1);
        }
        t
    };
    let (from, to) = (month("2026-10").first_day(), month("2026-12").first_day());
    let held = h.s.store.rating_tallies("jianghai", from, to, TallyBy::StaffAndWindow).await.unwrap();
    let by_window = h.s.store.rating_tallies("jianghai", from, to, TallyBy::Window).await.unwrap();
    let sum = |rows: &[tiyan_storage::TallyRow], m: Month| {
        let mut t = tiyan_core::assessment::Tally::default();
        rows.iter().filter(|r| r.month == m).for_each(|r| t.merge(&r.tally));
        t
    };
    let who = h.s.who(&h.supervisor);
    let trend = assessment::region_trend(h.s.cx(), &who, None, month("2026-11")).await.unwrap();
    for m in [month("2026-10"), month("2026-11")] {
        let rated = tally(&|r| !r.misuse, m);
        let excluded = tally(&|r| upheld.contains(&r.id), m);
        assert!(rated.ratings() > 100 && excluded.ratings() > 0, "{m}: the data covers the case");
        assert_eq!(sum(&held.rated, m), rated, "{m}: rated");
        assert_eq!(sum(&held.misuse, m), tally(&|r| r.misuse, m), "{m}: misuse");
        // Misuse counts only as the month's total: one row, nobody named.
        let misuse: Vec<_> = held.misuse.iter().filter(|r| r.month == m).collect();
        assert!(misuse.len() == 1 && misuse[0].staff_id.is_empty() && misuse[0].window_id.is_empty(), "{misuse:?}");
        // By window: the same counts, the windows named and nobody else.
        assert_eq!(sum(&by_window.rated, m), rated, "{m}: rated by window");
        assert_eq!(sum(&by_window.excluded, m), excluded, "{m}: excluded by window");
        assert!(by_window.rated.iter().all(|r| r.staff_id.is_empty() && !r.window_id.is_empty()));
        let windows = |rows: &[tiyan_storage::TallyRow]| {
            rows.iter().filter(|r| r.month == m).map(|r| r.window_id.clone()).collect::<std::collections::BTreeSet<_>>()
        };
        assert_eq!(windows(&by_window.rated), windows(&held.rated));
        assert_eq!(sum(&held.excluded, m), excluded, "{m}: excluded by an appeal");
        assert!(held.repeats.is_empty());
        let mut counted = rated;
        counted.subtract(&excluded);
        let figures = h.figures(&m.to_string()).await.figures.hall.figures;
        assert_eq!((figures.ratings, figures.bad_reviews), (counted.ratings(), counted.bad));
        let point = trend.iter().find(|p| p.month == m).unwrap();
        assert_eq!(point.ratings, counted.ratings(), "{m}: the region's trend");
    }
    // The ledger's rollup: every bad review that is no misuse is an item, less
    // those an appeal excluded (all registered on the server's day).
    let today = Month::of(h.s.today());
    let items: u64 =
        h.s.store
            .ledger_tallies("jianghai", today.first_day(), today.next().first_day())
            .await
            .unwrap()
            .iter()
            .map(|r| r.tally.items)
            .sum();
    assert_eq!(items, (bad.len() - upheld.len()) as u64);
}

/// Settings from the centre, on the page: a hall administrator sets the kiosks'
/// lunch break, sleep, idle time and languages; a bad value or a forged post
/// changes nothing; what is saved moves the hall's edition (so its kiosks take
/// it at their next sync), is audited, and shows again on the form.
async fn the_hall_office_sets_its_kiosks_from_the_settings_form(backend: Backend) {
    use tiyan_core::settings::Span;
    let h = hall(backend).await;
    let mut b = Browser::signed_in(&h.s, "admin").await;
    let edition = || async { h.s.store.hall_reference("jianghai", None).await.unwrap().version };
    let before = edition().await;
    let form = |lunch_from: &'static str, idle: &'static str| {
        vec![
            ("hall", "jianghai"),
            ("minimum_ratings", "10"),
            ("opens", "08:30"),
            ("closes", "17:30"),
            ("silence_minutes", "30"),
            ("alert_minutes", "15"),
            ("alert_min_ratings", "4"),
            ("alert_bad_percent", "50"),
            ("rating_rate_percent", "90"),
            ("lunch_from", lunch_from),
            ("lunch_to", "13:30"),
            ("sleep_when_closed", "1"),
            ("kiosk_idle_seconds", idle),
            ("kiosk_interval_seconds", ""),
            ("kiosk_languages", "zh-CN"),
        ]
    };
    // A lunch break outside the opening hours, an idle time out of range, a forged post: nothing changes.
    for (fields, why) in [(form("07:00", "45"), "lunch before opening"), (form("12:00", "2"), "idle of 2 s")] {
        let (status, _, _) = b.post("/admin/figures/settings", &fields).await;
        assert!(status.is_redirection() || status.is_client_error(), "{why}: {status}");
        assert_eq!(h.s.store.figure_settings("jianghai").await.unwrap().kiosk, Default::default(), "{why}");
    }
    let body = serde_urlencoded::to_string(form("12:00", "45")).unwrap() + "&csrf=forged";
    let forged = b.raw("POST", "/admin/figures/settings", Some(ORIGIN), body.into_bytes()).await;
    assert!(forged.status().is_client_error(), "{}", forged.status());
    assert_eq!(h.s.store.figure_settings("jianghai").await.unwrap().kiosk, Default::default());
    assert_eq!(edition().await, before, "nothing new for the kiosks");

    let (status, _, body) = b.post("/admin/figures/settings", &form("12:00", "45")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let saved = h.s.store.figure_settings("jianghai").await.unwrap();
    let hm = |s: &str| chrono::NaiveTime::parse_from_str(s, "%H:%M").unwrap();
    assert_eq!(saved.kiosk.lunch, Some(Span { from: hm("12:00"), to: hm("13:30") }));
    assert!(saved.kiosk.sleep_when_closed);
    assert_eq!((saved.kiosk.idle_seconds, saved.kiosk.interval_seconds), (Some(45), None));
    assert_eq!(saved.kiosk.languages, Some(vec![tiyan_core::Language::ZhCn]));
    let update = h.s.store.hall_reference("jianghai", before).await.unwrap();
    assert!(update.version > before, "a new edition for the hall's kiosks");
    let sent = update.data.expect("the hall's data").halls[0].kiosk.clone().expect("the centre's settings");
    assert_eq!((sent.opens, sent.closes, sent.policy), (hm("08:30"), hm("17:30"), saved.kiosk.clone()));
    let log = h.s.store.audit_log(&AuditFilter { limit: 50, ..AuditFilter::default() }).await.unwrap();
    assert!(
        log.iter().any(|e| e.entry.action == "figure_settings_set" && e.entry.detail.contains("\"idle_seconds\":45")),
        "{log:?}"
    );
    let (_, _, page) = b.get("/admin/figures?hall=jianghai&month=2026-10").await;
    assert!(page.contains("name=\"lunch_from\" value=\"12:00\"") && page.contains("value=\"45\""), "the form shows it");
    // A clerk of the hall may not change it.
    let mut clerk = Browser::signed_in(&h.s, "clerk").await;
    let (status, _, _) = clerk.post("/admin/figures/settings", &form("12:00", "60")).await;
    assert!(status.is_client_error() || status.is_redirection());
    assert_eq!(h.s.store.figure_settings("jianghai").await.unwrap().kiosk.idle_seconds, Some(45));
}
