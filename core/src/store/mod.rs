//! The device's local store: one SQLite file, opened one way, migrated one way.
//!
//! Every multi-row change runs in one transaction, so a killed app loses at most the
//! change in flight (see `core/tests/crash_safety.rs`).

mod migrations;
pub(crate) mod settings;
mod wal;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};

use crate::checklist::Template;
use crate::error::{CoreError, Result};

pub use migrations::SCHEMA_VERSION;

/// The local store: the device's SQLite file and the operations on it.
///
/// Operations are grouped by concern in their own modules (`reference`, `inspection`,
/// `outbox`), each adding methods to this type.
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) templates: TemplateCache,
    path: PathBuf,
}

/// Parsed templates by id and version. A stored version never changes (imports refuse a
/// different body under an existing version), so a parsed copy stays valid for the life
/// of the store, and the answer path does not re-parse JSON on every tap.
#[derive(Default)]
pub(crate) struct TemplateCache(RefCell<HashMap<(String, u32), Arc<Template>>>);

impl TemplateCache {
    /// The template `id` at `version`, parsed once.
    pub(crate) fn get(&self, conn: &Connection, id: &str, version: u32) -> Result<Arc<Template>> {
        let key = (id.to_string(), version);
        if let Some(t) = self.0.borrow().get(&key) {
            return Ok(Arc::clone(t));
        }
        let body: String = conn
            .query_row(
                "SELECT body FROM templates WHERE id = ?1 AND version = ?2",
                params![id, version],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| CoreError::NotFound {
                kind: "template",
                id: format!("{id} v{version}"),
            })?;
        let template = Arc::new(Template::from_json("stored template", &body).map_err(
            CoreError::unreadable(&format!("stored template {id} v{version}")),
        )?);
        self.0.borrow_mut().insert(key, Arc::clone(&template));
        Ok(template)
    }
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
        let mut store = Store {
            conn,
            templates: TemplateCache::default(),
            path,
        };
        for template in gridwalk_model::checklist::Template::builtin_cached()? {
            store.import_template_if_absent(template)?;
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
