//! What the monthly assessment, the fleet, the live alerts and the year's
//! officers read and write. Storage counts (grouped, so a month of a province
//! comes back as a few thousand rows, not a million); what the counts make of
//! someone is `tiyan_core::assessment`'s to say, in the service.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use tiyan_core::assessment::{AlertRule, CaseTally, LedgerTally, Method, Month, Tally};
use tiyan_core::protocol::RecordKind;
use tiyan_core::settings::{CentreSettings, KioskPolicy};
use uuid::Uuid;

use super::{Device, Error, Result};

/// Ratings counted by month, staff member and window: per level of each
/// dimension, read from the rollups kept at ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyRow {
    pub month: Month,
    pub staff_id: String,
    pub window_id: String,
    pub tally: Tally,
}

/// What a rollup row of ratings is, the `kind` it is kept under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TallyKind {
    Rated,
    Misuse,
    Repeat,
    Excluded,
}

impl TallyKind {
    pub fn parse(s: &str) -> Option<TallyKind> {
        Some(match s {
            "rated" => TallyKind::Rated,
            "misuse" => TallyKind::Misuse,
            "repeat" => TallyKind::Repeat,
            "excluded" => TallyKind::Excluded,
            _ => return None,
        })
    }
}

impl RatingTallies {
    /// Files a rollup row under its kind.
    pub fn push(&mut self, kind: TallyKind, row: TallyRow) {
        match kind {
            TallyKind::Rated => self.rated.push(row),
            TallyKind::Misuse => self.misuse.push(row),
            TallyKind::Repeat => self.repeats.push(row),
            TallyKind::Excluded => self.excluded.push(row),
        }
    }
}

/// What a hall's rating tallies are broken down by: the staff member and the
/// window (a month's figures, a trend), or the window alone (the month before
/// a month's, read for its windows near the bottom: a twentieth of the rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TallyBy {
    StaffAndWindow,
    /// Every row's `staff_id` is empty.
    Window,
}

/// A span of a hall's ratings, by the device's own dates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RatingTallies {
    /// Every rating not flagged as misuse nor a case's repeat (the excluded ones among them).
    pub rated: Vec<TallyRow>,
    /// Flagged as misuse: never counted. One row a month, with neither staff
    /// member nor window.
    pub misuse: Vec<TallyRow>,
    /// A case rated again (another kiosk, a kiosk reset): never counted. One
    /// row a month, with neither staff member nor window.
    pub repeats: Vec<TallyRow>,
    /// Excluded by an upheld appeal: to be taken out of `rated`.
    pub excluded: Vec<TallyRow>,
}

/// A month's ledger items of someone, by the month they were registered in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerTallyRow {
    pub month: Month,
    pub staff_id: Option<String>,
    pub window_id: Option<String>,
    pub tally: LedgerTally,
}

/// A month's cases of someone (see [`tiyan_core::assessment::CaseTally`]),
/// by the device's date and the staff member and window: cases served and
/// rated by where they were served, ratings with a case by where they were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseTallyRow {
    pub month: Month,
    pub staff_id: String,
    pub window_id: String,
    pub tally: CaseTally,
}

/// A hall's settings for its figures, its fleet, its alerts and its kiosks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FigureSettings {
    /// Fewer ratings than this in a month: "too few ratings", no rank.
    pub minimum_ratings: u32,
    /// Published figures name staff (masked) too.
    pub publish_names: bool,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
    /// A kiosk silent this long during opening hours shows red.
    pub silence_minutes: u32,
    pub alert: AlertRule,
    /// A window whose month rates fewer of its cases than this (%) is flagged.
    pub rating_rate_percent: u32,
    /// What the hall's kiosks take from the centre beyond the opening hours.
    pub kiosk: KioskPolicy,
}

impl FigureSettings {
    /// What the hall's kiosks receive with its reference data.
    pub fn centre(&self) -> CentreSettings {
        CentreSettings { opens: self.opens, closes: self.closes, policy: self.kiosk.clone() }
    }

    /// The kiosk policy as its column holds it (JSON).
    pub fn policy_json(&self) -> Result<String> {
        serde_json::to_string(&self.kiosk).map_err(|e| Error::Backend(format!("kiosk policy: {e}")))
    }

    /// The kiosk policy read back from its column.
    pub fn with_policy(self, json: &str) -> Result<FigureSettings> {
        let kiosk = serde_json::from_str(json).map_err(|e| Error::Backend(format!("kiosk policy {json:?}: {e}")))?;
        Ok(FigureSettings { kiosk, ..self })
    }
}

impl Default for FigureSettings {
    fn default() -> Self {
        FigureSettings {
            minimum_ratings: 10,
            publish_names: false,
            opens: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            closes: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default(),
            silence_minutes: 30,
            alert: AlertRule::default(),
            rating_rate_percent: 90,
            kiosk: KioskPolicy::default(),
        }
    }
}

/// A closed month: its figures (a `MonthFigures` as JSON) frozen with the method's version.
#[derive(Debug, Clone, PartialEq)]
pub struct Closing {
    pub hall_id: String,
    pub month: Month,
    pub method_version: i64,
    pub closed_at: DateTime<Utc>,
    pub account_id: Uuid,
    pub figures: serde_json::Value,
}

