//! Races, with real concurrent requests: two server processes (two stores
//! opened on one database, each served on its own loopback port) receive the
//! same thing at the same moment. On PostgreSQL this is where row locks and
//! advisory locks earn their keep; SQLite's single writer must decide alike.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use anyhow::{Result, ensure};
use serde_json::{Value, json};
use tiyan_client::sync::transport::{Http, Method, Request, Transport};
use tiyan_core::Level;
use tiyan_core::protocol::{DeviceRole, MAX_PAGE};
use tiyan_core::rating::Rating;
use tiyan_server::testing::{Backend, TestDb};
use tiyan_services::reference_files::load_json;
use tiyan_storage::Storage;
use tiyan_system_tests::demo_reference;
use tiyan_system_tests::sync_rig::{issue, ratings_of, serve};
use uuid::Uuid;

tiyan_server::on_both_backends!(
    the_same_page_at_two_processes_at_once_is_stored_once,
    the_same_request_at_two_processes_at_once_is_served_once,
    a_page_that_overtakes_its_predecessor_waits_for_it,
    a_code_redeemed_twice_at_once_enrols_one_device,
    two_chunks_of_one_photo_at_once_are_each_taken_once,
    a_device_never_reads_half_of_one_version_and_half_of_the_next,
);

/// Two server processes on one database.
struct Pair {
    db: TestDb,
    store: Arc<dyn Storage>,
    a: Http,
    b: Http,
    _stops: Vec<tokio::sync::oneshot::Sender<()>>,
}

async fn pair(backend: Backend) -> Result<Pair> {
    let db = TestDb::new(backend).await;
    let store = db.open().await;
    tiyan_system_tests::sync_rig::import(&store, load_json(&demo_reference())?).await?;
    let (addr_a, stop_a, _) = serve(db.open().await).await?;
    let (addr_b, stop_b, _) = serve(db.open().await).await?;
    let a = Http::new(&format!("http://{addr_a}"))?;
    let b = Http::new(&format!("http://{addr_b}"))?;
    Ok(Pair { db, store, a, b, _stops: vec![stop_a, stop_b] })
}

