//! The one public error of the FFI, converted from the core's error in one place.

use gridwalk_core::CoreError;

/// What went wrong, in the few kinds a shell acts on differently. Messages are safe to
/// show: they name records and items, never personal details. Each variant says what a
/// shell does with it.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum GridwalkError {
    /// The input was refused; nothing changed. `reason` says why.
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// Why the input was refused.
        reason: String,
    },
    /// A record the call names does not exist on this device.
    #[error("{kind} not found: {id}")]
    NotFound {
        /// What kind of record.
        kind: String,
        /// Its id.
        id: String,
    },
    /// The inspection cannot be submitted yet; the lists name the items to finish.
    #[error("cannot submit: {unanswered:?} unanswered, {missing_photos:?} lack a photo")]
    IncompleteInspection {
        /// Applicable items with no answer.
        unanswered: Vec<String>,
        /// Hazard answers that need a photo and have none.
        missing_photos: Vec<String>,
    },
    /// A workflow rule refused the action on a hazard case; nothing was recorded.
    #[error("refused by rule {rule:?}: {reason}")]
    ActionRefused {
        /// The rule that refused it.
        rule: gridwalk_core::hazard::Rule,
        /// What about the action broke it.
        reason: String,
    },
    /// The action needs to know who uses this device: set the profile or enrol first.
    #[error("no profile: enrol this device or set its profile first")]
    NoProfile,
    /// The record can no longer change (a submitted inspection), or the change conflicts
    /// with what is stored.
    #[error("conflict: {reason}")]
    Conflict {
        /// What conflicts.
        reason: String,
    },
    /// Sync needs an enrolled device: enrol with a code first.
    #[error("this device is not enrolled with a sync server")]
    NotEnrolled,
    /// The server refused this device's token or enrolment code: enrol again.
    #[error("unauthorised: {reason}")]
    Unauthorised {
        /// The server's message.
        reason: String,
    },
    /// The server could not be reached or answered with an error after the retries.
    /// Nothing recorded was lost; sync again later (retrying is right).
    #[error("network: {reason}")]
    Network {
        /// What failed.
        reason: String,
    },
    /// The device's storage failed (disk full, unwritable, a file system without the
    /// shared memory WAL journaling needs, a store written by a newer app). The data is
    /// intact: free space, update the app or move the store, then try again.
    #[error("storage: {reason}")]
    Storage {
        /// What failed.
        reason: String,
    },
    /// The photo (or its thumbnail) is not on this device yet: it is named by a record
    /// pulled from another device and its file has not arrived. Nothing is wrong: show
    /// the photo as pending and sync later, which fetches what the server holds.
    #[error("photo {sha256} is not on this device yet")]
    PhotoNotHeld {
        /// The photo's SHA-256.
        sha256: String,
    },
    /// A new photo was refused: less space is free than the floor (`set_min_free_bytes`).
    /// Nothing was stored and nothing deleted: ask the user to free space (or sync, so
    /// that sent photos may be cleared), then take the photo again.
    #[error("low storage: {free_bytes} bytes free, floor {floor_bytes}")]
    LowStorage {
        /// Bytes free for the app.
        free_bytes: u64,
        /// The floor.
        floor_bytes: u64,
    },
    /// The data on this device is damaged: the store file is not a database or fails
    /// its integrity check, a stored record no longer reads back, or the write-ahead log
    /// was lost with committed changes. Retrying cannot help: offer to restore a backup
    /// or re-enrol (move the damaged store aside, keep it for recovery, start a new one
    /// and sync); never retry and never delete it silently.
    #[error("corrupt: {reason}")]
    Corrupt {
        /// What is damaged and what SQLite or the parser said.
        reason: String,
    },
    /// The key does not open the store (or the file is not a store). Nothing was
    /// changed. Fetch the right key from the keystore; never delete the store over it.
    #[error("the key does not open the store at {path}")]
    WrongKey {
        /// The store file.
        path: String,
    },
    /// The device's signer (the platform keystore) could not sign the push's seal; nothing
    /// was sent and the records stay queued. Unlock the keystore and sync again.
    #[error("the device signer is unavailable: {reason}")]
    SignerUnavailable {
        /// What the signer said.
        reason: String,
    },
    /// The sync server answered something the protocol does not allow (a body that is
    /// not the expected JSON, a malformed record). Nothing from it was stored and nothing
    /// recorded here was lost. Sync again later; if it persists, the app and the server
    /// disagree on the protocol: suggest updating the app.
    #[error("the server answered something malformed: {reason}")]
    ServerMalformed {
        /// What was wrong with the answer, naming the URL or record.
        reason: String,
    },
    /// A bug in gridwalk: a state the code rules out was reached. Nothing the user does
    /// can fix it; show a "report a problem" path with the reason.
    #[error("internal error: {reason}")]
    Internal {
        /// What went wrong, for the bug report.
        reason: String,
    },
}

impl From<CoreError> for GridwalkError {
    fn from(error: CoreError) -> Self {
        let reason = error.to_string();
        match error {
            CoreError::NotFound { kind, id } => GridwalkError::NotFound {
                kind: kind.to_string(),
                id,
            },
            CoreError::IncompleteInspection {
                unanswered,
                missing_photos,
            } => GridwalkError::IncompleteInspection {
                unanswered,
                missing_photos,
            },
            CoreError::AlreadySubmitted { .. } => GridwalkError::Conflict { reason },
            CoreError::Template(_)
            | CoreError::InvalidInput(_)
            | CoreError::BadImportRow { .. }
            | CoreError::ItemNotApplicable { .. } => GridwalkError::InvalidInput { reason },
            CoreError::EventRefused(refusal) => GridwalkError::ActionRefused {
                rule: refusal.rule,
                reason: refusal.detail,
            },
            CoreError::NoProfile => GridwalkError::NoProfile,
            CoreError::PhotoNotHeld { sha256 } => GridwalkError::PhotoNotHeld { sha256 },
            CoreError::WrongKey { path } => GridwalkError::WrongKey { path },
            CoreError::SignerUnavailable { reason } => GridwalkError::SignerUnavailable { reason },
            CoreError::SchemaTooNew { .. }
            | CoreError::KeyFileExposed { .. }
            | CoreError::Storage(_)
            | CoreError::Io { .. }
            | CoreError::WalUnavailable { .. } => GridwalkError::Storage { reason },
            CoreError::LowStorage {
                free_bytes,
                floor_bytes,
            } => GridwalkError::LowStorage {
                free_bytes,
                floor_bytes,
            },
            CoreError::Corrupt { .. } | CoreError::WalMissing { .. } => {
                GridwalkError::Corrupt { reason }
            }
            // The device failed to store the photo: a storage problem, not the input's.
            CoreError::Photo(
                gridwalk_core::photo::PhotoError::DiskFull { .. }
                | gridwalk_core::photo::PhotoError::WriteFailed { .. },
            ) => GridwalkError::Storage { reason },
            CoreError::Photo(_) => GridwalkError::InvalidInput { reason },
            CoreError::NotEnrolled => GridwalkError::NotEnrolled,
            CoreError::Unauthorised { message } => GridwalkError::Unauthorised { reason: message },
            CoreError::NetworkUnreachable { .. } | CoreError::ServerStatus { .. } => {
                GridwalkError::Network { reason }
            }
            CoreError::Protocol(_) => GridwalkError::ServerMalformed { reason },
            CoreError::Internal(_) => GridwalkError::Internal { reason },
        }
    }
}
