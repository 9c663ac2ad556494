//! What the desktop shell itself holds: where its data lives, the one-instance
//! lock on that folder, and whether the administrator has allowed it to exit.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

pub struct Shell {
    pub data_dir: PathBuf,
    pub reference_hint: Option<PathBuf>,
    exit_allowed: AtomicBool,
    /// Held for the life of the process; the OS releases it even on kill -9.
    _lock: File,
}

impl Shell {
    pub fn new(data_dir: PathBuf, reference_hint: Option<PathBuf>) -> Result<Shell, String> {
        let lock = lock_data_dir(&data_dir)?;
        Ok(Shell { data_dir, reference_hint, exit_allowed: AtomicBool::new(false), _lock: lock })
    }

    pub fn allow_exit(&self) {
        self.exit_allowed.store(true, Ordering::SeqCst);
    }

    pub fn exit_allowed(&self) -> bool {
        self.exit_allowed.load(Ordering::SeqCst)
    }
}

/// Takes an exclusive lock on `<data_dir>/tiyan.lock` and writes our pid into it,
/// so a second copy of the app cannot open the same database (and tests can find
/// the process to kill).
fn lock_data_dir(data_dir: &Path) -> Result<File, String> {
    std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let path = data_dir.join("tiyan.lock");
    let mut file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    file.try_lock()
        .map_err(|_| format!("another Tiyan is already running with the data folder {}", data_dir.display()))?;
    file.set_len(0)
        .and_then(|_| writeln!(file, "{}", std::process::id()))
        .and_then(|_| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(file)
}
