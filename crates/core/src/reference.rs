//! Reference data: the halls, their windows, the staff, and the bad-review reasons.
//! Until the central server exists it arrives as a file the administrator imports.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::Text;

pub const FORMAT: &str = "tiyan-reference/1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceData {
    /// Always [`FORMAT`]; a file of another format is refused, not half-read.
    pub format: String,
    /// Increases with every edition of the data, so an older file never replaces a newer one.
    pub version: i64,
    pub halls: Vec<Hall>,
    pub windows: Vec<Window>,
    pub staff: Vec<Staff>,
    pub reasons: Vec<Reason>,
    /// The quarter's experience list for officers (体验事项清单).
    #[serde(default)]
    pub matters: Vec<Matter>,
    #[serde(default)]
    pub officers: Vec<Officer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hall {
    pub id: String,
    pub name: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub id: String,
    pub hall_id: String,
    /// What is painted above the counter: "03", "A12".
    pub number: String,
    pub name: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub id: String,
    pub hall_id: String,
    pub employee_no: String,
    pub name: String,
    #[serde(default)]
    pub department: Option<Text>,
    /// Argon2id PHC string of the personal PIN; the PIN itself is never in the file.
    pub pin_hash: String,
    /// Path of the photo, relative to the reference-data file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
    /// The photo's SHA-256 (hex), as the server hands reference data to devices;
    /// the device fetches the bytes by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub label: Text,
}

/// A high-frequency service matter on the quarter's experience list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matter {
    pub id: String,
    pub name: Text,
    /// One of the list's six categories, e.g. 企业开办 / Starting a business.
    pub category: Text,
    /// The quarter the list is for, e.g. "2026Q4".
    #[serde(default)]
    pub quarter: Option<String>,
}

