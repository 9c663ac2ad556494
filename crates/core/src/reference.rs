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
    /// The unified social credit code (统一社会信用代码) of the department that
    /// runs the hall: the `deptCode` a province's 好差评 platform wants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(skip)]
    pub credit_code: Option<String>,
    /// What the hall office set for the hall's kiosks: only in what the server
    /// hands a kiosk, never in a file (the settings live with the hall's settings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(skip)]
    pub kiosk: Option<crate::settings::CentreSettings>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub id: String,
    pub hall_id: String,
    /// What is painted above the counter: "03", "A12".
    pub number: String,
    pub name: Text,
    /// The unified social credit code of the department the window belongs to
    /// (进驻部门): a rating's `deptCode` on the province's platform, before the hall's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<String>,
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
    /// The province's indicator code for this reason (a bad review's
    /// `evalDetail` on its 好差评 platform).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(skip)]
    pub indicator: Option<String>,
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
    /// The province's code of the matter (事项编码, its implementation list):
    /// `taskCode` on the 好差评 platform, for a case the window system named the matter of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(skip)]
    pub task_code: Option<String>,
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
    #[error("no {kind} {id:?} in the data")]
    UnknownRow { kind: &'static str, id: String },
    #[error("{kind} {id:?} still has {what} under it")]
    InUse { kind: &'static str, id: String, what: &'static str },
    #[error("hall {hall:?}: {code:?} is not a unified social credit code (18 characters, its check character right)")]
    BadCreditCode { hall: String, code: String },
    #[error("reason {reason:?}: indicator code {code:?} is not one (letters, digits, '.', '-', at most 20)")]
    BadIndicator { reason: String, code: String },
    #[error(
        "window {window:?}: {code:?} is not a unified social credit code (18 characters, its check character right)"
    )]
    BadWindowCreditCode { window: String, code: String },
    #[error("matter {matter:?}: task code {code:?} is not one (letters, digits, '-', at most 64)")]
    BadTaskCode { matter: String, code: String },
}

fn is_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A hall's credit code, when it has one, is a unified social credit code.
fn check_credit_code(h: &Hall) -> Result<(), ReferenceError> {
    match &h.credit_code {
        Some(code) if !crate::upward::is_credit_code(code) => {
            Err(ReferenceError::BadCreditCode { hall: h.id.clone(), code: code.clone() })
        }
        _ => Ok(()),
    }
}

/// A window's department's credit code, when it has one, is a unified social credit code.
fn check_window_code(w: &Window) -> Result<(), ReferenceError> {
    match &w.credit_code {
        Some(code) if !crate::upward::is_credit_code(code) => {
            Err(ReferenceError::BadWindowCreditCode { window: w.id.clone(), code: code.clone() })
        }
        _ => Ok(()),
    }
}

/// A matter's task code, when it has one, is a code.
fn check_task_code(m: &Matter) -> Result<(), ReferenceError> {
    let fine = |c: &str| (1..=64).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    match &m.task_code {
        Some(code) if !fine(code) => Err(ReferenceError::BadTaskCode { matter: m.id.clone(), code: code.clone() }),
        _ => Ok(()),
    }
}

/// A reason's indicator code, when it has one, is a short code.
fn check_indicator(r: &Reason) -> Result<(), ReferenceError> {
    let fine =
        |c: &str| (1..=20).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    match &r.indicator {
        Some(code) if !fine(code) => Err(ReferenceError::BadIndicator { reason: r.code.clone(), code: code.clone() }),
        _ => Ok(()),
    }
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
            check_credit_code(h)?;
        }
        self.reasons.iter().try_for_each(check_indicator)?;
        self.windows.iter().try_for_each(check_window_code)?;
        self.matters.iter().try_for_each(check_task_code)?;
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

/// A kind of row of the reference data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Region,
    Hall,
    Window,
    Staff,
    Reason,
    Matter,
    Officer,
}

impl Kind {
    pub const ALL: [Kind; 7] =
        [Kind::Region, Kind::Hall, Kind::Window, Kind::Staff, Kind::Reason, Kind::Matter, Kind::Officer];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Region => "region",
            Kind::Hall => "hall",
            Kind::Window => "window",
            Kind::Staff => "staff",
            Kind::Reason => "reason",
            Kind::Matter => "matter",
            Kind::Officer => "officer",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One row of the reference data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Region(Region),
    Hall(Hall),
    Window(Window),
    Staff(Staff),
    Reason(Reason),
    Matter(Matter),
    Officer(Officer),
}

