//! The core's error type. Every fallible core operation returns [`CoreError`]; the FFI
//! crate converts it into its small public enum in one place.

use gridwalk_migrate::MigrateError;
use gridwalk_model::ModelError;
use gridwalk_model::checklist::TemplateError;
use gridwalk_model::inspection::Incomplete;

/// What a [`CoreError::Corrupt`] raised by SQLite names until the store names its file.
const STORE_DATABASE: &str = "the store database";

/// Result alias used throughout the core.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// Everything that can go wrong in the core, with enough detail to act on.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// A checklist template is malformed; names the file, item and reason.
    #[error(transparent)]
    Template(#[from] TemplateError),

    /// A referenced record does not exist on this device.
    #[error("{kind} not found: {id}")]
    NotFound {
        /// What was looked up ("site", "inspection", "template", ...).
        kind: &'static str,
        /// The id that was not found.
        id: String,
    },

    /// A photo's bytes were asked for, but this device does not hold them (yet): the
    /// photo is named by a pulled record and its file has not arrived, or only its
    /// thumbnail has. The next sync fetches what the server holds.
    #[error("photo {sha256} is not held on this device (yet)")]
    PhotoNotHeld {
        /// The photo's SHA-256.
        sha256: String,
    },

    /// Input from a user or a file is invalid; nothing was changed.
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// A CSV or other import file has a bad row; nothing from the file was imported.
    #[error("{file}, line {line}: {reason}")]
    BadImportRow {
        /// The file being imported.
        file: String,
        /// 1-based line number in the file (the header is line 1).
        line: u64,
        /// What is wrong with the row.
        reason: String,
    },

    /// The inspection is submitted and can no longer change.
    #[error("inspection {id} is already submitted and cannot change")]
    AlreadySubmitted {
        /// The inspection's id.
        id: String,
    },

    /// Submission refused: applicable items are unanswered or hazards lack a required photo.
    #[error("{}", describe_incomplete(.unanswered, .missing_photos))]
    IncompleteInspection {
        /// Codes of applicable items that have no answer yet.
        unanswered: Vec<String>,
        /// Codes of items answered `hazard` that require a photo and have none.
        missing_photos: Vec<String>,
    },

    /// The item is not part of the inspection's template or does not apply to the site.
    #[error("item {item} does not apply to inspection {inspection}")]
    ItemNotApplicable {
        /// The inspection's id.
        inspection: String,
        /// The item code.
        item: String,
    },

    /// The database was written by a newer gridwalk; refuse rather than damage it.
    #[error("database schema version {found} is newer than this build supports ({supported})")]
    SchemaTooNew {
        /// Version found in the file.
        found: u32,
        /// Highest version this build knows.
        supported: u32,
    },

    /// SQLite failed (a full disk, a locked or unwritable file, a query that failed).
    /// A file that is not a database or is damaged is [`CoreError::Corrupt`] instead.
    #[error("storage error: {0}")]
    Storage(rusqlite::Error),

    /// Data held on this device is damaged: the store file is not a SQLite database,
    /// fails SQLite's integrity check, or holds a record this build cannot read back
    /// although it wrote it. Retrying cannot help; the device's data has to be restored
    /// or fetched again from the server.
    #[error("corrupt data in {what}: {detail}")]
    Corrupt {
        /// What is damaged: the store file's path, or the record ("the stored profile").
        what: String,
        /// What SQLite or the parser said.
        detail: String,
    },

    /// The store's write-ahead log is gone while its shared-memory index still says it
    /// holds committed changes that are not in the database file yet: the file was
    /// deleted (by hand, a cleaner or a partial backup restore) after a crash or while
    /// the store was open. SQLite would silently open the store without those changes,
    /// so the store refuses to open instead.
    #[error(
        "{path}: the write-ahead log is missing; {frames} committed page writes that \
         were not yet in the database file are lost"
    )]
    WalMissing {
        /// The store file.
        path: String,
        /// Pages written by commits that only the missing log held.
        frames: u32,
    },

    /// The file system refused write-ahead logging, which the store needs for a reader
    /// and a writer at once and for durable commits; nothing was changed.
    #[error("{path}: the store needs WAL journaling, the file system gave `{mode}`")]
    WalUnavailable {
        /// The store file.
        path: String,
        /// The journal mode SQLite fell back to.
        mode: String,
    },

    /// The key does not open the encrypted store (or the file is not a store at all:
    /// SQLCipher cannot tell the two apart). Nothing was changed; the file is kept as it
    /// is. The shell must find the right key, not treat the store as damaged.
    #[error("{path}: the key does not open this store")]
    WrongKey {
        /// The store file.
        path: String,
    },

    /// The terminal shell's store key file can be read by others than its owner, so the
    /// key may have leaked; the store is not opened with it. `chmod 600` it if that was
    /// a mistake, otherwise treat the key as known to others.
    #[error(
        "{path}: the store key file is readable by others (mode {mode:o}); \
         it must be 0600 (chmod 600 {path})"
    )]
    KeyFileExposed {
        /// The key file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },

    /// The device's signer (a platform keystore) could not sign now: it is locked,
    /// gone, or refused. Records are chained without it when they are queued (ADR 12),
    /// so what needed the signature is a push's seal: nothing was sent, nothing queued
    /// was touched.
    #[error("this device's signer is unavailable: {reason}")]
    SignerUnavailable {
        /// What the signer said.
        reason: String,
    },

    /// A new photo was refused: the free space on the store's folder is below the
    /// configured floor ([`crate::Store::set_min_free_bytes`]). Nothing was stored and
    /// nothing was deleted; sync (so sent photos may be cleared by the shell) or free
    /// space, then take the photo again.
    #[error(
        "only {free_bytes} bytes free on the device, below the floor of {floor_bytes}; free space or sync first"
    )]
    LowStorage {
        /// Bytes free for the app on the store's file system.
        free_bytes: u64,
        /// The configured floor.
        floor_bytes: u64,
    },

    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },

    /// A hazard event was refused by a workflow rule; nothing was recorded.
    #[error(transparent)]
    EventRefused(#[from] gridwalk_model::hazard::rules::Refusal),

    /// An action needs the local profile (who is using this device) and none is set.
    #[error("no local profile: set who uses this device first (name, role, unit)")]
    NoProfile,
    /// A photo could not be ingested; nothing was stored.
    #[error(transparent)]
    Photo(#[from] crate::photo::error::PhotoError),

    /// Sync needs an enrolled device and this one is not enrolled.
    #[error("this device is not enrolled with a sync server; enrol it with a code first")]
    NotEnrolled,

    /// The sync server could not be reached (no network, refused, timed out, cut off),
    /// after the bounded retries. Nothing was lost; sync again later.
    #[error("cannot reach the sync server at {url}: {reason}")]
    NetworkUnreachable {
        /// The URL being requested.
        url: String,
        /// What the network layer said.
        reason: String,
    },

    /// The sync server refused the device's token or enrolment code.
    #[error("the sync server refused this device: {message}")]
    Unauthorised {
        /// The server's message.
        message: String,
    },

    /// The sync server answered with an error status.
    #[error("the sync server answered {status} ({code}): {message}")]
    ServerStatus {
        /// The HTTP status.
        status: u16,
        /// The server's stable error code (`bad_request`, `internal`, ...).
        code: String,
        /// The server's message.
        message: String,
    },

    /// The sync server answered something the protocol does not allow: a body that is
    /// not the expected JSON, a record that does not parse or is malformed, a missing
    /// header or result, a cursor that does not move. The message names the URL or the
    /// record. Nothing from the bad answer was stored.
    #[error("unexpected answer from the sync server: {0}")]
    Protocol(String),

    /// A bug in gridwalk: a state the code rules out was reached (our own types failed
    /// to encode, the HTTP client could not be built). Nothing the user does can fix it;
    /// report it.
    #[error("internal error (a bug in gridwalk): {0}")]
    Internal(String),
}

fn describe_incomplete(unanswered: &[String], missing_photos: &[String]) -> String {
    Incomplete {
        unanswered: unanswered.to_vec(),
        missing_photos: missing_photos.to_vec(),
    }
    .to_string()
}

impl From<ModelError> for CoreError {
    /// The model's refusals keep their meaning: a bad value is invalid input, a bad
    /// template or import row keeps its file and line, an incomplete inspection its items.
    fn from(e: ModelError) -> Self {
        match e {
            ModelError::Template(e) => CoreError::Template(e),
            ModelError::Invalid(reason) => CoreError::InvalidInput(reason),
            ModelError::BadImportRow { file, line, reason } => {
                CoreError::BadImportRow { file, line, reason }
            }
            ModelError::Incomplete(Incomplete {
                unanswered,
                missing_photos,
            }) => CoreError::IncompleteInspection {
                unanswered,
                missing_photos,
            },
        }
    }
}

impl From<MigrateError> for CoreError {
    fn from(e: MigrateError) -> Self {
        match e {
            MigrateError::SchemaTooNew { found, supported } => {
                CoreError::SchemaTooNew { found, supported }
            }
            MigrateError::Sqlite(e) => CoreError::from(e),
        }
    }
}

impl From<rusqlite::Error> for CoreError {
    /// SQLite saying a file is not a database or is damaged is corruption, which a shell
    /// must treat differently from a failed write: retrying cannot help. The file is not
    /// known here; [`Store::open`](crate::Store::open) names it.
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
                CoreError::Corrupt {
                    what: STORE_DATABASE.into(),
                    detail: e.to_string(),
                }
            }
            _ => CoreError::Storage(e),
        }
    }
}

