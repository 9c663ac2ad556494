//! A province's database survives losing its primary. PostgreSQL as Patroni
//! runs it (etcd, two nodes, synchronous replication; `tiyan_system_tests::
//! patroni`), two `tiyan-server` processes connected with a multi-host URL that
//! asks for the writable node (`target_session_attrs=read-write`), kiosks
//! draining thousands of ratings through them; the primary's machine is lost
//! (Patroni and all of its PostgreSQL killed with SIGKILL) in the middle.
//! Patroni promotes the standby, the server processes reconnect by themselves
//! (nobody restarts them), the devices retry, and at the end every rating each
//! device holds is on the new primary exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use tiyan_client::Kiosk;
use tiyan_storage::Location;
use tiyan_system_tests::patroni::Patroni;
use tiyan_system_tests::proxy::{Fault, FaultProxy};
use tiyan_system_tests::sync_rig::{assert_same, drain_retrying, kiosk_code, kiosk_enrolled_with, rate, server_cli};
use tiyan_system_tests::{Guard, demo_reference, free_port};

const KIOSKS: usize = 4;
const RATINGS: usize = 1500;

/// A server process on `port`, its log in `log` (hundreds of "database
/// unavailable" lines while the primary is gone are what it should say).
async fn start_server(db: &str, port: u16, log: &std::path::Path) -> Result<Guard> {
    let child = server_cli(db)?
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log)?)
        .spawn()
        .context("starting tiyan-server")?;
    let guard = Guard(child);
    tiyan_system_tests::wait_for_port(port).await.context("tiyan-server did not listen")?;
    Ok(guard)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_carry_on_when_the_primary_is_lost_and_every_rating_is_kept_once() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut cluster = Patroni::start(&dir.path().join("patroni")).await?;
    let url = cluster.url();
    let status = server_cli(&url)?.arg("import").arg(demo_reference()).stdout(Stdio::null()).status()?;
    ensure!(status.success(), "import failed");
    let ports = [free_port(), free_port()];
    let processes = [
        start_server(&url, ports[0], &dir.path().join("server-0.log")).await?,
        start_server(&url, ports[1], &dir.path().join("server-1.log")).await?,
    ];
    // Each process behind a link with some latency, so that the kill lands while pages are in flight.
    let mut proxies = Vec::new();
    for port in ports {
        proxies.push(FaultProxy::start(([127, 0, 0, 1], port).into()).await);
    }

    let mut kiosks = Vec::new();
    for i in 0..KIOSKS {
        let front = proxies[i % 2].url();
        let kiosk = kiosk_enrolled_with(&dir.path().join(format!("kiosk-{i}")), &front, &kiosk_code(&url)?).await?;
        rate(&kiosk, RATINGS)?;
        kiosks.push(kiosk);
    }
    for proxy in &proxies {
        proxy.set(Fault::Slow { chunk: 4096, pause_ms: 4 });
    }
    let total = (KIOSKS * RATINGS) as u64;
    let waiting = |kiosks: &[Kiosk]| -> Result<u64> { kiosks.iter().map(|k| Ok(k.store().waiting()?)).sum() };
    let drains: Vec<_> = kiosks
        .iter()
        .enumerate()
        .map(|(i, k)| {
            tokio::spawn(drain_retrying(
                k.shared_store(),
                proxies[i % 2].url(),
                Duration::from_secs(240),
                Duration::from_millis(200),
            ))
        })
        .collect();

    // A quarter through, the primary's machine is lost.
    let deadline = Instant::now() + Duration::from_secs(60);
    while (waiting(&kiosks)? as f64) > total as f64 * 0.75 {
        ensure!(Instant::now() < deadline, "no progress before the primary was lost");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let left = waiting(&kiosks)?;
    if left == 0 {
        bail!("the drain finished before the primary was lost: slow the links down");
    }
    let primary = cluster.leader().await?;
    let survivor = 1 - primary;
    cluster.kill(primary);
    let lost = Instant::now();
    cluster.wait_until_leader(survivor, Duration::from_secs(90)).await.context("the standby was not promoted")?;
    let promoted = lost.elapsed();

    let mut failures = 0;
    for d in drains {
        failures += d.await??;
    }
    let drained = lost.elapsed();
    println!(
        "{total} ratings; the primary lost with {left} still on the devices; the standby promoted after {promoted:?}; \
         all drained {drained:?} after the loss; {failures} rounds failed in between"
    );
    ensure!(failures > 0, "no round failed: the loss did not land during the drain");

    // Every rating each device holds is on the new primary once, and the
    // processes that were never restarted still serve.
    let store = tiyan_server::database::open(&Location::Postgres(cluster.node_url(survivor))).await?;
    for kiosk in &kiosks {
        ensure!(assert_same(store.as_ref(), kiosk).await? == RATINGS);
    }
    for port in ports {
        let health = reqwest::get(format!("http://127.0.0.1:{port}/api/v1/health")).await?;
        ensure!(health.status().is_success(), "the process on {port} does not answer its health check");
    }
    drop(processes);
    drop(cluster);
    Ok(())
}