impl Row {
    pub fn kind(&self) -> Kind {
        match self {
            Row::Region(_) => Kind::Region,
            Row::Hall(_) => Kind::Hall,
            Row::Window(_) => Kind::Window,
            Row::Staff(_) => Kind::Staff,
            Row::Reason(_) => Kind::Reason,
            Row::Matter(_) => Kind::Matter,
            Row::Officer(_) => Kind::Officer,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Row::Region(r) => r.code.as_str(),
            Row::Hall(h) => &h.id,
            Row::Window(w) => &w.id,
            Row::Staff(s) => &s.id,
            Row::Reason(r) => &r.code,
            Row::Matter(m) => &m.id,
            Row::Officer(o) => &o.id,
        }
    }

    /// The hall the row belongs to (None: every hall's, or the tree's).
    pub fn hall(&self) -> Option<&str> {
        match self {
            Row::Hall(h) => Some(&h.id),
            Row::Window(w) => Some(&w.hall_id),
            Row::Staff(s) => Some(&s.hall_id),
            _ => None,
        }
    }
}

/// One change of the data: a row added or replaced, or retired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Upsert(Row),
    Retire(Kind, String),
}

impl Change {
    pub fn kind(&self) -> Kind {
        match self {
            Change::Upsert(row) => row.kind(),
            Change::Retire(kind, _) => *kind,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Change::Upsert(row) => row.id(),
            Change::Retire(_, id) => id,
        }
    }
}

/// Which kiosks hold what a change touches: the halls whose version moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holders {
    /// Every kiosk (a bad-review reason).
    Every,
    /// The kiosks of these halls.
    Halls(Vec<String>),
}

impl ReferenceData {
    /// The hall a row of `kind` belongs to (None: shared, or not there).
    pub fn hall_of(&self, kind: Kind, id: &str) -> Option<&str> {
        match kind {
            Kind::Hall => self.halls.iter().find(|h| h.id == id).map(|h| h.id.as_str()),
            Kind::Window => self.windows.iter().find(|w| w.id == id).map(|w| w.hall_id.as_str()),
            Kind::Staff => self.staff.iter().find(|s| s.id == id).map(|s| s.hall_id.as_str()),
            Kind::Region | Kind::Reason | Kind::Matter | Kind::Officer => None,
        }
    }

    fn has(&self, kind: Kind, id: &str) -> bool {
        match kind {
            Kind::Region => self.regions.iter().any(|r| r.code.as_str() == id),
            Kind::Reason => self.reasons.iter().any(|r| r.code == id),
            Kind::Matter => self.matters.iter().any(|m| m.id == id),
            Kind::Officer => self.officers.iter().any(|o| o.id == id),
            _ => self.hall_of(kind, id).is_some(),
        }
    }

