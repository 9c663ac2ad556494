//! Storage's conformance suite (`tiyan_storage::conformance`) on both backends.

mod common;

use common::demo;
use tiyan_server::testing::{Backend, TestDb};
use tiyan_services::reference_files::load_json;
use tiyan_services::{Clock, Services, Who, reference};
use tiyan_storage::conformance::{self, Place};

tiyan_server::on_both_backends!(
    a_page_is_stored_once_and_a_conflict_keeps_nothing,
    a_code_redeemed_at_once_enrols_one_device,
    a_step_is_written_only_on_the_history_it_was_decided_on,
);

/// A fresh store with the demo hall, and where its kiosk stands.
async fn store(backend: Backend) -> (TestDb, std::sync::Arc<dyn tiyan_storage::Storage>, Place) {
    let db = TestDb::new(backend).await;
    let store = db.open().await;
    let cx = Services::new(store.clone(), Clock::system());
    reference::import(&cx, &Who::console(cx.now()), load_json(&demo()).expect("demo")).await.expect("import");
    let place = Place { hall: "jianghai".into(), window: "jianghai-w02".into(), staff: "staff-100102".into() };
    (db, store, place)
}

async fn a_page_is_stored_once_and_a_conflict_keeps_nothing(backend: Backend) {
    let (_db, s, place) = store(backend).await;
    conformance::a_page_is_stored_once_and_a_conflict_keeps_nothing(s, place).await;
}

async fn a_code_redeemed_at_once_enrols_one_device(backend: Backend) {
    let (_db, s, place) = store(backend).await;
    conformance::a_code_redeemed_at_once_enrols_one_device(s, place).await;
}

async fn a_step_is_written_only_on_the_history_it_was_decided_on(backend: Backend) {
    let (_db, s, place) = store(backend).await;
    conformance::a_step_is_written_only_on_the_history_it_was_decided_on(s, place).await;
}
