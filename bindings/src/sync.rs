//! Sync across the FFI: enrolment and sync as async functions (Kotlin `suspend`, Swift
//! `async`) driven on tokio inside the library, with progress reported through a
//! foreign callback interface. The sync handle shares the `GridwalkStore` the shell
//! already holds: it takes the store for one short step at a time and never across a
//! network wait, so the screens keep using the store while a sync runs.

use std::sync::Arc;

use gridwalk_core::SharedStore;
use gridwalk_core::sync::{self, Enrolment, SyncPhase, SyncProgress, SyncReport};

use crate::{GridwalkError, GridwalkStore};

/// Receives sync progress; implemented by the shell (a ViewModel, a notification).
#[uniffi::export(with_foreign)]
pub trait SyncListener: Send + Sync {
    /// `done` of `total` steps of `phase` are finished.
    fn on_progress(&self, phase: SyncPhase, done: u64, total: u64);
}

/// Forwards the core's progress to the shell's listener.
struct Forward(Arc<dyn SyncListener>);

impl SyncProgress for Forward {
    fn on_progress(&self, phase: SyncPhase, done: u64, total: u64) {
        self.0.on_progress(phase, done, total);
    }
}

/// Enrols and syncs the device whose store the shell holds.
#[derive(uniffi::Object)]
pub struct GridwalkSync {
    store: SharedStore,
}

#[uniffi::export(async_runtime = "tokio")]
impl GridwalkSync {
    /// A sync handle for the device's `store` (the one the screens use: both work on
    /// the same connection).
    #[uniffi::constructor]
    pub fn new(store: Arc<GridwalkStore>) -> Arc<Self> {
        Arc::new(GridwalkSync {
            store: store.shared(),
        })
    }

    /// The server this device is enrolled with, if any.
    pub fn enrolled_server(&self) -> Result<Option<String>, GridwalkError> {
        Ok(sync::enrolled_server(&self.store)?)
    }

    /// Enrols this device with a one-time code from the server's administrator; the
    /// person behind the code becomes the device's profile and reference data is fetched.
    pub async fn enroll(
        &self,
        server_url: String,
        code: String,
    ) -> Result<Enrolment, GridwalkError> {
        Ok(sync::enroll(&self.store, &server_url, &code).await?)
    }

    /// Uploads photos, pushes what was recorded here and pulls what others recorded.
    /// Safe to interrupt at any point and to run again.
    pub async fn sync(
        &self,
        listener: Option<Arc<dyn SyncListener>>,
    ) -> Result<SyncReport, GridwalkError> {
        let forward = listener.map(Forward);
        let progress = forward.as_ref().map(|f| f as &dyn SyncProgress);
        Ok(sync::sync(&self.store, progress).await?)
    }
}
