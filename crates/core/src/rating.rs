//! A citizen's evaluation of one service: what makes it valid, and the record
//! that is stored and later synced.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Level;

/// A free comment is a sentence or two, not a letter.
pub const MAX_COMMENT_CHARS: usize = 200;
/// At most this many reasons on one bad review (the reason list is short anyway).
pub const MAX_REASONS: usize = 12;

/// What the kiosk screen sends when the citizen presses submit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RatingInput {
    /// Made by the screen when the rating session starts; a second submit of the
    /// same session (a double tap, a retried call) records nothing new.
    pub session_id: Uuid,
    pub attitude: u8,
    pub competence: u8,
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub phone_consent: bool,
}

/// A rating input that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRating {
    pub attitude: Level,
    pub competence: Level,
    pub reasons: Vec<String>,
    pub comment: Option<String>,
    pub phone: Option<String>,
}

impl ValidRating {
    pub fn is_bad(&self) -> bool {
        self.attitude.is_bad() || self.competence.is_bad()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    #[error("level {0} is out of range 1..5")]
    InvalidLevel(u8),
    #[error("a bad review (level 1 or 2) needs at least one reason")]
    ReasonRequired,
    #[error("reasons are only given with a bad review")]
    ReasonsWithoutBadReview,
    #[error("unknown reason {0:?}")]
    UnknownReason(String),
    #[error("at most {MAX_REASONS} reasons")]
    TooManyReasons,
    #[error("the comment is longer than {MAX_COMMENT_CHARS} characters")]
    CommentTooLong,
    #[error("a phone number is kept only with the citizen's consent to a call-back")]
    PhoneWithoutConsent,
    #[error("that does not look like a phone number")]
    InvalidPhone,
    #[error("a call-back phone number belongs only to a bad review")]
    PhoneWithoutBadReview,
    #[error("reasons repeat, or the comment or phone number is not in its normal form")]
    NotNormalized,
}

impl RatingInput {
    /// Checks the input against the rules of the national scheme. `is_known_reason`
    /// answers whether a code is on the hall's current reason list.
    pub fn validate(&self, is_known_reason: impl Fn(&str) -> bool) -> Result<ValidRating, RatingError> {
        let attitude = Level::try_from(self.attitude).map_err(|_| RatingError::InvalidLevel(self.attitude))?;
        let competence = Level::try_from(self.competence).map_err(|_| RatingError::InvalidLevel(self.competence))?;
        let bad = attitude.is_bad() || competence.is_bad();

        let mut reasons: Vec<String> = Vec::new();
        for r in &self.reasons {
            if !reasons.contains(r) {
                reasons.push(r.clone());
            }
        }
        if bad && reasons.is_empty() {
            return Err(RatingError::ReasonRequired);
        }
        if !bad && !reasons.is_empty() {
            return Err(RatingError::ReasonsWithoutBadReview);
        }
        if reasons.len() > MAX_REASONS {
            return Err(RatingError::TooManyReasons);
        }
        if let Some(unknown) = reasons.iter().find(|r| !is_known_reason(r)) {
            return Err(RatingError::UnknownReason(unknown.clone()));
        }

        let comment = self.comment.as_deref().map(str::trim).filter(|c| !c.is_empty());
        if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
            return Err(RatingError::CommentTooLong);
        }

        let phone = self.phone.as_deref().map(normalize_phone).filter(|p| !p.is_empty());
        let phone = match (phone, self.phone_consent) {
            (None, _) => None,
            (Some(_), false) => return Err(RatingError::PhoneWithoutConsent),
            (Some(p), true) if is_plausible_phone(&p) => Some(p),
            (Some(_), true) => return Err(RatingError::InvalidPhone),
        };

        Ok(ValidRating { attitude, competence, reasons, comment: comment.map(str::to_string), phone })
    }
}

fn normalize_phone(raw: &str) -> String {
    raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect()
}

