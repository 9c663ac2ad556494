//! The hall office's accounts, their sessions and the audit log, as storage
//! keeps them. A session is kept by the SHA-256 of its token; an account's
//! password only as an Argon2id hash that never leaves this module's types
//! in a printable form.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;

use tiyan_core::accounts::{Place, Role, Scope};
use tiyan_core::region::Division;
use uuid::Uuid;

use super::{PasswordHash, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: Uuid,
    /// What the person types to sign in (lower case).
    pub login: String,
    pub name: String,
    pub role: Role,
    /// The hall of a hall's account.
    pub hall_id: Option<String>,
    /// The region of a region's account (neither: everywhere).
    pub region: Option<Division>,
    /// The halls the region holds, read with the account (empty otherwise).
    #[serde(skip)]
    pub region_halls: Arc<BTreeSet<String>>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

impl Account {
    pub fn place(&self) -> Place {
        place(self.hall_id.as_deref(), self.region.as_ref())
    }

    pub fn scope(&self) -> Scope {
        Scope { role: self.role, place: self.place(), region_halls: self.region_halls.clone() }
    }
}

/// The place the two columns name: a hall, else a region, else everywhere.
pub fn place(hall_id: Option<&str>, region: Option<&Division>) -> Place {
    match (hall_id, region) {
        (Some(h), _) => Place::Hall(h.to_string()),
        (None, Some(r)) => Place::Region(r.clone()),
        (None, None) => Place::Everywhere,
    }
}

/// The two columns a place is kept in: (hall_id, region).
pub fn place_columns(place: &Place) -> (Option<String>, Option<String>) {
    match place {
        Place::Everywhere => (None, None),
        Place::Region(r) => (None, Some(r.to_string())),
        Place::Hall(h) => (Some(h.clone()), None),
    }
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: Uuid,
    pub login: String,
    pub name: String,
    pub role: Role,
    pub place: Place,
    pub password: PasswordHash,
    pub created_at: DateTime<Utc>,
}

/// A signed-in session: the account and the token forms must carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: Account,
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub account_id: Option<Uuid>,
    /// The login (or "server", or a device), as it was at the time.
    pub actor: String,
    /// The client's address.
    pub client: String,
    /// What happened, e.g. `sign_in`, `sign_in_failed`, `ledger_step`, `reveal_phone`.
    pub action: String,
    /// What it happened to, e.g. an item's or an account's id.
    pub target: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor: Option<String>,
    /// Entries before this id (the next page), newest first.
    pub before: Option<i64>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    pub id: i64,
    #[serde(flatten)]
    pub entry: AuditEntry,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// A login already taken is `Invalid`.
    async fn create_account(&self, account: &NewAccount) -> Result<Account>;
    /// An account that may sign in (not disabled), with its password hash.
    async fn account_credentials(&self, login: &str) -> Result<Option<(Account, PasswordHash)>>;
    async fn account(&self, id: Uuid) -> Result<Option<Account>>;
    /// Every account (a few hundred at most: the services keep those a person may see).
    async fn accounts(&self) -> Result<Vec<Account>>;
    /// Changes the role and place, or disables the account (which ends its sessions).
    async fn update_account(&self, id: Uuid, role: Role, place: &Place, disabled: Option<DateTime<Utc>>) -> Result<()>;
    /// A new password; the account's sessions end.
    async fn set_password(&self, id: Uuid, password: &PasswordHash) -> Result<()>;
    async fn create_session(&self, token_sha256: &str, account: Uuid, csrf: &str, now: DateTime<Utc>) -> Result<()>;
    /// The session and its account, if both are in force.
    async fn session(&self, token_sha256: &str) -> Result<Option<Session>>;
    async fn touch_session(&self, token_sha256: &str, now: DateTime<Utc>) -> Result<()>;
    async fn end_session(&self, token_sha256: &str) -> Result<()>;
    /// Ends sessions idle since before `idle_before`; returns how many.
    async fn prune_sessions(&self, idle_before: DateTime<Utc>) -> Result<u64>;
    async fn audit(&self, entry: &AuditEntry) -> Result<()>;
    async fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>>;
}