/// An experience officer (体验官), appointed for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Officer {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub gender: Option<String>,
    #[serde(default)]
    pub age: Option<u8>,
    #[serde(default)]
    pub occupation: Option<String>,
    pub appointed_from: chrono::NaiveDate,
    pub appointed_to: chrono::NaiveDate,
    /// Argon2id PHC string of the officer's password. Only the server keeps it:
    /// reference data sent to devices leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("not a Tiyan reference-data file (format {0:?}, expected {FORMAT:?})")]
    Format(String),
    #[error("the file lists no {0}")]
    Empty(&'static str),
    #[error("{kind} id {id:?} appears twice")]
    Duplicate { kind: &'static str, id: String },
    #[error("{kind} {id:?} names hall {hall:?}, which the file does not list")]
    UnknownHall { kind: &'static str, id: String, hall: String },
    #[error("{0:?} is not a valid id (letters, digits, '-' and '_', at most 64)")]
    BadId(String),
    #[error("staff {0:?}: the PIN must be given as an Argon2id hash")]
    PinNotHashed(String),
    #[error("staff {0:?}: the employee number may hold digits only")]
    BadEmployeeNo(String),
    #[error("staff {id:?}: photo path {path:?} must be relative and stay beside the file")]
    BadPhotoPath { id: String, path: String },
    #[error("officer {0:?}: the password must be given as an Argon2id hash")]
    PasswordNotHashed(String),
    #[error("officer {0:?}: the appointment ends before it starts")]
    Appointment(String),
}

fn is_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn check_unique<'a>(kind: &'static str, ids: impl Iterator<Item = &'a str>) -> Result<(), ReferenceError> {
    let mut seen = HashSet::new();
    for id in ids {
        if !is_id(id) {
            return Err(ReferenceError::BadId(id.to_string()));
        }
        if !seen.insert(id) {
            return Err(ReferenceError::Duplicate { kind, id: id.to_string() });
        }
    }
    Ok(())
}

impl ReferenceData {
    pub fn validate(&self) -> Result<(), ReferenceError> {
        if self.format != FORMAT {
            return Err(ReferenceError::Format(self.format.clone()));
        }
        if self.halls.is_empty() {
            return Err(ReferenceError::Empty("halls"));
        }
        if self.windows.is_empty() {
            return Err(ReferenceError::Empty("windows"));
        }
        if self.reasons.is_empty() {
            return Err(ReferenceError::Empty("bad-review reasons"));
        }
        check_unique("hall", self.halls.iter().map(|h| h.id.as_str()))?;
        check_unique("window", self.windows.iter().map(|w| w.id.as_str()))?;
        check_unique("staff", self.staff.iter().map(|s| s.id.as_str()))?;
        check_unique("reason", self.reasons.iter().map(|r| r.code.as_str()))?;
        check_unique("matter", self.matters.iter().map(|m| m.id.as_str()))?;
        check_unique("officer", self.officers.iter().map(|o| o.id.as_str()))?;
        for o in &self.officers {
            if o.password_hash.as_deref().is_some_and(|h| !h.starts_with("$argon2id$")) {
                return Err(ReferenceError::PasswordNotHashed(o.id.clone()));
            }
            if o.appointed_to < o.appointed_from {
                return Err(ReferenceError::Appointment(o.id.clone()));
            }
        }

        let halls: HashSet<&str> = self.halls.iter().map(|h| h.id.as_str()).collect();
        for w in &self.windows {
            if !halls.contains(w.hall_id.as_str()) {
                return Err(ReferenceError::UnknownHall { kind: "window", id: w.id.clone(), hall: w.hall_id.clone() });
            }
        }
        let mut employee_nos = HashSet::new();
        for s in &self.staff {
            if !halls.contains(s.hall_id.as_str()) {
                return Err(ReferenceError::UnknownHall { kind: "staff", id: s.id.clone(), hall: s.hall_id.clone() });
            }
            if s.employee_no.is_empty() || !s.employee_no.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ReferenceError::BadEmployeeNo(s.id.clone()));
            }
            if !employee_nos.insert(s.employee_no.as_str()) {
                return Err(ReferenceError::Duplicate { kind: "employee number", id: s.employee_no.clone() });
            }
            if !s.pin_hash.starts_with("$argon2id$") {
                return Err(ReferenceError::PinNotHashed(s.id.clone()));
            }
            if let Some(p) = &s.photo {
                let escapes = p.starts_with('/') || p.contains('\\') || p.split('/').any(|part| part == "..");
                if p.is_empty() || escapes {
                    return Err(ReferenceError::BadPhotoPath { id: s.id.clone(), path: p.clone() });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ReferenceData {
        ReferenceData {
            format: FORMAT.into(),
            version: 1,
            halls: vec![Hall { id: "h1".into(), name: Text::new("江海区政务服务中心", "") }],
            windows: vec![Window {
                id: "w1".into(),
                hall_id: "h1".into(),
                number: "01".into(),
                name: Text::new("综合受理", ""),
            }],
            staff: vec![Staff {
                id: "s1".into(),
                hall_id: "h1".into(),
                employee_no: "100101".into(),
                name: "李明华".into(),
                department: None,
                pin_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
                photo: Some("photos/100101.jpg".into()),
                photo_sha256: None,
            }],
            reasons: vec![Reason {
                code: "long_wait".into(),
                label: Text::new("等候时间过长", "Kept waiting too long"),
            }],
            matters: vec![],
            officers: vec![],
        }
    }

    #[test]
    fn a_consistent_file_passes() {
        assert_eq!(sample().validate(), Ok(()));
    }

    #[test]
    fn inconsistencies_are_named() {
        let mut d = sample();
        d.format = "csv".into();
        assert!(matches!(d.validate(), Err(ReferenceError::Format(_))));

        let mut d = sample();
        d.windows[0].hall_id = "elsewhere".into();
        assert!(matches!(d.validate(), Err(ReferenceError::UnknownHall { kind: "window", .. })));

        let mut d = sample();
        d.staff.push(d.staff[0].clone());
        assert!(matches!(d.validate(), Err(ReferenceError::Duplicate { kind: "staff", .. })));

        let mut d = sample();
        d.staff[0].pin_hash = "2580".into();
        assert_eq!(d.validate(), Err(ReferenceError::PinNotHashed("s1".into())));

        let mut d = sample();
        d.staff[0].photo = Some("../../etc/passwd".into());
        assert!(matches!(d.validate(), Err(ReferenceError::BadPhotoPath { .. })));

        let mut d = sample();
        d.reasons.clear();
        assert_eq!(d.validate(), Err(ReferenceError::Empty("bad-review reasons")));

        let mut d = sample();
        d.halls[0].id = "h 1".into();
        assert_eq!(d.validate(), Err(ReferenceError::BadId("h 1".into())));
    }
}
