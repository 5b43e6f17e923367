//! One store shared by everything in a process that uses it: the shell's screens and
//! the sync client take turns on the same connection, instead of each opening the file
//! again.
//!
//! A [`Store`] is one SQLite connection and is not `Sync`; a [`SharedStore`] puts it
//! behind a mutex and can be cloned and sent anywhere. Each call holds the lock only
//! for its own short piece of work: the sync client takes it for a step, lets it go
//! before any network wait, and takes it again for the next step, so a screen is never
//! locked out for longer than one store call.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::Result;
use crate::store::Store;

/// A [`Store`] shared across threads and tasks (`Send + Sync`, cheap to clone).
#[derive(Clone)]
pub struct SharedStore(Arc<Mutex<Store>>);

impl SharedStore {
    /// Opens (creating if needed) the store at `path` for sharing.
    pub fn open(path: impl AsRef<Path>) -> Result<SharedStore> {
        Ok(SharedStore::new(Store::open(path)?))
    }

    /// Shares an open store.
    pub fn new(store: Store) -> SharedStore {
        SharedStore(Arc::new(Mutex::new(store)))
    }

    /// The store, for one call or a few. Hold the guard briefly and never across an
    /// `.await` (the guard is not `Send`, so a future that tries is not `Send` either).
    ///
    /// A poisoned lock means an earlier holder panicked mid-call; SQLite rolled back
    /// whatever transaction it had open, so the file is consistent and the store is
    /// safe to keep using.
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the store under the lock and lets the lock go when it returns.
    pub fn with<T>(&self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        f(&mut self.lock())
    }
}

impl From<Store> for SharedStore {
    fn from(store: Store) -> SharedStore {
        SharedStore::new(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn a_shared_store_can_be_handed_to_any_thread() {
        assert_send_sync::<SharedStore>();
    }

    #[test]
    fn a_clone_works_on_another_thread_and_the_original_sees_it() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| crate::error::CoreError::io("tmp", e))?;
        let first = SharedStore::open(dir.path().join("s.db"))?;
        let second = first.clone();
        assert!(
            Arc::ptr_eq(&first.0, &second.0),
            "a clone is the same store"
        );
        std::thread::spawn(move || second.with(|s| s.set_setting("written.by", "thread")))
            .join()
            .map_err(|_| crate::error::CoreError::InvalidInput("the thread panicked".into()))??;
        assert_eq!(
            first.with(|s| s.setting("written.by"))?.as_deref(),
            Some("thread")
        );
        Ok(())
    }
}
