//! What the device remembers about its server: where it is, the credentials it
//! was enrolled with, and how far the server has acknowledged each kind of record.

use rusqlite::OptionalExtension;
use serde::Serialize;
use tiyan_core::protocol::{DeviceRole, Enrolled, RecordKind};

use crate::store::{Store, get_meta, set_meta};
use crate::sync::api::Credentials;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum EnrolmentState {
    NotEnrolled,
    Enrolled,
    /// The server revoked this device; its records stay here.
    Revoked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Enrolment {
    pub state: EnrolmentState,
    pub server_url: Option<String>,
    pub hall_id: Option<String>,
    pub window_id: Option<String>,
}

impl Store {
    /// Keeps what enrolment returned. The device id cannot change: records are stamped with it.
    pub fn save_enrolment(&self, server_url: &str, enrolled: &Enrolled) -> Result<()> {
        if enrolled.device_id != self.device_id() {
            return Err(Error::Corrupt(format!(
                "the server enrolled device {} but this is {}",
                enrolled.device_id,
                self.device_id()
            )));
        }
        self.write(|tx| {
            set_meta(tx, "server_url", server_url)?;
            set_meta(tx, "device_secret", &enrolled.secret)?;
            set_meta(tx, "enrolled_hall", &enrolled.hall_id)?;
            set_meta(tx, "enrolled_window", enrolled.window_id.as_deref().unwrap_or(""))?;
            // The code says what the device is: a kiosk, or an officer laptop.
            set_meta(tx, "role", enrolled.role.as_str())?;
            set_meta(tx, "enrolment", "enrolled")
        })
    }

    /// What this device is, once setup or an enrolment said so.
    pub fn role(&self) -> Result<Option<DeviceRole>> {
        Ok(get_meta(&self.conn(), "role")?.as_deref().and_then(DeviceRole::parse))
    }

    pub fn set_role(&self, role: DeviceRole) -> Result<()> {
        self.write(|tx| set_meta(tx, "role", role.as_str()))
    }

    pub fn mark_revoked(&self) -> Result<()> {
        self.write(|tx| set_meta(tx, "enrolment", "revoked"))
    }

    pub fn enrolment(&self) -> Result<Enrolment> {
        let conn = self.conn();
        let state = match get_meta(&conn, "enrolment")?.as_deref() {
            Some("enrolled") => EnrolmentState::Enrolled,
            Some("revoked") => EnrolmentState::Revoked,
            _ => EnrolmentState::NotEnrolled,
        };
        Ok(Enrolment {
            state,
            server_url: get_meta(&conn, "server_url")?,
            hall_id: get_meta(&conn, "enrolled_hall")?,
            window_id: get_meta(&conn, "enrolled_window")?.filter(|w| !w.is_empty()),
        })
    }

    /// The server address and credentials, once enrolled (revoked devices still try:
    /// the server may have enrolled them again).
    pub fn credentials(&self) -> Result<Option<(String, Credentials)>> {
        let conn = self.conn();
        match (get_meta(&conn, "server_url")?, get_meta(&conn, "device_secret")?) {
            (Some(url), Some(secret)) => Ok(Some((url, Credentials { device_id: self.device_id(), secret }))),
            _ => Ok(None),
        }
    }

    /// Every record of `kind` up to this sequence number is on the server.
    pub fn acked_through(&self, kind: RecordKind) -> Result<u64> {
        let conn = self.conn();
        let v: Option<u64> = conn
            .query_row("SELECT acked_through FROM sync_streams WHERE kind = ?1", [kind.as_str()], |r| r.get(0))
            .optional()?;
        Ok(v.unwrap_or(0))
    }

    /// Records what the server acknowledged (in its envelope). A server that was
    /// restored from an older backup may acknowledge less than before: the device
    /// then believes it and sends the rest again.
    ///
    /// A rating's call-back number goes once the server holds the rating (the
    /// ledger item there is what the call-back is made from): erased in the same
    /// transaction, then the WAL truncated so that the old page is not left in it.
    pub fn set_acked_through(&self, kind: RecordKind, through: u64) -> Result<()> {
        let now = self.now().to_rfc3339();
        let erased = self.write_relaxed(|tx| {
            let before: u64 = tx
                .query_row("SELECT acked_through FROM sync_streams WHERE kind = ?1", [kind.as_str()], |r| r.get(0))
                .optional()?
                .unwrap_or(0);
            tx.execute(
                "INSERT INTO sync_streams (kind, acked_through, acked_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (kind) DO UPDATE SET acked_through = excluded.acked_through, acked_at = excluded.acked_at",
                rusqlite::params![kind.as_str(), through, now],
            )?;
            if kind != RecordKind::Rating {
                return Ok(0);
            }
            // Only what this acknowledgement adds: the rest was erased when it was acknowledged
            // (a scan of every acknowledged rating per page made a drain quadratic).
            Ok(tx.execute(
                "UPDATE ratings SET phone = NULL WHERE seq > ?1 AND seq <= ?2 AND phone IS NOT NULL",
                [before, through],
            )?)
        })?;
        if erased > 0 {
            // Best effort: a reader in the way leaves it to the next checkpoint.
            let _ = self.conn().query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        Ok(())
    }

    /// The highest sequence number of `kind` on this device.
    pub fn last_seq(&self, kind: RecordKind) -> Result<u64> {
        let conn = self.conn();
        let v: Option<u64> = match kind {
            RecordKind::Rating => conn.query_row("SELECT max(seq) FROM ratings", [], |r| r.get(0))?,
            RecordKind::Diary => conn.query_row("SELECT max(seq) FROM diary_revisions", [], |r| r.get(0))?,
            RecordKind::Feedback => conn.query_row("SELECT max(seq) FROM feedback", [], |r| r.get(0))?,
            RecordKind::Case => conn.query_row("SELECT max(seq) FROM cases", [], |r| r.get(0))?,
        };
        Ok(v.unwrap_or(0))
    }

    /// Records not yet acknowledged by a server, all kinds together.
    pub fn waiting(&self) -> Result<u64> {
        let mut n = 0;
        for kind in RecordKind::ALL {
            n += self.last_seq(kind)?.saturating_sub(self.acked_through(kind)?);
        }
        Ok(n)
    }
}
