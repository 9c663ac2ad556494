//! Staff on duty: signing in at the window with employee number and PIN, and out.

use base64::Engine;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use tiyan_core::Text;

use crate::reference::WindowInfo;
use crate::store::Store;
use crate::{Error, Result};

/// What the citizen sees of the person who served them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct StaffCard {
    pub staff_id: String,
    pub employee_no: String,
    pub name: String,
    pub department: Option<Text>,
    /// The thumbnail as a `data:image/jpeg;base64,…` URL, ready for an <img>.
    pub photo: Option<String>,
    pub window: WindowInfo,
}

/// Who ended a staff session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedOutBy {
    Staff,
    Admin,
}

impl SignedOutBy {
    fn as_str(self) -> &'static str {
        match self {
            SignedOutBy::Staff => "staff",
            SignedOutBy::Admin => "admin",
        }
    }
}

struct StaffRow {
    id: String,
    hall_id: String,
    pin_hash: String,
}

impl Store {
    /// Signs a staff member in at `window_id`. Whoever was signed in there before
    /// is signed out (a shift change), as is this person at any other window.
    pub fn sign_in(&self, window_id: &str, employee_no: &str, pin: &str) -> Result<StaffCard> {
        let window = self.window(window_id)?.ok_or_else(|| Error::UnknownWindow(window_id.to_string()))?;
        let employee_no = employee_no.trim();
        let staff: Option<StaffRow> = self
            .conn()
            .query_row(
                "SELECT id, hall_id, pin_hash FROM staff WHERE employee_no = ?1 AND active = 1",
                [employee_no],
                |r| Ok(StaffRow { id: r.get(0)?, hall_id: r.get(1)?, pin_hash: r.get(2)? }),
            )
            .optional()?;
        let subject = format!("staff:{employee_no}");
        match self.attempt_pin(&subject, staff.as_ref().map(|s| s.pin_hash.as_str()), pin) {
            Err(Error::WrongPin { .. }) if staff.is_none() => return Err(Error::UnknownStaff),
            other => other?,
        }
        let staff = staff.ok_or(Error::UnknownStaff)?;
        self.open_session(&window, employee_no, &staff)
    }

    /// Signs in at `window_id` the staff member the window's system has
    /// already identified (its own sign-in is theirs): no PIN here, the link's
    /// token vouches for the caller.
    pub fn sign_in_identified(&self, window_id: &str, employee_no: &str) -> Result<StaffCard> {
        let window = self.window(window_id)?.ok_or_else(|| Error::UnknownWindow(window_id.to_string()))?;
        let employee_no = employee_no.trim();
        let staff: StaffRow = self
            .conn()
            .query_row(
                "SELECT id, hall_id, pin_hash FROM staff WHERE employee_no = ?1 AND active = 1",
                [employee_no],
                |r| Ok(StaffRow { id: r.get(0)?, hall_id: r.get(1)?, pin_hash: r.get(2)? }),
            )
            .optional()?
            .ok_or(Error::UnknownStaff)?;
        self.open_session(&window, employee_no, &staff)
    }

    /// Opens `staff`'s session at `window`, closing whoever was there and this
    /// person's session at any other window.
    fn open_session(&self, window: &WindowInfo, employee_no: &str, staff: &StaffRow) -> Result<StaffCard> {
        let window_id = window.id.as_str();
        if staff.hall_id != window.hall_id {
            return Err(Error::StaffOfOtherHall(employee_no.to_string()));
        }
        let now = self.now().to_rfc3339();
        self.write(|tx| {
            tx.execute(
                "UPDATE staff_sessions SET signed_out_at = ?1, signed_out_by = 'staff'
                 WHERE signed_out_at IS NULL AND (window_id = ?2 OR staff_id = ?3)",
                params![now, window_id, staff.id],
            )?;
            tx.execute(
                "INSERT INTO staff_sessions (staff_id, window_id, signed_in_at) VALUES (?1, ?2, ?3)",
                params![staff.id, window_id, now],
            )?;
            Ok(())
        })?;
        tracing::info!(staff = %staff.id, window = window_id, "staff signed in");
        self.on_duty(window_id)?.ok_or(Error::WindowClosed)
    }

    /// The staff member on duty signs out with their own PIN.
    pub fn sign_out_with_pin(&self, window_id: &str, pin: &str) -> Result<()> {
        let on_duty = self.on_duty(window_id)?.ok_or(Error::WindowClosed)?;
        let hash: String =
            self.conn().query_row("SELECT pin_hash FROM staff WHERE id = ?1", [&on_duty.staff_id], |r| r.get(0))?;
        self.attempt_pin(&format!("staff:{}", on_duty.employee_no), Some(&hash), pin)?;
        self.sign_out(window_id, SignedOutBy::Staff)
    }

    /// Closes the window's open session, if any.
    pub fn sign_out(&self, window_id: &str, by: SignedOutBy) -> Result<()> {
        let now = self.now().to_rfc3339();
        self.conn().execute(
            "UPDATE staff_sessions SET signed_out_at = ?1, signed_out_by = ?2 WHERE window_id = ?3 AND signed_out_at IS NULL",
            params![now, by.as_str(), window_id],
        )?;
        Ok(())
    }

    /// The staff member signed in at `window_id`, if any.
    pub fn on_duty(&self, window_id: &str) -> Result<Option<StaffCard>> {
        let Some(window) = self.window(window_id)? else { return Ok(None) };
        let conn = self.conn();
        let row = conn
            .query_row(
                "SELECT s.id, s.employee_no, s.name, s.department_zh, s.department_en, s.thumbnail
                 FROM staff_sessions ss JOIN staff s ON s.id = ss.staff_id
                 WHERE ss.window_id = ?1 AND ss.signed_out_at IS NULL AND s.active = 1",
                [window_id],
                |r| {
                    let department = match (r.get::<_, Option<String>>(3)?, r.get::<_, Option<String>>(4)?) {
                        (Some(zh), en) => Some(Text::new(zh, en.unwrap_or_default())),
                        (None, _) => None,
                    };
                    let thumb: Option<Vec<u8>> = r.get(5)?;
                    Ok(StaffCard {
                        staff_id: r.get(0)?,
                        employee_no: r.get(1)?,
                        name: r.get(2)?,
                        department,
                        photo: thumb.map(|b| {
                            format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(b))
                        }),
                        window: window.clone(),
                    })
                },
            )
            .optional()?;
        Ok(row)
    }
}
