//! The folder of daily backups (`tiyan-server backup --dir`): each named by its
//! time so that names sort as times do, the oldest beyond a count removed.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

const PREFIX: &str = "tiyan-server-";
const SUFFIX: &str = ".backup";

/// The file name of a backup taken at `at`.
pub fn name(at: DateTime<Utc>) -> String {
    format!("{PREFIX}{}{SUFFIX}", at.format("%Y%m%dT%H%M%SZ"))
}

/// The backups in `dir` beyond the newest `keep` (never anything else in the folder).
pub fn beyond(dir: &Path, keep: usize) -> std::io::Result<Vec<PathBuf>> {
    let mut ours: Vec<PathBuf> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    ours.sort();
    let extra = ours.len().saturating_sub(keep.max(1));
    Ok(ours.into_iter().take(extra).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_beyond_the_count_go_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let at = |d: u32| DateTime::parse_from_rfc3339(&format!("2026-12-{d:02}T02:30:00Z")).map(|t| t.to_utc());
        for d in 1..=5 {
            let t = at(d).unwrap_or_default();
            std::fs::write(dir.path().join(name(t)), b"x").unwrap_or_default();
        }
        std::fs::write(dir.path().join("notes.txt"), b"mine").unwrap_or_default();
        let gone = beyond(dir.path(), 3).unwrap_or_default();
        let names: Vec<String> = gone.iter().filter_map(|p| Some(p.file_name()?.to_str()?.to_string())).collect();
        assert_eq!(names, ["tiyan-server-20261201T023000Z.backup", "tiyan-server-20261202T023000Z.backup"]);
    }
}
