//! The server's flows: what routes and commands call. A service checks who may
//! do what, applies `tiyan_core`'s rules and calls storage; it never writes SQL
//! and never knows which backend it runs on.

pub mod devices;
pub mod housekeeping;
pub mod ingest;
pub mod officers;
pub mod reference;

mod hashing;

pub use hashing::Hasher;
