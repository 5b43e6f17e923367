//! Progress reported to the shell while a sync runs, through a callback the shell
//! implements (the phone shells draw a progress bar from it).

/// The phases of a sync, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SyncPhase {
    /// Fetching reference data: the person, units, sites, templates.
    Reference,
    /// Uploading photos (bytes done of bytes to send).
    Uploading,
    /// Pushing recorded inspections and hazard events (items done of items).
    Pushing,
    /// Pulling what others recorded (items received; `total` grows while pages arrive).
    Pulling,
}

/// Receives progress while a sync runs. Called from the sync's task; keep it quick.
pub trait SyncProgress: Send + Sync {
    /// `done` of `total` units of `phase` are finished.
    fn on_progress(&self, phase: SyncPhase, done: u64, total: u64);
}

/// An optional progress sink, so the sync code can report without checking each time.
#[derive(Clone, Copy)]
pub(crate) struct Progress<'a>(pub(crate) Option<&'a dyn SyncProgress>);

impl Progress<'_> {
    /// Reports progress, if anyone listens.
    pub(crate) fn report(&self, phase: SyncPhase, done: u64, total: u64) {
        if let Some(sink) = self.0 {
            sink.on_progress(phase, done, total);
        }
    }
}
