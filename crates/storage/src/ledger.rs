//! The ledger (台账) as storage keeps it: items, their events, links; the
//! working-day calendar; each hall's limits. Storage appends events and keeps
//! each item's derived status beside it. What a step may do and what an
//! item's events make of it are `tiyan_core::ledger`'s decisions, taken by the
//! services on what storage read; storage writes the outcome only if the item
//! is still as it was read (its count of events), so two steps at once never
//! both land.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tiyan_core::ledger::{Event, LedgerState, Satisfaction, Source, Status};
use tiyan_core::workdays::{Calendar, DayKind};
use uuid::Uuid;

use super::{Result, StoredRating, StoredRevision};

/// A bad review or a problem arriving: the item, its registration and the status it makes.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub id: Uuid,
    pub source: Source,
    pub hall_id: Option<String>,
    pub window_id: Option<String>,
    pub staff_id: Option<String>,
    pub device_id: Uuid,
    pub entry_id: Option<Uuid>,
    pub revision_id: Option<Uuid>,
    pub officer_id: Option<String>,
    pub category: String,
    pub summary: String,
    pub registered_at: DateTime<Utc>,
    pub registered_date: NaiveDate,
    pub event: Event,
    pub status: Status,
}

/// What an upload brings the ledger, beside its records: new items (a resend
/// of one already there changes nothing, a problem reworded in a later
/// revision keeps its state), and an officer's answers (applied when the item
/// waits for one; kept either way).
#[derive(Debug, Clone, Default)]
pub struct LedgerIntake {
    pub items: Vec<NewItem>,
    /// The step each of the page's answers takes on its item, by the answer's
    /// id: only those the rules let apply (an answer to an item that waits for
    /// none is kept, not applied).
    pub answers: Vec<(Uuid, AppendEvent)>,
}

/// An item as the list and its page show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerRow {
    pub id: Uuid,
    pub source: Source,
    pub hall_id: Option<String>,
    pub window_id: Option<String>,
    pub staff_id: Option<String>,
    pub device_id: Uuid,
    pub entry_id: Option<Uuid>,
    /// The diary revision the problem last came with.
    pub revision_id: Option<Uuid>,
    pub officer_id: Option<String>,
    pub category: String,
    pub summary: String,
    pub registered_at: DateTime<Utc>,
    pub registered_date: NaiveDate,
    pub state: LedgerState,
    pub due_date: Option<NaiveDate>,
    pub due_estimate: bool,
    pub escalated: bool,
    pub reply: Option<String>,
    pub satisfaction: Option<Satisfaction>,
    pub events: u32,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredEvent {
    pub seq: u32,
    /// The account's id, `officer:<id>` or `server`.
    pub actor: String,
    #[serde(flatten)]
    pub event: Event,
}

/// What the list shows; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct LedgerFilter {
    /// The halls of the account's scope (None: every hall, and items at no hall).
    pub halls: Option<Vec<String>>,
    pub state: Option<LedgerState>,
    pub open_only: bool,
    pub window_id: Option<String>,
    pub staff_id: Option<String>,
    pub source: Option<Source>,
    /// Due on or before this date.
    pub due_by: Option<NaiveDate>,
    /// Overdue as of this date (open, due before it).
    pub overdue_on: Option<NaiveDate>,
    pub escalated: bool,
    /// From 0.
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct LedgerPage {
    pub items: Vec<LedgerRow>,
    pub total: u64,
}

/// The dashboard's counts for one scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Dashboard {
    pub open: u64,
    pub due_today: u64,
    pub due_soon: u64,
    pub overdue: u64,
    pub escalated: u64,
    /// Appeals waiting for a supervisor's decision.
    pub appealed: u64,
    pub registered_today: u64,
    pub estimates: u64,
    /// This month's ratings by the device's own date (misuse left out), and what counts of them.
    pub ratings: u64,
    pub bad_reviews: u64,
    pub excluded: u64,
}

/// A step decided on an item's history (`tiyan_core::ledger::take_step`):
/// event number `seq` and the status the history with it makes. Written, with
/// the status, only if the item still has `seq - 1` events; else `Stale`, and
/// nothing is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendEvent {
    pub item: Uuid,
    pub seq: u32,
    /// The account's id, `officer:<id>` or `server`.
    pub actor: String,
    pub event: Event,
    pub status: Status,
}

