//! The server's flows: what the device API, the hall-office pages and the
//! console call, through one context object ([`Services`]: the store, the
//! caches, the hasher, the clock). A service checks who may do what, applies
//! `tiyan_core`'s rules and calls storage (`tiyan-storage`'s traits); it never
//! writes SQL and never knows which backend it runs on.

pub mod accounts;
pub mod alerts;
pub mod assessment;
pub mod audit;
mod cache;
pub mod calendar;
pub mod clock;
pub mod codes;
pub mod deferred;
pub mod devices;
pub mod diary;
mod error;
pub mod export;
pub mod fleet;
pub mod housekeeping;
pub mod ingest;
pub mod ledger;
mod lockout;
pub mod officer_year;
pub mod officers;
pub mod reference;
pub mod reference_files;
pub mod report;
pub mod upward;

mod hashing;

pub use clock::Clock;
pub use error::{Error, Invalid, Result};
pub use hashing::Hasher;

use std::net::IpAddr;
use std::sync::Arc;

use calendar::CalendarCache;
use chrono::{DateTime, Utc};
use deferred::Deferred;
use ingest::{CatalogCache, Ingested};
use reference::ReferenceCache;
use tiyan_core::accounts::Scope;
use tiyan_storage::{Account, Storage};

/// What every flow works with, made once per process: the store, the caches
/// over it, the password hasher, the clock, and the work left to do just after
/// a request (alert checks, device reports).
pub struct Services {
    pub store: Arc<dyn Storage>,
    pub hasher: Hasher,
    pub calendar: CalendarCache,
    pub reference: ReferenceCache,
    /// Alert checks and device reports, done just after the requests that leave them.
    pub deferred: Arc<Deferred>,
    pub catalog: CatalogCache,
    pub ingested: Ingested,
    pub clock: Clock,
}

impl Services {
    pub fn new(store: Arc<dyn Storage>, clock: Clock) -> Services {
        Services {
            deferred: Deferred::new(store.clone(), clock.clone()),
            store,
            hasher: Hasher::default(),
            calendar: CalendarCache::default(),
            reference: ReferenceCache::default(),
            catalog: CatalogCache::default(),
            ingested: Ingested::default(),
            clock,
        }
    }

    /// The backend and its schema version, answered only when the database answers.
    pub async fn health(&self) -> Result<tiyan_storage::DbHealth> {
        Ok(self.store.health().await?)
    }

    /// The working-day calendar as it stands.
    pub async fn calendar(&self) -> Result<Arc<tiyan_core::workdays::Calendar>> {
        self.calendar.current(self.store.as_ref()).await
    }

    /// The reference data as it stands.
    pub async fn reference(&self) -> Result<Arc<tiyan_core::reference::ReferenceData>> {
        self.reference.current(self.store.as_ref()).await
    }

    /// Now, by the clock the process was started with (see `clock.rs`).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Does the alert checks and device reports left by requests now (see
    /// [`deferred`]): before a page that shows what they write, and at a stop.
    pub async fn settle(&self) {
        if let Err(e) = self.deferred.flush().await {
            tracing::error!(error = %e, "the deferred alert checks and device reports failed");
        }
    }
}

/// The halls a query asks for (None: all), cut to those `scope` sees: what
/// every list and export of a region's or a hall's account filters on.
pub fn within_scope(scope: &Scope, asked: Option<Vec<String>>) -> Option<Vec<String>> {
    match (scope.halls(), asked) {
        (None, asked) => asked,
        (Some(mine), None) => Some(mine),
        (Some(_), Some(asked)) => Some(asked.into_iter().filter(|h| scope.sees(h)).collect()),
    }
}

/// Who asks, and when: what every change needs, to decide what they may do
/// (in the services, never in a page) and for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub by: By<'a>,
    pub now: DateTime<Utc>,
}

/// Who is asking.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    /// A hall-office account, signed in from `client`.
    Account { account: &'a Account, client: IpAddr },
    /// `tiyan-server`'s commands, run on the server's own machine by whoever
    /// may read its configuration and database: they may do what a supervisor
    /// may, and the log names them "console".
    Console,
}

impl<'a> Who<'a> {
    pub fn account(account: &'a Account, client: IpAddr, now: DateTime<Utc>) -> Who<'a> {
        Who { by: By::Account { account, client }, now }
    }

    pub fn console(now: DateTime<Utc>) -> Who<'static> {
        Who { by: By::Console, now }
    }

    /// What they may see and do.
    pub fn scope(&self) -> Scope {
        match self.by {
            By::Account { account, .. } => account.scope(),
            By::Console => Scope::console(),
        }
    }

    /// The account asking (None: the console).
    pub fn signed_in(&self) -> Option<&'a Account> {
        match self.by {
            By::Account { account, .. } => Some(account),
            By::Console => None,
        }
    }

    /// The account asking, for what only a person in the hall office does
    /// (what is recorded under their name: a step, an acknowledgement).
    pub fn person(&self) -> Result<&'a Account> {
        self.signed_in().ok_or_else(|| Error::Forbidden("this is done in the hall office, by a person".into()))
    }
}
