//! Reference data: the halls, their windows, the staff, and the bad-review reasons.
//! Until the central server exists it arrives as a file the administrator imports.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::Text;
use crate::region::{Division, Region};

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
    /// The province's tree of regions the halls hang under (see [`crate::region`]).
    #[serde(default)]
    pub regions: Vec<Region>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Hall {
    pub id: String,
    pub name: Text,
    /// The region the hall hangs under (GB/T 39046 puts it on every rating).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(skip)]
    pub division: Option<Division>,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Reason {
    pub code: String,
    pub label: Text,
}

/// A high-frequency service matter on the quarter's experience list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
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
}

impl Officer {
    /// Whether `date` (the officer's local date) lies in the appointment period.
    pub fn appointed_on(&self, date: chrono::NaiveDate) -> bool {
        (self.appointed_from..=self.appointed_to).contains(&date)
    }
}

/// An officer's password as an import carries it: only ever an Argon2id hash.
/// It lives in the server's storage and nowhere else (not in [`Officer`]).
pub fn check_password_hash(officer_id: &str, hash: &str) -> Result<(), ReferenceError> {
    if hash.starts_with("$argon2id$") { Ok(()) } else { Err(ReferenceError::PasswordNotHashed(officer_id.to_string())) }
}

/// Whether a change made on version `based_on` of the data may be written
/// over `current`: not when someone else changed the data meanwhile.
pub fn edit_is_current(based_on: Option<i64>, current: Option<i64>) -> bool {
    based_on == current
}

/// The version an import that changed something gets: past the current one,
/// and at least the version the file names.
pub fn next_version(current: Option<i64>, requested: i64) -> i64 {
    current.map_or(1, |v| v + 1).max(requested)
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
    #[error("hall {hall:?} hangs under region {code}, which the data does not list")]
    UnknownRegion { hall: String, code: String },
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
    /// An import over what the server holds: sections the import leaves empty
    /// keep what is there (a staff CSV alone does not wipe the windows).
    pub fn merged_over(mut self, current: Option<&ReferenceData>) -> ReferenceData {
        self.format = FORMAT.to_string();
        if let Some(cur) = current {
            macro_rules! keep {
                ($($field:ident),*) => { $( if self.$field.is_empty() { self.$field = cur.$field.clone(); } )* };
            }
            keep!(halls, windows, staff, reasons, matters, officers, regions);
        }
        self
    }

    /// A file to import: consistent, and naming at least one hall, window and
    /// reason (a file without them is a mistake, not an intent).
    pub fn validate(&self) -> Result<(), ReferenceError> {
        if self.halls.is_empty() {
            return Err(ReferenceError::Empty("halls"));
        }
        if self.windows.is_empty() {
            return Err(ReferenceError::Empty("windows"));
        }
        if self.reasons.is_empty() {
            return Err(ReferenceError::Empty("bad-review reasons"));
        }
        self.validate_consistent()
    }

    /// The data after one change made in the page: consistent, though a new
    /// server's data grows a row at a time (a hall before its windows).
    pub fn validate_consistent(&self) -> Result<(), ReferenceError> {
        if self.format != FORMAT {
            return Err(ReferenceError::Format(self.format.clone()));
        }
        check_unique("hall", self.halls.iter().map(|h| h.id.as_str()))?;
        check_unique("window", self.windows.iter().map(|w| w.id.as_str()))?;
        check_unique("staff", self.staff.iter().map(|s| s.id.as_str()))?;
        check_unique("reason", self.reasons.iter().map(|r| r.code.as_str()))?;
        check_unique("matter", self.matters.iter().map(|m| m.id.as_str()))?;
        check_unique("officer", self.officers.iter().map(|o| o.id.as_str()))?;
        check_unique("region", self.regions.iter().map(|r| r.code.as_str()))?;
        let regions: HashSet<&Division> = self.regions.iter().map(|r| &r.code).collect();
        for h in &self.halls {
            if let Some(code) = h.division.as_ref().filter(|c| !regions.contains(c)) {
                return Err(ReferenceError::UnknownRegion { hall: h.id.clone(), code: code.to_string() });
            }
        }
        for o in &self.officers {
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
            halls: vec![Hall { id: "h1".into(), name: Text::new("江海区政务服务中心", ""), division: None }],
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
            regions: vec![],
        }
    }

    #[test]
    fn a_consistent_file_passes() {
        assert_eq!(sample().validate(), Ok(()));
    }

    #[test]
    fn an_import_keeps_the_sections_it_leaves_empty() {
        let current = sample();
        let mut staff_only = sample();
        staff_only.halls.clear();
        staff_only.windows.clear();
        staff_only.reasons.clear();
        staff_only.staff[0].name = "李明".into();
        let merged = staff_only.merged_over(Some(&current));
        assert_eq!((merged.halls.len(), merged.windows.len(), merged.reasons.len()), (1, 1, 1));
        assert_eq!(merged.staff[0].name, "李明");
        assert_eq!(next_version(None, 0), 1);
        assert_eq!(next_version(Some(4), 0), 5);
        assert_eq!(next_version(Some(4), 20), 20);
    }

    #[test]
    fn officers_are_appointed_for_a_period_and_their_passwords_are_hashes() {
        let date = |s: &str| s.parse::<chrono::NaiveDate>().unwrap_or_default();
        let o = Officer {
            id: "o1".into(),
            name: "梁小能".into(),
            gender: None,
            age: None,
            occupation: None,
            appointed_from: date("2026-01-01"),
            appointed_to: date("2026-12-31"),
        };
        assert!(o.appointed_on(date("2026-01-01")) && o.appointed_on(date("2026-12-31")));
        assert!(!o.appointed_on(date("2025-12-31")) && !o.appointed_on(date("2027-01-01")));
        assert_eq!(check_password_hash("o1", "$argon2id$v=19$x"), Ok(()));
        assert_eq!(check_password_hash("o1", "tiyan-2026"), Err(ReferenceError::PasswordNotHashed("o1".into())));
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
        d.halls[0].division = Division::parse("330106").ok();
        assert!(matches!(d.validate(), Err(ReferenceError::UnknownRegion { .. })));
        d.regions.push(Region { code: Division::parse("330106").unwrap_or_else(|e| panic!("{e}")), name: Text::new("西湖区", "Xihu") });
        assert_eq!(d.validate(), Ok(()));

        let mut d = sample();
        d.halls[0].id = "h 1".into();
        assert_eq!(d.validate(), Err(ReferenceError::BadId("h 1".into())));
    }
}
