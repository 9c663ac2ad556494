//! The kill soak: a kiosk taking ratings and syncing them is killed with
//! SIGKILL over and over, and so is the real `tiyan-server` it syncs to. After
//! every kill the kiosk's file is sound and holds every rating a citizen was
//! thanked for; at the end the server holds exactly the kiosk's ratings, each
//! once. The test command runs it short; the soak is
//! `TIYAN_SOAK_KIOSK_KILLS=1000 TIYAN_SOAK_SERVER_KILLS=200 cargo test --release
//! -p tiyan-system-tests --test sync_soak -- --nocapture` (README, "Tests").

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use rand::Rng;
use tiyan_server::testing::{Backend, TestDb};
use tiyan_system_tests::sync_rig::{
    assert_same, drain_retrying, kiosk_code, kiosk_enrolled_with, server_cli, start_server_process,
};
use tiyan_system_tests::{check_kiosk_store, clock_start_arg, demo_reference, free_port};

tiyan_server::on_both_backends!(kills_of_the_kiosk_and_the_server_during_sync_lose_and_duplicate_nothing);

/// How many kills of each: the environment's, else the test command's short run.
fn kills(backend: Backend) -> (usize, usize) {
    let var = |name: &str, default: usize| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let (kiosk, server) = (var("TIYAN_SOAK_KIOSK_KILLS", 40), var("TIYAN_SOAK_SERVER_KILLS", 8));
    match backend {
        Backend::Sqlite => (kiosk, server),
        // PostgreSQL restarts cost more; the short run takes half there.
        _ if std::env::var_os("TIYAN_SOAK_KIOSK_KILLS").is_none() => (kiosk / 2, server / 2),
        _ => (kiosk, server),
    }
}

async fn kills_of_the_kiosk_and_the_server_during_sync_lose_and_duplicate_nothing(backend: Backend) -> Result<()> {
    let (kiosk_kills, server_kills) = kills(backend);
    let dir = tempfile::tempdir()?;
    let test_db = TestDb::new(backend).await;
    let db = test_db.arg();
    ensure!(server_cli(&db)?.arg("import").arg(demo_reference()).stdout(Stdio::null()).status()?.success());
    let code = kiosk_code(&db)?;
    let port = free_port();
    let clock = clock_start_arg();
    let mut server = start_server_process(std::path::Path::new(&db), port, &clock).await?;
    let url = format!("http://127.0.0.1:{port}");
    let data = dir.path().join("kiosk");
    drop(kiosk_enrolled_with(&data, &url, &code).await?);

    let started = Instant::now();
    let mut rng = rand::rng();
    let mut acked: HashSet<String> = HashSet::new();
    // The server is killed every `every`-th round, while the kiosk is syncing.
    let every = (kiosk_kills / server_kills.max(1)).max(1);
    let mut server_killed = 0;
    for round in 0..kiosk_kills {
        let mut child = Command::new(env!("CARGO_BIN_EXE_soak_kiosk"))
            .arg(&data)
            .arg(&clock)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
        let mut take = |n: usize, acked: &mut HashSet<String>| -> Result<()> {
            for _ in 0..n {
                let line = lines.next().context("the kiosk stopped")??;
                acked.insert(line.split_whitespace().nth(2).context("ack line")?.to_string());
            }
            Ok(())
        };
        if round % 2 == 0 {
            take(rng.random_range(1..60), &mut acked)?; // right after a thank-you
        } else {
            std::thread::sleep(Duration::from_millis(rng.random_range(0..150))); // mid-anything
        }
        if round % every == every / 2 && server_killed < server_kills {
            take(5, &mut acked)?;
            drop(server); // SIGKILL, then reaped
            server_killed += 1;
            std::thread::sleep(Duration::from_millis(rng.random_range(0..200)));
            server = start_server_process(std::path::Path::new(&db), port, &clock).await?;
            take(5, &mut acked)?;
        }
        child.kill()?; // SIGKILL
        child.wait()?;
        // Thank-yous already in the pipe count too: they were printed after the commit.
        for line in lines {
            acked.insert(line?.split_whitespace().nth(2).context("ack line")?.to_string());
        }
        if round % 50 == 49 {
            check_kiosk_store(&data, &acked).with_context(|| format!("after kill {round}"))?;
        }
    }
    let killing = started.elapsed();
    let held = check_kiosk_store(&data, &acked)?;
    let kiosk = tiyan_client::Kiosk::open(&data)?;
    let waiting = kiosk.store().waiting()?;
    drain_retrying(kiosk.shared_store(), url, Duration::from_secs(120), Duration::from_millis(200)).await?;
    let on_server = assert_same(test_db.open().await.as_ref(), &kiosk).await?;
    ensure!(on_server == held, "the server holds {on_server}, the kiosk {held}");
    ensure!(server_killed == server_kills, "{server_killed} of {server_kills} server kills");
    ensure!(acked.len() > kiosk_kills, "too few ratings were thanked for: {}", acked.len());
    eprintln!(
        "soak ({backend:?}): {kiosk_kills} kiosk kills and {server_killed} server kills in {:.0} s; {held} ratings \
         stored, {} thanked for before a kill, none lost; {} still waiting at the end, then synced: the server holds \
         {on_server}, each once",
        killing.as_secs_f64(),
        acked.len(),
        waiting,
    );
    drop(server);
    Ok(())
}
