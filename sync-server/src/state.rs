//! What every request handler shares: the stores, the limits and the locks. Kept apart
//! from the routes so that the layers below them (who is calling, `auth`) can name it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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
    /// Serialises pushes, so a hazard case's scope is refolded from every stored event.
    pub case_lock: Arc<Mutex<()>>,
}

impl AppState {
    /// State over the given stores and limits.
    pub fn new(store: Arc<dyn RecordStore>, blobs: Arc<dyn BlobStore>, limits: Limits) -> Self {
        AppState {
            store,
            blobs,
            limits: Arc::new(limits),
            upload_locks: Arc::default(),
            case_lock: Arc::default(),
        }
    }
}
