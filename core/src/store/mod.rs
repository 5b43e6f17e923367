//! The device's local store: one SQLite file, opened one way, migrated one way, and one
//! owning module per table.
//!
//! Each table's SQL lives in its own module here, and nowhere else: the modules above
//! (`reference`, `inspection`, `hazard`, `sync`, ...) load rows through these owners,
//! ask the model what they mean, and write through the owners again. Owners take any
//! `&Connection`, so a caller composes several of them in one transaction; every
//! multi-row change runs in one, so a killed app loses at most the change in flight
//! (see `core/tests/crash_safety.rs`).
//!
//! Map of the module:
//! - [`cipher`]: the store encrypted at rest (SQLCipher): the key, unlocking, and the
//!   one-time encryption of a plain store.
//! - [`key_file`]: the terminal shell's store key, in a `0600` file or the environment.
//! - `migrations`: the numbered schema migrations.
//! - `settings`, `org_units`, `sites`, `templates`, `inspections`, `answers`,
//!   `answer_photos`, `photos`, `photo_uploads`, `outbox`, `hazard_events` (with
//!   `hazard_event_photos`): the table owners.
//! - [`shared`]: [`SharedStore`], the one store a shell's screens and its sync client
//!   share across threads.

pub mod cipher;
pub mod key_file;
mod migrations;
pub mod shared;
mod wal;

pub(crate) mod answer_photos;
pub(crate) mod answers;
pub mod chain_marks;
pub(crate) mod clock;
pub(crate) mod hazard_events;
pub(crate) mod inspections;
pub(crate) mod org_units;
pub(crate) mod outbox;
pub(crate) mod pending_photos;
pub(crate) mod photo_uploads;
pub(crate) mod photos;
pub(crate) mod proofs;
pub(crate) mod settings;
pub(crate) mod sites;
pub mod space;
pub(crate) mod templates;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{CoreError, Result};
use crate::signer::DeviceSigner;

pub use cipher::StoreKey;
pub use migrations::SCHEMA_VERSION;
pub use outbox::{OutboxEntry, RefusedEntry};
pub use pending_photos::PendingPhoto;
pub use photos::PhotoRef;
pub use shared::SharedStore;

/// The local store: the device's SQLite file and the operations on it.
///
/// Operations are grouped by concern in their own modules (`reference`, `inspection`,
/// `outbox`, ...), each adding methods to this type. A `Store` is one connection: to
/// use it from several threads (the screens and the sync client), wrap it in a
/// [`SharedStore`].
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) templates: templates::Cache,
    /// Where this store's signatures come from.
    pub(crate) signing: proofs::Signing,
    /// The key personal-detail photos are sealed with, derived from the store key;
    /// `None` for a plain store.
    pub(crate) photo_key: Option<cipher::PhotoKey>,
    path: PathBuf,
}

/// How a store is opened: [`Store::open_with`].
#[derive(Clone, Default)]
pub struct OpenOptions {
    /// The key the store is encrypted with (SQLCipher). `None` opens a plain SQLite
    /// store (tests, tools); a plain store opened with a key is encrypted in place first.
    pub key: Option<StoreKey>,
    /// The signer of this device's records. `None` signs with the core's software key,
    /// kept in the store's settings; a given signer (a platform keystore) is used
    /// instead, and the store then never holds a private key.
    pub signer: Option<Arc<dyn DeviceSigner>>,
}

impl Store {
    /// Opens (creating if needed) a plain, unencrypted store at `path`, signing with
    /// the software key it keeps: [`Store::open_with`] with no key and no signer. The
    /// shells open theirs encrypted.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Store::open_with(path, OpenOptions::default())
    }

    /// Opens (creating if needed) the store at `path` with its key and signer, sets the
    /// pragmas, migrates the schema and makes sure the built-in templates are present.
    /// A plain store opened with a key is first encrypted in place ([`cipher`]).
    ///
    /// A key that does not open the file is [`CoreError::WrongKey`]; without a key, a
    /// file that is not a store database is [`CoreError::Corrupt`]. A write-ahead log
    /// lost with committed changes is [`CoreError::WalMissing`], a file system that
    /// refuses WAL journaling [`CoreError::WalUnavailable`].
    pub fn open_with(path: impl AsRef<Path>, options: OpenOptions) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| CoreError::io(dir, e))?;
        }
        wal::ensure_not_lost(&path)?;
        let mut conn = match &options.key {
            None => Connection::open(&path)?,
            Some(key) => {
                if cipher::file_kind(&path)? == cipher::FileKind::Plain {
                    cipher::encrypt_in_place(&path, key).map_err(|e| e.in_store_file(&path))?;
                } else {
                    cipher::discard_staging(&path)?;
                }
                let conn = Connection::open(&path)?;
                cipher::unlock(&conn, key, &path)?;
                conn
            }
        };
        configure(&conn, &path)
            .and_then(|()| migrations::migrate(&mut conn))
            .map_err(|e| e.in_store_file(&path))?;
        let store = Store {
            conn,
            templates: templates::Cache::default(),
            signing: match options.signer {
                Some(signer) => proofs::Signing::Given(signer),
                None => proofs::Signing::Kept,
            },
            photo_key: options.key.as_ref().map(cipher::PhotoKey::derive),
            path,
        };
        for template in gridwalk_model::checklist::Template::builtin_cached()? {
            if !templates::exists(&store.conn, &template.id, template.version)? {
                let body = templates::encode(template)?;
                templates::insert_if_absent(&store.conn, template, &body, &now())?;
            }
        }
        Ok(store)
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<u32> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Runs SQLite's own consistency check; `Ok(())` when it reports `ok`, otherwise
    /// [`CoreError::Corrupt`] naming the file and SQLite's first finding.
    pub fn integrity_check(&self) -> Result<()> {
        let report: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if report == "ok" {
            Ok(())
        } else {
            Err(CoreError::Corrupt {
                what: self.path.display().to_string(),
                detail: format!("integrity check failed: {report}"),
            })
        }
    }

    /// Reads a device setting (the local profile, the sync cursor, ...).
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        settings::get(&self.conn, key)
    }

    /// Writes a device setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        settings::set(&self.conn, key, value)
    }

    /// Runs `f` in one write transaction: its changes are committed together when it
    /// returns `Ok`, and none of them is kept when it returns an error. Taken
    /// `IMMEDIATE`, so the write lock is held from the first read and what `f` loads
    /// cannot change under it before it writes. `f` gets the transaction and the parsed
    /// templates; the records it queued for the server are chained before the commit.
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&Connection, &templates::Cache) -> Result<T>,
    ) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx, &self.templates)?;
        proofs::link_queued(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

/// The pragmas every connection gets. `synchronous=FULL` because a phone's battery can
/// die at any moment and an acknowledged answer must survive that, not just a killed app.
fn configure(conn: &Connection, path: &Path) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    wal::enable(conn, path)?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY;",
    )?;
    conn.execute_batch(proofs::QUEUE_TABLE)?;
    Ok(())
}

/// The current time as stored: RFC 3339 UTC with milliseconds, which sorts as text.
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A new time-ordered record id.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
