//! What a Tiyan device does without a window: its SQLite store (pragmas,
//! migrations, append-only records with per-device sequence numbers), reference
//! data with staff thumbnails, PINs, ratings and their CSV export.
//!
//! Nothing here needs WebKit: the Tauri shell calls [`Kiosk`] on a kiosk and
//! [`Laptop`] on an officer's laptop, and so do tests and benchmarks.

pub mod cases;
pub mod clock;
pub mod db;
pub mod diary;
mod diary_export;
mod error;
pub mod export;
pub mod kiosk;
pub mod laptop;
pub mod ledger;
pub mod officers;
/// The photo pipeline (shared with the server, which processes staff portraits alike).
pub use tiyan_infra::photo;
mod pins;
pub mod ratings;
pub mod reference;
mod settings;
pub mod staff;
pub mod store;
pub mod sync;
pub mod sync_state;
pub mod window;
pub mod window_link;

pub use error::{Error, Result};
pub use tiyan_infra::secret;

pub use kiosk::Kiosk;
pub use laptop::Laptop;
pub use store::Store;
pub use tiyan_infra::sha256_hex;
