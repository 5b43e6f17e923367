//! In-process hazard-case locks, for the embedded store that one server process owns
//! ([`crate::storage::RecordStore::lock_case`]). A store shared by several replicas locks
//! in its database instead (`postgres/`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// A lock per hazard case, made when a case is first locked and dropped when nobody
/// holds or waits for it, so the map holds only the cases being pushed to right now.
/// Events of different cases never wait for each other.
///
/// The locks live in this process. That is enough for the embedded SQLite store, which
/// one server process owns; replicas on a shared database would each have their own,
/// so the PostgreSQL store takes an advisory lock in the database instead.
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
