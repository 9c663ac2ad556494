//! Secrets and what is stored of them. What people choose (PINs, passwords) is
//! hashed with Argon2id, slow on purpose; random tokens the server makes
//! (device secrets) carry 256 bits of entropy, so their SHA-256 is stored and
//! compared in constant time: as safe, and microseconds instead of 30 ms.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot hash a secret: {0}")]
    Hash(String),
    #[error("the stored hash is unreadable: {0}")]
    Unreadable(String),
}

/// Hashes with Argon2id v19 and the crate's defaults (19 MiB, 2 passes), the
/// OWASP-recommended minimum, which keeps a verification near 30 ms on a hall PC.
pub fn hash(secret: &str) -> Result<String, SecretError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| SecretError::Hash(e.to_string()))
}

/// Verified against when the subject (an employee number, an officer) is
/// unknown, so that refusing it takes as long as a wrong secret and who exists
/// cannot be learnt by timing.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$dGl5YW4tZHVtbXktc2FsdA$3QkTjW1Ja8QJ6cJz2d1R2mUe0bdWmK9b2qYtWnK5bLk";

/// True when `secret` matches the stored PHC string. A malformed stored hash is
/// an error, not a silent "no".
pub fn verify(secret: &str, phc: &str) -> Result<bool, SecretError> {
    let parsed = PasswordHash::new(phc).map_err(|e| SecretError::Unreadable(e.to_string()))?;
    Ok(Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok())
}

/// A fresh random token of 256 bits, as 64 lower-case hex characters.
pub fn new_token() -> String {
    use rand::RngCore;
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

/// What is stored of a token: its SHA-256.
pub fn token_digest(token: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).into()
}

/// Compares two digests in constant time, so timing tells nothing of how
/// much of a guess was right.
pub fn digests_match(a: &[u8; 32], b: &[u8; 32]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_digest_matches() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(digests_match(&token_digest(&a), &token_digest(&a)));
        assert!(!digests_match(&token_digest(&a), &token_digest(&b)));
    }

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("260418").unwrap();
        let b = hash("260418").unwrap();
        assert!(a.starts_with("$argon2id$v=19$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify("260418", &a).unwrap());
        assert!(!verify("260419", &a).unwrap());
        assert!(verify("x", "not a hash").is_err());
        assert!(!verify("0000", DUMMY_HASH).unwrap());
    }
}
