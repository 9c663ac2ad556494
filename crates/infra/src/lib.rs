//! What the device and the server do alike with their files: open SQLite with
//! the pragmas that make a commit durable and migrate it with a backup first;
//! hash and verify secrets with Argon2id.

pub mod secret;
pub mod sqlite;
