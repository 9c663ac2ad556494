//! The device store against real SQLite files: pragmas, migrations, sequence
//! numbers across reopen, the rating rules, reference import, PINs, export.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Duration};
use tiyan_client::clock::ManualClock;
use tiyan_client::{Error, Kiosk, Store, db};
use tiyan_core::rating::RatingInput;
use tiyan_core::settings::KioskSettings;
use uuid::Uuid;

const ADMIN_PIN: &str = "260418";
const STAFF_NO: &str = "100102";
const STAFF_PIN: &str = "2580";

fn demo_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/reference.json")
}

fn clock() -> Arc<ManualClock> {
    let start = DateTime::parse_from_rfc3339("2026-11-23T09:00:00+08:00").unwrap();
    Arc::new(ManualClock::new(start))
}

/// A kiosk set up as the administrator would: demo data, PIN, window 02, staff signed in.
fn ready_kiosk(dir: &Path, clock: Arc<ManualClock>) -> Kiosk {
    let k = Kiosk::open_with_clock(dir, clock).unwrap();
    k.import_reference(&demo_file()).unwrap();
    k.set_admin_pin(ADMIN_PIN).unwrap();
    k.bind_window("jianghai-w02").unwrap();
    k.staff_sign_in(STAFF_NO, STAFF_PIN).unwrap();
    k
}

fn rating(a: u8, c: u8) -> RatingInput {
    let bad = a <= 2 || c <= 2;
    RatingInput {
        session_id: Uuid::now_v7(),
        attitude: a,
        competence: c,
        reasons: if bad { vec!["long_wait".into()] } else { vec![] },
        comment: None,
        phone: None,
        phone_consent: false,
    }
}

#[test]
fn the_pragmas_that_protect_acknowledged_ratings_are_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    drop(store);
    // A fresh connection configured like the store's: check what SQLite reports.
    let conn = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
    db::configure(&conn).unwrap();
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
    let sync: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap();
    let fk: i64 = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0)).unwrap();
    let busy: i64 = conn.pragma_query_value(None, "busy_timeout", |r| r.get(0)).unwrap();
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(sync, 2, "synchronous=FULL");
    assert_eq!(fk, 1);
    assert_eq!(busy, 5000);
    assert_eq!(version as usize, db::schema_version());
}

#[test]
fn the_store_connection_itself_runs_with_full_sync() {
    let dir = tempfile::tempdir().unwrap();
    let k = ready_kiosk(dir.path(), clock());
    k.submit_rating(&rating(5, 5)).unwrap();
    let p = k.store().pragmas().unwrap();
    assert_eq!((p.journal_mode.as_str(), p.synchronous, p.foreign_keys, p.busy_timeout_ms), ("wal", 2, true, 5000));
    // The database is in WAL mode on disk, and the WAL file is there.
    assert!(dir.path().join("tiyan.db-wal").exists());
    let header = std::fs::read(dir.path().join("tiyan.db")).unwrap();
    assert_eq!(&header[18..20], &[2, 2], "file format bytes 18-19 are 2 in WAL mode");
}

#[test]
fn a_database_from_a_newer_build_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    drop(Store::open(&path).unwrap());
    rusqlite::Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
    match Store::open(&path) {
        Err(Error::SchemaTooNew { found: 99, .. }) => {}
        other => panic!("expected SchemaTooNew, got {:?}", other.err()),
    }
}

#[test]
fn sequence_numbers_never_repeat_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let mut seqs = Vec::new();
    let device;
    {
        let k = ready_kiosk(dir.path(), clock.clone());
        device = k.store().device_id();
        for _ in 0..5 {
            clock.advance(Duration::seconds(30));
            seqs.push(k.submit_rating(&rating(4, 4)).unwrap().seq);
        }
    }
    for _ in 0..3 {
        let k = Kiosk::open_with_clock(dir.path(), clock.clone()).unwrap();
        assert_eq!(k.store().device_id(), device, "the device keeps its identity");
        for _ in 0..4 {
            clock.advance(Duration::seconds(30));
            seqs.push(k.submit_rating(&rating(3, 5)).unwrap().seq);
        }
    }
    let expected: Vec<u64> = (1..=17).collect();
    assert_eq!(seqs, expected);
    let k = Kiosk::open(dir.path()).unwrap();
    let stored: Vec<u64> = k.store().ratings_after(0, 100).unwrap().iter().map(|r| r.seq).collect();
    assert_eq!(stored, expected);
}

