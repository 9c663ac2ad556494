//! Sync with the central server: the protocol's calls ([`api`]), one round of
//! upload and reference pull ([`engine`]), the background task ([`worker`]),
//! over a [`transport::Transport`] (HTTP in the app, faults in tests).

pub mod api;
pub mod engine;
pub mod transport;
pub mod worker;

pub use api::{Credentials, SyncError};
pub use engine::Engine;
pub use worker::{Backoff, SyncHandle, SyncStatus};
