//! One app per data folder, and a second start brings the first to the front.
//!
//! The running app listens on a Unix socket in its data folder; a second start
//! finds it there, asks it to show its window and ends. Tauri's single-instance
//! plugin does this over a D-Bus session bus, which a kiosk session under `cage`
//! or a bare X session does not have, and keys on the app rather than the data
//! folder (two test kiosks with their own folders must not hand over to each
//! other). The data folder's lock (`shell.rs`) stays the guarantee that only one
//! process opens the database; this is the courtesy on top.
//!
//! On Windows there is no socket here: a second start says that the app is
//! already running (the lock) and ends.

use std::path::Path;
#[cfg(unix)]
use std::path::PathBuf;

#[cfg(unix)]
use tauri::Manager;
use tauri::{AppHandle, Runtime};

#[cfg(unix)]
fn socket(data_dir: &Path) -> PathBuf {
    data_dir.join("tiyan.sock")
}

#[cfg(unix)]
const SHOW: &[u8] = b"show\n";
#[cfg(unix)]
const DONE: &[u8] = b"shown\n";

/// Asks an app already running on `data_dir` to come to the front. True when
/// one answered (this process should end); false when none runs.
#[cfg(unix)]
pub fn hand_over(data_dir: &Path) -> bool {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;
    use std::time::Duration;

    // A socket left by a killed app refuses the connection: start normally.
    let Ok(mut stream) = UnixStream::connect(socket(data_dir)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut answer = [0u8; 6];
    stream.write_all(SHOW).is_ok() && stream.read_exact(&mut answer).is_ok() && answer == DONE
}

/// Listens for later starts on `data_dir` for as long as the app runs. Called
/// by the process that holds the data folder's lock, so removing a stale socket
/// cannot take one from a live app.
#[cfg(unix)]
pub fn listen<R: Runtime>(app: &AppHandle<R>, data_dir: &Path) {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixListener;

    let path = socket(data_dir);
    let _ = std::fs::remove_file(&path);
    let listener = match UnixListener::bind(&path) {
        Ok(l) => l,
        Err(e) => {
            // Without it a second start only hears that the app runs.
            tracing::warn!(path = %path.display(), error = %e, "cannot listen for a second start");
            return;
        }
    };
    let app = app.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 5];
            if stream.read_exact(&mut request).is_err() || request != SHOW {
                continue;
            }
            let handle = app.clone();
            let shown = app.run_on_main_thread(move || bring_to_front(&handle));
            tracing::info!(ok = shown.is_ok(), "a second start asked for the window: brought it to the front");
            let _ = stream.write_all(DONE);
        }
    });
}

#[cfg(not(unix))]
pub fn hand_over(_data_dir: &Path) -> bool {
    false
}

#[cfg(not(unix))]
pub fn listen<R: Runtime>(_app: &AppHandle<R>, _data_dir: &Path) {}

#[cfg(unix)]
fn bring_to_front<R: Runtime>(app: &AppHandle<R>) {
    for window in app.webview_windows().values() {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