    /// Whether `change` keeps this (consistent) data consistent, looking only
    /// at what the row touches: the same rules as [`ReferenceData::validate_consistent`],
    /// without going over twenty thousand staff for one of them.
    pub fn check_change(&self, change: &Change) -> Result<(), ReferenceError> {
        let hall_known = |kind: &'static str, id: &str, hall: &str| {
            if self.halls.iter().any(|h| h.id == hall) {
                Ok(())
            } else {
                Err(ReferenceError::UnknownHall { kind, id: id.to_string(), hall: hall.to_string() })
            }
        };
        match change {
            Change::Retire(kind, id) => {
                if !self.has(*kind, id) {
                    return Err(ReferenceError::UnknownRow { kind: kind.as_str(), id: id.clone() });
                }
                let in_use = |what| Err(ReferenceError::InUse { kind: kind.as_str(), id: id.clone(), what });
                match kind {
                    Kind::Hall if self.windows.iter().any(|w| &w.hall_id == id) => in_use("windows"),
                    Kind::Hall if self.staff.iter().any(|s| &s.hall_id == id) => in_use("staff"),
                    Kind::Region
                        if self.halls.iter().any(|h| h.division.as_ref().is_some_and(|d| d.as_str() == id)) =>
                    {
                        in_use("halls")
                    }
                    _ => Ok(()),
                }
            }
            Change::Upsert(row) => {
                if !matches!(row, Row::Region(_)) && !is_id(row.id()) {
                    return Err(ReferenceError::BadId(row.id().to_string()));
                }
                match row {
                    Row::Region(_) => Ok(()),
                    Row::Matter(m) => check_task_code(m),
                    Row::Reason(r) => check_indicator(r),
                    Row::Hall(h) => match &h.division {
                        Some(code) if !self.regions.iter().any(|r| &r.code == code) => {
                            Err(ReferenceError::UnknownRegion { hall: h.id.clone(), code: code.to_string() })
                        }
                        _ => check_credit_code(h),
                    },
                    Row::Window(w) => hall_known("window", &w.id, &w.hall_id).and_then(|()| check_window_code(w)),
                    Row::Staff(s) => {
                        hall_known("staff", &s.id, &s.hall_id)?;
                        if s.employee_no.is_empty() || !s.employee_no.bytes().all(|b| b.is_ascii_digit()) {
                            return Err(ReferenceError::BadEmployeeNo(s.id.clone()));
                        }
                        if self.staff.iter().any(|o| o.employee_no == s.employee_no && o.id != s.id) {
                            return Err(ReferenceError::Duplicate {
                                kind: "employee number",
                                id: s.employee_no.clone(),
                            });
                        }
                        if !s.pin_hash.starts_with("$argon2id$") {
                            return Err(ReferenceError::PinNotHashed(s.id.clone()));
                        }
                        Ok(())
                    }
                    Row::Officer(o) if o.appointed_to < o.appointed_from => {
                        Err(ReferenceError::Appointment(o.id.clone()))
                    }
                    Row::Officer(_) => Ok(()),
                }
            }
        }
    }

    /// The kiosks that hold what `change` touches: the hall of the row as it
    /// was and as it becomes; every kiosk for a reason; none for what kiosks
    /// are not given (the tree, the experience list, officers).
    pub fn holders(&self, change: &Change) -> Holders {
        let mut halls: Vec<String> = Vec::new();
        let kind = change.kind();
        if kind == Kind::Reason {
            return Holders::Every;
        }
        if let Some(h) = self.hall_of(kind, change.id()) {
            halls.push(h.to_string());
        }
        if let Change::Upsert(row) = change
            && let Some(h) = row.hall()
            && !halls.iter().any(|x| x == h)
        {
            halls.push(h.to_string());
        }
        Holders::Halls(halls)
    }

    /// Makes `change` (checked by [`ReferenceData::check_change`]): the row
    /// replaced, added or taken out, each list kept in the order storage
    /// reads it in (halls by id, windows by hall and number, staff by
    /// employee number, a new reason last).
    pub fn apply(&mut self, change: Change) {
        /// Replaces the row known by `same`, or adds it, where `key` puts it.
        fn place<T, K: Ord>(rows: &mut Vec<T>, row: T, same: impl Fn(&T) -> bool, key: impl Fn(&T) -> K) {
            if let Some(at) = rows.iter().position(&same) {
                if key(&rows[at]) == key(&row) {
                    rows[at] = row;
                    return;
                }
                rows.remove(at);
            }
            let at = rows.partition_point(|r| key(r) <= key(&row));
            rows.insert(at, row);
        }
        match change {
            Change::Upsert(Row::Region(r)) => {
                let code = r.code.clone();
                place(&mut self.regions, r, |x| x.code == code, |x| x.code.clone())
            }
            Change::Upsert(Row::Hall(h)) => {
                let id = h.id.clone();
                place(&mut self.halls, h, |x| x.id == id, |x| x.id.clone())
            }
            Change::Upsert(Row::Window(w)) => {
                let id = w.id.clone();
                place(&mut self.windows, w, |x| x.id == id, |x| (x.hall_id.clone(), x.number.clone()))
            }
            Change::Upsert(Row::Staff(s)) => {
                let id = s.id.clone();
                place(&mut self.staff, s, |x| x.id == id, |x| x.employee_no.clone())
            }
            Change::Upsert(Row::Reason(r)) => match self.reasons.iter_mut().find(|x| x.code == r.code) {
                Some(x) => *x = r,
                None => self.reasons.push(r),
            },
            Change::Upsert(Row::Matter(m)) => {
                let id = m.id.clone();
                place(&mut self.matters, m, |x| x.id == id, |x| x.id.clone())
            }
            Change::Upsert(Row::Officer(o)) => {
                let id = o.id.clone();
                place(&mut self.officers, o, |x| x.id == id, |x| x.id.clone())
            }
            Change::Retire(kind, id) => match kind {
                Kind::Region => self.regions.retain(|x| x.code.as_str() != id),
                Kind::Hall => self.halls.retain(|x| x.id != id),
                Kind::Window => self.windows.retain(|x| x.id != id),
                Kind::Staff => self.staff.retain(|x| x.id != id),
                Kind::Reason => self.reasons.retain(|x| x.code != id),
                Kind::Matter => self.matters.retain(|x| x.id != id),
                Kind::Officer => self.officers.retain(|x| x.id != id),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ReferenceData {
        ReferenceData {
            format: FORMAT.into(),
            version: 1,
            halls: vec![Hall {
                kiosk: None,
                id: "h1".into(),
                name: Text::new("江海区政务服务中心", ""),
                division: None,
                credit_code: None,
            }],
            windows: vec![Window {
                id: "w1".into(),
                hall_id: "h1".into(),
                number: "01".into(),
                name: Text::new("综合受理", ""),
                credit_code: None,
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
                indicator: None,
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
    fn a_change_is_checked_as_the_whole_data_would_be() {
        let region =
            |c: &str| Region { code: Division::parse(c).unwrap_or_else(|e| panic!("{e}")), name: Text::new(c, "") };
        let mut d = sample();
        d.regions.push(region("440704"));
        d.halls[0].division = Division::parse("440704").ok();
        let staff = |id: &str, hall: &str, no: &str| Staff {
            id: id.into(),
            hall_id: hall.into(),
            employee_no: no.into(),
            ..d.staff[0].clone()
        };
        let window = |id: &str, hall: &str| Window { id: id.into(), hall_id: hall.into(), ..d.windows[0].clone() };
        let changes = vec![
            Change::Upsert(Row::Staff(staff("s2", "h1", "100102"))),
            Change::Upsert(Row::Staff(staff("s2", "h1", "100101"))),
            Change::Upsert(Row::Staff(staff("s1", "h1", "100101"))),
            Change::Upsert(Row::Staff(staff("s2", "h9", "100103"))),
            Change::Upsert(Row::Staff(staff("s2", "h1", "10a"))),
            Change::Upsert(Row::Staff(Staff { pin_hash: "2580".into(), ..staff("s2", "h1", "100104") })),
            Change::Upsert(Row::Staff(staff("s 2", "h1", "100105"))),
            Change::Upsert(Row::Window(window("w2", "h1"))),
            Change::Upsert(Row::Window(window("w2", "h9"))),
            Change::Upsert(Row::Hall(Hall {
                kiosk: None,
                credit_code: None,
                id: "h2".into(),
                name: Text::new("二", ""),
                division: Division::parse("440704").ok(),
            })),
            Change::Upsert(Row::Hall(Hall {
                kiosk: None,
                credit_code: None,
                id: "h2".into(),
                name: Text::new("二", ""),
                division: Division::parse("440703").ok(),
            })),
            Change::Upsert(Row::Region(region("440703"))),
            Change::Retire(Kind::Region, "440704".into()),
            Change::Retire(Kind::Hall, "h1".into()),
            Change::Retire(Kind::Staff, "s1".into()),
            Change::Retire(Kind::Window, "w1".into()),
            Change::Retire(Kind::Reason, "long_wait".into()),
        ];
        for change in changes {
            let mut whole = d.clone();
            whole.apply(change.clone());
            assert_eq!(d.check_change(&change).is_ok(), whole.validate_consistent().is_ok(), "{change:?}");
        }
        // What is not there is not retired.
        let missing = Change::Retire(Kind::Staff, "nobody".into());
        assert!(matches!(d.check_change(&missing), Err(ReferenceError::UnknownRow { .. })));
        // Who pulls: the row's hall as it was and as it becomes; every kiosk for a reason; none for the tree.
        assert_eq!(
            d.holders(&Change::Upsert(Row::Staff(staff("s1", "h2", "100101")))),
            Holders::Halls(vec!["h1".into(), "h2".into()])
        );
        assert_eq!(d.holders(&Change::Retire(Kind::Reason, "long_wait".into())), Holders::Every);
        assert_eq!(d.holders(&Change::Upsert(Row::Region(region("440703")))), Holders::Halls(vec![]));
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
        d.regions.push(Region {
            code: Division::parse("330106").unwrap_or_else(|e| panic!("{e}")),
            name: Text::new("西湖区", "Xihu"),
        });
        assert_eq!(d.validate(), Ok(()));

        let mut d = sample();
        d.halls[0].id = "h 1".into();
        assert_eq!(d.validate(), Err(ReferenceError::BadId("h 1".into())));
    }
}
