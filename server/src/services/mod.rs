//! The server's flows: what routes and commands call. A service checks who may
//! do what, applies `tiyan_core`'s rules and calls storage; it never writes SQL
//! and never knows which backend it runs on.

pub mod accounts;
pub mod alerts;
pub mod assessment;
pub mod audit;
mod cache;
pub mod calendar;
pub mod deferred;
pub mod devices;
pub mod fleet;
pub mod housekeeping;
pub mod ingest;
pub mod ledger;
mod lockout;
pub mod officer_year;
pub mod officers;
pub mod reference;

mod hashing;

pub use hashing::Hasher;

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::store::Account;

/// Who asks, from where, and when: what every change in the hall office needs
/// (to check what the account may do, and for the audit log).
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub account: &'a Account,
    pub client: IpAddr,
    pub now: DateTime<Utc>,
}
