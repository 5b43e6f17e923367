//! What one sync did: the numbers a shell shows and a script checks.

use serde::{Deserialize, Serialize};

/// One pushed record the server refused. It stays on the device (never dropped) and is
/// offered again on a few later syncs, then held back and listed here every time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RejectedItem {
    /// The record's id.
    pub id: String,
    /// The record kind (`inspection`, `hazard-event`).
    pub kind: String,
    /// The server's reject code (`invalid`, `forbidden`, `conflict`, ...).
    pub code: String,
    /// The server's sentence saying what is wrong.
    pub reason: String,
    /// How many syncs the server has refused it in.
    pub times_refused: u32,
}

/// The outcome of one sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncReport {
    /// The server synced with.
    pub server: String,
    /// Records sent in push batches (each counted once, even when a batch was retried).
    pub pushed: u32,
    /// Records the server stored now.
    pub accepted: u32,
    /// Records the server already had (a retry after a lost answer, or a re-push).
    pub duplicates: u32,
    /// Records the server refused in this sync, with its reasons.
    pub rejected: Vec<RejectedItem>,
    /// Records refused too often to offer again; they stay on the device, listed here.
    pub held_back: Vec<RejectedItem>,
    /// Records received from the server in pull pages.
    pub pulled: u32,
    /// Of those, records new to this device.
    pub pulled_new: u32,
    /// Photos uploaded (or found already on the server) and marked uploaded.
    pub uploaded_blobs: u32,
    /// Photo bytes actually sent in upload chunks (resumed uploads send only the rest).
    pub uploaded_bytes: u64,
    /// Photos downloaded because pulled records refer to them.
    pub downloaded_blobs: u32,
    /// Photo bytes downloaded.
    pub downloaded_bytes: u64,
    /// Problems that did not stop the sync (a template the device could not store, a
    /// photo file missing on this device, ...).
    pub errors: Vec<String>,
}
