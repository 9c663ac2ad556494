//! Whether a one-time enrolment code may enrol the device presenting it.

use chrono::{DateTime, Utc};

use crate::protocol::DeviceRole;

/// An enrolment code as the server holds it (looked up by its SHA-256).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeState {
    pub role: DeviceRole,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeRefusal {
    #[error("the enrolment code is unknown, used or expired")]
    Invalid,
    #[error("this code enrols a {code:?} device, not a {expected:?}")]
    WrongRole { code: DeviceRole, expected: DeviceRole },
}

/// An unknown, used or expired code is invalid; a code for the other role is
/// refused before it is used up, so the administrator can still give it to the
/// right device.
pub fn check_code(
    code: Option<CodeState>,
    expected: Option<DeviceRole>,
    now: DateTime<Utc>,
) -> Result<DeviceRole, CodeRefusal> {
    let code = code.ok_or(CodeRefusal::Invalid)?;
    if code.used || code.expires_at <= now {
        return Err(CodeRefusal::Invalid);
    }
    match expected {
        Some(expected) if expected != code.role => Err(CodeRefusal::WrongRole { code: code.role, expected }),
        _ => Ok(code.role),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn a_code_works_once_before_it_expires_for_its_role() {
        let now = DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();
        let fresh = CodeState { role: DeviceRole::Kiosk, expires_at: now + Duration::hours(1), used: false };
        assert_eq!(check_code(Some(fresh), None, now), Ok(DeviceRole::Kiosk));
        assert_eq!(check_code(Some(fresh), Some(DeviceRole::Kiosk), now), Ok(DeviceRole::Kiosk));
        assert_eq!(
            check_code(Some(fresh), Some(DeviceRole::Officer), now),
            Err(CodeRefusal::WrongRole { code: DeviceRole::Kiosk, expected: DeviceRole::Officer })
        );
        assert_eq!(check_code(Some(CodeState { used: true, ..fresh }), None, now), Err(CodeRefusal::Invalid));
        assert_eq!(check_code(Some(fresh), None, now + Duration::hours(1)), Err(CodeRefusal::Invalid));
        assert_eq!(check_code(None, None, now), Err(CodeRefusal::Invalid));
    }
}
