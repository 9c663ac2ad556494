//! The console goes through the same door as the page: `tiyan-server`'s
//! commands, run as an operator would against a database, make their changes
//! through the services and leave them in the audit log under "console".

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::demo;
use tiyan_server::testing::{Backend, TestDb};
use tiyan_storage::AuditFilter;

tiyan_server::on_both_backends!(every_change_from_the_console_is_in_the_audit_log);

fn console(db: &TestDb, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tiyan-server")).arg("--db").arg(db.arg()).args(args).output().unwrap()
}

async fn every_change_from_the_console_is_in_the_audit_log(backend: Backend) {
    let db = TestDb::new(backend).await;
    drop(db.open().await);
    let demo = demo().display().to_string();
    let run = |args: &[&str]| {
        let out = console(&db, args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    run(&["import", &demo]);
    run(&["enroll", "--hall", "jianghai", "--window", "jianghai-w02"]);
    run(&["export", "--format", "json"]);
    // A device that is not enrolled is not revoked: the command says so and changes nothing.
    let unknown = console(&db, &["revoke", "--device", &uuid::Uuid::now_v7().to_string()]);
    assert!(!unknown.status.success());
    // A code for a place that is not in the data is refused by the same check as the page's.
    let nowhere = console(&db, &["enroll", "--hall", "nowhere"]);
    assert!(!nowhere.status.success());

    let store = db.open().await;
    let log = store.audit_log(&AuditFilter { limit: 50, ..AuditFilter::default() }).await.unwrap();
    let actions: Vec<(&str, &str, &str)> =
        log.iter().rev().map(|r| (r.entry.actor.as_str(), r.entry.client.as_str(), r.entry.action.as_str())).collect();
    assert_eq!(
        actions,
        [
            ("console", "local", "reference_imported"),
            ("console", "local", "code_issued"),
            ("console", "local", "ratings_exported"),
        ]
    );
    assert!(log.iter().all(|r| r.entry.account_id.is_none()));
}
