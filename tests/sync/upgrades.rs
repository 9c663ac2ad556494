//! Upgrades: a database made by each released schema version is kept under
//! `tests/fixtures/schema/` (a SQLite file and a `pg_dump` of PostgreSQL, with
//! `manifest.json` saying what each holds), and today's binary opens each on
//! its backend, migrates it, and finds every rating, ledger item and its steps,
//! account, device and queued report, then takes a step on an item as it
//! would in service. When a release changes the schema, make that version's
//! fixtures with the ignored test below and commit them beside the others:
//!
//! `TIYAN_TEST_PG_URL=… cargo test -p tiyan-system-tests --test upgrades -- --ignored make_fixtures`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use tiyan_core::accounts::{Place, Role};
use tiyan_core::protocol::{DeviceRole, EnrollRequest, Upload};
use tiyan_core::rating::Rating;
use tiyan_server::testing::{Backend, TestDb};
use tiyan_services::accounts::{self, AccountForm};
use tiyan_services::ledger::{StepForm, StepRequest};
use tiyan_services::{Who, devices, ingest};
use tiyan_storage::{LedgerFilter, RatingFilter, Storage, UpwardTarget};
use tiyan_system_tests::sync_rig::{console, import, issue};
use tiyan_system_tests::{demo_reference, workspace};
use uuid::Uuid;

tiyan_server::on_both_backends!(every_kept_schema_opens_with_everything_in_it);

const RATINGS: u64 = 40;

fn fixtures() -> PathBuf {
    workspace().join("tests/fixtures/schema")
}

/// What a fixture holds, as its manifest says.
async fn holdings(store: &Arc<dyn Storage>) -> Result<Value> {
    let ratings = store.ratings(&RatingFilter::default()).await?;
    let page = store.ledger_page(&LedgerFilter { per_page: 1000, ..LedgerFilter::default() }).await?;
    let mut events = 0;
    for item in &page.items {
        events += store.ledger_item(item.id).await?.map_or(0, |(_, e)| e.len());
    }
    let mut logins: Vec<String> = store.accounts().await?.into_iter().map(|a| a.login).collect();
    logins.sort();
    Ok(json!({
        "ratings": ratings.len(),
        "rating_ids": ratings.iter().map(|r| r.rating.id.to_string()).collect::<Vec<_>>(),
        "phones": ratings.iter().filter(|r| r.rating.phone.is_some()).count(),
        "items": page.total,
        "events": events,
        "accounts": logins,
        "devices": store.devices().await?.len(),
        "upward_backlog": store.upward_backlog("province").await?,
    }))
}

/// A server's life in small: the demo hall, two accounts, a kiosk's ratings
/// (bad reviews among them, one with a call-back number), an item handled, a
/// report to the province queued.
async fn fill(store: &Arc<dyn Storage>) -> Result<()> {
    import(store, tiyan_services::reference_files::load_json(&demo_reference())?).await?;
    let cx = console(store);
    let who = Who::console(cx.now());
    store.upward_register(&UpwardTarget { name: "province".into(), halls: None }).await?;
    for (login, role, place) in
        [("sup", Role::Supervisor, Place::Everywhere), ("clerk", Role::Clerk, Place::Hall("jianghai".into()))]
    {
        let form = AccountForm { login, name: login, role, place, password: "correct horse battery" };
        accounts::create(&cx, &who, &form).await?;
    }
    let code = issue(store, DeviceRole::Kiosk, Some("jianghai-w02")).await?;
    let device_id = Uuid::now_v7();
    let request = EnrollRequest { code, device_id, name: "fixture kiosk".into(), role: None };
    let enrolled = devices::enroll(&cx, &request).await?;
    let device = devices::authenticate(&cx, device_id, &enrolled.secret).await?;
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-23T09:00:00+08:00")?;
    let records: Vec<Rating> = (1..=RATINGS)
        .map(|seq| {
            let level = tiyan_core::Level::try_from(((seq % 5) + 1) as i64).unwrap();
            let bad = level.is_bad();
            Rating {
                id: Uuid::now_v7(),
                seq,
                device_id,
                device_time: start + chrono::Duration::minutes(seq as i64 * 7),
                hall_id: "jianghai".into(),
                window_id: "jianghai-w02".into(),
                staff_id: "staff-100102".into(),
                case_no: Some(format!("FIX-{seq:04}")),
                attitude: level,
                competence: tiyan_core::Level::Satisfied,
                reasons: if bad { vec!["long_wait".into()] } else { vec![] },
                comment: (seq % 4 == 0).then(|| "指引清楚".to_string()),
                phone: (seq == 1).then(|| "13812345678".to_string()),
                misuse: false,
            }
        })
        .collect();
    ingest::upload(&cx, &device, Uuid::now_v7(), Upload::Rating(records), std::time::Duration::from_secs(1)).await?;
    let clerk = store.accounts().await?.into_iter().find(|a| a.login == "clerk").context("the clerk")?;
    let items = store.ledger_page(&LedgerFilter { per_page: 1, ..LedgerFilter::default() }).await?;
    let item = items.items.first().context("an item")?;
    let by = Who::account(&clerk, std::net::Ipv4Addr::LOCALHOST.into(), cx.now());
    let step = StepRequest {
        item: item.id,
        expected_events: item.events,
        form: StepForm::Verify,
        note: "已回访",
        linked: false,
    };
    tiyan_services::ledger::take(&cx, &by, &step).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "makes the fixtures of the current schema: run when a release changes it"]
