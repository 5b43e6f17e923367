//! What every request handler shares: the stores, the limits and the locks. Kept apart
//! from the routes so that the layers below them (who is calling, `auth`) can name it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::config::Limits;
use crate::storage::{BlobStore, RecordStore};

/// Everything a request handler needs.
#[derive(Clone)]
pub struct AppState {
    /// Records, reference data, people, devices.
    pub store: Arc<dyn RecordStore>,
    /// Photo bytes.
    pub blobs: Arc<dyn BlobStore>,
    /// Request limits.
    pub limits: Arc<Limits>,
    /// One lock per upload, so two PATCHes of the same upload never interleave.
    pub upload_locks: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    /// One lock per hazard case, held from checking an event to writing it with its
    /// case's row, so two pushes to one case cannot both build on the same row.
    pub case_locks: Arc<CaseLocks>,
}

impl AppState {
    /// State over the given stores and limits.
    pub fn new(store: Arc<dyn RecordStore>, blobs: Arc<dyn BlobStore>, limits: Limits) -> Self {
        AppState {
            store,
            blobs,
            limits: Arc::new(limits),
            upload_locks: Arc::default(),
            case_locks: Arc::default(),
        }
    }
}

/// A lock per hazard case, made when a case is first locked and dropped when nobody
/// holds or waits for it, so the map holds only the cases being pushed to right now.
/// Events of different cases never wait for each other.
///
/// The locks live in this process. That is enough for the embedded SQLite store, which
/// one server process owns. Several replicas on one shared database (PostgreSQL) would
/// each have their own locks, and two of them could then extend the same case's kept
/// fold at once, one losing the other's event from the row: such a store must lock the
/// case's row in the database instead (e.g. `SELECT … FOR UPDATE` on it in the
/// transaction that writes the event), or write the row only if it is unchanged since
/// it was read and retry.
#[derive(Default)]
pub struct CaseLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl CaseLocks {
    /// Waits for case `case_id`'s lock and holds it until the guard is dropped. Blocks
    /// the thread: call it from blocking code (the push runs on the blocking pool),
    /// never while holding another case's guard.
    pub fn lock(&self, case_id: &str) -> CaseGuard<'_> {
        let lock = self.map().entry(case_id.to_string()).or_default().clone();
        CaseGuard {
            locks: self,
            case_id: case_id.to_string(),
            guard: Some(lock.blocking_lock_owned()),
        }
    }

    /// How many cases have a lock now (held or waited for).
    #[cfg(test)]
    fn cases(&self) -> usize {
        self.map().len()
    }

    /// The map. Nothing done while holding it can panic half-way through, so a poisoned
    /// map is still consistent and is used as it is.
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<tokio::sync::Mutex<()>>>> {
        self.locks.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A held case lock; dropping it lets the next push to the case go on.
pub struct CaseGuard<'a> {
    locks: &'a CaseLocks,
    case_id: String,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for CaseGuard<'_> {
    fn drop(&mut self) {
        // Release first, then forget the lock if the map's is the only reference left:
        // a waiter took its reference under the map's lock, so none can appear between.
        drop(self.guard.take());
        let mut map = self.locks.map();
        if map
            .get(&self.case_id)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            map.remove(&self.case_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_lock_is_exclusive_per_case_and_forgotten_when_released() {
        let locks = Arc::new(CaseLocks::default());
        let held = locks.lock("case-1");
        // Another case is not held up by it.
        drop(locks.lock("case-2"));
        assert_eq!(locks.cases(), 1, "only the held case keeps a lock");

        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let locks = locks.clone();
            std::thread::spawn(move || {
                let _guard = locks.lock("case-1");
                tx.send(()).unwrap();
            })
        };
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(200))
                .is_err(),
            "the same case waits"
        );
        drop(held);
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("released to the waiter");
        waiter.join().unwrap();
        assert_eq!(locks.cases(), 0, "forgotten once released");
    }
}
