//! What every request handler shares: the stores, the limits and the locks. Kept apart
//! from the routes so that the layers below them (who is calling, `auth`) can name it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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
}

impl AppState {
    /// State over the given stores and limits.
    pub fn new(store: Arc<dyn RecordStore>, blobs: Arc<dyn BlobStore>, limits: Limits) -> Self {
        AppState {
            store,
            blobs,
            limits: Arc::new(limits),
            uploads: Arc::default(),
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
