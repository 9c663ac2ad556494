//! The audit log: every change made in the hall office, every sign-in and
//! failed sign-in, every reveal of a phone number. Append-only in both
//! backends (triggers refuse changes), readable by supervisors.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::error::Result;
use tiyan_storage::{Account, AuditEntry, Storage};

/// Who did it, as the log names them.
pub enum Actor<'a> {
    Account(&'a Account),
    /// A login that did not (yet) sign in: a failed attempt.
    Attempt(&'a str),
    /// The command line (`tiyan-server user add`).
    Console,
}

pub async fn record(
    store: &dyn Storage,
    actor: Actor<'_>,
    client: Option<IpAddr>,
    action: &str,
    target: &str,
    detail: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let (account_id, actor) = match actor {
        Actor::Account(a) => (Some(a.id), a.login.clone()),
        Actor::Attempt(login) => (None, login.chars().take(64).collect()),
        Actor::Console => (None, "console".to_string()),
    };
    let entry = AuditEntry {
        at,
        account_id,
        actor,
        client: client.map_or_else(|| "local".to_string(), |c| c.to_string()),
        action: action.to_string(),
        target: target.to_string(),
        detail: detail.chars().take(2000).collect(),
    };
    Ok(store.audit(&entry).await?)
}
