//! What every request handler shares: the stores, the limits and the locks. Kept apart
//! from the routes so that the layers below them (who is calling, `auth`) can name it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

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
    /// Who may write each upload now, so two PATCHes of one upload never interleave
    /// and a newer one takes over from a stalled one.
    pub uploads: Arc<UploadWriters>,
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
            uploads: Arc::default(),
            case_locks: Arc::default(),
        }
    }
}

/// One [`UploadSlot`] per upload that a request touched and that may still change.
#[derive(Default)]
pub struct UploadWriters {
    slots: Mutex<HashMap<String, Arc<UploadSlot>>>,
}

impl UploadWriters {
    /// The slot of an upload, made on first use.
    pub fn slot(&self, upload_id: &str) -> Arc<UploadSlot> {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(slots.entry(upload_id.to_string()).or_default())
    }

    /// Forgets the slot of an upload nobody will change again (finished, discarded or
    /// expired).
    pub fn forget(&self, upload_id: &str) {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        slots.remove(upload_id);
    }
}

/// Who may write one upload. The `commit` lock is held only while the stored offset is
/// read or bytes are written, never while a request body is read, so a PATCH stalled
/// on a dead connection holds nothing up: a newer PATCH [takes over](Self::take_over)
/// and the stalled one, told so, stops without writing.
pub struct UploadSlot {
    /// Held while the stored offset is settled or a chunk is written.
    pub commit: tokio::sync::Mutex<()>,
    /// Raised by each takeover; the holder of the latest value may write.
    generation: watch::Sender<u64>,
}

impl Default for UploadSlot {
    fn default() -> Self {
        UploadSlot {
            commit: tokio::sync::Mutex::new(()),
            generation: watch::Sender::new(0),
        }
    }
}

impl UploadSlot {
    /// Makes the caller the upload's only writer; whoever wrote before is told to stop.
    /// Call with `commit` held, after checking the offset.
    pub fn take_over(&self) -> UploadWriter {
        self.generation.send_modify(|g| *g += 1);
        let receiver = self.generation.subscribe();
        let generation = *receiver.borrow();
        UploadWriter {
            generation,
            receiver,
        }
    }

    /// Tells the current writer, if any, to stop (the upload is going away).
    pub fn stop_writers(&self) {
        self.generation.send_modify(|g| *g += 1);
    }

    /// Whether `writer` is still the upload's writer. Check with `commit` held before
    /// writing.
    pub fn is_current(&self, writer: &UploadWriter) -> bool {
        *self.generation.borrow() == writer.generation
    }
}

/// The right to write an upload, until someone [takes it over](UploadSlot::take_over).
pub struct UploadWriter {
    generation: u64,
    receiver: watch::Receiver<u64>,
}

impl UploadWriter {
    /// Completes once another request has taken the upload over.
    pub async fn superseded(&mut self) {
        loop {
            if *self.receiver.borrow_and_update() != self.generation {
                return;
            }
            if self.receiver.changed().await.is_err() {
                // The slot is gone, and with it every rival: nobody can take over.
                std::future::pending::<()>().await;
            }
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
