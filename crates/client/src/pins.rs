//! PIN checks with the growing delay and lock-out of [`tiyan_core::pin`], the
//! failure count kept in the database so a restart does not reset it.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use tiyan_core::pin::{PinGate, check_admin_pin};

use crate::store::{Store, get_meta, set_meta};
use crate::{Error, Result, secret};

impl Store {
    pub fn admin_pin_is_set(&self) -> Result<bool> {
        Ok(get_meta(&self.conn(), "admin_pin_hash")?.is_some())
    }

    /// Sets the administrator PIN on first start; refuses if one is already set.
    pub fn set_admin_pin(&self, pin: &str) -> Result<()> {
        check_admin_pin(pin)?;
        let hash = secret::hash(pin)?;
        self.write(|tx| {
            if get_meta(tx, "admin_pin_hash")?.is_some() {
                return Err(Error::AdminPinAlreadySet);
            }
            set_meta(tx, "admin_pin_hash", &hash)
        })
    }

    /// Replaces the administrator PIN (the caller has checked the old one).
    pub fn change_admin_pin(&self, pin: &str) -> Result<()> {
        check_admin_pin(pin)?;
        let hash = secret::hash(pin)?;
        self.write(|tx| set_meta(tx, "admin_pin_hash", &hash))
    }

    pub fn verify_admin_pin(&self, pin: &str) -> Result<()> {
        let hash = get_meta(&self.conn(), "admin_pin_hash")?.ok_or(Error::NotSetUp)?;
        self.attempt_pin("admin", Some(&hash), pin)
    }

    /// Where the prompt for `subject` stands now.
    pub fn pin_gate(&self, subject: &str) -> Result<PinGate> {
        let (failures, last) = self.pin_failures(subject)?;
        let now = self.now().to_utc();
        let failures = self.lockout.failures_in_force(failures, last, now);
        Ok(self.lockout.gate(failures, last, now))
    }

    /// One attempt at the PIN of `subject` ("admin", "staff:<no>") against `phc`
    /// (None: the subject does not exist, which fails like a wrong PIN).
    pub(crate) fn attempt_pin(&self, subject: &str, phc: Option<&str>, pin: &str) -> Result<()> {
        self.check_pin_gate(subject)?;
        let ok = secret::verify(pin, phc.unwrap_or(secret::DUMMY_HASH))? && phc.is_some();
        if ok {
            return self.clear_pin_failures(subject);
        }
        Err(self.record_pin_failure(subject)?)
    }

    /// Refuses an attempt while `subject` must wait or is locked out.
    pub(crate) fn check_pin_gate(&self, subject: &str) -> Result<()> {
        match self.pin_gate(subject)? {
            PinGate::Open => Ok(()),
            PinGate::Wait { until } => Err(Error::PinWait { until }),
            PinGate::Locked { until } => Err(Error::PinLocked { until }),
        }
    }

    pub(crate) fn clear_pin_failures(&self, subject: &str) -> Result<()> {
        self.conn().execute("DELETE FROM pin_failures WHERE subject = ?1", [subject])?;
        Ok(())
    }

    /// Counts a wrong secret for `subject`; returns the error to show.
    pub(crate) fn record_pin_failure(&self, subject: &str) -> Result<Error> {
        let (failures, last) = self.pin_failures(subject)?;
        let now = self.now().to_utc();
        let failures = self.lockout.failures_in_force(failures, last, now) + 1;
        self.conn().execute(
            "INSERT INTO pin_failures (subject, failures, last_failure) VALUES (?1, ?2, ?3)
             ON CONFLICT (subject) DO UPDATE SET failures = excluded.failures, last_failure = excluded.last_failure",
            params![subject, failures, now.to_rfc3339()],
        )?;
        let (retry_at, locked) = match self.lockout.gate(failures, Some(now), now) {
            PinGate::Open => (None, false),
            PinGate::Wait { until } => (Some(until), false),
            PinGate::Locked { until } => (Some(until), true),
        };
        tracing::warn!(subject, failures, locked, "wrong PIN or password");
        Ok(Error::WrongPin { failures, retry_at, locked })
    }

    fn pin_failures(&self, subject: &str) -> Result<(u32, Option<DateTime<Utc>>)> {
        let row: Option<(u32, String)> = self
            .conn()
            .query_row("SELECT failures, last_failure FROM pin_failures WHERE subject = ?1", [subject], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        match row {
            None => Ok((0, None)),
            Some((n, at)) => {
                let at = DateTime::parse_from_rfc3339(&at)
                    .map_err(|e| Error::Corrupt(format!("pin failure time {at:?}: {e}")))?;
                Ok((n, Some(at.to_utc())))
            }
        }
    }
}
