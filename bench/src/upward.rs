//! Reporting up against the province's peak, on each backend, with the
//! reference platform (`tiyan_system_tests::province`) answering each request
//! after `latency`:
//!
//! - backlog: the platform down while an hour of a province's ratings arrive
//!   (`backlog` ratings through the sync API), then back: the time until the
//!   outbox is empty, and the sender's rate, against the peak ingest rate (200
//!   single-rating uploads a second, as `sync --only peak`): target ≥ 5×, and
//!   drained within 2 minutes of the platform's return;
//! - peak: 200 single-rating uploads a second for `peak_seconds` with the
//!   sender running: the rate reported against the rate taken in, and how far
//!   the sender fell behind.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use tiyan_client::sync::api::{Api, Credentials};
use tiyan_client::sync::transport::Http;
use tiyan_core::protocol::Upload;
use tiyan_server::testing::Backend;
use tiyan_services::upward::TargetConfig;
use tiyan_system_tests::province::{Mode, Province, Shape};

use crate::stats::{ms, summarize};
use crate::sync::{Server, enrol, open_loop, rating, start_server_with, start_time};

pub struct Args {
    pub backlog: usize,
    pub peak_rate: u32,
    pub peak_seconds: u64,
    pub latency_ms: u64,
    pub postgres: Option<String>,
    pub only: Vec<String>,
    pub dir: std::path::PathBuf,
}

const TOKEN: &str = "bench-token";

pub fn run(args: Args) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let wants = |what: &str| args.only.is_empty() || args.only.iter().any(|o| o == what);
    println!(
        "reporting up: the platform answers each request in {} ms; reference: the peak ingest, {} single-rating uploads a second",
        args.latency_ms, args.peak_rate
    );
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let name = if backend == Backend::Sqlite { "sqlite" } else { "postgres" };
        if !wants(name) || (backend == Backend::Postgres && args.postgres.is_none()) {
            continue;
        }
        println!("\n== {name} ==");
        runtime.block_on(once(backend, &args))?;
    }
    Ok(())
}

async fn once(backend: Backend, args: &Args) -> Result<()> {
    let province = Province::start(Shape::Gbt39046, TOKEN).await?;
    province.set_latency(Duration::from_millis(args.latency_ms));
    province.set_mode(Mode::Down);
    let config: TargetConfig = toml::from_str(&format!(
        "name = \"province\"\nurl = \"{}\"\nprofile = \"gbt39046\"\ntoken = \"{TOKEN}\"\nretry_cap_secs = 60\n",
        province.url()
    ))?;
    let settings = tiyan_server::Settings { upward: vec![Arc::new(config.resolve()?)], ..Default::default() };
    let server = start_server_with(backend, &args.dir, args.postgres.as_deref(), settings).await?;
    let http = Http::new(&server.url)?;

    // An hour of the province's ratings while the platform is down.
    let devices = enrol(&server.store, args.backlog.div_ceil(1000)).await?;
    let t = Instant::now();
    for (i, c) in devices.iter().enumerate() {
        let n = (args.backlog - i * 1000).min(1000);
        let page: Vec<_> = (1..=n as u64).map(|seq| rating(c.device_id, seq, start_time())).collect();
        Api::new(http.clone()).upload(c, &Upload::Rating(page)).await?;
    }
    let queued = backlog(&server).await?;
    ensure!(queued == args.backlog as u64, "{queued} queued of {}", args.backlog);
    println!(
        "backlog: {queued} ratings queued while the platform was down ({:.1} s to take in)",
        t.elapsed().as_secs_f64()
    );
    // Down long enough for the sender to be waiting its longest between tries
    // (1, 2, 4, … s to the 60 s cap: two and a half minutes), as after an hour.
    let down = Instant::now();
    tokio::time::sleep(Duration::from_secs(150)).await;
    println!(
        "  the platform down {:.0} s: the sender tried {} times, waiting up to its 60 s cap",
        down.elapsed().as_secs_f64(),
        province.state().requests
    );

    province.set_mode(Mode::Normal);
    let back = Instant::now();
    let mut first = None;
    while backlog(&server).await? > 0 {
        if first.is_none() && province.count("rating") > 0 {
            first = Some(back.elapsed());
        }
        ensure!(back.elapsed() < Duration::from_secs(600), "not drained in 10 minutes");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let drained = back.elapsed();
    let first = first.unwrap_or(drained);
    let sending = (drained - first).as_secs_f64().max(1e-3);
    let rate = args.backlog as f64 / sending;
    ensure!(province.count("rating") == args.backlog, "the platform holds {}", province.count("rating"));
    println!(
        "  drained {:.1} s after the platform came back (first record after {:.1} s of backing off): target < 120 s",
        drained.as_secs_f64(),
        first.as_secs_f64()
    );
    println!(
        "  sender: {rate:.0} ratings/s   reference: the peak ingest {} /s   ratio {:.1}× (target ≥ 5×)",
        args.peak_rate,
        rate / f64::from(args.peak_rate)
    );

    peak(&server, &province, &http, args).await?;
    let _ = server.stop.send(());
    Ok(())
}

async fn backlog(server: &Server) -> Result<u64> {
    Ok(server.store.upward_backlog("province").await?)
}

/// The peak with the sender running: ratings reported a second against ratings taken in.
async fn peak(server: &Server, province: &Province, http: &Http, args: &Args) -> Result<()> {
    let fleet: Arc<Vec<Credentials>> = Arc::new(enrol(&server.store, 500).await?);
    let total = (u64::from(args.peak_rate) * args.peak_seconds) as usize;
    let before = province.count("rating");
    let interval = Duration::from_secs_f64(1.0 / f64::from(args.peak_rate));
    let began = tokio::time::Instant::now();
    let tasks = open_loop(http, fleet, args.peak_rate, total);
    // The outbox as the peak goes on, each half second.
    let mut behind = Vec::new();
    let sampler = async {
        while began.elapsed() < interval * total as u32 {
            behind.push(backlog(server).await.unwrap_or(0));
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    let uploads = async {
        let mut failed = 0;
        for t in tasks {
            if !matches!(t.await, Ok(Ok(_))) {
                failed += 1;
            }
        }
        failed
    };
    let ((), failed) = tokio::join!(sampler, uploads);
    let took_in = began.elapsed();
    ensure!(failed == 0, "{failed} uploads failed");
    let settle = Instant::now();
    while backlog(server).await? > 0 {
        ensure!(settle.elapsed() < Duration::from_secs(120), "the sender did not catch up within 2 minutes");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let caught_up = settle.elapsed();
    let reported = province.count("rating") - before;
    ensure!(reported == total, "reported {reported} of {total}");
    let s = summarize(behind.iter().map(|b| Duration::from_millis(*b)).collect());
    println!(
        "peak: {total} single-rating uploads at {:.0} /s with the sender running; the outbox held p50 {} p99 {} max {} records; \
         the last reported {} after the last upload",
        total as f64 / took_in.as_secs_f64(),
        s.p50.as_millis(),
        s.p99.as_millis(),
        s.max.as_millis(),
        ms(caught_up)
    );
    Ok(())
}
