//! The `settings` table: small named values of this device (profile, clock, cursor,
//! sync credentials, policies). The one module that reads and writes it; the concern
//! that owns a key (the profile, the clock, the sync client) names it.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

/// Reads a setting through any connection or transaction.
pub(crate) fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// Writes a setting through any connection or transaction.
pub(crate) fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO settings(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

/// Writes a setting unless it already has a value, and returns the value it has now:
/// two connections racing to create the same setting agree on the first one written.
pub(crate) fn get_or_insert(conn: &Connection, key: &str, value: &str) -> Result<String> {
    conn.prepare_cached("INSERT OR IGNORE INTO settings(key, value) VALUES (?1, ?2)")?
        .execute(params![key, value])?;
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))?)
}

/// Removes a setting (absent already is fine) through any connection or transaction.
pub(crate) fn remove(conn: &Connection, key: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM settings WHERE key = ?1")?
        .execute([key])?;
    Ok(())
}
