//! Backups taken while the server serves and restored elsewhere: the real
//! `tiyan-server` process on either backend, a kiosk draining its queue through
//! a slow link, `tiyan-server backup` in the middle of the drain, the server
//! stopped, `tiyan-server restore` into a fresh database, a server there: every
//! rating acknowledged before the backup began is in it, and the kiosk carries on
//! until the restored server holds exactly its ratings, each once (it sends again
//! what the backup lacks).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use tiyan_client::sync::Backoff;
use tiyan_client::sync::transport::Http;
use tiyan_core::protocol::RecordKind;
use tiyan_server::testing::{Backend, TestDb};
use tiyan_system_tests::proxy::{Fault, FaultProxy};
use tiyan_system_tests::sync_rig::{
    assert_same, kiosk_code, kiosk_enrolled_with, rate, ratings_of, server_cli, start_server_process,
};
use tiyan_system_tests::{clock_start_arg, demo_reference, free_port};

tiyan_server::on_both_backends!(a_backup_taken_mid_drain_and_restored_elsewhere_loses_and_duplicates_nothing);

async fn a_backup_taken_mid_drain_and_restored_elsewhere_loses_and_duplicates_nothing(backend: Backend) -> Result<()> {
    // Nine pages: more than the three in flight, so that pages are still to be
    // sent when the first is acknowledged and the backup starts.
    const TOTAL: usize = 9000;
    let dir = tempfile::tempdir()?;
    let first = TestDb::new(backend).await;
    let db = first.arg();
    ensure!(server_cli(&db)?.arg("import").arg(demo_reference()).stderr(Stdio::null()).status()?.success());
    let code = kiosk_code(&db)?;
    let port = free_port();
    let server = start_server_process(std::path::Path::new(&db), port, &clock_start_arg()).await?;
    let proxy = FaultProxy::start(([127, 0, 0, 1], port).into()).await;
    let kiosk = kiosk_enrolled_with(&dir.path().join("kiosk"), &proxy.url(), &code).await?;
    rate(&kiosk, TOTAL)?;
    // Slow enough that the drain outlasts a backup (pg_dump takes seconds).
    proxy.set(Fault::Slow { chunk: 4096, pause_ms: 40 });
    let backoff = Backoff { base: Duration::from_millis(100), cap: Duration::from_millis(500) };
    let sync = tiyan_client::sync::worker::spawn(kiosk.shared_store(), |u: &str| Http::new(u), backoff);

    // The backup, while pages are arriving.
    let deadline = Instant::now() + Duration::from_secs(60);
    while kiosk.store().acked_through(RecordKind::Rating)? < 500 {
        ensure!(Instant::now() < deadline, "the drain does not move");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let acknowledged = kiosk.store().acked_through(RecordKind::Rating)?;
    let file = dir.path().join("tiyan.backup");
    let out = server_cli(&db)?.arg("backup").arg("--out").arg(&file).output()?;
    ensure!(out.status.success(), "backup: {}", String::from_utf8_lossy(&out.stderr));
    let still = kiosk.store().acked_through(RecordKind::Rating)?;
    ensure!(still < TOTAL as u64, "the drain ended before the backup did: slow the link down");
    proxy.set(Fault::Pass); // the rest of the drain need not crawl
    drop(server); // the machine is lost

    // Restored on another machine (another database), a server there on the same address.
    let second = TestDb::new(backend).await;
    let out = server_cli(second.arg())?.arg("restore").arg(&file).output()?;
    ensure!(out.status.success(), "restore: {}", String::from_utf8_lossy(&out.stderr));
    let restored = second.open().await;
    let held = ratings_of(restored.as_ref(), kiosk.store().device_id()).await?;
    ensure!(held.len() as u64 >= acknowledged, "{} held, {acknowledged} acknowledged before the backup", held.len());
    ensure!(held.iter().enumerate().all(|(i, r)| r.seq == i as u64 + 1), "a gapless prefix of the stream");
    let log = restored.audit_log(&tiyan_storage::AuditFilter { limit: 10, ..Default::default() }).await?;
    ensure!(log.iter().any(|e| e.entry.action == "database_restored"), "the restore is in the audit log");
    let _server = start_server_process(std::path::Path::new(&second.arg()), port, &clock_start_arg()).await?;

    let deadline = Instant::now() + Duration::from_secs(120);
    while sync.status()?.waiting > 0 {
        ensure!(Instant::now() < deadline, "not drained into the restored server: {:?}", sync.status()?);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ensure!(assert_same(restored.as_ref(), &kiosk).await? == TOTAL);

    // A backup is not overwritten, and one from a newer schema is refused.
    let again = server_cli(second.arg())?.arg("backup").arg("--out").arg(&file).output()?;
    ensure!(!again.status.success(), "an existing file must not be overwritten");
    if backend == Backend::Sqlite {
        let newer = dir.path().join("newer.db");
        std::fs::copy(&file, &newer)?;
        rusqlite::Connection::open(&newer)?.pragma_update(None, "user_version", 99)?;
        let target = dir.path().join("elsewhere.db");
        let out = server_cli(&target)?.arg("restore").arg(&newer).output()?;
        ensure!(!out.status.success(), "a backup from a newer schema must be refused");
        ensure!(String::from_utf8_lossy(&out.stderr).contains("newer"), "{}", String::from_utf8_lossy(&out.stderr));
        ensure!(!target.exists(), "nothing is written when refused");
    }
    Ok(())
}
