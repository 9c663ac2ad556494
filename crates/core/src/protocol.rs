//! The wire protocol between devices and the central server (JSON over HTTP).
//! Both sides use these types, so they cannot disagree on a field.
//!
//! Every request names the protocol version in [`PROTOCOL_HEADER`]; every answer
//! is an envelope that names it too, so a device never takes an HTML page, an
//! empty body or another server's JSON for an acknowledgement.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::diary::DiaryRevision;
use crate::ledger::{LedgerState, Satisfaction};
use crate::rating::Rating;
use crate::reference::ReferenceData;

/// The version this build speaks. A server answers a device that speaks another
/// with [`ErrorCode::IncompatibleProtocol`].
pub const PROTOCOL_VERSION: u32 = 1;
pub const PROTOCOL_HEADER: &str = "x-tiyan-protocol";
/// A fresh UUID per upload request; the server refuses one it has seen (a replay).
pub const REQUEST_ID_HEADER: &str = "x-tiyan-request-id";
/// The most records one upload may carry.
pub const MAX_PAGE: usize = 1000;
/// The largest request body a server accepts.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

pub mod paths {
    pub const HEALTH: &str = "/api/v1/health";
    pub const ENROLL: &str = "/api/v1/enroll";
    pub const STATE: &str = "/api/v1/sync/state";
    pub const UPLOAD: &str = "/api/v1/sync/upload";
    pub const REFERENCE: &str = "/api/v1/reference";
    pub const PHOTOS: &str = "/api/v1/photos";
    /// `GET {PHOTO_UPLOADS}/{sha256}`: how much of a photo the server has;
    /// `PUT {PHOTO_UPLOADS}/{sha256}?offset=N&size=TOTAL`: the next chunk.
    pub const PHOTO_UPLOADS: &str = "/api/v1/photo-uploads";
    /// The state of the ledger items made from this device's diary problems.
    pub const LEDGER: &str = "/api/v1/ledger";
    pub const OFFICER_SIGN_IN: &str = "/api/v1/officers/sign-in";
}

/// A photo travels in chunks of at most this size, so a cut costs one chunk.
pub const PHOTO_CHUNK_BYTES: usize = 512 * 1024;
/// No processed diary photo (at most 2048 px, JPEG) comes near this.
pub const MAX_DIARY_PHOTO_BYTES: u64 = 16 * 1024 * 1024;

/// The answer to everything: a protocol version and either the content or an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub protocol: u32,
    pub server_time: DateTime<Utc>,
    #[serde(flatten)]
    pub body: Reply<T>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply<T> {
    Ok(T),
    Error(ApiError),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    /// Plain words for a person; never a stack trace, SQL or a path.
    pub message: String,
    /// When trying again makes sense (after a lock-out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<DateTime<Utc>>,
}

pub use crate::error_code::ErrorCode;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
    /// "sqlite" or "postgres".
    #[serde(default)]
    pub backend: String,
    /// The database schema's migration number.
    #[serde(default)]
    pub schema: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DeviceRole {
    Kiosk,
    Officer,
}

impl DeviceRole {
    /// The name stored in both databases (and sent on the wire).
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceRole::Kiosk => "kiosk",
            DeviceRole::Officer => "officer",
        }
    }

    pub fn parse(s: &str) -> Option<DeviceRole> {
        [DeviceRole::Kiosk, DeviceRole::Officer].into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub code: String,
    /// The device keeps the identity it stamped its records with.
    pub device_id: Uuid,
    pub name: String,
    /// What the administrator set this device up as; a code for another role is
    /// refused before it is used up. None: whatever the code says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<DeviceRole>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolled {
    pub device_id: Uuid,
    /// Shown once; the server keeps only a hash of it.
    pub secret: String,
    pub role: DeviceRole,
    pub hall_id: String,
    pub window_id: Option<String>,
}

/// The kinds of record a device appends and syncs, each with its own sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Rating,
    Diary,
    /// An officer's answers to the ledger's replies.
    Feedback,
    /// Cases served at a kiosk's window: what the window's system asked the
    /// kiosk to have rated (the rating rate's denominator).
    Case,
}