async fn make_fixtures() -> Result<()> {
    let dir = fixtures();
    std::fs::create_dir_all(&dir)?;
    let manifest_path = dir.join("manifest.json");
    let mut manifest: Vec<Value> = match std::fs::read_to_string(&manifest_path) {
        Ok(text) => serde_json::from_str(&text)?,
        Err(_) => Vec::new(),
    };
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let db = TestDb::new(backend).await;
        let store = db.open().await;
        fill(&store).await?;
        let schema = store.health().await?.schema;
        let name = match backend {
            Backend::Sqlite => format!("sqlite-{schema}.db"),
            Backend::Postgres => format!("postgres-{schema}.dump"),
        };
        let file = dir.join(&name);
        let _ = std::fs::remove_file(&file);
        let location = tiyan_storage::Location::parse(&db.arg());
        tiyan_server::database::backup(&location, &file).await?;
        let entry = json!({ "file": name, "schema": schema, "holds": holdings(&store).await? });
        manifest.retain(|m| m["file"] != entry["file"]);
        manifest.push(entry);
    }
    std::fs::write(&manifest_path, serde_json::to_string_pretty(&manifest)? + "\n")?;
    Ok(())
}

async fn every_kept_schema_opens_with_everything_in_it(backend: Backend) -> Result<()> {
    let manifest: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(fixtures().join("manifest.json"))?)?;
    let suffix = if backend == Backend::Sqlite { ".db" } else { ".dump" };
    let kept: Vec<&Value> =
        manifest.iter().filter(|m| m["file"].as_str().is_some_and(|f| f.ends_with(suffix))).collect();
    ensure!(!kept.is_empty(), "no fixture for this backend");
    for m in kept {
        let file = fixtures().join(m["file"].as_str().unwrap_or_default());
        let db = TestDb::new(backend).await;
        restore_into(&db, &file).await?;
        // Today's binary opens it: migrated to its schema, everything in it.
        let store = db.open().await;
        let found = holdings(&store).await?;
        ensure!(found == m["holds"], "{}: found {found}\nexpected {}", file.display(), m["holds"]);
        ensure!(store.health().await?.schema as usize >= m["schema"].as_u64().unwrap_or(0) as usize);
        // And works on it: the clerk takes the next step on the handled item.
        let cx = console(&store);
        let clerk = store.accounts().await?.into_iter().find(|a| a.login == "clerk").context("the clerk")?;
        let page = store.ledger_page(&LedgerFilter { per_page: 1000, ..LedgerFilter::default() }).await?;
        let item = page.items.iter().find(|i| i.events > 1).context("the handled item")?;
        let by = Who::account(&clerk, std::net::Ipv4Addr::LOCALHOST.into(), cx.now());
        let step = StepRequest {
            item: item.id,
            expected_events: item.events,
            form: StepForm::Explain,
            note: "已解释",
            linked: false,
        };
        tiyan_services::ledger::take(&cx, &by, &step).await?;
    }
    Ok(())
}

/// The fixture into `db`: a copy of the SQLite file in its place, or `pg_restore` into the fresh database.
async fn restore_into(db: &TestDb, file: &Path) -> Result<()> {
    match tiyan_storage::Location::parse(&db.arg()) {
        tiyan_storage::Location::Sqlite(path) => {
            std::fs::copy(file, &path)?;
        }
        location @ tiyan_storage::Location::Postgres(_) => {
            tiyan_server::database::restore(&location, file, false, tiyan_system_tests::clock().now()).await?;
        }
    }
    Ok(())
}