/// What a device says of itself when it asks for its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceReport {
    pub app_version: Option<String>,
    /// The device's clock minus the server's, in seconds.
    pub clock_offset_seconds: Option<i64>,
    /// The newest sequence number it holds of each kind.
    pub newest: Vec<(RecordKind, u64)>,
    /// The edition of the reference data (and the centre's settings) it holds.
    pub reference_held: Option<i64>,
    pub at: DateTime<Utc>,
}

/// A device as the fleet shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FleetRow {
    pub device: Device,
    pub app_version: Option<String>,
    pub clock_offset_seconds: Option<i64>,
    pub reported_at: Option<DateTime<Utc>>,
    /// Records the device holds that the server does not yet.
    pub waiting: u64,
    /// The edition of the reference data and the centre's settings the device
    /// last said it holds, and the one its hall's kiosks should hold.
    pub reference_held: Option<i64>,
    pub reference_current: Option<i64>,
}

/// A window's live alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub id: Uuid,
    pub hall_id: String,
    pub window_id: String,
    pub raised_at: DateTime<Utc>,
    pub ratings: u64,
    pub bad: u64,
    pub minutes: u32,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub account_id: Option<Uuid>,
    pub note: Option<String>,
}

/// One diary revision's part in the year's officer table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionScore {
    pub officer_id: String,
    pub entry_id: Uuid,
    pub revision: u32,
    pub score: Option<u8>,
}

/// One officer's problems of a year: how many, and how many led to a rectification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfficerProblems {
    pub officer_id: String,
    pub problems: u64,
    pub rectified: u64,
}

#[async_trait]
pub trait AssessmentStore: Send + Sync {
    /// The ratings of `hall` with device dates in `[from, to)`, broken down `by`.
    async fn rating_tallies(&self, hall: &str, from: NaiveDate, to: NaiveDate, by: TallyBy) -> Result<RatingTallies>;
    /// The ratings of `halls` (None: every hall) in `[from, to)` by month and
    /// kind, summed over the halls: a region's trend.
    async fn region_rating_tallies(
        &self,
        halls: Option<&[String]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(Month, TallyKind, Tally)>>;
    /// The ledger items of `hall` registered in `[from, to)`; those excluded by an
    /// appeal and those of ratings flagged as misuse left out.
    async fn ledger_tallies(&self, hall: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<LedgerTallyRow>>;
    /// The hall's cases in `[from, to)` by month, staff member and window.
    async fn case_tallies(&self, hall: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<CaseTallyRow>>;
    /// Every version of the method, the newest (current) first.
    async fn methods(&self) -> Result<Vec<Method>>;
    /// Stores `method` as the next version (its own version is ignored) and returns it.
    async fn add_method(&self, method: &Method, account: Uuid, at: DateTime<Utc>) -> Result<Method>;
    async fn figure_settings(&self, hall: &str) -> Result<FigureSettings>;
    async fn set_figure_settings(&self, hall: &str, settings: &FigureSettings) -> Result<()>;
    async fn closing(&self, hall: &str, month: Month) -> Result<Option<Closing>>;
    /// The windows near the bottom of `hall`'s `month` as it was frozen (None:
    /// the month is open), picked out of the frozen figures in the database:
    /// the month after needs only these, and a frozen month is some 40 KB of
    /// JSON a hall. Reads the fields `windows[].window_id` and
    /// `windows[].near_bottom` of the services' `MonthFigures`.
    async fn closed_near_bottom(&self, hall: &str, month: Month) -> Result<Option<Vec<String>>>;
    /// The closed months, newest first: (hall, month).
    async fn closed_months(&self) -> Result<Vec<(String, Month)>>;
    /// Freezes a month; `Error::Stale` when it is closed already (by someone else meanwhile).
    async fn close_month(&self, closing: &Closing) -> Result<()>;
    /// What devices said of themselves, in one transaction (a device named
    /// twice: its last report stands).
    async fn report_devices(&self, reports: &[(Uuid, DeviceReport)]) -> Result<()>;
    async fn fleet(&self, halls: Option<&[String]>) -> Result<Vec<FleetRow>>;
    /// A window's ratings received since `since`, misuse left out: (ratings, bad reviews).
    async fn window_recent(&self, window: &str, since: DateTime<Utc>) -> Result<(u64, u64)>;
    /// Raises `alert` unless the window has one raised since `quiet_since`; whether it did.
    async fn raise_alert(&self, alert: &Alert, quiet_since: DateTime<Utc>) -> Result<bool>;
    /// Alerts not yet acknowledged, newest first (None: every hall).
    async fn open_alerts(&self, halls: Option<&[String]>) -> Result<Vec<Alert>>;
    async fn alert(&self, id: Uuid) -> Result<Option<Alert>>;
    /// Acknowledges an open alert; false when it was acknowledged already.
    async fn acknowledge_alert(&self, id: Uuid, account: Uuid, note: &str, at: DateTime<Utc>) -> Result<bool>;
    /// Diary revisions submitted on the officers' own dates in `[from, to)`.
    async fn revision_scores(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<RevisionScore>>;
    /// Problems registered in `[from, to)` by officer.
    async fn officer_problems(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<OfficerProblems>>;
    async fn nominations(&self, year: i32) -> Result<Vec<String>>;
    /// Nominates (or withdraws) an officer as one of the year's excellent officers.
    async fn nominate(&self, year: i32, officer: &str, on: bool, account: Uuid, at: DateTime<Utc>) -> Result<()>;
}
