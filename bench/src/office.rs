//! The hall office over a ledger of 100,000 items on each backend: the
//! ledger list's first page (open items), the list narrowed by window and
//! overdue, and the dashboard, each through the real server over loopback
//! (session, query, page rendered), p95 against the 200 ms the issue asks
//! for and against the storage query alone.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use chrono::Utc;
use tiyan_client::sync::api::Api;
use tiyan_client::sync::transport::Http;
use tiyan_core::Level;
use tiyan_core::accounts::Role;
use tiyan_core::protocol::Upload;
use tiyan_server::Settings;
use tiyan_server::testing::Backend;
use tiyan_services::Clock;
use tiyan_services::accounts::{self, AccountForm};
use tiyan_services::{Services, Who};
use tiyan_storage::LedgerFilter;

use crate::stats::{ms, summarize};
use crate::sync::{backends, enrol, name, rating, start_server_with, start_time};

const TARGET: Duration = Duration::from_millis(200);
const DEVICES: usize = 4;
const SAMPLES: usize = 60;

pub fn run(items: usize, postgres: Option<&str>, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        for backend in backends(postgres, &[]) {
            println!("\n=== {} ===", name(backend));
            office(backend, items, postgres, dir).await?;
        }
        Ok(())
    })
}

async fn office(backend: Backend, items: usize, postgres: Option<&str>, dir: &Path) -> Result<()> {
    // The server's clock stands still while the items arrive, then moves ten days on:
    // every item is past its verify-by date, the overdue filter's worst case.
    let clock = Clock::manual(Utc::now());
    let settings = Settings { clock: clock.clone(), ..Settings::default() };
    let server = start_server_with(backend, dir, postgres, settings).await?;
    let (store, url) = (server.store.clone(), server.url.clone());

    // Every rating a bad review: each becomes an item, registered through the real upload.
    let started = Instant::now();
    let per_device = items / DEVICES;
    let mut tasks = Vec::new();
    for device in enrol(&store, DEVICES).await? {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let api = Api::new(Http::new(&url)?);
            let mut seq = 0u64;
            while (seq as usize) < per_device {
                let n = (per_device - seq as usize).min(tiyan_core::protocol::MAX_PAGE);
                let page: Vec<_> = (seq + 1..=seq + n as u64)
                    .map(|s| {
                        let mut r = rating(device.device_id, s, start_time());
                        r.attitude = Level::Dissatisfied;
                        r.reasons = vec!["long_wait".into()];
                        r.comment = Some(format!("第 {s} 位群众：等候时间过长"));
                        r
                    })
                    .collect();
                api.upload(&device, &Upload::Rating(page)).await?;
                seq += n as u64;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let total = store.ledger_page(&LedgerFilter { per_page: 1, ..LedgerFilter::default() }).await?.total;
    ensure!(total as usize == per_device * DEVICES, "{total} items in the ledger");
    println!("{total} ledger items registered through uploads in {:.1} s", started.elapsed().as_secs_f64());

    let cx = Services::new(store.clone(), clock.clone());
    let form = AccountForm {
        login: "sup",
        name: "督导",
        role: Role::Supervisor,
        place: tiyan_core::accounts::Place::Everywhere,
        password: "bench password 1",
    };
    accounts::create(&cx, &Who::console(clock.now()), &form).await?;
    clock.advance(chrono::Duration::days(10));
    let now = clock.now();
    let signed = accounts::sign_in(&cx, "sup", "bench password 1", [127, 0, 0, 1].into()).await?;
    let http = reqwest::Client::new();
    let cookie = format!("tiyan_admin={}", signed.token);
    let today = tiyan_core::workdays::china_date(now);

    let pages: [(&str, &str, LedgerFilter); 3] = [
        (
            "ledger list, first page",
            "/admin/ledger",
            LedgerFilter { open_only: true, per_page: 50, ..LedgerFilter::default() },
        ),
        (
            "ledger list, window + overdue",
            "/admin/ledger?window=jianghai-w02&overdue=1",
            LedgerFilter {
                open_only: true,
                window_id: Some("jianghai-w02".into()),
                overdue_on: Some(today),
                per_page: 50,
                ..LedgerFilter::default()
            },
        ),
        ("dashboard", "/admin", LedgerFilter::default()),
    ];
    println!("{:<44} {:>12} {:>12} {:>12}", "p95 of 60 requests", "page", "query only", "target");
    for (label, path, filter) in pages {
        let mut page = Vec::with_capacity(SAMPLES);
        let mut query = Vec::with_capacity(SAMPLES);
        for i in 0..SAMPLES + 3 {
            let t = Instant::now();
            let response = http.get(format!("{url}{path}")).header("cookie", &cookie).send().await?;
            ensure!(response.status().is_success(), "{path}: {}", response.status());
            let body = response.text().await?;
            ensure!(body.contains("<table") || body.contains("tile"), "{path} rendered");
            let took = t.elapsed();
            let t = Instant::now();
            if path == "/admin" {
                let soon = today + chrono::Duration::days(1);
                store.dashboard(None, today, soon).await?;
            } else {
                store.ledger_page(&filter).await?;
            }
            if i >= 3 {
                page.push(took);
                query.push(t.elapsed());
            }
        }
        let (p, q) = (summarize(page).p95, summarize(query).p95);
        let verdict = if p <= TARGET { "ok" } else { "OVER" };
        println!("{label:<44} {:>12} {:>12} {:>12} {verdict}", ms(p), ms(q), ms(TARGET));
    }
    let _ = server.stop.send(());
    drop(server.db);
    Ok(())
}
