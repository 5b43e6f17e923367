//! The `photo_uploads` table: where an unfinished upload of a photo stands on the server
//! (its tus location), so a sync cut off mid-photo resumes it instead of starting over.
//! A row lives only while its upload does. The one module that reads and writes it.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

/// The location of the photo's unfinished upload, if one was started.
pub(crate) fn location(conn: &Connection, sha256: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT location FROM photo_uploads WHERE sha256 = ?1")?
        .query_row([sha256], |r| r.get(0))
        .optional()?)
}

/// Remembers the location of the photo's upload, replacing an earlier one.
pub(crate) fn save(conn: &Connection, sha256: &str, location: &str, at: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO photo_uploads(sha256, location, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(sha256) DO UPDATE SET location = excluded.location,
           updated_at = excluded.updated_at",
    )?
    .execute(params![sha256, location, at])?;
    Ok(())
}

/// Forgets the photo's upload (finished, or gone on the server).
pub(crate) fn forget(conn: &Connection, sha256: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM photo_uploads WHERE sha256 = ?1")?
        .execute([sha256])?;
    Ok(())
}
