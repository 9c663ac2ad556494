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
//! The hand-over holds from the moment the lock is taken: the socket is bound
//! right after it ([`bind`]), so a second start that connects while the first is
//! still starting waits in the socket's backlog until the app serves it
//! ([`Listening::serve`], once the app runs). And a second start that finds the
//! folder locked but nobody listening yet (the instant between the lock and the
//! bind) tries again for a few seconds before giving up.
//!
//! On Windows there is no socket here: a second start says that the app is
//! already running (the lock) and ends.

use std::path::Path;
#[cfg(unix)]
use std::path::PathBuf;
#[cfg(unix)]
use std::time::Duration;

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

/// How long a second start waits for a starting app: to begin listening (the
/// folder locked, no socket yet), and then to answer (it answers once its
/// window is being built, which on a busy kiosk takes seconds).
#[cfg(unix)]
const WAIT_FOR_LISTENER: Duration = Duration::from_secs(10);
#[cfg(unix)]
const WAIT_FOR_ANSWER: Duration = Duration::from_secs(30);

/// Asks an app already running on `data_dir` to come to the front. True when
/// one answered (this process should end); false when none runs.
#[cfg(unix)]
pub fn hand_over(data_dir: &Path) -> bool {
    use std::os::unix::net::UnixStream;
    use std::time::Instant;

    let deadline = Instant::now() + WAIT_FOR_LISTENER;
    loop {
        match UnixStream::connect(socket(data_dir)) {
            Ok(stream) => return ask_to_show(stream),
            // A socket left by a killed app refuses the connection, and no
            // socket means no app yet: start normally, unless the folder is
            // locked, when an app is starting and about to listen.
            Err(_) if Instant::now() < deadline && folder_locked(data_dir) => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(_) => return false,
        }
    }
}

#[cfg(unix)]
fn ask_to_show(mut stream: std::os::unix::net::UnixStream) -> bool {
    use std::io::{Read, Write};
    let _ = stream.set_read_timeout(Some(WAIT_FOR_ANSWER));
    let mut answer = [0u8; 6];
    stream.write_all(SHOW).is_ok() && stream.read_exact(&mut answer).is_ok() && answer == DONE
}

/// Whether another process holds the data folder's lock (`shell.rs`) now.
#[cfg(unix)]
fn folder_locked(data_dir: &Path) -> bool {
    match std::fs::File::open(data_dir.join("tiyan.lock")) {
        // Dropping the file releases a lock taken here at once.
        Ok(file) => matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
        Err(_) => false,
    }
}

/// The socket bound by the process that holds the data folder's lock; later
/// starts queue on it until [`Listening::serve`] answers them.
#[cfg(unix)]
pub struct Listening(std::os::unix::net::UnixListener);

#[cfg(not(unix))]
pub struct Listening;

/// Binds the socket. Called right after the data folder's lock is taken, so
/// removing a stale socket cannot take one from a live app.
#[cfg(unix)]
pub fn bind(data_dir: &Path) -> Option<Listening> {
    let path = socket(data_dir);
    let _ = std::fs::remove_file(&path);
    match std::os::unix::net::UnixListener::bind(&path) {
        Ok(l) => Some(Listening(l)),
        Err(e) => {
            // Without it a second start only hears that the app runs.
            tracing::warn!(path = %path.display(), error = %e, "cannot listen for a second start");
            None
        }
    }
}

#[cfg(unix)]
impl Listening {
    /// Answers later starts, the ones already waiting first, for as long as the app runs.
    pub fn serve<R: Runtime>(self, app: &AppHandle<R>) {
        use std::io::{Read, Write};

        let app = app.clone();
        std::thread::spawn(move || {
            for mut stream in self.0.incoming().flatten() {
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
}

#[cfg(not(unix))]
pub fn hand_over(_data_dir: &Path) -> bool {
    false
}

#[cfg(not(unix))]
pub fn bind(_data_dir: &Path) -> Option<Listening> {
    None
}

#[cfg(not(unix))]
impl Listening {
    pub fn serve<R: Runtime>(self, _app: &AppHandle<R>) {}
}

#[cfg(unix)]
fn bring_to_front<R: Runtime>(app: &AppHandle<R>) {
    for window in app.webview_windows().values() {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
