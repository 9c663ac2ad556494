//! Reporting up (数据上报): every rating, and the outcome of every bad review's
//! handling, sent to a province's 好差评 platform in the shape that platform
//! publishes. A shape is a [`Profile`]: a table of fields, each naming where
//! its value comes from, and the platform's satisfaction codes. A third
//! province is a new profile file, not new code. The two known shapes run the
//! satisfaction codes in opposite directions, so nothing here assumes one.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Level;

/// The profiles Tiyan knows, by name: GB/T 39046-2020 table 9 and a provincial
/// interface in use (Zhejiang style). TOML; the server reads them (see `profile`).
pub const BUILT_IN: &[(&str, &str)] =
    &[("gbt39046", include_str!("../profiles/gbt39046.toml")), ("zhejiang", include_str!("../profiles/zhejiang.toml"))];

/// A platform's record shapes and codes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    /// Records per request: what the platform takes at once.
    pub batch: usize,
    /// The key the records sit under in a request's body.
    pub records: String,
    /// Where each record goes, below the target's address.
    pub rating_path: String,
    pub rectification_path: String,
    /// The field the platform deduplicates on and names in its answer.
    pub key: String,
    pub satisfaction: Codes,
    /// The rating record.
    #[serde(rename = "field")]
    pub fields: Vec<Field>,
    /// The record of a bad review's handling, sent when its item closes.
    #[serde(default)]
    pub rectification: Vec<Field>,
}

/// The platform's satisfaction code and name for each overall level, from
/// Tiyan's level 1 (very dissatisfied) to 5 (very satisfied).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Codes {
    pub codes: [String; 5],
    pub names: [String; 5],
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// The platform's name of the field.
    pub name: String,
    pub from: Source,
    /// A `constant`'s value.
    #[serde(default)]
    pub value: Option<String>,
    /// A time's format (chrono's `strftime`), in Beijing time.
    #[serde(default)]
    pub format: Option<String>,
    /// At most this many characters: a longer value is refused here, with the
    /// field named, rather than cut or sent to be refused there.
    #[serde(default)]
    pub max: Option<usize>,
    /// An empty required field holds the record back (refused here, with the
    /// field named, until the reference data is fixed); an empty optional one
    /// is left out.
    #[serde(default = "yes")]
    pub required: bool,
}

fn yes() -> bool {
    true
}

/// Where a field's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The record's own key (the rating's id, a rectification's rating id):
    /// what the platform deduplicates on.
    Key,
    /// The case number; a rating without a case sends its key.
    CaseNo,
    Constant,
    /// When it happened (rated, or the item closed), in Beijing time.
    Time,
    /// The rating count of the case: 1 first, 2 second.
    Attempt,
    SatisfactionCode,
    SatisfactionName,
    /// The reasons as the province's indicator codes, comma-separated.
    Indicators,
    Comment,
    /// The hall's division code (GB/T 2260).
    Division,
    AreaName,
    /// The department's 18-character unified social credit code.
    DeptCode,
    DeptName,
    TaskCode,
    TaskName,
    /// The staff member who served (an official acting in office, not a citizen).
    Staff,
    /// The sender's code the province gave.
    Sender,
    /// A rectification: the ledger item's id.
    Item,
    /// A rectification: fixed, rectified or explained.
    Outcome,
    /// A rectification: the reply given.
    Reply,
    /// A rectification: the citizen's satisfaction with the handling.
    CitizenSatisfaction,
}

/// How Tiyan's two dimensions make the one satisfaction the platforms want.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overall {
    /// The lower of the two: a citizen unhappy with either is not satisfied.
    #[default]
    Lower,
    Attitude,
    Competence,
    /// The mean, rounded down.
    Mean,
}

impl Overall {
    pub fn of(self, attitude: Level, competence: Level) -> Level {
        let (a, c) = (attitude.value(), competence.value());
        let v = match self {
            Overall::Lower => a.min(c),
            Overall::Attitude => a,
            Overall::Competence => c,
            Overall::Mean => (a + c) / 2,
        };
        Level::try_from(i64::from(v)).unwrap_or(attitude)
    }
}

