//! The `settings` table: small named values of this device (profile, clock, cursor,
//! sync credentials, policies). The one module that reads and writes it.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

/// Reads a setting through any connection or transaction.
pub(crate) fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Writes a setting through any connection or transaction.
pub(crate) fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO settings(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}
