//! What a Tiyan device does without a window: its SQLite store (pragmas,
//! migrations, append-only records with per-device sequence numbers), reference
//! data with staff thumbnails, PINs, ratings and their CSV export.
//!
//! Nothing here needs WebKit: the Tauri shell calls [`Kiosk`], and so do tests
//! and benchmarks.

pub mod clock;
pub mod db;
mod error;
pub mod export;
pub mod kiosk;
pub mod photo;
mod pins;
pub mod ratings;
pub mod reference;
pub mod secret;
mod settings;
pub mod staff;
pub mod store;

pub use error::{Error, Result};
pub use kiosk::Kiosk;
pub use store::Store;