/// What a record is made from: the rating (or the handling), the hall's
/// reference data and the target's settings. Empty text means "not known".
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub key: String,
    pub case_no: Option<String>,
    pub time: Option<DateTime<FixedOffset>>,
    pub attempt: u32,
    /// The overall level (see [`Overall`]); None on a rectification.
    pub overall: Option<Level>,
    pub indicators: Vec<String>,
    pub comment: Option<String>,
    pub division: String,
    pub area_name: String,
    pub dept_code: String,
    pub dept_name: String,
    pub task_code: String,
    pub task_name: String,
    pub staff: String,
    pub sender: String,
    pub item: String,
    pub outcome: String,
    pub reply: String,
    pub citizen_satisfaction: String,
}

/// Why a record cannot be made: shown on the reconciliation page, and the
/// record is held until someone fixes the data and sends it again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("{0}: empty, and the platform requires it")]
    Missing(String),
    #[error("{field}: {len} characters, the platform takes at most {max}")]
    TooLong { field: String, len: usize, max: usize },
    #[error("{0}: the profile gives a constant without a value")]
    NoValue(String),
}

/// Which of a profile's two records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Rating,
    Rectification,
}

impl Profile {
    /// A built-in profile's text, by name.
    pub fn built_in(name: &str) -> Option<&'static str> {
        BUILT_IN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }

    /// The record of `kind` made from `facts`, field by field.
    pub fn record(&self, kind: Kind, facts: &Facts) -> Result<Map<String, Value>, RecordError> {
        let fields = match kind {
            Kind::Rating => &self.fields,
            Kind::Rectification => &self.rectification,
        };
        let mut out = Map::new();
        for f in fields {
            let value = self.value(f, facts)?;
            if value.is_empty() {
                if f.required {
                    return Err(RecordError::Missing(f.name.clone()));
                }
                continue;
            }
            let len = value.chars().count();
            if let Some(max) = f.max.filter(|m| len > *m) {
                return Err(RecordError::TooLong { field: f.name.clone(), len, max });
            }
            out.insert(f.name.clone(), Value::String(value));
        }
        Ok(out)
    }

    fn value(&self, f: &Field, x: &Facts) -> Result<String, RecordError> {
        let level =
            |codes: &[String; 5]| x.overall.map(|l| codes[usize::from(l.value()) - 1].clone()).unwrap_or_default();
        Ok(match f.from {
            Source::Key => x.key.clone(),
            Source::CaseNo => x.case_no.clone().filter(|c| !c.is_empty()).unwrap_or_else(|| x.key.clone()),
            Source::Constant => f.value.clone().ok_or_else(|| RecordError::NoValue(f.name.clone()))?,
            Source::Time => {
                let format = f.format.as_deref().unwrap_or("%Y-%m-%d %H:%M:%S");
                x.time.map(|t| t.with_timezone(&beijing()).format(format).to_string()).unwrap_or_default()
            }
            Source::Attempt => x.attempt.to_string(),
            Source::SatisfactionCode => level(&self.satisfaction.codes),
            Source::SatisfactionName => level(&self.satisfaction.names),
            Source::Indicators => x.indicators.join(","),
            Source::Comment => x.comment.clone().unwrap_or_default(),
            Source::Division => x.division.clone(),
            Source::AreaName => x.area_name.clone(),
            Source::DeptCode => x.dept_code.clone(),
            Source::DeptName => x.dept_name.clone(),
            Source::TaskCode => x.task_code.clone(),
            Source::TaskName => x.task_name.clone(),
            Source::Staff => x.staff.clone(),
            Source::Sender => x.sender.clone(),
            Source::Item => x.item.clone(),
            Source::Outcome => x.outcome.clone(),
            Source::Reply => x.reply.clone(),
            Source::CitizenSatisfaction => x.citizen_satisfaction.clone(),
        })
    }
}

pub(crate) fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()))
}

