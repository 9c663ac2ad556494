//! A province on both backends: the tree of regions imported as the official
//! list (CSV, twelve-digit statistical codes too), halls hung under it, a
//! city's supervisor and a county's administrator made in the page by the
//! province's supervisor, and each of them seeing their subtree only (every
//! other region's hall, item, device, figure, account or region by its
//! address is "not found"); a city's halls ranked side by side against it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use chrono::Duration;
use tiyan_core::Level;
use tiyan_core::Text;
use tiyan_core::accounts::{Place, Role};
use tiyan_core::assessment::Month;
use tiyan_core::protocol::DeviceRole;
use tiyan_core::rating::Rating;
use tiyan_core::reference::{Hall, Window};
use tiyan_core::region::Division;
use tiyan_server::testing::Backend;
use tiyan_services::assessment::{self, ReportOf};
use tiyan_services::reference::{self, Edit, StaffForm};
use tiyan_services::reference_files::{CsvFiles, load_csv};
use tiyan_services::report::Report;
use tiyan_services::{Error, Who, accounts, devices, export, ledger};
use tiyan_storage::{LedgerFilter, RatingFilter};
use uuid::Uuid;

use common::*;

tiyan_server::on_both_backends!(
    each_account_sees_its_subtree_and_nothing_beside_it,
    a_citys_figures_rank_its_halls_against_the_city,
    an_edit_in_one_hall_makes_only_its_kiosks_pull,
    the_reference_page_pages_and_searches_a_provinces_staff,
);

/// Guangdong (440000) → Jiangmen (440700) → Jianghai (440704, the demo hall)
/// and Pengjiang (440703); Shenzhen (440300) → Futian (440304).
const REGIONS: &str = "code,name,name_en
440000000000,广东省,Guangdong
440700000000,江门市,Jiangmen
440703000000,蓬江区,Pengjiang
440704000000,江海区,Jianghai
440300000000,深圳市,Shenzhen
440304000000,福田区,Futian
";

fn d(code: &str) -> Division {
    Division::parse(code).unwrap()
}

fn region(code: &str) -> Place {
    Place::Region(d(code))
}

/// The province: the regions imported from the official list, the demo hall
/// under Tianhe, and a hall with a window and a staff member in Haizhu and in Futian.
async fn province(backend: Backend) -> Server {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("regions.csv");
    std::fs::write(&file, REGIONS).unwrap();
    let loaded = load_csv(&CsvFiles { regions: Some(file), ..CsvFiles::default() }).unwrap();
    let console = Who::console(s.now());
    reference::import(s.cx(), &console, loaded).await.unwrap();
    let text = |zh: &str| Text { zh: zh.into(), en: String::new() };
    let demo = s.cx().reference().await.unwrap();
    assert_eq!(demo.halls[0].division, Some(d("440704")), "the demo hall hangs under 江海区");
    let mut edits = Vec::new();
    for (hall, name, code, no) in
        [("pengjiang", "蓬江政务服务中心", "440703", "200101"), ("futian", "福田政务服务中心", "440304", "300101")]
    {
        edits.push(Edit::Hall(Hall {
            kiosk: None,
            id: hall.into(),
            name: text(name),
            division: Some(d(code)),
            credit_code: None,
        }));
        edits.push(Edit::Window(Window {
            id: format!("{hall}-w01"),
            hall_id: hall.into(),
            number: "01".into(),
            name: text("综合"),
            credit_code: None,
        }));
        edits.push(Edit::Staff {
            staff: StaffForm {
                id: format!("staff-{no}"),
                hall_id: hall.into(),
                employee_no: no.into(),
                name: format!("{name}员工"),
                department: None,
            },
            pin: Some("246810".into()),
            photo: None,
        });
    }
    for edit in edits {
        reference::edit(s.cx(), &console, edit).await.unwrap();
    }
    s
}

/// A kiosk enrolled at the hall's window 01 (the demo hall's 02) sends
/// `levels` as ratings of its staff member; the kiosk's id.
async fn ratings_at(s: &Server, hall: &str, levels: &[Level]) -> Uuid {
    kiosk_at(s, hall, levels).await.0
}