#[test]
fn a_second_rating_for_one_case_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let k = ready_kiosk(dir.path(), clock());
    assert_eq!(k.set_case_no(" jh2026-0042 ").unwrap(), "JH2026-0042");
    let first = k.submit_rating(&rating(5, 5)).unwrap();
    assert_eq!(k.status().unwrap().case_no, None, "the case number is used up");

    match k.set_case_no("JH2026-0042") {
        Err(Error::CaseAlreadyRated(c)) => assert_eq!(c, "JH2026-0042"),
        other => panic!("expected CaseAlreadyRated, got {other:?}"),
    }
    // Even bypassing the staff-side check, the store refuses it.
    match k.store().submit_rating(&rating(1, 1), Some("JH2026-0042")) {
        Err(Error::CaseAlreadyRated(_)) => {}
        other => panic!("expected CaseAlreadyRated, got {other:?}"),
    }
    let all = k.store().ratings_after(0, 10).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].id, first.id);
    assert_eq!(all[0].case_no.as_deref(), Some("JH2026-0042"));
    assert!(matches!(k.set_case_no("12 34"), Err(Error::CaseNo(_))));
}

#[test]
fn repeated_submits_of_one_session_record_one_rating() {
    let dir = tempfile::tempdir().unwrap();
    let k = ready_kiosk(dir.path(), clock());
    let input = rating(2, 4);
    let a = k.submit_rating(&input).unwrap();
    let b = k.submit_rating(&input).unwrap();
    let c = k.submit_rating(&input).unwrap();
    assert_eq!(a, b);
    assert_eq!(b, c);
    assert_eq!(k.store().rating_counts().unwrap().total, 1);
}

#[test]
fn a_quick_repeat_without_case_number_is_kept_and_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let k = ready_kiosk(dir.path(), clock.clone());
    k.submit_rating(&rating(5, 5)).unwrap();
    clock.advance(Duration::seconds(3));
    k.submit_rating(&rating(5, 5)).unwrap();
    clock.advance(Duration::seconds(10));
    k.submit_rating(&rating(4, 5)).unwrap();
    clock.advance(Duration::seconds(1));
    k.set_case_no("A100").unwrap();
    k.submit_rating(&rating(3, 3)).unwrap();

    let flags: Vec<bool> = k.store().ratings_after(0, 10).unwrap().iter().map(|r| r.misuse).collect();
    assert_eq!(flags, vec![false, true, false, false]);
    let counts = k.store().rating_counts().unwrap();
    assert_eq!((counts.total, counts.misuse, counts.unsent), (4, 1, 4));

    // An interval of zero turns the check off.
    k.admin_unlock(ADMIN_PIN).unwrap();
    k.admin_update_settings(&KioskSettings { interval_seconds: 0, ..KioskSettings::default() }).unwrap();
    k.submit_rating(&rating(5, 5)).unwrap();
    assert!(!k.store().ratings_after(4, 1).unwrap()[0].misuse);
}

#[test]
fn every_level_of_both_dimensions_is_stored_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let k = ready_kiosk(dir.path(), clock.clone());
    for a in 1..=5 {
        for c in 1..=5 {
            clock.advance(Duration::seconds(11));
            k.submit_rating(&rating(a, c)).unwrap();
        }
    }
    let all = k.store().ratings_after(0, 100).unwrap();
    assert_eq!(all.len(), 25);
    for a in 1..=5u8 {
        assert_eq!(all.iter().filter(|r| r.attitude.value() == a).count(), 5);
        assert_eq!(all.iter().filter(|r| r.competence.value() == a).count(), 5);
    }
    assert_eq!(k.store().rating_counts().unwrap().bad, 25 - 9);
    let bad = all.iter().find(|r| r.is_bad()).unwrap();
    assert_eq!(bad.reasons, vec!["long_wait".to_string()]);
    assert_eq!(bad.staff_id, "staff-100102");
    assert_eq!(bad.window_id, "jianghai-w02");
    assert_eq!(bad.hall_id, "jianghai");
}