/// Whether `s` is a unified social credit code (GB 32100-2015): 18 characters
/// of digits and capitals without I, O, Z, S, V, with its check character right.
pub fn is_credit_code(s: &str) -> bool {
    const CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [usize; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let values: Option<Vec<usize>> = s.chars().map(|c| CHARS.find(c)).collect();
    let Some(v) = values.filter(|v| v.len() == 18) else { return false };
    let sum: usize = v[..17].iter().zip(WEIGHTS).map(|(a, w)| a * w).sum();
    (31 - sum % 31) % 31 == v[17]
}

/// How long to wait before the `attempt`-th retry (1-based): doubling from a
/// second up to `cap_secs`, with the jitter (0..1) spreading the senders of a
/// province that all lost the platform at once.
pub fn backoff_secs(attempt: u32, cap_secs: u64, jitter: f64) -> u64 {
    let base = 1u64.checked_shl(attempt.saturating_sub(1).min(20)).unwrap_or(u64::MAX).min(cap_secs.max(1));
    let spread = (base as f64 * jitter.clamp(0.0, 1.0) * 0.5) as u64;
    (base / 2 + spread).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(name: &str) -> Profile {
        toml::from_str(Profile::built_in(name).unwrap_or_default()).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn level(v: u8) -> Level {
        Level::try_from(i64::from(v)).unwrap_or_else(|_| unreachable!())
    }

    fn facts() -> Facts {
        Facts {
            key: "0193a4c2-0000-7000-8000-000000000001".into(),
            case_no: Some("440703-2026-000123".into()),
            time: DateTime::parse_from_rfc3339("2026-11-03T01:30:05Z").ok(),
            attempt: 1,
            overall: Some(level(5)),
            division: "440703".into(),
            area_name: "蓬江区".into(),
            dept_code: "11440703MB2C12345X".into(),
            dept_name: "蓬江区政务服务中心".into(),
            staff: "李四".into(),
            sender: "021".into(),
            ..Facts::default()
        }
    }

    #[test]
    fn a_five_on_the_kiosk_is_one_in_the_standard_and_five_in_the_province() {
        let gb = profile("gbt39046").record(Kind::Rating, &facts()).unwrap_or_default();
        assert_eq!(gb["满意度代码"], "1");
        assert_eq!(gb["满意度"], "非常满意");
        assert_eq!(gb["评价时间"], "20261103T093005", "Beijing time");
        assert_eq!(gb["办件编号"], "440703-2026-000123");
        assert!(!gb.contains_key("文字评价"), "no comment, so left out");
        let zj = profile("zhejiang").record(Kind::Rating, &facts()).unwrap_or_default();
        assert_eq!(zj["satisfaction"], "5");
        assert_eq!(zj["assessTime"], "2026-11-03 09:30:05");
        assert_eq!(zj["pf"], "4");
        let mut bad = facts();
        bad.overall = Some(level(1));
        assert_eq!(profile("gbt39046").record(Kind::Rating, &bad).unwrap_or_default()["满意度代码"], "5");
        assert_eq!(profile("zhejiang").record(Kind::Rating, &bad).unwrap_or_default()["satisfaction"], "1");
    }

    #[test]
    fn what_the_platform_requires_is_never_sent_empty_or_too_long() {
        let mut f = facts();
        f.dept_code.clear();
        assert_eq!(profile("zhejiang").record(Kind::Rating, &f), Err(RecordError::Missing("deptCode".into())));
        assert!(profile("gbt39046").record(Kind::Rating, &f).is_ok(), "the standard has no department code");
        let mut f = facts();
        f.case_no = Some("x".repeat(51));
        assert!(matches!(profile("gbt39046").record(Kind::Rating, &f), Err(RecordError::TooLong { max: 50, .. })));
        let mut f = facts();
        f.case_no = None;
        let r = profile("gbt39046").record(Kind::Rating, &f).unwrap_or_default();
        assert_eq!(r["办件编号"], r["评价编号"], "a rating without a case sends its own key");
    }

    #[test]
    fn the_overall_satisfaction_follows_the_setting() {
        let (a, c) = (level(5), level(2));
        assert_eq!(Overall::Lower.of(a, c), c);
        assert_eq!(Overall::Attitude.of(a, c), a);
        assert_eq!(Overall::Competence.of(a, c), c);
        assert_eq!(Overall::Mean.of(a, c), level(3));
    }

    #[test]
    fn credit_codes_are_checked_by_their_check_character() {
        assert!(is_credit_code("91350100M000100Y43"));
        assert!(!is_credit_code("91350100M000100Y44"));
        assert!(!is_credit_code("91350100M000100Y4"));
        assert!(!is_credit_code("91350100M000100YI3"));
    }

    #[test]
    fn retries_back_off_to_a_cap() {
        assert_eq!(backoff_secs(1, 300, 0.0), 1);
        assert_eq!(backoff_secs(4, 300, 0.0), 4);
        assert_eq!(backoff_secs(4, 300, 1.0), 8);
        assert!(backoff_secs(30, 300, 1.0) <= 300);
    }
}
