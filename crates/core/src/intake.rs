//! What a device may send the server: a kiosk sends ratings and the cases
//! served at its window, for its own hall, naming that hall's windows and staff
//! and reasons from the list; an
//! officer laptop sends diary revisions and answers to the ledger's replies
//! only, of known officers. The server
//! checks every record of a page with [`check_upload`] before it stores any.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use crate::diary::DiaryRevision;
use crate::protocol::{CaseServed, DeviceRole, Upload};
use crate::rating::{Rating, RatingError};

/// The ids a record may name. Retired windows, staff, reasons and officers stay
/// in it: a rating given yesterday to someone who left today is still a rating.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    pub halls: HashMap<String, HallIds>,
    pub reasons: HashSet<String>,
    pub officers: HashSet<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HallIds {
    pub windows: HashSet<String>,
    pub staff: HashSet<String>,
}

/// Why one record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("a {0} may not send this kind of record")]
    WrongKind(&'static str),
    #[error("the record is for hall {record}, the device belongs to hall {device}")]
    OtherHall { record: String, device: String },
    #[error("window {0} is not a window of the device's hall")]
    UnknownWindow(String),
    #[error("staff {0} is not on the staff of the device's hall")]
    UnknownStaff(String),
    #[error("the case number is not valid: {0}")]
    CaseNo(#[from] crate::case_no::CaseNoError),
    #[error("{0}")]
    Rating(#[from] RatingError),
    #[error("officer {0} is not known to the server")]
    UnknownOfficer(String),
    #[error("the entry is incomplete: {0}")]
    Incomplete(String),
    #[error("the {0} is longer than {1} characters")]
    TooLong(&'static str, usize),
}

/// A refused record, named for the log and for the device's administrator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {id} (sequence number {seq}) refused: {refusal}")]
pub struct RecordRefused {
    pub id: Uuid,
    pub seq: u64,
    pub refusal: Refusal,
}

/// The device that sent a page, as far as the rules care.
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    pub role: DeviceRole,
    pub hall_id: &'a str,
}

/// Device times to whole microseconds, which every backend keeps exactly (an
/// older laptop stamped its revisions to the nanosecond): applied to a page
/// before it is stored or compared, so a resend is the same record on both.
pub fn normalize_times(upload: &mut Upload) {
    use chrono::SubsecRound;
    match upload {
        Upload::Rating(records) => records.iter_mut().for_each(|r| r.device_time = r.device_time.trunc_subsecs(6)),
        Upload::Diary(records) => records.iter_mut().for_each(|r| r.submitted_at = r.submitted_at.trunc_subsecs(6)),
        Upload::Feedback(records) => records.iter_mut().for_each(|r| r.answered_at = r.answered_at.trunc_subsecs(6)),
        Upload::Case(records) => records.iter_mut().for_each(|r| r.device_time = r.device_time.trunc_subsecs(6)),
    }
}

pub fn check_upload(sender: Sender<'_>, upload: &Upload, catalog: &Catalog) -> Result<(), RecordRefused> {
    match (sender.role, upload) {
        (DeviceRole::Kiosk, Upload::Rating(records)) => records.iter().try_for_each(|r| {
            check_rating(sender.hall_id, r, catalog).map_err(|refusal| RecordRefused { id: r.id, seq: r.seq, refusal })
        }),
        (DeviceRole::Officer, Upload::Diary(records)) => records.iter().try_for_each(|r| {
            check_revision(r, catalog).map_err(|refusal| RecordRefused { id: r.id, seq: r.seq, refusal })
        }),
        (DeviceRole::Officer, Upload::Feedback(records)) => records.iter().try_for_each(|r| {
            if catalog.officers.contains(&r.officer_id) {
                Ok(())
            } else {
                Err(RecordRefused { id: r.id, seq: r.seq, refusal: Refusal::UnknownOfficer(r.officer_id.clone()) })
            }
        }),
        (DeviceRole::Kiosk, Upload::Case(records)) => records.iter().try_for_each(|r| {
            check_case(sender.hall_id, r, catalog).map_err(|refusal| RecordRefused { id: r.id, seq: r.seq, refusal })
        }),
        (role, Upload::Rating(records)) => Err(first_of(records.iter().map(|r| (r.id, r.seq)), role)),
        (role, Upload::Case(records)) => Err(first_of(records.iter().map(|r| (r.id, r.seq)), role)),
        (role, Upload::Diary(records)) => Err(first_of(records.iter().map(|r| (r.id, r.seq)), role)),
        (role, Upload::Feedback(records)) => Err(first_of(records.iter().map(|r| (r.id, r.seq)), role)),
    }
}

fn first_of(mut keys: impl Iterator<Item = (Uuid, u64)>, role: DeviceRole) -> RecordRefused {
    let (id, seq) = keys.next().unwrap_or((Uuid::nil(), 0));
    let who = match role {
        DeviceRole::Kiosk => "kiosk",
        DeviceRole::Officer => "officer laptop",
    };
    RecordRefused { id, seq, refusal: Refusal::WrongKind(who) }
}

pub fn check_rating(device_hall: &str, r: &Rating, catalog: &Catalog) -> Result<(), Refusal> {
    if r.hall_id != device_hall {
        return Err(Refusal::OtherHall { record: r.hall_id.clone(), device: device_hall.to_string() });
    }
    let hall = catalog.halls.get(device_hall);
    if !hall.is_some_and(|h| h.windows.contains(&r.window_id)) {
        return Err(Refusal::UnknownWindow(r.window_id.clone()));
    }
    if !hall.is_some_and(|h| h.staff.contains(&r.staff_id)) {
        return Err(Refusal::UnknownStaff(r.staff_id.clone()));
    }
    if let Some(case_no) = &r.case_no
        && crate::case_no::normalize(case_no)? != *case_no
    {
        return Err(Refusal::CaseNo(crate::case_no::CaseNoError::BadCharacter));
    }
    r.check(|code| catalog.reasons.contains(code))?;
    Ok(())
}

/// A case served: at the device's own hall, one of its windows and staff, its
/// number normal, its ticket and matter short.
pub fn check_case(device_hall: &str, c: &CaseServed, catalog: &Catalog) -> Result<(), Refusal> {
    if c.hall_id != device_hall {
        return Err(Refusal::OtherHall { record: c.hall_id.clone(), device: device_hall.to_string() });
    }
    let hall = catalog.halls.get(device_hall);
    if !hall.is_some_and(|h| h.windows.contains(&c.window_id)) {
        return Err(Refusal::UnknownWindow(c.window_id.clone()));
    }
    if !hall.is_some_and(|h| h.staff.contains(&c.staff_id)) {
        return Err(Refusal::UnknownStaff(c.staff_id.clone()));
    }
    if crate::case_no::normalize(&c.case_no)? != c.case_no {
        return Err(Refusal::CaseNo(crate::case_no::CaseNoError::BadCharacter));
    }
    if c.ticket_no.as_ref().is_some_and(|t| t.chars().count() > crate::window::MAX_TICKET_LEN) {
        return Err(Refusal::TooLong("ticket number", crate::window::MAX_TICKET_LEN));
    }
    if c.matter.as_ref().is_some_and(|m| m.chars().count() > crate::window::MAX_MATTER_LEN) {
        return Err(Refusal::TooLong("matter", crate::window::MAX_MATTER_LEN));
    }
    Ok(())
}

pub fn check_revision(r: &DiaryRevision, catalog: &Catalog) -> Result<(), Refusal> {
    if !catalog.officers.contains(&r.officer_id) {
        return Err(Refusal::UnknownOfficer(r.officer_id.clone()));
    }
    let issues = r.body.issues();
    if !issues.is_empty() {
        return Err(Refusal::Incomplete(issues.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("; ")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::Level;
    use crate::diary::{Channel, DiaryBody, Mode};

    fn catalog() -> Catalog {
        let hall = HallIds {
            windows: ["w1".to_string()].into_iter().collect(),
            staff: ["s1".to_string()].into_iter().collect(),
        };
        Catalog {
            halls: [("h1".to_string(), hall), ("h2".to_string(), HallIds::default())].into_iter().collect(),
            reasons: ["long_wait".to_string()].into_iter().collect(),
            officers: ["o1".to_string()].into_iter().collect(),
        }
    }

    fn rating() -> Rating {
        Rating {
            id: Uuid::from_u128(7),
            seq: 3,
            device_id: Uuid::nil(),
            device_time: DateTime::parse_from_rfc3339("2026-11-23T09:00:00+08:00").unwrap_or_default(),
            hall_id: "h1".into(),
            window_id: "w1".into(),
            staff_id: "s1".into(),
            case_no: Some("A-12".into()),
            attitude: Level::Satisfied,
            competence: Level::VerySatisfied,
            reasons: vec![],
            comment: None,
            phone: None,
            misuse: false,
        }
    }

    const KIOSK: Sender<'static> = Sender { role: DeviceRole::Kiosk, hall_id: "h1" };

    #[test]
    fn a_kiosk_sends_ratings_of_its_own_hall_only() {
        let c = catalog();
        assert_eq!(check_upload(KIOSK, &Upload::Rating(vec![rating()]), &c), Ok(()));
        let refused = |f: fn(&mut Rating)| {
            let mut r = rating();
            f(&mut r);
            check_upload(KIOSK, &Upload::Rating(vec![rating(), r]), &c).map_err(|e| e.refusal)
        };
        assert!(matches!(refused(|r| r.hall_id = "h2".into()), Err(Refusal::OtherHall { .. })));
        assert_eq!(refused(|r| r.window_id = "w9".into()), Err(Refusal::UnknownWindow("w9".into())));
        assert_eq!(refused(|r| r.staff_id = "s9".into()), Err(Refusal::UnknownStaff("s9".into())));
        assert!(matches!(refused(|r| r.case_no = Some("a 1".into())), Err(Refusal::CaseNo(_))));
        assert_eq!(
            refused(|r| r.attitude = Level::VeryDissatisfied),
            Err(Refusal::Rating(RatingError::ReasonRequired))
        );
        assert!(
            matches!(check_upload(KIOSK, &Upload::Diary(vec![]), &c), Err(RecordRefused { seq: 0, .. })),
            "not even an empty diary page from a kiosk"
        );
        // The refusal names the record.
        let mut r = rating();
        r.staff_id = "s9".into();
        let e = check_upload(KIOSK, &Upload::Rating(vec![r]), &c).unwrap_err();
        assert_eq!((e.id, e.seq), (Uuid::from_u128(7), 3));
        assert!(e.to_string().contains("staff s9"), "{e}");
    }

    #[test]
    fn device_times_are_kept_to_the_microsecond() {
        let mut r = rating();
        r.device_time = DateTime::parse_from_rfc3339("2026-11-23T09:00:00.123456789+08:00").unwrap_or_default();
        let mut page = Upload::Rating(vec![r]);
        normalize_times(&mut page);
        let Upload::Rating(records) = page else { unreachable!() };
        assert_eq!(records[0].device_time.to_rfc3339(), "2026-11-23T09:00:00.123456+08:00");
    }

    #[test]
    fn an_officer_laptop_sends_complete_diaries_of_known_officers_and_never_ratings() {
        let c = catalog();
        let laptop = Sender { role: DeviceRole::Officer, hall_id: "h1" };
        assert!(matches!(
            check_upload(laptop, &Upload::Rating(vec![rating()]), &c),
            Err(RecordRefused { refusal: Refusal::WrongKind("officer laptop"), .. })
        ));
        let mut revision = DiaryRevision {
            id: Uuid::from_u128(9),
            entry_id: Uuid::from_u128(10),
            revision: 1,
            seq: 1,
            device_id: Uuid::nil(),
            officer_id: "o1".into(),
            submitted_at: DateTime::parse_from_rfc3339("2026-11-23T10:00:00+08:00").unwrap_or_default(),
            body: DiaryBody {
                visited_at: DateTime::parse_from_rfc3339("2026-11-23T09:00:00+08:00").ok(),
                hall_id: Some("h1".into()),
                matter_text: "个体工商户设立登记".into(),
                channel: Some(Channel::Window),
                mode: Some(Mode::OnMyOwn),
                score: Some(8),
                account: "上午九点到大厅取号。".into(),
                ..DiaryBody::default()
            },
        };
        assert_eq!(check_upload(laptop, &Upload::Diary(vec![revision.clone()]), &c), Ok(()));
        assert!(matches!(
            check_upload(KIOSK, &Upload::Diary(vec![revision.clone()]), &c),
            Err(RecordRefused { refusal: Refusal::WrongKind("kiosk"), .. })
        ));
        revision.officer_id = "o9".into();
        assert_eq!(check_revision(&revision, &c), Err(Refusal::UnknownOfficer("o9".into())));
        revision.officer_id = "o1".into();
        revision.body.account.clear();
        assert!(matches!(check_revision(&revision, &c), Err(Refusal::Incomplete(_))));
    }
}