#[test]
fn a_bad_review_without_reason_or_with_an_unknown_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let k = ready_kiosk(dir.path(), clock());
    let mut r = rating(1, 5);
    r.reasons.clear();
    assert_eq!(k.submit_rating(&r).unwrap_err().code().as_str(), "reason_required");
    r.reasons = vec!["bribery".into()];
    assert_eq!(k.submit_rating(&r).unwrap_err().code().as_str(), "invalid_rating");
    r.reasons = vec!["poor_attitude".into()];
    r.phone = Some("13812345678".into());
    assert_eq!(k.submit_rating(&r).unwrap_err().code().as_str(), "phone_without_consent");
    r.phone_consent = true;
    k.submit_rating(&r).unwrap();
    assert_eq!(k.store().rating_counts().unwrap().total, 1);
}

#[test]
fn no_rating_is_taken_while_the_window_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let k = ready_kiosk(dir.path(), clock());
    k.staff_sign_out(STAFF_PIN).unwrap();
    assert!(k.status().unwrap().on_duty.is_none());
    assert!(matches!(k.submit_rating(&rating(5, 5)), Err(Error::WindowClosed)));
    assert!(matches!(k.set_case_no("A1"), Err(Error::WindowClosed)));
    assert_eq!(k.store().rating_counts().unwrap().total, 0);
}

#[test]
fn ratings_are_append_only_in_the_file_itself() {
    let dir = tempfile::tempdir().unwrap();
    let k = ready_kiosk(dir.path(), clock());
    k.submit_rating(&rating(5, 5)).unwrap();
    drop(k);
    let conn = rusqlite::Connection::open(dir.path().join("tiyan.db")).unwrap();
    let update = conn.execute("UPDATE ratings SET attitude = 1", []).unwrap_err().to_string();
    assert!(update.contains("append-only"), "{update}");
    let delete = conn.execute("DELETE FROM ratings", []).unwrap_err().to_string();
    assert!(delete.contains("append-only"), "{delete}");
}

#[test]
fn the_staff_card_shows_name_number_window_and_a_thumbnail() {
    let dir = tempfile::tempdir().unwrap();
    let k = ready_kiosk(dir.path(), clock());
    let card = k.status().unwrap().on_duty.unwrap();
    assert_eq!(card.name, "李明华");
    assert_eq!(card.employee_no, STAFF_NO);
    assert_eq!(card.window.number, "02");
    assert_eq!(card.window.name.zh, "商事登记");
    let photo = card.photo.unwrap();
    let b64 = photo.strip_prefix("data:image/jpeg;base64,").unwrap();
    use base64::Engine;
    let jpeg = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    let img = image::load_from_memory(&jpeg).unwrap();
    assert_eq!((img.width(), img.height()), (240, 320));
}

#[test]
fn wrong_pins_bring_a_growing_delay_then_a_lock_out_that_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let k = ready_kiosk(dir.path(), clock.clone());
    k.admin_lock();
    for n in 1..=2 {
        match k.admin_unlock("999999") {
            Err(Error::WrongPin { failures, retry_at: None, locked: false }) => assert_eq!(failures, n),
            other => panic!("attempt {n}: {other:?}"),
        }
    }
    assert!(matches!(k.admin_unlock("999999"), Err(Error::WrongPin { failures: 3, retry_at: Some(_), .. })));
    // Even the right PIN must wait out the delay.
    assert!(matches!(k.admin_unlock(ADMIN_PIN), Err(Error::PinWait { .. })));
    for _ in 4..=6 {
        clock.advance(Duration::seconds(60));
        k.admin_unlock("000000").unwrap_err();
    }
    drop(k);
    let k = Kiosk::open_with_clock(dir.path(), clock.clone()).unwrap();
    clock.advance(Duration::minutes(10));
    assert!(matches!(k.admin_unlock(ADMIN_PIN), Err(Error::PinLocked { .. })));
    assert!(matches!(k.admin_overview(), Err(Error::AdminLocked)));
    clock.advance(Duration::minutes(6));
    k.admin_unlock(ADMIN_PIN).unwrap();
    assert!(k.admin_overview().is_ok());
    // Staff PINs are guarded the same way, per employee number.
    for _ in 0..2 {
        assert!(matches!(k.staff_sign_in(STAFF_NO, "0000"), Err(Error::WrongPin { .. })));
    }
    assert!(matches!(k.staff_sign_in("999999", "0000"), Err(Error::UnknownStaff)));
}

