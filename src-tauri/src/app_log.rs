//! The app's own log: every line goes to standard error (for a terminal or the
//! session's journal) and to a file in `<data folder>/logs`, rotated daily and
//! kept for [`KEPT_DAYS`] days, so that a kiosk that misbehaved last night can be
//! read this morning. A panic is written there too before the process ends. The
//! admin screen shows the last lines and copies the files to a USB stick.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

const PREFIX: &str = "tiyan";
const SUFFIX: &str = "log";
/// Daily files kept: a fortnight covers a hall's holiday closure.
pub const KEPT_DAYS: usize = 14;
/// How much of the newest files the admin screen shows.
const TAIL_BYTES: u64 = 64 * 1024;

pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// Starts logging for the process. Called once, before anything else logs.
pub fn init(data_dir: &Path) -> Result<(), String> {
    let dir = dir(data_dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let file = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(PREFIX)
        .filename_suffix(SUFFIX)
        .max_log_files(KEPT_DAYS)
        .build(&dir)
        .map_err(|e| format!("cannot open the log in {}: {e}", dir.display()))?;
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(filter()))
        // Written synchronously, so the line about a panic is on disk before the process ends.
        // Local time in the file: the hall's IT compare it with the wall clock.
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_timer(tracing_subscriber::fmt::time::ChronoLocal::rfc_3339())
                .with_writer(file)
                .with_filter(filter()),
        )
        .try_init()
        .map_err(|e| e.to_string())?;
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let backtrace = std::backtrace::Backtrace::force_capture();
        tracing::error!(%info, %backtrace, "the app panicked");
        default(info);
    }));
    Ok(())
}

/// The log files, oldest first (their names carry the date).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    files.sort();
    files
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct LogTail {
    /// The folder the files are in.
    pub dir: String,
    /// The newest lines, oldest first.
    pub lines: Vec<String>,
    /// Folders where a USB stick is mounted, to save the log to.
    pub removable: Vec<String>,
}

/// The last `count` lines over the newest files.
pub fn tail(data_dir: &Path, count: usize) -> std::io::Result<LogTail> {
    let dir = dir(data_dir);
    let mut lines: Vec<String> = Vec::new();
    for file in files(&dir).iter().rev() {
        let mut f = std::fs::File::open(file)?;
        let len = f.metadata()?.len();
        let skip = len.saturating_sub(TAIL_BYTES);
        std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(skip))?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)?;
        let text = String::from_utf8_lossy(&bytes);
        // A cut first line is dropped rather than shown half.
        let mut these: Vec<String> = text.lines().skip(usize::from(skip > 0)).map(str::to_string).collect();
        these.append(&mut lines);
        lines = these;
        if lines.len() >= count || skip > 0 {
            break;
        }
    }
    let from = lines.len().saturating_sub(count);
    Ok(LogTail { dir: dir.display().to_string(), lines: lines.split_off(from), removable: removable_media() })
}

/// Copies every log file into a new folder under `dest` (a USB stick, say) and
/// returns that folder.
pub fn save(
    data_dir: &Path,
    dest: &Path,
    device: &str,
    now: chrono::DateTime<chrono::Local>,
) -> std::io::Result<PathBuf> {
    if !dest.is_dir() {
        return Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("{} is not a folder", dest.display())));
    }
    let folder = dest.join(format!("tiyan-log-{}-{}", &device[..device.len().min(8)], now.format("%Y%m%d-%H%M%S")));
    std::fs::create_dir_all(&folder)?;
    for file in files(&dir(data_dir)) {
        if let Some(name) = file.file_name() {
            std::fs::copy(&file, folder.join(name))?;
        }
    }
    // On a stick that may be pulled right after, the copy must be on it (the
    // files were closed by the copy; the folder's entries are synced here, where
    // the platform can open a folder).
    #[cfg(unix)]
    if let Ok(dir) = std::fs::File::open(&folder) {
        let _ = dir.sync_all();
    }
    Ok(folder)
}

/// Where desktop systems mount USB sticks: `/media/<user>/<label>`,
/// `/run/media/<user>/<label>` and, without a desktop, `/media/<label>`.
#[cfg(unix)]
fn removable_media() -> Vec<String> {
    let children = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect()
    };
    let mut found = Vec::new();
    for root in ["/media", "/run/media"] {
        for path in children(Path::new(root)) {
            // `/media/<label>` itself, or the sticks under `/media/<user>/`.
            let candidates = if is_mount_point(&path) { vec![path] } else { children(&path) };
            found.extend(candidates.into_iter().filter(|p| is_mount_point(p)).map(|p| p.display().to_string()));
        }
    }
    found
}

/// A folder is a mount point when it lives on another device than its parent.
#[cfg(unix)]
fn is_mount_point(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(path), path.parent().map(std::fs::metadata)) {
        (Ok(me), Some(Ok(parent))) => me.dev() != parent.dev(),
        _ => false,
    }
}

/// Windows names removable drives by letter; the administrator types it.
#[cfg(not(unix))]
fn removable_media() -> Vec<String> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_tail_spans_files_and_the_save_copies_them_all() {
        let data = tempfile::tempdir().unwrap();
        let logs = dir(data.path());
        std::fs::create_dir_all(&logs).unwrap();
        std::fs::write(logs.join("tiyan.2026-11-21.log"), "a1\na2\n").unwrap();
        std::fs::write(logs.join("tiyan.2026-11-22.log"), "b1\nb2\nb3\n").unwrap();
        std::fs::write(logs.join("other.txt"), "not a log\n").unwrap();
        assert_eq!(tail(data.path(), 4).unwrap().lines, ["a2", "b1", "b2", "b3"]);
        assert_eq!(tail(data.path(), 100).unwrap().lines, ["a1", "a2", "b1", "b2", "b3"]);

        let stick = tempfile::tempdir().unwrap();
        use chrono::TimeZone;
        let at = chrono::Local.with_ymd_and_hms(2026, 11, 23, 10, 5, 0).unwrap();
        let saved = save(data.path(), stick.path(), "0193f0aa-bbbb", at).unwrap();
        assert_eq!(saved.file_name().unwrap(), "tiyan-log-0193f0aa-20261123-100500", "named by device and moment");
        let mut names: Vec<_> = std::fs::read_dir(&saved).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, ["tiyan.2026-11-21.log", "tiyan.2026-11-22.log"]);
        assert!(save(data.path(), &stick.path().join("gone"), "d", at).is_err());
    }
}