impl RecordKind {
    pub const ALL: [RecordKind; 4] = [RecordKind::Rating, RecordKind::Diary, RecordKind::Feedback, RecordKind::Case];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Rating => "rating",
            RecordKind::Diary => "diary",
            RecordKind::Feedback => "feedback",
            RecordKind::Case => "case",
        }
    }
}

/// What the server holds of this device: for each kind, every record up to
/// `through` (the server never holds a record past a hole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    pub device_id: Uuid,
    pub streams: Vec<Stream>,
    pub reference_version: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stream {
    pub kind: RecordKind,
    pub through: u64,
}

impl SyncState {
    pub fn through(&self, kind: RecordKind) -> u64 {
        self.streams.iter().find(|s| s.kind == kind).map(|s| s.through).unwrap_or(0)
    }
}

/// What a device tells of itself when it asks for its state: the query of
/// `GET /api/v1/sync/state`. Every field is optional (older devices send
/// none); the server shows them in the fleet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateQuery {
    pub app_version: Option<String>,
    /// The device's clock when it asked, with its offset.
    pub device_time: Option<DateTime<FixedOffset>>,
    /// The newest sequence number the device holds of each kind.
    pub rating: Option<u64>,
    pub diary: Option<u64>,
    pub feedback: Option<u64>,
    #[serde(default)]
    pub case: Option<u64>,
    /// The edition of the reference data (and so of the centre's settings) the device holds.
    #[serde(default)]
    pub reference: Option<i64>,
}

impl StateQuery {
    /// The longest app version the server keeps.
    pub const MAX_VERSION_LEN: usize = 40;

    /// The state path with this query.
    pub fn path(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = &self.app_version {
            parts.push(format!("app_version={}", query_escape(v)));
        }
        if let Some(t) = &self.device_time {
            parts.push(format!("device_time={}", query_escape(&t.to_rfc3339())));
        }
        if let Some(v) = self.reference {
            parts.push(format!("reference={v}"));
        }
        for (name, seq) in
            [("rating", self.rating), ("diary", self.diary), ("feedback", self.feedback), ("case", self.case)]
        {
            if let Some(seq) = seq {
                parts.push(format!("{name}={seq}"));
            }
        }
        if parts.is_empty() { paths::STATE.to_string() } else { format!("{}?{}", paths::STATE, parts.join("&")) }
    }

    /// An app version is short and plain (digits, letters, `.`, `-`, `+`).
    pub fn version_is_plain(&self) -> bool {
        self.app_version.as_deref().is_none_or(|v| {
            !v.is_empty()
                && v.len() <= Self::MAX_VERSION_LEN
                && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
        })
    }

    pub fn newest(&self) -> Vec<(RecordKind, u64)> {
        [
            (RecordKind::Rating, self.rating),
            (RecordKind::Diary, self.diary),
            (RecordKind::Feedback, self.feedback),
            (RecordKind::Case, self.case),
        ]
        .into_iter()
        .filter_map(|(k, s)| s.map(|s| (k, s)))
        .collect()
    }
}

/// Percent-encodes all but the unreserved characters of a query value.
fn query_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One page of records, in sequence order, starting right after what the server holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "records", rename_all = "snake_case")]
pub enum Upload {
    Rating(Vec<Rating>),
    Diary(Vec<DiaryRevision>),
    Feedback(Vec<Feedback>),
    Case(Vec<CaseServed>),
}

impl Upload {
    pub fn kind(&self) -> RecordKind {
        match self {
            Upload::Rating(_) => RecordKind::Rating,
            Upload::Diary(_) => RecordKind::Diary,
            Upload::Feedback(_) => RecordKind::Feedback,
            Upload::Case(_) => RecordKind::Case,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Upload::Rating(r) => r.len(),
            Upload::Diary(d) => d.len(),
            Upload::Feedback(f) => f.len(),
            Upload::Case(c) => c.len(),
        }
    }