async fn call(
    to: &Http,
    method: Method,
    path: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Result<(u16, Value)> {
    let mut h = vec![("x-tiyan-protocol".to_string(), "1".to_string())];
    h.extend(headers.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let response = to.send(Request { method, path: path.into(), headers: h, body }).await?;
    Ok((response.status, serde_json::from_slice(&response.body).unwrap_or(Value::Null)))
}

impl Pair {
    async fn enroll(&self, role: DeviceRole) -> Result<(Uuid, String)> {
        let window = (role == DeviceRole::Kiosk).then_some("jianghai-w02");
        let code = issue(&self.store, role, window).await?;
        let device = Uuid::now_v7();
        let body = serde_json::to_vec(&json!({"code": code, "device_id": device, "name": "race"}))?;
        let (status, answer) = call(&self.a, Method::Post, "/api/v1/enroll", &[], body).await?;
        ensure!(status == 200, "{answer}");
        Ok((device, answer["ok"]["secret"].as_str().unwrap_or_default().to_string()))
    }
}

fn auth(device: Uuid, secret: &str) -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Bearer {device}:{secret}"))]
}

fn with_request_id(device: Uuid, secret: &str, id: Uuid) -> Vec<(&'static str, String)> {
    let mut h = auth(device, secret);
    h.push(("x-tiyan-request-id", id.to_string()));
    h
}

fn page(device: Uuid, seqs: std::ops::RangeInclusive<u64>) -> Vec<u8> {
    let records: Vec<Rating> = seqs
        .map(|seq| Rating {
            id: Uuid::now_v7(),
            seq,
            device_id: device,
            device_time: chrono::DateTime::parse_from_rfc3339("2026-11-23T09:00:00+08:00").unwrap(),
            hall_id: "jianghai".into(),
            window_id: "jianghai-w02".into(),
            staff_id: "staff-100102".into(),
            case_no: None,
            attitude: Level::Satisfied,
            competence: Level::VerySatisfied,
            reasons: vec![],
            comment: None,
            phone: None,
            misuse: false,
        })
        .collect();
    serde_json::to_vec(&json!({"kind": "rating", "records": records})).unwrap()
}

async fn the_same_page_at_two_processes_at_once_is_stored_once(backend: Backend) -> Result<()> {
    let p = pair(backend).await?;
    let (device, secret) = p.enroll(DeviceRole::Kiosk).await?;
    for round in 0..10u64 {
        // A retry is a new request: the same records under two request ids, at once.
        let body = page(device, round * 100 + 1..=round * 100 + 100);
        let upload = |to: &Http| {
            let headers = with_request_id(device, &secret, Uuid::now_v7());
            let (to, body) = (to.clone(), body.clone());
            async move { call(&to, Method::Post, "/api/v1/sync/upload", &headers, body).await }
        };
        let (a, b) = tokio::join!(upload(&p.a), upload(&p.b));
        let ((sa, a), (sb, b)) = (a?, b?);
        ensure!(sa == 200 && sb == 200, "round {round}: {a} / {b}");
        let stored = a["ok"]["stored"].as_u64().unwrap_or(0) + b["ok"]["stored"].as_u64().unwrap_or(0);
        let duplicates = a["ok"]["duplicates"].as_u64().unwrap_or(0) + b["ok"]["duplicates"].as_u64().unwrap_or(0);
        ensure!((stored, duplicates) == (100, 100), "round {round}: stored {stored}, duplicates {duplicates}");
    }
    let held = ratings_of(p.store.as_ref(), device).await?;
    ensure!(held.iter().map(|r| r.seq).eq(1..=1000), "each record once, in order");
    Ok(())
}

async fn the_same_request_at_two_processes_at_once_is_served_once(backend: Backend) -> Result<()> {
    let p = pair(backend).await?;
    let (device, secret) = p.enroll(DeviceRole::Kiosk).await?;
    for round in 0..10u64 {
        let headers = with_request_id(device, &secret, Uuid::now_v7());
        let body = page(device, round * 10 + 1..=round * 10 + 10);
        let (a, b) = tokio::join!(
            call(&p.a, Method::Post, "/api/v1/sync/upload", &headers, body.clone()),
            call(&p.b, Method::Post, "/api/v1/sync/upload", &headers, body.clone())
        );
        let mut statuses = [a?, b?].map(|(s, body)| (s, body["error"]["code"].as_str().map(str::to_string)));
        statuses.sort();
        ensure!(statuses == [(200, None), (409, Some("replayed".into()))], "round {round}: {statuses:?}");
    }
    ensure!(ratings_of(p.store.as_ref(), device).await?.len() == 100);
    Ok(())
}

async fn a_page_that_overtakes_its_predecessor_waits_for_it(backend: Backend) -> Result<()> {
    let p = pair(backend).await?;
    let (device, secret) = p.enroll(DeviceRole::Kiosk).await?;
    let n = MAX_PAGE as u64;
    let first = page(device, 1..=n);
    let second = page(device, n + 1..=2 * n);
    // The second page leaves first, to the other process.
    let h1 = with_request_id(device, &secret, Uuid::now_v7());
    let h2 = with_request_id(device, &secret, Uuid::now_v7());
    let b = p.b.clone();
    let late = tokio::spawn(async move { call(&b, Method::Post, "/api/v1/sync/upload", &h2, second).await });
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let (s1, a1) = call(&p.a, Method::Post, "/api/v1/sync/upload", &h1, first).await?;
    let (s2, a2) = late.await??;
    ensure!(s1 == 200 && s2 == 200, "{a1} / {a2}");
    ensure!(a2["ok"]["through"] == 2 * n, "{a2}");
    ensure!(ratings_of(p.store.as_ref(), device).await?.len() == 2 * n as usize);
    Ok(())
}

async fn a_code_redeemed_twice_at_once_enrols_one_device(backend: Backend) -> Result<()> {
    let p = pair(backend).await?;
    for round in 0..10 {
        let code = issue(&p.store, DeviceRole::Kiosk, Some("jianghai-w02")).await?;
        let enrol = |to: &Http| {
            let body = serde_json::to_vec(&json!({"code": code, "device_id": Uuid::now_v7(), "name": "race"})).unwrap();
            let to = to.clone();
            async move { call(&to, Method::Post, "/api/v1/enroll", &[], body).await }
        };
        let (a, b) = tokio::join!(enrol(&p.a), enrol(&p.b));
        let mut statuses = [a?, b?].map(|(s, body)| (s, body["error"]["code"].as_str().map(str::to_string)));
        statuses.sort();
        ensure!(statuses == [(200, None), (403, Some("invalid_code".into()))], "round {round}: {statuses:?}");
    }
    ensure!(p.store.devices().await?.len() == 10, "one device per code");
    let _ = &p.db;
    Ok(())
}

async fn two_chunks_of_one_photo_at_once_are_each_taken_once(backend: Backend) -> Result<()> {
    let p = pair(backend).await?;
    let (laptop, secret) = p.enroll(DeviceRole::Officer).await?;
    let photo: Vec<u8> = (0..30_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let sha = tiyan_storage::sha256_hex(&photo);
    let chunk = 10_000usize;
    let send = |to: &Http, offset: usize| {
        let path = format!("/api/v1/photo-uploads/{sha}?offset={offset}&size={}", photo.len());
        let (to, headers) = (to.clone(), auth(laptop, &secret));
        let bytes = photo[offset..(offset + chunk).min(photo.len())].to_vec();
        async move { call(&to, Method::Post, &path, &headers, bytes).await }
    };
    // The same chunk at both processes at once: taken once.
    let (a, b) = tokio::join!(send(&p.a, 0), send(&p.b, 0));
    let (a, b) = (a?, b?);
    ensure!(a.0 == 200 && b.0 == 200, "{a:?} {b:?}");
    ensure!(a.1["ok"]["received"] == 10_000 && b.1["ok"]["received"] == 10_000, "{a:?} {b:?}");
    // The next two chunks at once, to different processes: each is either taken
    // in order or ignored (and sent again), never taken twice or out of order.
    let mut rounds = 0;
    loop {
        let (_, state) =
            call(&p.a, Method::Get, &format!("/api/v1/photo-uploads/{sha}"), &auth(laptop, &secret), vec![]).await?;
        if state["ok"]["complete"] == true {
            break;
        }
        let at = state["ok"]["received"].as_u64().unwrap_or(0) as usize;
        ensure!(at.is_multiple_of(chunk), "the server holds {at} bytes: not a whole number of chunks");
        let next = (at + chunk).min(photo.len() - 1);
        let (x, y) = tokio::join!(send(&p.a, at), send(&p.b, next));
        ensure!(x?.0 == 200 && y?.0 == 200);
        rounds += 1;
        ensure!(rounds < 10, "the photo never completed");
    }
    let held = p.store.diary_photo(&sha).await?.expect("the photo is whole");
    ensure!(held == photo, "assembled from each chunk once, in order");
    Ok(())
}

async fn a_device_never_reads_half_of_one_version_and_half_of_the_next(backend: Backend) -> Result<()> {
    let p = pair(backend).await?;
    let (laptop, secret) = p.enroll(DeviceRole::Officer).await?;
    // Imports, one after the other, each naming its own edition in every hall and window.
    let store = p.store.clone();
    let importer = tokio::spawn(async move {
        for edition in 2..=30 {
            let mut loaded = load_json(&demo_reference())?;
            for h in &mut loaded.data.halls {
                h.name.en = format!("edition {edition}");
            }
            for w in &mut loaded.data.windows {
                w.name.en = format!("edition {edition}");
            }
            tiyan_system_tests::sync_rig::import(&store, loaded).await?;
        }
        Ok::<_, anyhow::Error>(())
    });
    let mut reads = 0;
    while !importer.is_finished() {
        let to = if reads % 2 == 0 { &p.a } else { &p.b };
        let (status, body) = call(to, Method::Get, "/api/v1/reference", &auth(laptop, &secret), vec![]).await?;
        ensure!(status == 200, "{body}");
        let data = &body["ok"]["data"];
        let editions: std::collections::BTreeSet<&str> = data["halls"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(data["windows"].as_array().into_iter().flatten())
            .filter_map(|x| x["name"]["en"].as_str())
            // Before the first import here, the demo's own names: edition 1.
            .map(|name| if name.starts_with("edition ") { name } else { "edition 1" })
            .collect();
        ensure!(editions.len() <= 1, "one read saw several editions: {editions:?}");
        if let Some(edition) = editions.first().and_then(|e| e.strip_prefix("edition ")) {
            // Edition k is reference version k (the demo import was version 1).
            ensure!(
                data["version"].as_u64().map(|v| v.to_string()).as_deref() == Some(edition),
                "version {} with {edition}",
                data["version"]
            );
        }
        reads += 1;
    }
    importer.await??;
    ensure!(reads > 5, "only {reads} reads happened during the imports");
    Ok(())
}
