//! Tiyan's desktop app: a thin Tauri shell over `tiyan-client`. `run()` starts the
//! real app; `build()` assembles the same app on any runtime, so tests drive the
//! real commands through `tauri::test`'s mock runtime.

mod commands;
mod error;
mod kiosk_window;
mod shell;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Parser;
use tauri::{Builder, Manager, Runtime};
use tiyan_client::Kiosk;

pub use error::CommandError;
pub use shell::Shell;

/// Command line of the desktop app.
#[derive(Debug, Clone, Parser)]
#[command(name = "tiyan-app", version, about = "Tiyan: the on-site evaluation kiosk")]
pub struct Options {
    /// Folder for the database, exports and backups (default: the platform's application-data folder).
    #[arg(long, env = "TIYAN_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// A reference-data file to import at start (halls, windows, staff, reasons); skipped if this version is already imported.
    #[arg(long)]
    pub reference: Option<PathBuf>,
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let options = Options::parse();
    let context = context();
    let fail = |e: String| -> ! {
        tracing::error!("{e}");
        eprintln!("tiyan-app: {e}");
        std::process::exit(1);
    };
    // The platform's application-data folder, as Tauri's path resolver names it.
    let data_dir = match options.data_dir.or_else(|| dirs::data_dir().map(|d| d.join(&context.config().identifier))) {
        Some(dir) => dir,
        None => fail("no application-data folder on this system: set TIYAN_DATA_DIR".into()),
    };
    // Absolute, so the setup screen shows where the file really is.
    let reference = options.reference.map(|p| std::path::absolute(&p).unwrap_or(p));
    let builder = build(Builder::default(), &data_dir, reference).unwrap_or_else(|e| fail(e));
    let app = builder.build(context).unwrap_or_else(|e| fail(e.to_string()));
    app.run(|handle, event| {
        // Nothing but the administrator's exit ends the app: not the last window closing.
        if let tauri::RunEvent::ExitRequested { api, code: None, .. } = event
            && !handle.state::<Shell>().exit_allowed()
        {
            api.prevent_exit();
        }
    });
}

/// The app's configuration, capabilities and embedded UI, for any runtime
/// (the benchmark drives the real commands on the mock runtime with it).
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}

/// The whole app on any runtime: opens the data folder (locked to this process),
/// imports `reference` if given, registers state and commands; the kiosk window
/// opens when the app starts running.
pub fn build<R: Runtime>(
    builder: Builder<R>,
    data_dir: &Path,
    reference: Option<PathBuf>,
) -> Result<Builder<R>, String> {
    let shell = Shell::new(data_dir.to_path_buf(), reference.clone())?;
    let kiosk = Kiosk::open(data_dir).map_err(|e| format!("cannot open the data in {}: {e}", data_dir.display()))?;
    if let Some(file) = &reference {
        // The command line is trusted like the administrator: it may import without the PIN.
        let summary =
            kiosk.store().import_reference_file(file).map_err(|e| format!("cannot import {}: {e}", file.display()))?;
        tracing::info!(?summary, file = %file.display(), "reference data");
    }
    tracing::info!(data_dir = %data_dir.display(), device = %kiosk.store().device_id(), "kiosk ready");
    Ok(builder
        .manage(shell)
        .manage(Arc::new(kiosk))
        .setup(|app| {
            kiosk_window::open(app)?;
            Ok(())
        })
        .on_window_event(kiosk_window::on_window_event)
        .invoke_handler(tauri::generate_handler![
            commands::kiosk_status,
            commands::setup_defaults,
            commands::setup_import_reference,
            commands::setup_set_admin_pin,
            commands::setup_bind_window,
            commands::staff_sign_in,
            commands::staff_sign_out,
            commands::staff_set_case_no,
            commands::staff_clear_case_no,
            commands::submit_rating,
            commands::admin_gate,
            commands::admin_unlock,
            commands::admin_lock,
            commands::admin_overview,
            commands::admin_update_settings,
            commands::admin_sign_out_staff,
            commands::admin_export_csv,
            commands::admin_change_pin,
            commands::admin_exit,
        ]))
}
