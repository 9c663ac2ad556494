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
);

/// Guangdong (440000) → Guangzhou (440100) → Tianhe (440106, the demo hall
/// 江海 stands in for it) and Haizhu (440105); Shenzhen (440300) → Futian (440304).
const REGIONS: &str = "code,name,name_en
440000000000,广东省,Guangdong
440100000000,广州市,Guangzhou
440105000000,海珠区,Haizhu
440106000000,天河区,Tianhe
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
    let jianghai = s.cx().reference().await.unwrap().halls[0].clone();
    let mut edits = vec![Edit::Hall(Hall { division: Some(d("440106")), ..jianghai })];
    for (hall, name, code, no) in [("haizhu", "海珠政务服务中心", "440105", "200101"), ("futian", "福田政务服务中心", "440304", "300101")] {
        edits.push(Edit::Hall(Hall { id: hall.into(), name: text(name), division: Some(d(code)) }));
        edits.push(Edit::Window(Window {
            id: format!("{hall}-w01"),
            hall_id: hall.into(),
            number: "01".into(),
            name: text("综合"),
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
    let (window, staff) = match hall {
        "jianghai" => ("jianghai-w02".to_string(), "staff-100102".to_string()),
        "haizhu" => ("haizhu-w01".into(), "staff-200101".into()),
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
    let (status, body) = s.upload(device, &secret, ratings(&records)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    device
}

/// The province's supervisor makes the city's supervisor and the county's
/// administrator in the page, as a person would.
async fn made_in_the_page(s: &Server) {
    s.account(None, "province", Role::Supervisor, None).await;
    let mut b = Browser::signed_in(s, "province").await;
    let (_, _, page) = b.get("/admin/accounts").await;
    assert!(page.contains("region:440100") && page.contains("广州市"), "the tree is offered: {page}");
    for (login, role, place) in [("gz-sup", "supervisor", "region:440100"), ("hz-admin", "hall_admin", "region:440105")] {
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
        let fields =
            [("login", "odd"), ("name", "odd"), ("role", "viewer"), ("place", place), ("password", PASSWORD), ("password_again", PASSWORD)];
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
    ratings_at(&s, "haizhu", &bad).await;
    let futian_kiosk = ratings_at(&s, "futian", &bad).await;
    let all = ledger::list(s.cx(), &Who::console(s.now()), LedgerFilter { per_page: 50, ..LedgerFilter::default() })
        .await
        .unwrap();
    let item_of = |hall: &str| all.items.iter().find(|i| i.hall_id.as_deref() == Some(hall)).unwrap().id;
    let (jianghai_item, haizhu_item, futian_item) = (item_of("jianghai"), item_of("haizhu"), item_of("futian"));

    let city = s.store.account_credentials("gz-sup").await.unwrap().unwrap().0;
    let county = s.store.account_credentials("hz-admin").await.unwrap().unwrap().0;
    assert_eq!(city.place(), region("440100"));
    assert_eq!(*city.region_halls, ["haizhu".to_string(), "jianghai".to_string()].into_iter().collect());
    assert_eq!(*county.region_halls, ["haizhu".to_string()].into_iter().collect());

    // The services: the ledger, the export and the fleet of the subtree only.
    let halls_of = |items: &[tiyan_storage::LedgerRow]| {
        let mut h: Vec<String> = items.iter().filter_map(|i| i.hall_id.clone()).collect();
        h.sort();
        h
    };
    let page = ledger::list(s.cx(), &s.who(&city), LedgerFilter { per_page: 50, ..LedgerFilter::default() }).await.unwrap();
    assert_eq!(halls_of(&page.items), ["haizhu", "jianghai"]);
    let asked = LedgerFilter { halls: Some(vec!["futian".into()]), per_page: 50, ..LedgerFilter::default() };
    assert!(ledger::list(s.cx(), &s.who(&city), asked).await.unwrap().items.is_empty(), "asking for futian gives nothing");
    let page = ledger::list(s.cx(), &s.who(&county), LedgerFilter { per_page: 50, ..LedgerFilter::default() }).await.unwrap();
    assert_eq!(halls_of(&page.items), ["haizhu"]);
    let exported = export::ratings(s.cx(), &s.who(&city), RatingFilter::default(), false).await.unwrap();
    assert_eq!(exported.len(), 2);
    assert!(exported.iter().all(|r| r.rating.hall_id != "futian"));
    let fleet = tiyan_services::fleet::fleet(s.cx(), &s.who(&county)).await.unwrap();
    assert!(!fleet.is_empty() && fleet.iter().all(|f| f.row.device.hall_id == "haizhu"));

    // The page, by address.
    let mut gz = Browser::signed_in(&s, "gz-sup").await;
    let mut hz = Browser::signed_in(&s, "hz-admin").await;
    for (who, b, ok, not_found) in [
        (
            "city",
            &mut gz,
            vec![
                format!("/admin/ledger/{jianghai_item}"),
                format!("/admin/ledger/{haizhu_item}"),
                "/admin/figures?hall=haizhu".to_string(),
                "/admin/figures/region".to_string(),
                "/admin/figures/region?region=440105".to_string(),
                "/admin/figures/region/workbook?region=440100".to_string(),
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
            &mut hz,
            vec![format!("/admin/figures?hall=haizhu"), "/admin/figures/region".to_string()],
            vec![
                format!("/admin/ledger/{jianghai_item}"),
                format!("/admin/ledger/{futian_item}"),
                "/admin/figures?hall=jianghai".to_string(),
                "/admin/figures/region?region=440100".to_string(),
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
    for path in ["/admin/ledger?show=all", "/admin/devices", "/admin/reference", "/admin/accounts", "/admin", "/admin/figures"] {
        let (status, _, page) = gz.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!page.contains("福田") && !page.contains("futian"), "{path} names Futian: {page}");
        assert!(!page.contains("深圳"), "{path} names Shenzhen");
    }
    let (_, _, page) = hz.get("/admin/reference").await;
    assert!(page.contains("海珠政务服务中心员工") && !page.contains("江海"), "the county's staff only");
    let (_, _, page) = gz.get("/admin/devices").await;
    assert!(!page.contains(&futian_kiosk.to_string()));

    // Accounts: the city's supervisor makes a county's and a hall's, never one above or beside.
    let who = s.who(&city);
    let form = |login, role, place| accounts::AccountForm { login, name: login, role, place, password: PASSWORD };
    accounts::create(s.cx(), &who, &form("th-view", Role::Viewer, region("440106"))).await.unwrap();
    accounts::create(s.cx(), &who, &form("hz-clerk", Role::Clerk, Place::Hall("haizhu".into()))).await.unwrap();
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
        [("x-sup", Role::Supervisor, region("440105")), ("x-admin", Role::HallAdmin, region("440100"))]
    {
        assert!(accounts::create(s.cx(), &who, &form(login, role, place)).await.is_err(), "{login}");
    }
    let seen: Vec<String> = accounts::list(s.cx(), &who).await.unwrap().into_iter().map(|a| a.login).collect();
    assert!(seen.contains(&"hz-clerk".to_string()) && !seen.contains(&"th-view".to_string()), "{seen:?}");
    let city_account = accounts::visible(s.cx(), &who, city.id).await;
    assert!(matches!(city_account, Err(Error::NotFound(_))), "the city's account is not the county's to see");

    // Reference data: the county renames its hall but moves it nowhere, and adds no region.
    let haizhu = s.cx().reference().await.unwrap().halls.iter().find(|h| h.id == "haizhu").unwrap().clone();
    let renamed = Hall { name: Text { zh: "海珠区政务服务中心".into(), en: String::new() }, ..haizhu.clone() };
    reference::edit(s.cx(), &who, Edit::Hall(renamed)).await.unwrap();
    let moved = Hall { division: Some(d("440304")), ..haizhu.clone() };
    assert!(matches!(reference::edit(s.cx(), &who, Edit::Hall(moved)).await, Err(Error::Forbidden(_))));
    let new_region = Edit::Region(tiyan_core::region::Region { code: d("440105001"), name: Text::new("街道", "") });
    assert!(matches!(reference::edit(s.cx(), &who, new_region).await, Err(Error::Forbidden(_))));
    // The city's supervisor adds a hall under the city, not under Shenzhen.
    let who = s.who(&city);
    let hall = |id: &str, code: &str| Hall { id: id.into(), name: Text::new(id, ""), division: Some(d(code)) };
    reference::edit(s.cx(), &who, Edit::Hall(hall("tianhe2", "440106"))).await.unwrap();
    let elsewhere = reference::edit(s.cx(), &who, Edit::Hall(hall("futian2", "440304"))).await;
    assert!(matches!(elsewhere, Err(Error::Forbidden(_))), "{elsewhere:?}");
    // A hall hung under the city later is the city's at the next request.
    let city = s.store.account(city.id).await.unwrap().unwrap();
    assert!(city.scope().sees("tianhe2"));
    // A region with halls under it is not retired.
    let retire = Edit::Retire { kind: tiyan_services::reference::Kind::Region, id: "440105".into() };
    assert!(reference::edit(s.cx(), &Who::console(s.now()), retire).await.is_err());
}

async fn a_citys_figures_rank_its_halls_against_the_city(backend: Backend) {
    let s = province(backend).await;
    made_in_the_page(&s).await;
    // Jianghai: 12 very satisfied; Haizhu: 12 of which 4 dissatisfied; Futian
    // (another city): 12 very dissatisfied, which must not move Guangzhou's mean.
    ratings_at(&s, "jianghai", &[Level::VerySatisfied; 12]).await;
    let mut mixed = vec![Level::Satisfied; 8];
    mixed.extend([Level::Dissatisfied; 4]);
    ratings_at(&s, "haizhu", &mixed).await;
    ratings_at(&s, "futian", &[Level::VeryDissatisfied; 12]).await;
    let city = s.store.account_credentials("gz-sup").await.unwrap().unwrap().0;
    let month = Month::of(s.today());
    let m = assessment::region_month(s.cx(), &s.who(&city), Some(&d("440100")), month).await.unwrap();
    let order: Vec<(&str, Option<u32>)> = m.halls.iter().map(|h| (h.hall.hall_id.as_str(), h.hall.figures.rank)).collect();
    assert_eq!(order, [("jianghai", Some(1)), ("haizhu", Some(2))]);
    assert_eq!(m.total.ratings, 24, "the city's halls only");
    assert!(m.halls[1].hall.figures.near_bottom, "the last of two is near the bottom");
    assert!(!m.halls[1].hall.figures.called_in, "not near the bottom last month too");
    assert_eq!(m.windows.len(), 2);
    assert_eq!(m.windows[0].window.figures.rank, Some(1));
    // The same from the console, as `report --region` writes it; the whole
    // province ranks three halls; a county's month holds its hall alone.
    let console = Who::console(s.now());
    let of = ReportOf { region: Some(&d("440100")), ..ReportOf::default() };
    let Report::Region(r) = assessment::report(s.cx(), &console, month, of).await.unwrap() else { panic!("a region's report") };
    assert_eq!(r.halls.len(), 2);
    let Report::Region(all) = assessment::report(s.cx(), &console, month, ReportOf::default()).await.unwrap() else {
        panic!("every hall")
    };
    assert_eq!(all.halls.last().map(|h| h.hall.hall_id.as_str()), Some("futian"));
    assert_eq!(all.total.ratings, 36);
    let bytes = tiyan_services::report::workbook(&Report::Region(r)).unwrap();
    assert!(bytes.starts_with(b"PK"), "a workbook");
    // The city's supervisor's own report is the city's; the province's is not theirs.
    let Report::Region(own) = assessment::report(s.cx(), &s.who(&city), month, ReportOf::default()).await.unwrap() else {
        panic!("the city's")
    };
    assert_eq!(own.region.as_ref().map(|r| r.code.as_str()), Some("440100"));
    let whole = assessment::region_month(s.cx(), &s.who(&city), None, month).await;
    assert!(matches!(whole, Err(Error::NotFound(_))));
    // In the page: the city's halls ranked, Futian nowhere.
    let mut gz = Browser::signed_in(&s, "gz-sup").await;
    let (status, _, page) = gz.get(&format!("/admin/figures/region?month={month}")).await;
    assert_eq!(status, StatusCode::OK);
    let (a, b) = (page.find("江海区政务服务中心").unwrap(), page.find("海珠政务服务中心").unwrap());
    assert!(a < b, "ranked best first");
    assert!(!page.contains("福田") && page.contains("区域对比") && page.contains("下级区划"));
}
