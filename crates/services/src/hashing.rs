//! Argon2id work (officers' passwords, device secrets from before SHA-256)
//! behind a bounded semaphore: a burst of sign-ins queues here instead of
//! taking every core and every blocking thread.

use tokio::sync::Semaphore;

use crate::error::{Error, Result};

pub struct Hasher {
    permits: Semaphore,
}

impl Default for Hasher {
    /// One Argon2 verification at a time per core.
    fn default() -> Self {
        Hasher::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }
}

impl Hasher {
    pub fn new(permits: usize) -> Self {
        Hasher { permits: Semaphore::new(permits.max(1)) }
    }

    /// An Argon2id hash of what a person chose.
    pub async fn hash(&self, secret: &str) -> Result<String> {
        let secret = secret.to_string();
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        tokio::task::spawn_blocking(move || tiyan_infra::secret::hash(&secret))
            .await
            .map_err(Error::internal)?
            .map_err(Error::internal)
    }

    /// Whether `secret` matches the stored Argon2id PHC string.
    pub async fn verify(&self, secret: &str, phc: &str) -> Result<bool> {
        let (secret, phc) = (secret.to_string(), phc.to_string());
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        tokio::task::spawn_blocking(move || tiyan_infra::secret::verify(&secret, &phc))
            .await
            .map_err(Error::internal)?
            .map_err(Error::internal)
    }
}
