//! The kiosk's commands: each a call on [`tiyan_client::Kiosk`] run off the UI
//! thread. No SQL and no file path chosen by the page reaches the store except
//! the reference-data and export paths an administrator types.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tiyan_client::Kiosk;
use tiyan_client::export::ExportSummary;
use tiyan_client::kiosk::{AdminOverview, KioskStatus};
use tiyan_client::ratings::RatingReceipt;
use tiyan_client::reference::{ImportSummary, WindowInfo};
use tiyan_client::staff::StaffCard;
use tiyan_client::sync::SyncHandle;
use tiyan_core::pin::PinGate;
use tiyan_core::rating::RatingInput;
use tiyan_core::settings::KioskSettings;

use crate::app_log::{self, LogTail};
use crate::error::CommandError;
use crate::shell::Shell;

/// Lines of the log the admin screen shows.
const LOG_LINES: usize = 200;

pub(crate) type Answer<T> = Result<T, CommandError>;

/// Runs `f` on a device handle off the UI thread: async commands run on
/// Tauri's multi-threaded tokio runtime, and `block_in_place` lets this worker
/// block on SQLite's fsync or Argon2 while the other workers carry on. (A hop
/// to the blocking pool would cost a thread wake-up on every rating, a third
/// of a fast commit.)
pub(crate) async fn off_the_ui<H: Send + Sync + 'static, T: Send + 'static>(
    handle: &State<'_, Arc<H>>,
    f: impl FnOnce(&H) -> tiyan_client::Result<T> + Send + 'static,
) -> Answer<T> {
    tokio::task::block_in_place(|| f(handle)).map_err(CommandError::from)
}

/// [`off_the_ui`] on the kiosk.
pub(crate) async fn blocking<T: Send + 'static>(
    kiosk: &State<'_, Arc<Kiosk>>,
    f: impl FnOnce(&Kiosk) -> tiyan_client::Result<T> + Send + 'static,
) -> Answer<T> {
    off_the_ui(kiosk, f).await
}

#[tauri::command]
pub async fn kiosk_status(kiosk: State<'_, Arc<Kiosk>>) -> Answer<KioskStatus> {
    // The first one marks the UI up and running (`tiyan-bench footprint` waits for it).
    tracing::debug!("kiosk status asked");
    blocking(&kiosk, |k| k.status()).await
}

#[derive(Serialize, ts_rs::TS)]
pub struct SetupDefaults {
    /// The reference-data file given on the command line, to prefill the import field.
    reference_path: Option<PathBuf>,
    windows: Vec<WindowInfo>,
}

#[tauri::command]
pub async fn setup_defaults(kiosk: State<'_, Arc<Kiosk>>, shell: State<'_, Shell>) -> Answer<SetupDefaults> {
    let reference_path = shell.reference_hint.clone();
    blocking(&kiosk, move |k| Ok(SetupDefaults { reference_path, windows: k.windows()? })).await
}

#[tauri::command]
pub async fn setup_import_reference(kiosk: State<'_, Arc<Kiosk>>, path: String) -> Answer<ImportSummary> {
    blocking(&kiosk, move |k| k.import_reference(std::path::Path::new(path.trim()))).await
}

#[tauri::command]
pub async fn setup_set_admin_pin(kiosk: State<'_, Arc<Kiosk>>, pin: String) -> Answer<()> {
    blocking(&kiosk, move |k| k.set_admin_pin(&pin)).await
}

#[tauri::command]
pub async fn setup_bind_window(kiosk: State<'_, Arc<Kiosk>>, window_id: String) -> Answer<WindowInfo> {
    blocking(&kiosk, move |k| k.bind_window(&window_id)).await
}

#[tauri::command]
pub async fn setup_choose_role(kiosk: State<'_, Arc<Kiosk>>, role: tiyan_core::protocol::DeviceRole) -> Answer<()> {
    blocking(&kiosk, move |k| k.choose_role(role)).await
}

#[tauri::command]
pub async fn staff_sign_in(kiosk: State<'_, Arc<Kiosk>>, employee_no: String, pin: String) -> Answer<StaffCard> {
    blocking(&kiosk, move |k| k.staff_sign_in(&employee_no, &pin)).await
}

#[tauri::command]
pub async fn staff_sign_out(kiosk: State<'_, Arc<Kiosk>>, pin: String) -> Answer<()> {
    blocking(&kiosk, move |k| k.staff_sign_out(&pin)).await
}