/// A mainland mobile (11 digits starting with 1) or a landline with area code (10–12 digits starting with 0).
fn is_plausible_phone(p: &str) -> bool {
    let digits = p.bytes().all(|b| b.is_ascii_digit());
    digits && ((p.len() == 11 && p.starts_with('1')) || ((10..=12).contains(&p.len()) && p.starts_with('0')))
}

/// The rule of one evaluation per service when no case number binds the rating:
/// a rating submitted within `interval` of the previous one on the same kiosk
/// looks like a repeated vote. It is stored with a misuse flag, never dropped.
pub fn looks_repeated(
    case_no: Option<&str>,
    previous_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    interval: Duration,
) -> bool {
    if case_no.is_some() {
        return false; // a case number is checked for uniqueness instead
    }
    previous_at.is_some_and(|prev| now - prev < interval)
}

/// The stored, append-only rating record: what the device keeps and what sync sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub id: Uuid,
    /// Per-device sequence number: never repeats, orders records for sync.
    pub seq: u64,
    pub device_id: Uuid,
    /// The device's wall clock, with its UTC offset, when the citizen submitted.
    pub device_time: DateTime<FixedOffset>,
    pub hall_id: String,
    pub window_id: String,
    pub staff_id: String,
    pub case_no: Option<String>,
    pub attitude: Level,
    pub competence: Level,
    pub reasons: Vec<String>,
    pub comment: Option<String>,
    pub phone: Option<String>,
    pub misuse: bool,
}

impl Rating {
    pub fn is_bad(&self) -> bool {
        self.attitude.is_bad() || self.competence.is_bad()
    }

