//! The experience officer's diary entry (体验官日记): what it holds, how its
//! minutes follow from the timers, what a submitted entry must have, and the
//! revisions that supersede one another.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How the officer went through the matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Window,
    Website,
    MobileApp,
    SelfService,
    Phone,
}

/// In what capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    OnMyOwn,
    Organised,
    Unannounced,
    Accompanying,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCategory {
    WindowSigns,
    Process,
    Environment,
    Discipline,
    Online,
    Guide,
    Other,
}

impl ProblemCategory {
    /// The name stored in the ledger (and sent on the wire).
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemCategory::WindowSigns => "window_signs",
            ProblemCategory::Process => "process",
            ProblemCategory::Environment => "environment",
            ProblemCategory::Discipline => "discipline",
            ProblemCategory::Online => "online",
            ProblemCategory::Guide => "guide",
            ProblemCategory::Other => "other",
        }
    }
}

/// What officers look at, each marked on every entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CheckItem {
    WindowSigns,
    Process,
    Cleanliness,
    Discipline,
    OnlineSmoothness,
    GuideCompleteness,
}

impl CheckItem {
    pub const ALL: [CheckItem; 6] = [
        CheckItem::WindowSigns,
        CheckItem::Process,
        CheckItem::Cleanliness,
        CheckItem::Discipline,
        CheckItem::OnlineSmoothness,
        CheckItem::GuideCompleteness,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CheckMark {
    Good,
    Fair,
    Poor,
    NotSeen,
}

/// A problem (挑刺): one item, one category. Its id is the ledger item's id on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Problem {
    pub id: Uuid,
    pub category: ProblemCategory,
    pub text: String,
}

/// The moments the officer tapped: took a ticket, called to the window, done.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Timers {
    pub ticket_at: Option<DateTime<FixedOffset>>,
    pub called_at: Option<DateTime<FixedOffset>>,
    pub done_at: Option<DateTime<FixedOffset>>,
}

/// Minutes waited, at the window, and in all. They follow from the timers but
/// stay editable: an officer who forgot to tap writes what the clock said.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Minutes {
    pub waiting: Option<u32>,
    pub handling: Option<u32>,
    pub total: Option<u32>,
}

impl Timers {
    /// Whole minutes between the moments tapped, rounded to the nearest.
    pub fn minutes(&self) -> Minutes {
        let between = |a: &Option<DateTime<FixedOffset>>, b: &Option<DateTime<FixedOffset>>| match (a, b) {
            (Some(a), Some(b)) if b >= a => u32::try_from(((*b - *a).num_seconds() + 30) / 60).ok(),
            _ => None,
        };
        Minutes {
            waiting: between(&self.ticket_at, &self.called_at),
            handling: between(&self.called_at, &self.done_at),
            total: between(&self.ticket_at, &self.done_at),
        }
    }
}

/// A photo of the entry, by the SHA-256 of its processed JPEG.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PhotoRef {
    pub sha256: String,
    #[serde(default)]
    pub caption: String,
}

/// Everything the officer writes: a draft holds it as typed, a revision as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct DiaryBody {
    pub visited_at: Option<DateTime<FixedOffset>>,
    pub hall_id: Option<String>,
    /// The place in words when the hall is not in the reference data.
    pub place: String,
    /// A matter of the quarter's experience list, or typed in `matter_text`.
    pub matter_id: Option<String>,
    pub matter_text: String,
    pub channel: Option<Channel>,
    pub mode: Option<Mode>,
    pub timers: Timers,
    pub minutes: Minutes,
    /// Trips this matter has taken so far, this one included.
    pub trips: Option<u32>,
    pub score: Option<u8>,
    pub account: String,
    pub highlights: String,
    pub problems: Vec<Problem>,
    pub suggestions: Vec<String>,
    pub checklist: BTreeMap<CheckItem, CheckMark>,
    pub photos: Vec<PhotoRef>,
}

pub const MAX_SCORE: u8 = 10;
pub const MAX_TEXT_CHARS: usize = 5000;
pub const MAX_ITEMS: usize = 30;
pub const MAX_PHOTOS: usize = 20;

/// What keeps an entry from being submitted, one per field, for the editor to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DiaryIssue {
    #[error("the date and time of the visit are missing")]
    VisitedAt,
    #[error("the hall or place is missing")]
    Place,
    #[error("the matter is missing")]
    Matter,
    #[error("the channel is missing")]
    Channel,
    #[error("the mode is missing")]
    Mode,
    #[error("the score must be 0 to 10")]
    Score,
    #[error("the account is empty")]
    Account,
    #[error("the timers are out of order: ticket, then window, then done")]
    TimerOrder,
    #[error("waiting and handling cannot be longer than the whole visit")]
    MinutesExceedTotal,
    #[error("the number of trips must be at least 1")]
    Trips,
    #[error("a problem or suggestion is empty")]
    EmptyItem,
    #[error("a text is too long or there are too many items or photos")]
    TooLong,
}