#[test]
fn the_admin_pin_is_set_once_and_stored_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let k = Kiosk::open(dir.path()).unwrap();
    assert!(matches!(k.set_admin_pin(ADMIN_PIN), Err(Error::NoReferenceData)));
    k.import_reference(&demo_file()).unwrap();
    assert_eq!(k.set_admin_pin("123456").unwrap_err().code().as_str(), "pin_trivial");
    k.set_admin_pin(ADMIN_PIN).unwrap();
    assert!(matches!(k.set_admin_pin("470215"), Err(Error::AdminPinAlreadySet)));
    drop(k);
    let conn = rusqlite::Connection::open(dir.path().join("tiyan.db")).unwrap();
    let stored: String =
        conn.query_row("SELECT value FROM meta WHERE key = 'admin_pin_hash'", [], |r| r.get(0)).unwrap();
    assert!(stored.starts_with("$argon2id$"));
    assert!(!stored.contains(ADMIN_PIN));
    // After setup, import and re-binding need the PIN.
    let k = Kiosk::open(dir.path()).unwrap();
    k.bind_window("jianghai-w01").unwrap();
    assert!(matches!(k.import_reference(&demo_file()), Err(Error::AdminLocked)));
    assert!(matches!(k.bind_window("jianghai-w03"), Err(Error::AdminLocked)));
}

fn demo_copy(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let src = demo_file();
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&src).unwrap()).unwrap();
    edit(&mut v);
    std::fs::create_dir_all(dir.join("photos")).unwrap();
    for entry in std::fs::read_dir(src.parent().unwrap().join("photos")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join("photos").join(entry.file_name())).unwrap();
    }
    let path = dir.join("reference.json");
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    path
}

#[test]
fn reference_import_is_all_or_nothing_and_never_goes_back() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    let first = store.import_reference_file(&demo_file()).unwrap();
    assert_eq!((first.halls, first.windows, first.staff, first.reasons), (1, 6, 8, 9));
    assert!(!first.unchanged);
    assert!(store.import_reference_file(&demo_file()).unwrap().unchanged);

    // A photo that is not an image: the whole import is refused, nothing changes.
    let bad_photo = demo_copy(&files.path().join("a"), |v| v["version"] = 2.into());
    std::fs::write(files.path().join("a/photos/100105.jpg"), b"GIF? no, text").unwrap();
    let err = store.import_reference_file(&bad_photo).unwrap_err();
    assert!(err.to_string().contains("100105"), "{err}");
    assert_eq!(store.reference_version().unwrap(), Some(1));

    // Malformed JSON names the place.
    std::fs::write(files.path().join("broken.json"), b"{\"format\": \"tiyan-reference/1\", ").unwrap();
    let err = store.import_reference_file(&files.path().join("broken.json")).unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_reference");

    // Version 2 drops a staff member and a reason: they are retired, not deleted.
    let v2 = demo_copy(&files.path().join("b"), |v| {
        v["version"] = 2.into();
        v["staff"].as_array_mut().unwrap().retain(|s| s["employee_no"] != "100108");
        v["reasons"].as_array_mut().unwrap().retain(|r| r["code"] != "other");
    });
    let second = store.import_reference_file(&v2).unwrap();
    assert_eq!((second.version, second.staff, second.reasons), (2, 7, 8));
    assert_eq!(store.reasons().unwrap().len(), 8);
    assert!(matches!(store.import_reference_file(&demo_file()), Err(Error::ReferenceOlder { have: 2, got: 1 })));
}

