//! Tiyan's desktop app: a thin Tauri shell over `tiyan-client`. `run()` starts the
//! real app; `build()` assembles the same app on any runtime, so tests drive the
//! real commands through `tauri::test`'s mock runtime.

// Registers the listed commands (see command_list.rs).
macro_rules! handlers {
    ($($module:ident :: $command:ident,)*) => {
        tauri::generate_handler![$($module::$command),*]
    };
}

#[macro_use]
mod command_list;
mod app_log;
pub mod bindings;
mod commands;
mod error;
mod kiosk_window;
mod officer_commands;
mod officer_window;
mod shell;
mod single_instance;
mod sync_commands;
mod window_link;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use clap::Parser;
use tauri::{Builder, Manager, Runtime};
use tiyan_client::clock::{Clock, StartedClock, SystemClock};
use tiyan_client::{Kiosk, Laptop};

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
    /// The central server to enrol with at start (with --enrolment-code), e.g. http://10.0.0.5:8787.
    #[arg(long, env = "TIYAN_SERVER", requires = "enrolment_code")]
    pub server: Option<String>,
    /// A one-time code from `tiyan-server enroll`; used only while the device is not enrolled.
    #[arg(long, env = "TIYAN_ENROLMENT_CODE", requires = "server")]
    pub enrolment_code: Option<String>,
    /// Turns the window link on at this address (e.g. 127.0.0.1:8790), as the
    /// administrator could on the admin screen; needs --window-link-token-file.
    #[arg(long, env = "TIYAN_WINDOW_LINK", requires = "window_link_token_file")]
    pub window_link: Option<std::net::SocketAddr>,
    /// The link's token: read from this file, or made and written there (readable
    /// by its owner only) if the file does not exist yet.
    #[arg(long, env = "TIYAN_WINDOW_LINK_TOKEN_FILE", requires = "window_link")]
    pub window_link_token_file: Option<PathBuf>,
    /// Rehearsal and tests only: the device's clock starts at this moment
    /// (RFC 3339, with the hall's offset) and runs on from there. Never in service.
    #[arg(long, env = "TIYAN_CLOCK_START", hide = true)]
    pub clock_start: Option<DateTime<FixedOffset>>,
}

/// What the command line hands the app at start, beyond its data folder.
#[derive(Debug, Clone, Default)]
pub struct Start {
    /// A reference-data file to import (skipped if its version is in already).
    pub reference: Option<PathBuf>,
    /// (server, code) to enrol with while the device is not enrolled.
    pub enrol: Option<(String, String)>,
    /// Where the device's clock starts (None: the system clock).
    pub clock_start: Option<DateTime<FixedOffset>>,
    /// The window link's address and token file, from the command line.
    pub window_link: Option<(std::net::SocketAddr, PathBuf)>,
}

pub fn run() {
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
    app_log::init(&data_dir).unwrap_or_else(|e| fail(e));
    // A second start while one runs (a double tap on the icon, the session
    // restarting too eagerly) brings the running one to the front and ends.
    if single_instance::hand_over(&data_dir) {
        tracing::info!(data_dir = %data_dir.display(), "already running: brought it to the front");
        return;
    }
    // Absolute, so the setup screen shows where the file really is.
    let reference = options.reference.map(|p| std::path::absolute(&p).unwrap_or(p));
    let start = Start {
        reference,
        enrol: options.server.zip(options.enrolment_code),
        clock_start: options.clock_start,
        window_link: options.window_link.zip(options.window_link_token_file),
    };
    let builder = build(Builder::default(), &data_dir, start).unwrap_or_else(|e| fail(e));
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
/// imports `start.reference` if given, registers state and commands; when the
/// app starts running it opens the kiosk window, starts the sync worker, and
/// enrols with `start.enrol` = (server, code) if the device is not enrolled yet.
pub fn build<R: Runtime>(builder: Builder<R>, data_dir: &Path, start: Start) -> Result<Builder<R>, String> {
    let Start { reference, enrol, clock_start, window_link: link_from_command_line } = start;
    let shell = Shell::new(data_dir.to_path_buf(), reference.clone())?;
    // Bound while we hold the folder's lock: from here on a second start hands over.
    let listening = single_instance::bind(data_dir);
    let clock: Arc<dyn Clock> = match clock_start {
        Some(at) => {
            tracing::warn!(start = %at, "the device's clock was started at another moment: a rehearsal, not service");
            Arc::new(StartedClock::new(at))
        }
        None => Arc::new(SystemClock),
    };
    let kiosk = Kiosk::open_with_clock(data_dir, clock)
        .map_err(|e| format!("cannot open the data in {}: {e}", data_dir.display()))?;
    if let Some(file) = &reference {
        // The command line is trusted like the administrator: it may import without the PIN.
        let summary =
            kiosk.store().import_reference_file(file).map_err(|e| format!("cannot import {}: {e}", file.display()))?;
        tracing::info!(?summary, file = %file.display(), "reference data");
    }
    if let Some((listen, token_file)) = &link_from_command_line {
        let token = window_link::token_from_file(token_file)?;
        kiosk.set_link_from_command_line(*listen, &token).map_err(|e| format!("--window-link: {e}"))?;
        tracing::info!(%listen, token_file = %token_file.display(), "the window link is on, as the command line says");
    }
    tracing::info!(data_dir = %data_dir.display(), device = %kiosk.store().device_id(), role = ?kiosk.store().role().ok().flatten(), "device ready");
    let (sync, worker) = tiyan_client::sync::worker::worker(
        kiosk.shared_store(),
        |url: &str| tiyan_client::sync::transport::Http::new(url),
        tiyan_client::sync::Backoff::default(),
    );
    // The one data folder behind both handles: the device is a kiosk or an
    // officer's laptop (its role, chosen at setup), and each window calls its own.
    let laptop = Arc::new(Laptop::new(kiosk.shared_store(), data_dir.to_path_buf()));
    let kiosk = Arc::new(kiosk);
    let link = Arc::new(window_link::LinkRunner::default());
    let at_start = (kiosk.clone(), sync.clone(), listening, link.clone());
    Ok(builder
        .manage(shell)
        .manage(kiosk)
        .manage(link)
        .manage(laptop)
        .manage(sync)
        .setup(move |app| {
            let (kiosk, sync, listening, link) = at_start;
            if let Some(listening) = listening {
                listening.serve(app.handle());
            }
            // An officer laptop gets an ordinary window; everything else (a kiosk,
            // or a device not set up yet) the locked-down kiosk window.
            if kiosk.store().role()? == Some(tiyan_core::protocol::DeviceRole::Officer) {
                officer_window::switch_to(app.handle())?;
            } else {
                kiosk_window::open(app)?;
                // The window's system may speak to the kiosk (if the administrator turned the link on).
                let kiosk = kiosk.clone();
                tauri::async_runtime::spawn(async move { link.restart(kiosk).await });
            }
            match enrol {
                // The worker starts once the enrolment was tried, so that it does
                // not first report "not enrolled"; the enrolment's "sync now" waits for it.
                Some((server, code)) => {
                    let handle = app.handle().clone();
                    tauri::async_runtime::spawn(async move {
                        sync_commands::enrol_at_start(&handle, &kiosk, &sync, &server, &code).await;
                        worker.await
                    });
                }
                None => {
                    tauri::async_runtime::spawn(worker);
                }
            }
            Ok(())
        })
        .on_window_event(kiosk_window::on_window_event)
        .invoke_handler(with_commands!(handlers)))
}