impl CoreError {
    /// A stable, machine-readable name for the kind of error, shared by every shell.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::Template(_) => "bad-template",
            CoreError::NotFound { .. } => "not-found",
            CoreError::PhotoNotHeld { .. } => "photo-not-held",
            CoreError::InvalidInput(_) | CoreError::BadImportRow { .. } => "invalid-input",
            CoreError::AlreadySubmitted { .. } => "already-submitted",
            CoreError::IncompleteInspection { .. } => "incomplete-inspection",
            CoreError::ItemNotApplicable { .. } => "item-not-applicable",
            CoreError::SchemaTooNew { .. } => "schema-too-new",
            CoreError::Storage(_) => "storage",
            CoreError::Corrupt { .. } => "corrupt",
            CoreError::WalMissing { .. } => "wal-missing",
            CoreError::WalUnavailable { .. } => "wal-unavailable",
            CoreError::WrongKey { .. } => "wrong-key",
            CoreError::KeyFileExposed { .. } => "key-file-exposed",
            CoreError::SignerUnavailable { .. } => "signer-unavailable",
            CoreError::LowStorage { .. } => "low-storage",
            CoreError::Io { .. } => "io",
            CoreError::EventRefused(_) => "event-refused",
            CoreError::NoProfile => "no-profile",
            CoreError::Photo(e) => e.code(),
            CoreError::NotEnrolled => "not-enrolled",
            CoreError::NetworkUnreachable { .. } => "network-unreachable",
            CoreError::Unauthorised { .. } => "unauthorised",
            CoreError::ServerStatus { .. } => "server-status",
            CoreError::Protocol(_) => "protocol",
            CoreError::Internal(_) => "internal",
        }
    }

    /// Maps a parse failure of a record read back from this device's store to
    /// [`CoreError::Corrupt`] naming `what`: the device wrote the record itself, so a
    /// record that does not parse is damage, not the user's input.
    pub(crate) fn unreadable<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> CoreError {
        move |e| CoreError::Corrupt {
            what: what.to_string(),
            detail: e.to_string(),
        }
    }

    /// Parses a value this device stored as text (a status, a kind, a clock); a value
    /// that does not parse is [`CoreError::Corrupt`] naming `what`.
    pub(crate) fn parse_stored<T>(text: &str, what: &str) -> Result<T>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        text.parse().map_err(CoreError::unreadable(what))
    }

    /// Reclassifies a refusal of data the sync server sent (`what` names it): the store
    /// refuses it as invalid input, but the input came from the server, not the user, so
    /// it is the server breaking the protocol. Other errors pass through unchanged.
    pub(crate) fn sent_by_server(self, what: &str) -> CoreError {
        match self {
            CoreError::InvalidInput(_)
            | CoreError::BadImportRow { .. }
            | CoreError::Template(_) => CoreError::Protocol(format!("{what}: {self}")),
            other => other,
        }
    }

    /// Names the store file in a [`CoreError::Corrupt`] that SQLite raised without
    /// knowing which file it was reading.
    pub(crate) fn in_store_file(self, path: &std::path::Path) -> CoreError {
        match self {
            CoreError::Corrupt { what, detail } if what == STORE_DATABASE => CoreError::Corrupt {
                what: path.display().to_string(),
                detail,
            },
            other => other,
        }
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        CoreError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}