/// As [`ratings_at`], with the kiosk's secret.
async fn kiosk_at(s: &Server, hall: &str, levels: &[Level]) -> (Uuid, String) {
    let (window, staff) = match hall {
        "jianghai" => ("jianghai-w02".to_string(), "staff-100102".to_string()),
        "pengjiang" => ("pengjiang-w01".into(), "staff-200101".into()),
        _ => ("futian-w01".into(), "staff-300101".into()),
    };
    let device = Uuid::now_v7();
    let code =
        devices::issue_code(s.cx(), &Who::console(s.now()), DeviceRole::Kiosk, hall, Some(&window), Duration::hours(1))
            .await
            .unwrap();
    let body = serde_json::json!({"code": code, "device_id": device, "name": format!("{hall} kiosk")});
    let (status, answer) = s.call("POST", "/api/v1/enroll", &proto(), serde_json::to_vec(&body).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let secret = answer["ok"]["secret"].as_str().unwrap().to_string();
    let records: Vec<Rating> = (1..=levels.len() as u64)
        .map(|seq| {
            let level = levels[seq as usize - 1];
            let bad = level.is_bad();
            Rating {
                hall_id: hall.into(),
                window_id: window.clone(),
                staff_id: staff.clone(),
                attitude: level,
                competence: level,
                reasons: if bad { vec!["long_wait".into()] } else { vec![] },
                ..rating(device, seq)
            }
        })
        .collect();
    if !records.is_empty() {
        let (status, body) = s.upload(device, &secret, ratings(&records)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    (device, secret)
}

/// The version a kiosk is told to hold, and what it pulls from the one it holds.
async fn kiosk_view(s: &Server, (device, secret): &(Uuid, String), holds: Option<i64>) -> (i64, serde_json::Value) {
    let (status, state) = s.call("GET", "/api/v1/sync/state", &auth(*device, secret), vec![]).await;
    assert_eq!(status, StatusCode::OK, "{state}");
    let version = state["ok"]["reference_version"].as_i64().unwrap();
    let since = holds.map_or(String::new(), |v| format!("?since={v}"));
    let (status, pulled) = s.call("GET", &format!("/api/v1/reference{since}"), &auth(*device, secret), vec![]).await;
    assert_eq!(status, StatusCode::OK, "{pulled}");
    (version, pulled["ok"].clone())
}

async fn an_edit_in_one_hall_makes_only_its_kiosks_pull(backend: Backend) {
    let s = province(backend).await;
    let jianghai = kiosk_at(&s, "jianghai", &[]).await;
    let pengjiang = kiosk_at(&s, "pengjiang", &[]).await;
    let (j0, pulled) = kiosk_view(&s, &jianghai, None).await;
    let staff: Vec<&str> =
        pulled["data"]["staff"].as_array().unwrap().iter().map(|x| x["hall_id"].as_str().unwrap()).collect();
    assert!(!staff.is_empty() && staff.iter().all(|h| *h == "jianghai"), "its own hall's staff only: {staff:?}");
    let regions: Vec<&str> =
        pulled["data"]["regions"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(regions, ["440704"], "the region its hall hangs under, not the tree");
    assert!(pulled["data"]["officers"].as_array().is_none_or(|o| o.is_empty()));
    // What a kiosk is handed is whole by the kiosk's own check (as `tiyan-client` imports it).
    let data: tiyan_core::reference::ReferenceData = serde_json::from_value(pulled["data"].clone()).unwrap();
    assert_eq!(data.validate(), Ok(()));
    let (p0, _) = kiosk_view(&s, &pengjiang, None).await;

    // A staff member of Pengjiang renamed in the page: Pengjiang's kiosks pull it, Jianghai's are told nothing.
    let console = Who::console(s.now());
    let current = s.cx().reference().await.unwrap();
    let member = current.staff.iter().find(|x| x.hall_id == "pengjiang").unwrap().clone();
    let rename = |name: &str| Edit::Staff {
        staff: StaffForm {
            id: member.id.clone(),
            hall_id: member.hall_id.clone(),
            employee_no: member.employee_no.clone(),
            name: name.into(),
            department: None,
        },
        pin: None,
        photo: None,
    };
    let version = reference::edit(s.cx(), &console, rename("陈新")).await.unwrap();
    let (j1, nothing) = kiosk_view(&s, &jianghai, Some(j0)).await;
    assert_eq!(j1, j0, "Jianghai's version stays");
    assert!(nothing["data"].is_null(), "{nothing}");
    let (p1, pulled) = kiosk_view(&s, &pengjiang, Some(p0)).await;
    assert_eq!(p1, version, "Pengjiang's moves to the new version");
    assert_eq!(pulled["version"].as_i64(), Some(version));
    assert!(pulled["data"]["staff"].to_string().contains("陈新"));
    // The office's copy is the new one too (patched, not read again), and the store agrees.
    let office = s.cx().reference().await.unwrap();
    assert_eq!(office.version, version);
    assert!(office.staff.iter().any(|x| x.name == "陈新"));
    assert_eq!(*office, s.store.reference().await.unwrap(), "the patched copy is what the database holds");

    // A reason is every kiosk's: both pull.
    let reason =
        tiyan_core::reference::Reason {
            code: "rude".into(), label: Text::new("态度生硬", "Rude"), indicator: None
        };
    let version = reference::edit(s.cx(), &console, Edit::Reason(reason)).await.unwrap();
    assert_eq!(kiosk_view(&s, &jianghai, Some(j1)).await.0, version);
    assert_eq!(kiosk_view(&s, &pengjiang, Some(p1)).await.0, version);
    // A region is no kiosk's: neither pulls.
    let region = tiyan_core::region::Region { code: d("440705"), name: Text::new("新会区", "Xinhui") };
    reference::edit(s.cx(), &console, Edit::Region(region)).await.unwrap();
    assert_eq!(kiosk_view(&s, &jianghai, Some(version)).await.0, version);

    // A change made on a version another process has moved past meanwhile
    // is refused as stale, and writes nothing.
    let seen = s.store.reference_version().await.unwrap();
    let second = tiyan_services::Services::new(s.store.clone(), s.clock.clone());
    reference::edit(&second, &console, rename("陈二")).await.unwrap();
    let late = tiyan_storage::ReferenceEdit {
        change: tiyan_core::reference::Change::Retire(tiyan_core::reference::Kind::Staff, member.id.clone()),
        holders: tiyan_core::reference::Holders::Halls(vec!["pengjiang".into()]),
        photos: vec![],
        passwords: vec![],
        based_on: seen,
    };
    assert!(matches!(s.store.edit_reference(&late).await, Err(tiyan_storage::Error::Stale)));
    assert!(s.store.reference().await.unwrap().staff.iter().any(|x| x.name == "陈二"), "still there");
    // This process's copy follows the other's change at its next look.
    assert!(s.cx().reference().await.unwrap().staff.iter().any(|x| x.name == "陈二"));
}

/// The province's supervisor makes the city's supervisor and the county's
/// administrator in the page, as a person would.
async fn made_in_the_page(s: &Server) {
    s.account(None, "province", Role::Supervisor, None).await;
    let mut b = Browser::signed_in(s, "province").await;
    let (_, _, page) = b.get("/admin/accounts").await;
    assert!(page.contains("region:440700") && page.contains("江门市"), "the tree is offered: {page}");
    for (login, role, place) in [("jm-sup", "supervisor", "region:440700"), ("pj-admin", "hall_admin", "region:440703")]
    {
        let fields = [
            ("login", login),
            ("name", login),
            ("role", role),
            ("place", place),
            ("password", PASSWORD),
            ("password_again", PASSWORD),
        ];
        let (status, location, body) = b.post("/admin/accounts", &fields).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{login}: {body}");
        let (_, _, page) = b.get(&location).await;
        assert!(page.contains("已创建"), "{login}: {page}");
    }
    // A place that is not a division code, or not in the tree, changes nothing.
    for place in ["region:4401", "region:450100"] {
        let fields = [
            ("login", "odd"),
            ("name", "odd"),
            ("role", "viewer"),
            ("place", place),
            ("password", PASSWORD),
            ("password_again", PASSWORD),
        ];
        b.post("/admin/accounts", &fields).await;
    }
    let list = s.store.accounts().await.unwrap();
    assert!(!list.iter().any(|a| a.login == "odd"), "a bad place makes no account");
}

async fn each_account_sees_its_subtree_and_nothing_beside_it(backend: Backend) {
    let s = province(backend).await;
    made_in_the_page(&s).await;
    let bad = [Level::VeryDissatisfied];
    ratings_at(&s, "jianghai", &bad).await;
    ratings_at(&s, "pengjiang", &bad).await;
    let futian_kiosk = ratings_at(&s, "futian", &bad).await;
    let all = ledger::list(s.cx(), &Who::console(s.now()), LedgerFilter { per_page: 50, ..LedgerFilter::default() })
        .await
        .unwrap();
    let item_of = |hall: &str| all.items.iter().find(|i| i.hall_id.as_deref() == Some(hall)).unwrap().id;
    let (jianghai_item, pengjiang_item, futian_item) = (item_of("jianghai"), item_of("pengjiang"), item_of("futian"));

    let city = s.store.account_credentials("jm-sup").await.unwrap().unwrap().0;
    let county = s.store.account_credentials("pj-admin").await.unwrap().unwrap().0;
    assert_eq!(city.place(), region("440700"));
    assert_eq!(*city.region_halls, ["pengjiang".to_string(), "jianghai".to_string()].into_iter().collect());
    assert_eq!(*county.region_halls, ["pengjiang".to_string()].into_iter().collect());

    // The services: the ledger, the export and the fleet of the subtree only.
    let halls_of = |items: &[tiyan_storage::LedgerRow]| {
        let mut h: Vec<String> = items.iter().filter_map(|i| i.hall_id.clone()).collect();
        h.sort();
        h
    };
    let page =
        ledger::list(s.cx(), &s.who(&city), LedgerFilter { per_page: 50, ..LedgerFilter::default() }).await.unwrap();
    assert_eq!(halls_of(&page.items), ["jianghai", "pengjiang"]);
    let asked = LedgerFilter { halls: Some(vec!["futian".into()]), per_page: 50, ..LedgerFilter::default() };
    assert!(
        ledger::list(s.cx(), &s.who(&city), asked).await.unwrap().items.is_empty(),
        "asking for futian gives nothing"
    );
    let page =
        ledger::list(s.cx(), &s.who(&county), LedgerFilter { per_page: 50, ..LedgerFilter::default() }).await.unwrap();
    assert_eq!(halls_of(&page.items), ["pengjiang"]);
    let exported = export::ratings(s.cx(), &s.who(&city), RatingFilter::default(), false).await.unwrap();
    assert_eq!(exported.len(), 2);
    assert!(exported.iter().all(|r| r.rating.hall_id != "futian"));
    let fleet = tiyan_services::fleet::fleet(s.cx(), &s.who(&county)).await.unwrap();
    assert!(!fleet.is_empty() && fleet.iter().all(|f| f.row.device.hall_id == "pengjiang"));

    // The page, by address.
    let mut jm = Browser::signed_in(&s, "jm-sup").await;
    let mut pj = Browser::signed_in(&s, "pj-admin").await;
    for (who, b, ok, not_found) in [
        (
            "city",
            &mut jm,
            vec![
                format!("/admin/ledger/{jianghai_item}"),
                format!("/admin/ledger/{pengjiang_item}"),
                "/admin/figures?hall=pengjiang".to_string(),
                "/admin/figures/region".to_string(),
                "/admin/figures/region?region=440703".to_string(),
                "/admin/figures/region/workbook?region=440700".to_string(),
            ],
            vec![
                format!("/admin/ledger/{futian_item}"),
                "/admin/figures?hall=futian".to_string(),
                "/admin/figures/trend?hall=futian&all=".to_string(),
                "/admin/figures/region?region=440300".to_string(),
                "/admin/figures/region?region=440000".to_string(),
                "/admin/figures/region/workbook?region=440304".to_string(),
                "/admin/audit".to_string(),
            ],
        ),
        (
            "county",
            &mut pj,
            vec![format!("/admin/figures?hall=pengjiang"), "/admin/figures/region".to_string()],
            vec![
                format!("/admin/ledger/{jianghai_item}"),
                format!("/admin/ledger/{futian_item}"),
                "/admin/figures?hall=jianghai".to_string(),
                "/admin/figures/region?region=440700".to_string(),
            ],
        ),
    ] {
        for path in ok {
            assert_eq!(b.get(&path).await.0, StatusCode::OK, "{who}: {path}");
        }
        for path in not_found {
            assert_eq!(b.get(&path).await.0, StatusCode::NOT_FOUND, "{who}: {path} is not theirs");
        }
    }
    // Lists name nothing of another region.
    for path in
        ["/admin/ledger?show=all", "/admin/devices", "/admin/reference", "/admin/accounts", "/admin", "/admin/figures"]
    {
        let (status, _, page) = jm.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!page.contains("href=\"/admin/audit\""), "{path}: the audit log is not offered to a city");
        assert!(!page.contains("福田") && !page.contains("futian"), "{path} names Futian: {page}");
        assert!(!page.contains("深圳"), "{path} names Shenzhen");
    }
    let (_, _, page) = pj.get("/admin/reference").await;
    assert!(page.contains("蓬江政务服务中心员工") && !page.contains("江海"), "the county's staff only");
    let (_, _, page) = jm.get("/admin/devices").await;
    assert!(!page.contains(&futian_kiosk.to_string()));

    // Accounts: the city's supervisor makes a county's and a hall's, never one above or beside.
    let who = s.who(&city);
    let form = |login, role, place| accounts::AccountForm { login, name: login, role, place, password: PASSWORD };
    accounts::create(s.cx(), &who, &form("jh-view", Role::Viewer, region("440704"))).await.unwrap();
    accounts::create(s.cx(), &who, &form("pj-clerk", Role::Clerk, Place::Hall("pengjiang".into()))).await.unwrap();
    for (login, role, place) in [
        ("gd-sup", Role::Supervisor, region("440000")),
        ("all-sup", Role::Supervisor, Place::Everywhere),
        ("sz-view", Role::Viewer, region("440300")),
        ("ft-clerk", Role::Clerk, Place::Hall("futian".into())),
    ] {
        let refused = accounts::create(s.cx(), &who, &form(login, role, place)).await;
        assert!(matches!(refused, Err(Error::Forbidden(_))), "{login}: {refused:?}");
    }
    // The county's administrator: no supervisor, nothing at the city.
    let who = s.who(&county);
    for (login, role, place) in
        [("x-sup", Role::Supervisor, region("440703")), ("x-admin", Role::HallAdmin, region("440700"))]
    {
        assert!(accounts::create(s.cx(), &who, &form(login, role, place)).await.is_err(), "{login}");
    }
    let seen: Vec<String> = accounts::list(s.cx(), &who).await.unwrap().into_iter().map(|a| a.login).collect();
    assert!(seen.contains(&"pj-clerk".to_string()) && !seen.contains(&"jh-view".to_string()), "{seen:?}");
    let city_account = accounts::visible(s.cx(), &who, city.id).await;
    assert!(matches!(city_account, Err(Error::NotFound(_))), "the city's account is not the county's to see");

    // Reference data: the county renames its hall but moves it nowhere, and adds no region.
    let pengjiang = s.cx().reference().await.unwrap().halls.iter().find(|h| h.id == "pengjiang").unwrap().clone();
    let renamed =
        Hall { name: Text { zh: "蓬江区政务服务中心".into(), en: String::new() }, ..pengjiang.clone() };
    reference::edit(s.cx(), &who, Edit::Hall(renamed)).await.unwrap();
    let moved = Hall { division: Some(d("440304")), ..pengjiang.clone() };
    assert!(matches!(reference::edit(s.cx(), &who, Edit::Hall(moved)).await, Err(Error::Forbidden(_))));
    let new_region = Edit::Region(tiyan_core::region::Region { code: d("440703001"), name: Text::new("街道", "") });
    assert!(matches!(reference::edit(s.cx(), &who, new_region).await, Err(Error::Forbidden(_))));
    // The city's supervisor adds a hall under the city, not under Shenzhen.
    let who = s.who(&city);
    let hall = |id: &str, code: &str| Hall {
        kiosk: None,
        id: id.into(),
        name: Text::new(id, ""),
        division: Some(d(code)),
        credit_code: None,
    };
    reference::edit(s.cx(), &who, Edit::Hall(hall("jianghai2", "440704"))).await.unwrap();
    let elsewhere = reference::edit(s.cx(), &who, Edit::Hall(hall("futian2", "440304"))).await;
    assert!(matches!(elsewhere, Err(Error::Forbidden(_))), "{elsewhere:?}");
    // A hall hung under the city later is the city's at the next request.
    let city = s.store.account(city.id).await.unwrap().unwrap();
    assert!(city.scope().sees("jianghai2"));
    // A region with halls under it is not retired.
    let retire = Edit::Retire { kind: tiyan_services::reference::Kind::Region, id: "440703".into() };
    assert!(reference::edit(s.cx(), &Who::console(s.now()), retire).await.is_err());
}

async fn a_citys_figures_rank_its_halls_against_the_city(backend: Backend) {
    let s = province(backend).await;
    made_in_the_page(&s).await;
    // Jianghai: 12 very satisfied; Haizhu: 12 of which 4 dissatisfied; Futian
    // (another city): 12 very dissatisfied, which must not move Jiangmen's mean.
    ratings_at(&s, "jianghai", &[Level::VerySatisfied; 12]).await;
    let mut mixed = vec![Level::Satisfied; 8];
    mixed.extend([Level::Dissatisfied; 4]);
    ratings_at(&s, "pengjiang", &mixed).await;
    ratings_at(&s, "futian", &[Level::VeryDissatisfied; 12]).await;
    let city = s.store.account_credentials("jm-sup").await.unwrap().unwrap().0;
    let month = Month::of(s.today());
    let m = assessment::region_month(s.cx(), &s.who(&city), Some(&d("440700")), month).await.unwrap();
    let order: Vec<(&str, Option<u32>)> =
        m.halls.iter().map(|h| (h.hall.hall_id.as_str(), h.hall.figures.rank)).collect();
    assert_eq!(order, [("jianghai", Some(1)), ("pengjiang", Some(2))]);
    assert_eq!(m.total.ratings, 24, "the city's halls only");
    assert!(m.halls[1].hall.figures.near_bottom, "the last of two is near the bottom");
    assert!(!m.halls[1].hall.figures.called_in, "not near the bottom last month too");
    assert_eq!(m.windows.len(), 2);
    assert_eq!(m.windows[0].window.figures.rank, Some(1));
    // The same from the console, as `report --region` writes it; the whole
    // province ranks three halls; a county's month holds its hall alone.
    let console = Who::console(s.now());
    let of = ReportOf { region: Some(&d("440700")), ..ReportOf::default() };
    let Report::Region(r) = assessment::report(s.cx(), &console, month, of).await.unwrap() else {
        panic!("a region's report")
    };
    assert_eq!(r.halls.len(), 2);
    let Report::Region(all) = assessment::report(s.cx(), &console, month, ReportOf::default()).await.unwrap() else {
        panic!("every hall")
    };
    assert_eq!(all.halls.last().map(|h| h.hall.hall_id.as_str()), Some("futian"));
    assert_eq!(all.total.ratings, 36);
    let bytes = tiyan_services::report::workbook(&Report::Region(r)).unwrap();
    assert!(bytes.starts_with(b"PK"), "a workbook");
    // The city's supervisor's own report is the city's; the province's is not theirs.
    let Report::Region(own) = assessment::report(s.cx(), &s.who(&city), month, ReportOf::default()).await.unwrap()
    else {
        panic!("the city's")
    };
    assert_eq!(own.region.as_ref().map(|r| r.code.as_str()), Some("440700"));
    let whole = assessment::region_month(s.cx(), &s.who(&city), None, month).await;
    assert!(matches!(whole, Err(Error::NotFound(_))));
    // The trend: the city's twelve months count its halls only; the province's
    // is not the city's to read.
    let trend = assessment::region_trend(s.cx(), &s.who(&city), Some(&d("440700")), month).await.unwrap();
    assert_eq!(trend.len(), 12);
    assert_eq!(trend.last().map(|p| (p.month, p.ratings)), Some((month, 24)));
    let province = assessment::region_trend(s.cx(), &Who::console(s.now()), None, month).await.unwrap();
    assert_eq!(province.last().map(|p| p.ratings), Some(36));
    let whole = assessment::region_trend(s.cx(), &s.who(&city), None, month).await;
    assert!(matches!(whole, Err(Error::NotFound(_))));
    // In the page: the city's halls ranked, Futian nowhere.
    let mut jm = Browser::signed_in(&s, "jm-sup").await;
    let (status, _, page) = jm.get(&format!("/admin/figures/region?month={month}")).await;
    assert_eq!(status, StatusCode::OK);
    let (a, b) = (page.find("江海区政务服务中心").unwrap(), page.find("蓬江政务服务中心").unwrap());
    assert!(a < b, "ranked best first");
    assert!(!page.contains("福田") && page.contains("区域对比") && page.contains("下级区划"));
    assert!(page.contains(r#"<section id="region-trend"><svg"#), "the city's trend is drawn");

    // Published, the public page goes down the tree to the hall: the province,
    // the city, the county, the hall's month; a region with nothing published is not offered.
    s.clock.set(instant("2026-12-02T10:00:00+08:00"));
    let console_account = s.store.account_credentials("province").await.unwrap().unwrap().0;
    let reference = s.cx().reference().await.unwrap();
    assessment::close(s.cx(), &s.who(&console_account), &reference, "jianghai", month).await.unwrap();
    let mut anyone = Browser::new(&s.router);
    let (status, _, top) = anyone.get("/public").await;
    assert_eq!(status, StatusCode::OK);
    assert!(top.contains("/public?region=440000") && !top.contains("440300"), "{top}");
    let (_, _, province) = anyone.get("/public?region=440000").await;
    assert!(province.contains("/public?region=440700") && !province.contains("深圳"), "{province}");
    let (_, _, city) = anyone.get("/public?region=440700").await;
    assert!(city.contains("/public?region=440704") && !city.contains("/public?region=440703"), "{city}");
    let (_, _, county) = anyone.get("/public?region=440704").await;
    assert!(county.contains(&format!("/public/jianghai/{month}")), "{county}");
    assert!(county.contains("/public?region=440000") && county.contains("/public?region=440700"), "the path up");
    assert!(county.contains("江门市") && county.contains("江海区政务服务中心"), "{county}");
    for bad in ["/public?region=4407", "/public?region=990000"] {
        assert_eq!(anyone.get(bad).await.0, StatusCode::NOT_FOUND, "{bad}");
    }
}

async fn the_reference_page_pages_and_searches_a_provinces_staff(backend: Backend) {
    let s = province(backend).await;
    made_in_the_page(&s).await;
    // 250 more staff in Pengjiang, imported as a province's file would bring them.
    let mut data = (*s.cx().reference().await.unwrap()).clone();
    let pin_hash = data.staff[0].pin_hash.clone();
    for i in 0..250 {
        data.staff.push(tiyan_core::reference::Staff {
            id: format!("pj-{i:03}"),
            hall_id: "pengjiang".into(),
            employee_no: format!("{}", 210_000 + i),
            name: format!("蓬江员工{i:03}"),
            department: None,
            pin_hash: pin_hash.clone(),
            photo: None,
            photo_sha256: None,
        });
    }
    let loaded = tiyan_services::reference_files::Loaded { data, photos: vec![], passwords: vec![] };
    reference::import(s.cx(), &Who::console(s.now()), loaded).await.unwrap();
    let mut b = Browser::signed_in(&s, "province").await;
    let staff_rows = |page: &str| page.matches("/admin/reference?edit=staff:").count();
    let (status, _, page) = b.get("/admin/reference").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(staff_rows(&page), 100, "a page of staff, not all of them");
    assert!(page.contains("共 260 条"), "the count of all of them");
    let (_, _, last) = b.get("/admin/reference?page_staff=2").await;
    assert_eq!(staff_rows(&last), 60);
    let (_, _, far) = b.get("/admin/reference?page_staff=99").await;
    assert_eq!(staff_rows(&far), 60, "past the end is the last page");
    let (_, _, found) = b.get(&format!("/admin/reference?q={}", "蓬江员工150")).await;
    assert_eq!(staff_rows(&found), 1);
    assert!(found.contains("210150"));
    let (_, _, by_no) = b.get("/admin/reference?q=210150").await;
    assert_eq!(staff_rows(&by_no), 1);
    let (_, _, one_hall) = b.get("/admin/reference?hall=futian").await;
    assert_eq!(staff_rows(&one_hall), 1);
    // The city's supervisor finds nothing of Shenzhen by searching for it.
    let mut jm = Browser::signed_in(&s, "jm-sup").await;
    let (_, _, page) = jm.get(&format!("/admin/reference?q={}", "福田")).await;
    assert_eq!(staff_rows(&page), 0);
    assert!(!page.contains("福田政务服务中心"));
}