    /// A stored record must be what [`RatingInput::validate`] makes of an input:
    /// the same rules (reasons exactly on a bad review, the comment's length, a
    /// phone number only with consent, which the record's phone stands for),
    /// already in their normal form. The server checks what devices send with it.
    pub fn check(&self, is_known_reason: impl Fn(&str) -> bool) -> Result<(), RatingError> {
        let input = RatingInput {
            session_id: self.id,
            attitude: self.attitude.value(),
            competence: self.competence.value(),
            reasons: self.reasons.clone(),
            comment: self.comment.clone(),
            phone: self.phone.clone(),
            phone_consent: self.phone.is_some(),
        };
        let valid = input.validate(is_known_reason)?;
        if valid.phone.is_some() && !valid.is_bad() {
            return Err(RatingError::PhoneWithoutBadReview);
        }
        if valid.reasons != self.reasons || valid.comment != self.comment || valid.phone != self.phone {
            return Err(RatingError::NotNormalized);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(a: u8, c: u8) -> RatingInput {
        RatingInput {
            session_id: Uuid::nil(),
            attitude: a,
            competence: c,
            reasons: vec![],
            comment: None,
            phone: None,
            phone_consent: false,
        }
    }

    fn known(r: &str) -> bool {
        matches!(r, "long_wait" | "poor_attitude")
    }

    #[test]
    fn every_level_pair_is_accepted_given_a_reason_when_bad() {
        for a in 1..=5u8 {
            for c in 1..=5u8 {
                let mut i = input(a, c);
                if a <= 2 || c <= 2 {
                    assert_eq!(i.validate(known), Err(RatingError::ReasonRequired), "{a}/{c}");
                    i.reasons = vec!["long_wait".into()];
                }
                let v = i.validate(known).unwrap_or_else(|e| panic!("{a}/{c}: {e}"));
                assert_eq!((v.attitude.value(), v.competence.value()), (a, c));
                assert_eq!(v.is_bad(), a <= 2 || c <= 2);
            }
        }
    }

    #[test]
    fn levels_out_of_range_are_refused() {
        assert_eq!(input(0, 5).validate(known), Err(RatingError::InvalidLevel(0)));
        assert_eq!(input(5, 6).validate(known), Err(RatingError::InvalidLevel(6)));
    }

    #[test]
    fn reasons_must_be_known_and_only_on_bad_reviews() {
        let mut i = input(5, 4);
        i.reasons = vec!["long_wait".into()];
        assert_eq!(i.validate(known), Err(RatingError::ReasonsWithoutBadReview));
        let mut i = input(1, 4);
        i.reasons = vec!["bribery".into()];
        assert_eq!(i.validate(known), Err(RatingError::UnknownReason("bribery".into())));
        i.reasons = vec!["long_wait".into(), "long_wait".into(), "poor_attitude".into()];
        assert_eq!(i.validate(known).map(|v| v.reasons.len()), Ok(2));
    }

    #[test]
    fn phone_needs_consent_and_a_plausible_number() {
        let mut i = input(2, 2);
        i.reasons = vec!["long_wait".into()];
        i.phone = Some("138 1234 5678".into());
        assert_eq!(i.validate(known), Err(RatingError::PhoneWithoutConsent));
        i.phone_consent = true;
        assert_eq!(i.validate(known).map(|v| v.phone), Ok(Some("13812345678".into())));
        i.phone = Some("12345".into());
        assert_eq!(i.validate(known), Err(RatingError::InvalidPhone));
        i.phone = Some("0750-3501234".into());
        assert!(i.validate(known).is_ok());
        i.phone = Some("   ".into());
        i.phone_consent = false;
        assert_eq!(i.validate(known).map(|v| v.phone), Ok(None));
    }

    #[test]
    fn comments_are_trimmed_and_bounded() {
        let mut i = input(4, 4);
        i.comment = Some("  很好  ".into());
        assert_eq!(i.validate(known).map(|v| v.comment), Ok(Some("很好".into())));
        i.comment = Some("好".repeat(MAX_COMMENT_CHARS + 1));
        assert_eq!(i.validate(known), Err(RatingError::CommentTooLong));
        i.comment = Some("好".repeat(MAX_COMMENT_CHARS));
        assert!(i.validate(known).is_ok());
    }

    #[test]
    fn stored_records_are_checked_by_the_same_rules() {
        let t = DateTime::parse_from_rfc3339("2026-11-23T09:00:00+08:00").unwrap_or_default();
        let ok = Rating {
            id: Uuid::nil(),
            seq: 1,
            device_id: Uuid::nil(),
            device_time: t,
            hall_id: "h".into(),
            window_id: "w".into(),
            staff_id: "s".into(),
            case_no: None,
            attitude: Level::Dissatisfied,
            competence: Level::Satisfied,
            reasons: vec!["long_wait".into()],
            comment: Some("等了很久".into()),
            phone: Some("13812345678".into()),
            misuse: false,
        };
        assert_eq!(ok.check(known), Ok(()));
        let bad = |f: fn(&mut Rating)| {
            let mut r = ok.clone();
            f(&mut r);
            r.check(known)
        };
        assert_eq!(bad(|r| r.reasons.clear()), Err(RatingError::ReasonRequired));
        assert_eq!(bad(|r| r.reasons.push("long_wait".into())), Err(RatingError::NotNormalized));
        assert_eq!(bad(|r| r.reasons = vec!["bribery".into()]), Err(RatingError::UnknownReason("bribery".into())));
        assert_eq!(bad(|r| r.comment = Some("好".repeat(201))), Err(RatingError::CommentTooLong));
        assert_eq!(bad(|r| r.comment = Some(" padded ".into())), Err(RatingError::NotNormalized));
        assert_eq!(bad(|r| r.phone = Some("12345".into())), Err(RatingError::InvalidPhone));
        assert_eq!(
            bad(|r| {
                r.attitude = Level::VerySatisfied;
                r.reasons.clear();
            }),
            Err(RatingError::PhoneWithoutBadReview)
        );
    }

    #[test]
    fn a_quick_second_rating_without_case_number_looks_repeated() {
        let t0 = DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();
        let ten = Duration::seconds(10);
        assert!(!looks_repeated(None, None, t0, ten));
        assert!(looks_repeated(None, Some(t0), t0 + Duration::seconds(9), ten));
        assert!(!looks_repeated(None, Some(t0), t0 + ten, ten));
        assert!(!looks_repeated(Some("A1"), Some(t0), t0, ten));
        assert!(!looks_repeated(None, Some(t0), t0, Duration::zero()));
    }
}
