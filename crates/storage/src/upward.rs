//! The outbox of reporting up (see `tiyan_core::upward`): one row per record
//! and target, written in the transaction that stores the rating (or closes
//! the ledger item), so nothing is reported that is not stored and nothing
//! stored is forgotten. A target's sender holds a lease (one sender per target
//! across every server process), takes what is due in order, and settles each
//! record with the platform's answer.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use uuid::Uuid;

use crate::Result;

/// A platform the server reports to, as the configuration names it; `halls`
/// None: every hall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpwardTarget {
    pub name: String,
    pub halls: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutboxKind {
    Rating,
    Rectification,
}

impl OutboxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Rating => "rating",
            OutboxKind::Rectification => "rectification",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxKind> {
        [OutboxKind::Rating, OutboxKind::Rectification].into_iter().find(|k| k.as_str() == s)
    }
}

/// A record due to be sent, with what it is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub seq: i64,
    pub kind: OutboxKind,
    /// The rating's id (a rectification's item has the rating's id too).
    pub record_id: Uuid,
    pub hall_id: String,
    /// Sends tried before this one.
    pub attempts: u32,
    pub rated_at: DateTime<FixedOffset>,
    pub window_id: String,
    pub staff_id: String,
    pub case_no: Option<String>,
    /// The matter the window's system named when it asked for the rating.
    pub matter: Option<String>,
    /// A later rating of a case already rated (its second).
    pub case_repeat: bool,
    pub attitude: u8,
    pub competence: u8,
    pub reasons: Vec<String>,
    pub comment: Option<String>,
    /// A rectification: the item's outcome, reply, the citizen's satisfaction and when it closed.
    pub outcome: Option<String>,
    pub reply: Option<String>,
    pub satisfaction: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// What became of a record sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The platform holds it (taken now, or already held from a send whose answer was lost).
    Acknowledged,
    /// The platform refused it, in its words (or it could not be made, in ours):
    /// kept and shown, never retried until someone sends it again.
    Refused(String),
    /// Not answered (down, a timeout, a dropped connection): tried again at `at`.
    Retry { at: DateTime<Utc>, error: String },
}

/// One day of one hall and target, as the reconciliation page shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpwardDay {
    pub day: Option<NaiveDate>,
    pub hall_id: String,
    pub target: String,
    /// Records queued for the target (ratings and rectifications).
    pub queued: u64,
    /// Sent, no answer yet (a sender stopped in the middle: sent again).
    pub sent: u64,
    pub acknowledged: u64,
    pub refused: u64,
    pub waiting: u64,
}

/// A record the platform refused (or that could not be made), with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedRecord {
    pub seq: i64,
    pub target: String,
    pub kind: OutboxKind,
    pub record_id: Uuid,
    pub hall_id: String,
    pub day: NaiveDate,
    pub reason: String,
    pub at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait UpwardStore: Send + Sync {
    /// Records the target (and its halls) so that what is stored from now on
    /// is queued for it; the configuration is read at every start.
    async fn upward_register(&self, target: &UpwardTarget) -> Result<()>;

    /// Takes (or keeps) the target's lease until `until` for `holder`: false
    /// while another holder's lease runs.
    async fn upward_lease(&self, target: &str, holder: Uuid, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool>;

    /// Records another sender marked sent and never settled (it stopped, or
    /// lost the lease) made due at `now`: what a sender does first when it
    /// takes a target over, so that the cut-off batch goes first, in order.
    async fn upward_reclaim(&self, target: &str, now: DateTime<Utc>) -> Result<u64>;

    /// Up to `limit` records due at `now`, in the order they were stored,
    /// marked sent until `hold_until` (if the sender stops before it settles
    /// them, they are due again then).
    async fn upward_due(
        &self,
        target: &str,
        now: DateTime<Utc>,
        limit: u32,
        hold_until: DateTime<Utc>,
    ) -> Result<Vec<Outgoing>>;

    /// What became of each record sent, by its sequence number.
    async fn upward_settle(&self, target: &str, outcomes: &[(i64, Delivery)], now: DateTime<Utc>) -> Result<()>;

    /// Per day, hall and target, of the halls given (None: all) between `from` and `to` (exclusive).
    async fn upward_days(&self, halls: Option<&[String]>, from: NaiveDate, to: NaiveDate) -> Result<Vec<UpwardDay>>;

    /// Refused records of the halls given, oldest first.
    async fn upward_refused(&self, halls: Option<&[String]>, limit: u32) -> Result<Vec<RefusedRecord>>;

    /// Refused records made due again (`seqs` empty: every refused one of the
    /// halls given); how many.
    async fn upward_resend(&self, halls: Option<&[String]>, seqs: &[i64], now: DateTime<Utc>) -> Result<u64>;

    /// Records of the target not yet acknowledged or refused.
    async fn upward_backlog(&self, target: &str) -> Result<u64>;

    /// Records of the target the platform refused (or that could not be made) and not yet sent again.
    async fn upward_refused_count(&self, target: &str) -> Result<u64>;
}
