//! The kiosk's commands through Tauri's real IPC and ACL, on the mock runtime:
//! the same `build()` as the app, the real capabilities, a real SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow};

fn demo_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/reference.json")
}

fn app(data_dir: &Path) -> App<MockRuntime> {
    let builder =
        tiyan_app::build(mock_builder(), data_dir, tiyan_app::Start::default()).expect("the data folder opens");
    builder.build(tauri::generate_context!()).expect("the app builds")
}

/// The window the app opens at start (the mock runtime does not run `setup`),
/// under the label the kiosk capability names.
fn kiosk(app: &App<MockRuntime>) -> WebviewWindow<MockRuntime> {
    match app.get_webview_window("kiosk") {
        Some(w) => w,
        None => tauri::WebviewWindowBuilder::new(app, "kiosk", Default::default()).build().expect("kiosk window"),
    }
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: tauri::ipc::InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("json answer"))
}

fn ok(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Value {
    invoke(window, cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
}

fn code(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Value {
    let err = invoke(window, cmd, args).expect_err(cmd);
    err["code"].clone()
}

fn rating(attitude: u8, competence: u8, reasons: &[&str]) -> Value {
    json!({ "input": {
        "session_id": uuid::Uuid::now_v7(),
        "attitude": attitude,
        "competence": competence,
        "reasons": reasons,
        "comment": null,
        "phone": null,
        "phone_consent": false,
    }})
}

#[test]
fn setup_sign_in_rate_and_administer_through_ipc() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let w = kiosk(&app);

    let status = ok(&w, "kiosk_status", json!({}));
    assert_eq!(status["set_up"], false);
    assert_eq!(status["reference_version"], Value::Null);

    assert_eq!(code(&w, "setup_set_admin_pin", json!({ "pin": "260418" })), "no_reference_data");
    let summary = ok(&w, "setup_import_reference", json!({ "path": demo_file() }));
    assert_eq!((summary["staff"].as_u64(), summary["windows"].as_u64()), (Some(8), Some(6)));
    assert_eq!(code(&w, "setup_set_admin_pin", json!({ "pin": "111111" })), "pin_trivial");
    ok(&w, "setup_set_admin_pin", json!({ "pin": "260418" }));
    let defaults = ok(&w, "setup_defaults", json!({}));
    assert_eq!(defaults["windows"].as_array().map(Vec::len), Some(6));
    ok(&w, "setup_bind_window", json!({ "windowId": "jianghai-w03" }));

    let status = ok(&w, "kiosk_status", json!({}));
    assert_eq!(status["set_up"], true);
    assert_eq!(status["on_duty"], Value::Null);
    assert_eq!(status["window"]["number"], "03");
    assert_eq!(status["reasons"].as_array().map(Vec::len), Some(9));
    assert_eq!(code(&w, "submit_rating", rating(5, 5, &[])), "window_closed");

    assert_eq!(code(&w, "staff_sign_in", json!({ "employeeNo": "100103", "pin": "0000" })), "wrong_pin");
    let card = ok(&w, "staff_sign_in", json!({ "employeeNo": "100103", "pin": "2580" }));
    assert_eq!(card["name"], "黄晓琳");
    assert!(card["photo"].as_str().is_some_and(|p| p.starts_with("data:image/jpeg;base64,")));

    assert_eq!(ok(&w, "staff_set_case_no", json!({ "caseNo": "bdc-2026-7" })), "BDC-2026-7");
    let first = ok(&w, "submit_rating", rating(5, 5, &[]));
    assert_eq!(first["seq"], 1);
    assert_eq!(code(&w, "staff_set_case_no", json!({ "caseNo": "BDC-2026-7" })), "case_already_rated");
    assert_eq!(code(&w, "submit_rating", rating(1, 2, &[])), "reason_required");
    let second = ok(&w, "submit_rating", rating(1, 2, &["long_wait", "unclear_guidance"]));
    assert_eq!(second["seq"], 2);

    // Administrator: locked until the PIN, and wrong PINs are counted.
    ok(&w, "admin_lock", json!({}));
    assert_eq!(code(&w, "admin_overview", json!({})), "admin_locked");
    assert_eq!(code(&w, "admin_exit", json!({})), "admin_locked");
    assert_eq!(code(&w, "admin_log", json!({})), "admin_locked");
    assert_eq!(code(&w, "admin_save_log", json!({ "dir": dir.path() })), "admin_locked");
    let wrong = invoke(&w, "admin_unlock", json!({ "pin": "000000" })).unwrap_err();
    assert_eq!((wrong["code"].as_str(), wrong["failures"].as_u64()), (Some("wrong_pin"), Some(1)));
    ok(&w, "admin_unlock", json!({ "pin": "260418" }));
    let overview = ok(&w, "admin_overview", json!({}));
    assert_eq!(overview["counts"]["total"], 2);
    assert_eq!(overview["counts"]["bad"], 1);
    assert_eq!(overview["counts"]["unsent"], 2);
    let settings = json!({ "settings": { "idle_seconds": 3, "interval_seconds": 10, "language": "en" } });
    assert_eq!(code(&w, "admin_update_settings", settings), "invalid_settings");
    ok(
        &w,
        "admin_update_settings",
        json!({ "settings": { "idle_seconds": 45, "interval_seconds": 5, "language": "en" } }),
    );
    assert_eq!(ok(&w, "kiosk_status", json!({}))["settings"]["language"], "en");
    let export = ok(&w, "admin_export_csv", json!({ "dir": null }));
    assert_eq!(export["count"], 2);
    assert!(Path::new(export["path"].as_str().unwrap()).exists());
    ok(&w, "admin_sign_out_staff", json!({}));
    assert_eq!(ok(&w, "kiosk_status", json!({}))["on_duty"], Value::Null);

    // The log: its last lines, and a copy on a "USB stick" (a folder); a folder
    // that does not exist is an error in words and writes nothing.
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("tiyan.2026-11-23.log"), "INFO device ready\nWARN sync: unreachable\n").unwrap();
    let tail = ok(&w, "admin_log", json!({}));
    assert_eq!(tail["lines"], json!(["INFO device ready", "WARN sync: unreachable"]));
    let stick = tempfile::tempdir().unwrap();
    let saved = ok(&w, "admin_save_log", json!({ "dir": stick.path() }));
    assert!(Path::new(saved.as_str().unwrap()).join("tiyan.2026-11-23.log").exists());
    assert_eq!(code(&w, "admin_save_log", json!({ "dir": stick.path().join("pulled-out") })), "io");
}

#[test]
fn a_window_without_the_kiosk_capability_cannot_call_the_kiosk_commands() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let intruder = tauri::WebviewWindowBuilder::new(&app, "intruder", Default::default()).build().unwrap();
    let err = invoke(&intruder, "kiosk_status", json!({})).unwrap_err();
    assert!(err.to_string().contains("not allowed"), "{err}");
    // The kiosk window itself is allowed.
    ok(&kiosk(&app), "kiosk_status", json!({}));
}

#[test]
fn the_kiosk_and_the_officer_window_each_get_only_their_own_commands() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let err = invoke(&kiosk(&app), "diary_list", json!({})).unwrap_err();
    assert!(err.to_string().contains("not allowed"), "{err}");
    let officer = tauri::WebviewWindowBuilder::new(&app, "officer", Default::default()).build().unwrap();
    let err = invoke(&officer, "kiosk_status", json!({})).unwrap_err();
    assert!(err.to_string().contains("not allowed"), "{err}");
    // Allowed, and refused for the right reason: nobody is signed in.
    let err = invoke(&officer, "diary_list", json!({})).unwrap_err();
    assert!(err.to_string().contains("officer_signed_out"), "{err}");
}

#[test]
fn a_second_app_on_the_same_data_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = app(dir.path());
    let second = tiyan_app::build(mock_builder(), dir.path(), tiyan_app::Start::default());
    let err = second.err().expect("the data folder is locked");
    assert!(err.contains("already running"), "{err}");
}
