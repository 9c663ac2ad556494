//! The device's database: its numbered schema steps, opened through
//! [`tiyan_infra::sqlite`] (WAL, `synchronous=FULL`, a backup before migrating).

use std::path::Path;

use rusqlite::Connection;
pub use tiyan_infra::sqlite::{backup, configure};

use crate::Result;

/// The schema, one numbered file per step. Append only: never edit a shipped step.
const STEPS: &[&str] = &[
    include_str!("../migrations/0001_kiosk.sql"),
    include_str!("../migrations/0002_diary.sql"),
    include_str!("../migrations/0003_feedback.sql"),
    include_str!("../migrations/0004_window_link.sql"),
    include_str!("../migrations/0005_erase_phone.sql"),
];

/// Opens (creating if needed) the device database at `path`, schema up to date.
pub fn open(path: &Path) -> Result<Connection> {
    let conn = tiyan_infra::sqlite::open(path, STEPS)?;
    // What is erased (a call-back number once the server holds it) is
    // overwritten in the file, not left in a free page.
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(conn)
}

/// The schema version this build writes.
pub fn schema_version() -> usize {
    STEPS.len()
}