#[tauri::command]
pub async fn staff_set_case_no(kiosk: State<'_, Arc<Kiosk>>, case_no: String) -> Answer<String> {
    blocking(&kiosk, move |k| k.set_case_no(&case_no)).await
}

#[tauri::command]
pub async fn staff_clear_case_no(kiosk: State<'_, Arc<Kiosk>>) -> Answer<()> {
    kiosk.clear_case_no();
    Ok(())
}

#[tauri::command]
pub async fn submit_rating(
    kiosk: State<'_, Arc<Kiosk>>,
    sync: State<'_, SyncHandle>,
    input: RatingInput,
) -> Answer<RatingReceipt> {
    let receipt = blocking(&kiosk, move |k| k.submit_rating(&input)).await?;
    sync.nudge();
    Ok(receipt)
}

#[tauri::command]
pub async fn admin_gate(kiosk: State<'_, Arc<Kiosk>>) -> Answer<PinGate> {
    blocking(&kiosk, |k| k.admin_gate()).await
}

#[tauri::command]
pub async fn admin_unlock(kiosk: State<'_, Arc<Kiosk>>, pin: String) -> Answer<()> {
    blocking(&kiosk, move |k| k.admin_unlock(&pin)).await
}

#[tauri::command]
pub async fn admin_lock(kiosk: State<'_, Arc<Kiosk>>) -> Answer<()> {
    kiosk.admin_lock();
    Ok(())
}

#[tauri::command]
pub async fn admin_overview(kiosk: State<'_, Arc<Kiosk>>) -> Answer<AdminOverview> {
    blocking(&kiosk, |k| k.admin_overview()).await
}

#[tauri::command]
pub async fn admin_update_settings(kiosk: State<'_, Arc<Kiosk>>, settings: KioskSettings) -> Answer<()> {
    blocking(&kiosk, move |k| k.admin_update_settings(&settings)).await
}

#[tauri::command]
pub async fn admin_sign_out_staff(kiosk: State<'_, Arc<Kiosk>>) -> Answer<()> {
    blocking(&kiosk, |k| k.admin_sign_out_staff()).await
}

#[tauri::command]
pub async fn admin_export_csv(kiosk: State<'_, Arc<Kiosk>>, dir: Option<String>) -> Answer<ExportSummary> {
    let dir = dir.map(|d| d.trim().to_string()).filter(|d| !d.is_empty()).map(PathBuf::from);
    blocking(&kiosk, move |k| k.admin_export_csv(dir.as_deref())).await
}

#[tauri::command]
pub async fn admin_change_pin(kiosk: State<'_, Arc<Kiosk>>, pin: String) -> Answer<()> {
    blocking(&kiosk, move |k| k.admin_change_pin(&pin)).await
}

/// The newest lines of the app's log, for the hall's IT at the kiosk.
#[tauri::command]
pub async fn admin_log(kiosk: State<'_, Arc<Kiosk>>, shell: State<'_, Shell>) -> Answer<LogTail> {
    kiosk.require_admin().map_err(CommandError::from)?;
    let data_dir = shell.data_dir.clone();
    blocking(&kiosk, move |_| app_log::tail(&data_dir, LOG_LINES).map_err(tiyan_client::Error::io("reading the log")))
        .await
}

/// Copies the log files to `dir` (a USB stick); answers the folder written.
#[tauri::command]
pub async fn admin_save_log(kiosk: State<'_, Arc<Kiosk>>, shell: State<'_, Shell>, dir: String) -> Answer<String> {
    kiosk.require_admin().map_err(CommandError::from)?;
    let data_dir = shell.data_dir.clone();
    let dest = PathBuf::from(dir.trim());
    let device = kiosk.store().device_id().to_string();
    let saved = blocking(&kiosk, move |_| {
        app_log::save(&data_dir, &dest, &device, chrono::Local::now())
            .map_err(tiyan_client::Error::io(format!("saving the log to {}", dest.display())))
    })
    .await?;
    tracing::info!(folder = %saved.display(), "the administrator saved the log");
    Ok(saved.display().to_string())
}

/// Leaves the kiosk: the only way out, and only with the administrator unlocked.
#[tauri::command]
pub async fn admin_exit<R: Runtime>(
    app: AppHandle<R>,
    kiosk: State<'_, Arc<Kiosk>>,
    shell: State<'_, Shell>,
) -> Answer<()> {
    kiosk.require_admin().map_err(CommandError::from)?;
    shell.allow_exit();
    tracing::info!("the administrator left the kiosk");
    app.exit(0);
    Ok(())
}
