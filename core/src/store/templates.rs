//! The `templates` table: checklist templates as JSON bodies, immutable per version.
//! The one module that reads and writes it, and the parsed-template cache over it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{CoreError, Result};
use gridwalk_model::checklist::Template;

/// The JSON body a template is stored as (compared byte for byte on re-import).
pub(crate) fn encode(template: &Template) -> Result<String> {
    serde_json::to_string(template)
        .map_err(|e| CoreError::Internal(format!("template cannot be encoded: {e}")))
}

fn decode(body: &str) -> Result<Template> {
    Template::from_json("stored template", body).map_err(CoreError::unreadable("a stored template"))
}

/// The stored body of template `id` at `version`, if present.
pub(crate) fn body(conn: &Connection, id: &str, version: u32) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT body FROM templates WHERE id = ?1 AND version = ?2")?
        .query_row(params![id, version], |r| r.get(0))
        .optional()?)
}

/// Whether template `id` at `version` is stored.
pub(crate) fn exists(conn: &Connection, id: &str, version: u32) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM templates WHERE id = ?1 AND version = ?2")?
        .query_row(params![id, version], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The newest stored version of template `id`.
pub(crate) fn newest_version(conn: &Connection, id: &str) -> Result<Option<u32>> {
    Ok(conn
        .prepare_cached("SELECT MAX(version) FROM templates WHERE id = ?1")?
        .query_row([id], |r| r.get(0))?)
}

/// Every stored template, by id, newest version first within an id.
pub(crate) fn all(conn: &Connection) -> Result<Vec<Template>> {
    let mut stmt = conn.prepare_cached("SELECT body FROM templates ORDER BY id, version DESC")?;
    let bodies = stmt.query_map([], |r| r.get::<_, String>(0))?;
    bodies.map(|b| decode(&b?)).collect()
}

/// Stores a template version with its encoded `body`; a version already stored is
/// left as it was (callers compare bodies first when a difference matters).
pub(crate) fn insert_if_absent(
    conn: &Connection,
    template: &Template,
    body: &str,
    imported_at: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO templates(id, version, body, imported_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![template.id, template.version, body, imported_at])?;
    Ok(())
}

/// Parsed templates by id and version. A stored version never changes (imports refuse a
/// different body under an existing version), so a parsed copy stays valid for the life
/// of the store, and the answer path does not re-parse JSON on every tap.
#[derive(Default)]
pub(crate) struct Cache(RefCell<HashMap<(String, u32), Arc<Template>>>);

impl Cache {
    /// The template `id` at `version`, parsed once.
    pub(crate) fn get(&self, conn: &Connection, id: &str, version: u32) -> Result<Arc<Template>> {
        let key = (id.to_string(), version);
        if let Some(t) = self.0.borrow().get(&key) {
            return Ok(Arc::clone(t));
        }
        let body = body(conn, id, version)?.ok_or_else(|| CoreError::NotFound {
            kind: "template",
            id: format!("{id} v{version}"),
        })?;
        let template = Arc::new(decode(&body)?);
        self.0.borrow_mut().insert(key, Arc::clone(&template));
        Ok(template)
    }
}