impl DiaryBody {
    /// Every reason this entry cannot be submitted yet (empty: it can).
    pub fn issues(&self) -> Vec<DiaryIssue> {
        let mut issues = Vec::new();
        let blank = |s: &str| s.trim().is_empty();
        if self.visited_at.is_none() {
            issues.push(DiaryIssue::VisitedAt);
        }
        if self.hall_id.is_none() && blank(&self.place) {
            issues.push(DiaryIssue::Place);
        }
        if self.matter_id.is_none() && blank(&self.matter_text) {
            issues.push(DiaryIssue::Matter);
        }
        if self.channel.is_none() {
            issues.push(DiaryIssue::Channel);
        }
        if self.mode.is_none() {
            issues.push(DiaryIssue::Mode);
        }
        if !matches!(self.score, Some(s) if s <= MAX_SCORE) {
            issues.push(DiaryIssue::Score);
        }
        if blank(&self.account) {
            issues.push(DiaryIssue::Account);
        }
        let t = &self.timers;
        let ordered = |a: &Option<DateTime<FixedOffset>>, b: &Option<DateTime<FixedOffset>>| match (a, b) {
            (Some(a), Some(b)) => a <= b,
            _ => true,
        };
        if !ordered(&t.ticket_at, &t.called_at)
            || !ordered(&t.called_at, &t.done_at)
            || !ordered(&t.ticket_at, &t.done_at)
        {
            issues.push(DiaryIssue::TimerOrder);
        }
        let m = self.minutes;
        if let Some(total) = m.total
            && m.waiting.unwrap_or(0) + m.handling.unwrap_or(0) > total + 1
        {
            // One minute of slack: each figure is rounded on its own.
            issues.push(DiaryIssue::MinutesExceedTotal);
        }
        if self.trips == Some(0) {
            issues.push(DiaryIssue::Trips);
        }
        if self.problems.iter().any(|p| blank(&p.text)) || self.suggestions.iter().any(|s| blank(s)) {
            issues.push(DiaryIssue::EmptyItem);
        }
        let texts = [&self.place, &self.matter_text, &self.account, &self.highlights];
        if texts.iter().any(|t| t.chars().count() > MAX_TEXT_CHARS)
            || self.problems.iter().any(|p| p.text.chars().count() > MAX_TEXT_CHARS)
            || self.suggestions.iter().any(|s| s.chars().count() > MAX_TEXT_CHARS)
            || self.problems.len() > MAX_ITEMS
            || self.suggestions.len() > MAX_ITEMS
            || self.photos.len() > MAX_PHOTOS
        {
            issues.push(DiaryIssue::TooLong);
        }
        issues
    }
}

/// A submitted version of an entry: append-only. Editing a submitted entry
/// makes revision n + 1, which supersedes revision n; both stay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DiaryRevision {
    /// This revision's own id (UUIDv7).
    pub id: Uuid,
    pub entry_id: Uuid,
    /// 1 for the first submission.
    pub revision: u32,
    /// The device's sequence number for diary revisions: what sync uses.
    pub seq: u64,
    pub device_id: Uuid,
    pub officer_id: String,
    pub submitted_at: DateTime<FixedOffset>,
    pub body: DiaryBody,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn complete() -> DiaryBody {
        DiaryBody {
            visited_at: Some(at("2026-11-20T09:05:00+08:00")),
            hall_id: Some("jianghai".into()),
            matter_text: "个体工商户设立登记".into(),
            channel: Some(Channel::Window),
            mode: Some(Mode::OnMyOwn),
            score: Some(8),
            account: "上午九点到大厅取号。".into(),
            ..DiaryBody::default()
        }
    }

    #[test]
    fn minutes_follow_the_timers_rounded() {
        let t = Timers {
            ticket_at: Some(at("2026-11-20T09:05:00+08:00")),
            called_at: Some(at("2026-11-20T09:35:20+08:00")),
            done_at: Some(at("2026-11-20T09:50:40+08:00")),
        };
        assert_eq!(t.minutes(), Minutes { waiting: Some(30), handling: Some(15), total: Some(46) });
        assert_eq!(Timers { done_at: None, ..t.clone() }.minutes().total, None);
        // Out of order gives no figure rather than a negative one.
        let backwards = Timers { called_at: Some(at("2026-11-20T09:00:00+08:00")), ..t };
        assert_eq!(backwards.minutes().waiting, None);
    }

    #[test]
    fn a_complete_entry_has_no_issues_and_each_gap_is_named() {
        assert_eq!(complete().issues(), vec![]);
        assert_eq!(DiaryBody::default().issues().len(), 7);
        let mut b = complete();
        b.score = Some(11);
        b.trips = Some(0);
        b.problems.push(Problem { id: Uuid::nil(), category: ProblemCategory::Other, text: "  ".into() });
        assert_eq!(b.issues(), vec![DiaryIssue::Score, DiaryIssue::Trips, DiaryIssue::EmptyItem]);
    }

    #[test]
    fn times_must_make_sense() {
        let mut b = complete();
        b.timers.ticket_at = Some(at("2026-11-20T10:00:00+08:00"));
        b.timers.called_at = Some(at("2026-11-20T09:00:00+08:00"));
        assert_eq!(b.issues(), vec![DiaryIssue::TimerOrder]);
        let mut b = complete();
        b.minutes = Minutes { waiting: Some(30), handling: Some(20), total: Some(45) };
        assert_eq!(b.issues(), vec![DiaryIssue::MinutesExceedTotal]);
        b.minutes.total = Some(49); // rounding slack
        assert_eq!(b.issues(), vec![]);
    }

    #[test]
    fn problem_categories_are_named_as_on_the_wire() {
        for c in [ProblemCategory::WindowSigns, ProblemCategory::Guide, ProblemCategory::Other] {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }
}
