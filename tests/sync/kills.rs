//! kill -9 in the middle of a sync, of either side, and restart: the server ends
//! up holding exactly the device's ratings. The server here is the real
//! `tiyan-server` process; the device is first a sync worker in this process,
//! then the real app in its window under Xvfb.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use tiyan_client::Kiosk;
use tiyan_client::sync::Backoff;
use tiyan_client::sync::transport::Http;
use tiyan_server::testing::{Backend, TestDb};
use tiyan_system_tests::proxy::{Fault, FaultProxy};
use tiyan_system_tests::sync_rig::{TestServer, assert_same, kiosk_enrolled_with, rate, ratings_of, server_binary};

tiyan_server::on_both_backends!(the_server_killed_and_restarted_mid_sync_loses_and_duplicates_nothing);
use tiyan_system_tests::{Guard, app_binary, app_pid, demo_reference, display, free_port};

fn server_cmd(db: &str) -> Result<Command> {
    let mut c = Command::new(server_binary()?);
    c.arg("--db").arg(db).env("RUST_LOG", "warn").stdin(Stdio::null());
    Ok(c)
}

fn start_server(db: &str, port: u16) -> Result<Child> {
    let child = server_cmd(db)?
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--clock-start", &tiyan_system_tests::clock_start_arg()])
        .stdout(Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        ensure!(Instant::now() < deadline, "tiyan-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(child)
}

/// Sets up a kiosk enrolled with the server at `url`, with `n` ratings waiting.
async fn kiosk_with_ratings(dir: &Path, url: &str, code: &str, n: usize) -> Result<Kiosk> {
    let kiosk = kiosk_enrolled_with(dir, url, code).await?;
    rate(&kiosk, n)?;
    Ok(kiosk)
}

async fn the_server_killed_and_restarted_mid_sync_loses_and_duplicates_nothing(backend: Backend) -> Result<()> {
    const TOTAL: usize = 8000;
    let dir = tempfile::tempdir()?;
    let test_db = TestDb::new(backend).await;
    let db = test_db.arg();
    let status =
        server_cmd(&db)?.arg("import").arg(demo_reference()).stdout(Stdio::null()).stderr(Stdio::null()).status()?;
    ensure!(status.success(), "import failed");
    let code = server_cmd(&db)?.args(["enroll", "--hall", "jianghai", "--window", "jianghai-w02"]).output()?;
    let code = String::from_utf8(code.stdout)?.trim().to_string();
    let port = free_port();
    let mut server = Guard(start_server(&db, port)?);
    // A slow link, so that kills land while pages are in flight.
    let proxy = FaultProxy::start(([127, 0, 0, 1], port).into()).await;
    let kiosk = kiosk_with_ratings(&dir.path().join("kiosk"), &proxy.url(), &code, TOTAL).await?;
    // About 1.5 s per page of 1,000 on this link, three at a time: eight pages outlast three kills.
    proxy.set(Fault::Slow { chunk: 4096, pause_ms: 20 });
    let backoff = Backoff { base: Duration::from_millis(100), cap: Duration::from_millis(500) };
    let sync = tiyan_client::sync::worker::spawn(kiosk.shared_store(), |u: &str| Http::new(u), backoff);

    for kill in 0..3 {
        let before = kiosk.store().waiting()?;
        ensure!(before > 0, "the whole drain finished before kill {kill}: slow the link down");
        let deadline = Instant::now() + Duration::from_secs(30);
        while kiosk.store().waiting()? == before {
            ensure!(Instant::now() < deadline, "no progress before kill {kill}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(rand::random_range(0..150))).await;
        server.0.kill()?; // SIGKILL
        server.0.wait()?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        server = Guard(start_server(&db, port)?);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while sync.status()?.waiting > 0 {
        ensure!(Instant::now() < deadline, "not drained: {:?}", sync.status()?);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(server);
    ensure!(assert_same(test_db.open().await.as_ref(), &kiosk).await? == TOTAL);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_killed_mid_sync_and_restarted_loses_and_duplicates_nothing() -> Result<()> {
    const TOTAL: usize = 12_000;
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(Backend::Sqlite).await?;
    let proxy = FaultProxy::start(server.addr).await;
    let data = dir.path().join("kiosk");
    let code = server.code("jianghai-w02").await?;
    let device = {
        let kiosk = kiosk_with_ratings(&data, &proxy.url(), &code, TOTAL).await?;
        kiosk.store().device_id()
    };
    proxy.set(Fault::Slow { chunk: 4096, pause_ms: 25 });

    let launch = || -> Result<Guard> {
        let child = Command::new(app_binary()?)
            .arg("--data-dir")
            .arg(&data)
            .args(["--clock-start", &tiyan_system_tests::clock_start_arg()])
            .env("DISPLAY", display())
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the app")?;
        Ok(Guard(child))
    };
    let store = server.store.clone();
    let count = || async { Ok::<_, anyhow::Error>(ratings_of(store.as_ref(), device).await?.len()) };

    for kill in 0..3 {
        let app = launch()?;
        let before = count().await?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while count().await? == before {
            ensure!(Instant::now() < deadline, "the app did not sync before kill {kill}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(rand::random_range(0..200))).await;
        let pid = app_pid(&data)?;
        ensure!(pid == app.0.id(), "the lock file names the app");
        drop(app); // SIGKILL, then reaped
        if count().await? == TOTAL {
            bail!("the whole drain finished before kill {kill}: slow the link down");
        }
    }
    let app = launch()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while count().await? < TOTAL {
        ensure!(Instant::now() < deadline, "the restarted app did not finish: {} of {TOTAL}", count().await?);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give the app a moment to record the last acknowledgement, then stop it hard.
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(app);
    let kiosk = Kiosk::open(&data)?;
    let local = kiosk.store().ratings_after(0, TOTAL + 1)?;
    let held = server.ratings_of(device).await?;
    ensure!(local == held, "server {} vs device {}", held.len(), local.len());
    ensure!(kiosk.store().integrity_check()? == "ok");
    server.stop().await;
    Ok(())
}
