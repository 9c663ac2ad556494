//! What is read often and changes rarely (the reference data, its catalog,
//! the calendar), kept while the version the database names stays the same.
//! The version is read on every use: another server process may have changed it.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::RwLock;

pub struct Versioned<V, T>(RwLock<Option<(V, Arc<T>)>>);

impl<V, T> Default for Versioned<V, T> {
    fn default() -> Self {
        Versioned(RwLock::new(None))
    }
}

impl<V: PartialEq, T> Versioned<V, T> {
    /// The value of `version`, loaded (with the version it was read at) when the one kept is older.
    pub async fn get<E>(&self, version: V, load: impl Future<Output = Result<(V, T), E>>) -> Result<Arc<T>, E> {
        if let Some((v, value)) = &*self.0.read().await
            && *v == version
        {
            return Ok(value.clone());
        }
        let (v, value) = load.await?;
        let value = Arc::new(value);
        *self.0.write().await = Some((v, value.clone()));
        Ok(value)
    }

    /// Changes the value kept at version `from` with `change` and keeps it
    /// as `to`; a value kept at another version is dropped (the next use loads).
    pub async fn replace(&self, from: &V, to: V, change: impl FnOnce(&mut T))
    where
        T: Clone,
    {
        let mut kept = self.0.write().await;
        if let Some((v, value)) = kept.take()
            && v == *from
        {
            let mut value = Arc::unwrap_or_clone(value);
            change(&mut value);
            *kept = Some((to, Arc::new(value)));
        }
    }
}