#[test]
fn the_csv_export_holds_every_rating_once_with_masked_phones() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let k = ready_kiosk(dir.path(), clock.clone());
    k.submit_rating(&rating(5, 4)).unwrap();
    clock.advance(Duration::seconds(20));
    let mut bad = rating(1, 2);
    bad.reasons = vec!["long_wait".into(), "poor_attitude".into()];
    bad.comment = Some("等了一个多小时, \"窗口\"没人".into());
    bad.phone = Some("13812345678".into());
    bad.phone_consent = true;
    k.submit_rating(&bad).unwrap();

    k.admin_lock();
    assert!(matches!(k.admin_export_csv(None), Err(Error::AdminLocked)));
    k.admin_unlock(ADMIN_PIN).unwrap();
    let out = k.admin_export_csv(None).unwrap();
    assert_eq!(out.count, 2);
    assert!(out.path.starts_with(dir.path().join("exports")));
    let text = std::fs::read_to_string(&out.path).unwrap();
    assert!(text.starts_with('\u{feff}'), "UTF-8 BOM for spreadsheet programs");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[0][col("attitude_label")], "非常满意");
    assert_eq!(&rows[1][col("reasons")], "等候时间过长；服务态度差");
    assert_eq!(&rows[1][col("comment")], "等了一个多小时, \"窗口\"没人");
    assert_eq!(&rows[1][col("phone_masked")], "138****5678");
    assert_eq!(&rows[1][col("staff_name")], "李明华");
    assert_eq!(&rows[1][col("bad_review")], "是");
    assert!(!text.contains("13812345678"));
}

#[test]
fn a_comment_typed_as_a_formula_stays_text_in_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let k = ready_kiosk(dir.path(), clock());
    let mut bad = rating(1, 2);
    bad.reasons = vec!["long_wait".into()];
    bad.comment = Some("=HYPERLINK(\"http://evil.example\",\"点我\")".into());
    k.submit_rating(&bad).unwrap();
    k.admin_unlock(ADMIN_PIN).unwrap();
    let out = k.admin_export_csv(None).unwrap();
    let text = std::fs::read_to_string(&out.path).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let comment = &row[header.iter().position(|h| h == "comment").unwrap()];
    assert_eq!(comment, "'=HYPERLINK(\"http://evil.example\",\"点我\")", "a leading apostrophe keeps it text");
}

#[test]
fn an_upload_page_written_by_sqlite_is_the_records_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let k = ready_kiosk(dir.path(), clock.clone());
    let mut bad = rating(1, 2);
    bad.reasons = vec!["long_wait".into(), "poor_attitude".into()];
    bad.comment = Some("他说：\"明天再来\"\n\t（第三次）\\ 😞".into());
    bad.phone = Some("138 1234 5678".into());
    bad.phone_consent = true;
    k.submit_rating(&bad).unwrap();
    k.submit_rating(&rating(5, 5)).unwrap(); // within the interval: flagged as misuse
    clock.advance(Duration::seconds(30));
    k.set_case_no("a-100").unwrap();
    k.submit_rating(&rating(4, 3)).unwrap();

    let records = k.store().ratings_after(0, 10).unwrap();
    assert!(records[1].misuse && records[2].case_no.as_deref() == Some("A-100"));
    let (last, json) = k.store().ratings_page_json(0, 10).unwrap().unwrap();
    assert_eq!(last, 3);
    let page: tiyan_core::protocol::Upload = serde_json::from_slice(&json).unwrap();
    assert_eq!(page, tiyan_core::protocol::Upload::Rating(records.clone()));
    let (last, json) = k.store().ratings_page_json(1, 1).unwrap().unwrap();
    assert_eq!(last, 2);
    assert_eq!(serde_json::from_slice::<tiyan_core::protocol::Upload>(&json).unwrap(), {
        tiyan_core::protocol::Upload::Rating(records[1..2].to_vec())
    });
    assert!(k.store().ratings_page_json(3, 10).unwrap().is_none(), "nothing after the last");
}
