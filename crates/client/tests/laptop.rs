//! The officer laptop's handle: nothing of the diary without a signed-in
//! officer, and a first sign-in needs the server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use tiyan_client::{Error, Laptop, Store};

#[tokio::test]
async fn nothing_of_the_diary_without_an_officer_and_a_first_sign_in_needs_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("tiyan.db")).unwrap());
    let laptop = Laptop::new(store, dir.path().to_path_buf());
    let status = laptop.status().unwrap();
    assert!(status.officer.is_none() && status.known.is_empty() && !status.enrolled);
    assert!(matches!(laptop.entries(), Err(Error::OfficerSignedOut)));
    assert!(matches!(laptop.new_draft(), Err(Error::OfficerSignedOut)));
    assert!(matches!(laptop.export_page(uuid::Uuid::now_v7()), Err(Error::OfficerSignedOut)));
    // Never signed in here, not enrolled: there is no verifier to check offline.
    assert!(matches!(laptop.sign_in("gz-2026-07", "tiyan-2026").await, Err(Error::OfficerNeedsServer)));
    assert!(laptop.officer().is_err());
}