    /// Each record's (sequence number, device), in page order.
    pub fn keys(&self) -> Vec<(u64, Uuid)> {
        match self {
            Upload::Rating(r) => r.iter().map(|r| (r.seq, r.device_id)).collect(),
            Upload::Diary(d) => d.iter().map(|d| (d.seq, d.device_id)).collect(),
            Upload::Feedback(f) => f.iter().map(|f| (f.seq, f.device_id)).collect(),
            Upload::Case(c) => c.iter().map(|c| (c.seq, c.device_id)).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The acknowledgement: the server now holds every record of this kind up to
/// `through`; `stored` were new, `duplicates` it already had with the same content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadAck {
    pub kind: RecordKind,
    pub through: u64,
    pub stored: u32,
    pub duplicates: u32,
}

/// Reference data for the device, when it changed since `since`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceUpdate {
    pub version: Option<i64>,
    /// None when the device is up to date. Staff photos are named by SHA-256
    /// (`photo` holds the hex digest) and fetched from [`paths::PHOTOS`].
    pub data: Option<ReferenceData>,
}

/// How much of a photo the server holds; `complete` once its SHA-256 was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoUploadState {
    pub received: u64,
    pub complete: bool,
}

/// A reported problem as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerItem {
    pub problem_id: Uuid,
    pub entry_id: Uuid,
    pub state: LedgerState,
    pub updated_at: DateTime<Utc>,
    /// The hall office's reply (反馈), once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// The officer's answer to the reply, as the ledger holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<Satisfaction>,
}

/// An officer's answer to the reply on one of their problems (满意 / 基本满意 /
/// 不满意): a record of its own stream, so it reaches the ledger exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    pub id: Uuid,
    pub seq: u64,
    pub device_id: Uuid,
    pub officer_id: String,
    pub problem_id: Uuid,
    pub satisfaction: Satisfaction,
    pub answered_at: DateTime<FixedOffset>,
}

/// A case served at a kiosk's window (一次服务): the window's system asked the
/// kiosk to have it rated. Whether and how it was rated is the rating's (with
/// the same case number); this record is what the rating rate counts cases by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseServed {
    pub id: Uuid,
    pub seq: u64,
    pub device_id: Uuid,
    /// The device's clock when the request arrived, with its UTC offset.
    pub device_time: DateTime<FixedOffset>,
    pub hall_id: String,
    pub window_id: String,
    pub staff_id: String,
    /// Normalised ([`crate::case_no::normalize`]).
    pub case_no: String,
    /// The queue ticket, as the window's system numbers it.
    #[serde(default)]
    pub ticket_no: Option<String>,
    /// The matter, as the window's system names it (its code or its words).
    #[serde(default)]
    pub matter: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerSignIn {
    pub officer_id: String,
    pub password: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_carry_the_version_and_either_content_or_error() {
        let ok: Envelope<UploadAck> = Envelope {
            protocol: PROTOCOL_VERSION,
            server_time: DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default(),
            body: Reply::Ok(UploadAck { kind: RecordKind::Rating, through: 7, stored: 3, duplicates: 4 }),
        };
        let json = serde_json::to_value(&ok).unwrap_or_default();
        assert_eq!(json["protocol"], 1);
        assert_eq!(json["ok"]["through"], 7);
        assert_eq!(json["ok"]["kind"], "rating");
        let back: Envelope<UploadAck> = serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, ok);

        let err = r#"{"protocol":1,"server_time":"2026-11-23T01:00:00Z","error":{"code":"device_revoked","message":"revoked"}}"#;
        let e: Envelope<UploadAck> = serde_json::from_str(err).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(e.body, Reply::Error(ApiError { code: ErrorCode::DeviceRevoked, .. })));
        assert!(ErrorCode::DeviceRevoked.needs_a_person());
        assert!(!ErrorCode::Internal.needs_a_person());
        // An HTML page or an empty body is no envelope at all.
        assert!(serde_json::from_str::<Envelope<UploadAck>>("<html>Welcome to hall Wi-Fi</html>").is_err());
        assert!(serde_json::from_str::<Envelope<UploadAck>>("").is_err());
        assert!(serde_json::from_str::<Envelope<UploadAck>>(r#"{"protocol":1}"#).is_err());
    }

    #[test]
    fn uploads_are_tagged_by_kind() {
        let u = Upload::Rating(vec![]);
        let json = serde_json::to_string(&u).unwrap_or_default();
        assert_eq!(json, r#"{"kind":"rating","records":[]}"#);
        assert_eq!(u.kind(), RecordKind::Rating);
    }
}
