//! What the device and the server do alike with their files: open SQLite with
//! the pragmas that make a commit durable and migrate it with a backup first;
//! hash and verify secrets with Argon2id; process photos (upright, no
//! metadata, scaled).

pub mod photo;
pub mod secret;
pub mod sqlite;

/// Lower-case hex SHA-256: how photos and codes are named and looked up.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
