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
//! - `migrations`: the numbered schema migrations.
//! - `settings`, `org_units`, `sites`, `templates`, `inspections`, `answers`,
//!   `answer_photos`, `photos`, `photo_uploads`, `outbox`, `hazard_events` (with
//!   `hazard_event_photos`): the table owners.
//! - [`shared`]: [`SharedStore`], the one store a shell's screens and its sync client
//!   share across threads.

mod migrations;
pub mod shared;
mod wal;

pub(crate) mod answer_photos;
pub(crate) mod answers;
pub(crate) mod hazard_events;
pub(crate) mod inspections;
pub(crate) mod org_units;
pub(crate) mod outbox;
pub(crate) mod photo_uploads;
pub(crate) mod photos;
pub(crate) mod proofs;
pub(crate) mod settings;
pub(crate) mod sites;
pub mod space;
pub(crate) mod templates;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{CoreError, Result};

pub use migrations::SCHEMA_VERSION;
pub use outbox::{OutboxEntry, RefusedEntry};
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
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store at `path`, sets the pragmas, migrates the
    /// schema and makes sure the built-in templates are present.
    ///
    /// A file that is not a store database is [`CoreError::Corrupt`], a write-ahead log
    /// lost with committed changes [`CoreError::WalMissing`], a file system that refuses
    /// WAL journaling [`CoreError::WalUnavailable`].
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| CoreError::io(dir, e))?;
        }
        wal::ensure_not_lost(&path)?;
        let mut conn = Connection::open(&path)?;
        configure(&conn, &path)
            .and_then(|()| migrations::migrate(&mut conn))
            .map_err(|e| e.in_store_file(&path))?;
        let store = Store {
            conn,
            templates: templates::Cache::default(),
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
    /// templates.
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&Connection, &templates::Cache) -> Result<T>,
    ) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx, &self.templates)?;
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
