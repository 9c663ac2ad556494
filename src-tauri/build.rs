// The commands listed here get `allow-<command>` permissions generated, which
// the capability files in capabilities/ grant to each window by name.
const COMMANDS: &[&str] = &[
    "kiosk_status",
    "setup_defaults",
    "setup_import_reference",
    "setup_set_admin_pin",
    "setup_bind_window",
    "setup_choose_role",
    "staff_sign_in",
    "staff_sign_out",
    "staff_set_case_no",
    "staff_clear_case_no",
    "submit_rating",
    "admin_gate",
    "admin_unlock",
    "admin_lock",
    "admin_overview",
    "admin_update_settings",
    "admin_sign_out_staff",
    "admin_export_csv",
    "admin_change_pin",
    "admin_exit",
    "sync_status",
    "sync_now",
    "sync_enroll",
    "officer_status",
    "officer_sign_in",
    "officer_sign_out",
    "officer_sync",
    "diary_choices",
    "diary_list",
    "diary_new",
    "diary_open",
    "diary_save",
    "diary_delete_draft",
    "diary_edit",
    "diary_submit",
    "diary_answer",
    "diary_add_photo",
    "diary_photo",
    "diary_export",
];

fn main() {
    let dist = std::path::Path::new("../ui/dist/index.html");
    println!("cargo:rerun-if-changed=../ui/dist");
    if !dist.exists() {
        println!(
            "cargo:warning=ui/dist is missing: run `npm --prefix ui run build` (scripts/run.sh does) before building the app"
        );
    }
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