/// A hall's limits in working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HallSettings {
    pub verify_days: u32,
    pub rectify_days: u32,
    pub complex_days: u32,
}

impl Default for HallSettings {
    /// One city's rules: verify within one working day, rectify within five, fifteen for a complex case.
    fn default() -> Self {
        HallSettings { verify_days: 1, rectify_days: 5, complex_days: 15 }
    }
}

/// A day of the calendar as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarYear {
    pub year: i32,
    pub source: String,
    pub imported_at: DateTime<Utc>,
}

#[async_trait]
pub trait LedgerStore: Send + Sync {
    /// Call-back numbers kept in full past their time, with the number: of
    /// ratings whose item closed (or was taken out by an appeal) before
    /// `before`, or that made no item and arrived before it; at most `limit`.
    async fn phones_past(&self, before: DateTime<Utc>, limit: u32) -> Result<Vec<(Uuid, String)>>;
    /// Keeps only `masked` of the rating's number; false if it was erased already.
    async fn erase_phone(&self, rating: Uuid, masked: &str) -> Result<bool>;
    async fn ledger_page(&self, filter: &LedgerFilter) -> Result<LedgerPage>;
    async fn ledger_item(&self, id: Uuid) -> Result<Option<(LedgerRow, Vec<StoredEvent>)>>;
    /// Appends a decided step (see [`AppendEvent`]).
    async fn append_ledger_event(&self, step: &AppendEvent) -> Result<()>;
    /// Items whose id ends with `suffix` (lower-case hex; the short id the list shows), at most 5.
    async fn ledger_by_suffix(&self, suffix: &str) -> Result<Vec<LedgerRow>>;
    /// The items linked with this one.
    async fn ledger_links(&self, id: Uuid) -> Result<Vec<LedgerRow>>;
    async fn link_items(&self, a: Uuid, b: Uuid, account: Uuid, at: DateTime<Utc>) -> Result<()>;
    /// Items and ratings at the same window or of the same staff member since `since`.
    async fn related(
        &self,
        window_id: Option<&str>,
        staff_id: Option<&str>,
        since: NaiveDate,
    ) -> Result<(Vec<LedgerRow>, Vec<StoredRating>)>;
    async fn dashboard(&self, halls: Option<&[String]>, today: NaiveDate, due_soon_by: NaiveDate) -> Result<Dashboard>;
    async fn rating(&self, id: Uuid) -> Result<Option<StoredRating>>;
    async fn revision(&self, id: Uuid) -> Result<Option<StoredRevision>>;
    /// Open items and their events, to recompute their status after the calendar changed.
    async fn open_items(&self) -> Result<Vec<(Uuid, Source, Vec<Event>)>>;
    /// Items dealt with before outcomes were kept (none after their first replay), with their events.
    async fn items_missing_outcome(&self) -> Result<Vec<(Uuid, Source, Vec<Event>)>>;
    /// Writes an item's status replayed from its `events` events, unless it
    /// took a step meanwhile (that step wrote its own status).
    async fn set_status(&self, id: Uuid, events: u32, status: &Status) -> Result<()>;
}

#[async_trait]
pub trait CalendarStore: Send + Sync {
    /// The calendar, and a number that moves whenever it changes.
    async fn calendar(&self) -> Result<(i64, Calendar)>;
    async fn calendar_version(&self) -> Result<i64>;
    async fn calendar_days(&self, year: i32) -> Result<Vec<CalendarDay>>;
    async fn calendar_years(&self) -> Result<Vec<CalendarYear>>;
    /// Replaces a year's days with an official arrangement.
    async fn import_calendar_year(
        &self,
        year: i32,
        days: &[CalendarDay],
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Sets (or with None, clears) one day: a hall closed for a local reason, a correction.
    async fn set_calendar_day(&self, date: NaiveDate, day: Option<(DayKind, String)>) -> Result<()>;
    async fn hall_settings(&self, hall_id: &str) -> Result<HallSettings>;
    async fn set_hall_settings(&self, hall_id: &str, settings: &HallSettings) -> Result<()>;
}
