//! The `pending_photos` table: photos named by records pulled from other devices whose
//! full file has not reached this device yet (their author sends records and
//! thumbnails first). Each has a placeholder row in `photos` so the records' links are
//! kept; the row here says the file is missing, and whether its thumbnail arrived. The
//! one module that reads and writes it.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// A photo this device knows of through a pulled record but does not hold yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingPhoto {
    /// Lower-case hex SHA-256 of the photo's evidence file.
    pub sha256: String,
    /// Whether its thumbnail is stored here (shown until the full photo arrives).
    pub thumbnail: bool,
}

/// Notes a photo named by a pulled record. A photo already known (held, or already
/// pending) is left as it is; an unknown one gets a placeholder in `photos`, marked as
/// on the server so this device never offers to upload it, and a row here.
pub(crate) fn note(conn: &Connection, sha256: &str, at: &str) -> Result<()> {
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO photos(sha256, bytes, width, height, created_at, uploaded_at)
             VALUES (?1, 0, 0, 0, ?2, ?2)",
        )?
        .execute(params![sha256, at])?;
    if inserted == 1 {
        conn.prepare_cached("INSERT INTO pending_photos(sha256, noted_at) VALUES (?1, ?2)")?
            .execute(params![sha256, at])?;
    }
    Ok(())
}

/// Whether the photo is pending (known through a record, its file not here yet).
pub(crate) fn is_pending(conn: &Connection, sha256: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM pending_photos WHERE sha256 = ?1")?
        .query_row([sha256], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The pending photo `sha256`, `None` when it is not pending.
pub(crate) fn get(conn: &Connection, sha256: &str) -> Result<Option<PendingPhoto>> {
    Ok(conn
        .prepare_cached(
            "SELECT sha256, thumbnail_at IS NOT NULL FROM pending_photos WHERE sha256 = ?1",
        )?
        .query_row([sha256], |r| {
            Ok(PendingPhoto {
                sha256: r.get(0)?,
                thumbnail: r.get(1)?,
            })
        })
        .optional()?)
}

/// Every pending photo, in the order they were noted.
pub(crate) fn all(conn: &Connection) -> Result<Vec<PendingPhoto>> {
    let mut stmt = conn.prepare_cached(
        "SELECT sha256, thumbnail_at IS NOT NULL FROM pending_photos ORDER BY noted_at, sha256",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok(PendingPhoto {
                sha256: r.get(0)?,
                thumbnail: r.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Records that a pending photo's thumbnail is stored here.
pub(crate) fn thumbnail_stored(conn: &Connection, sha256: &str, at: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE pending_photos SET thumbnail_at = ?2 WHERE sha256 = ?1 AND thumbnail_at IS NULL",
    )?
    .execute(params![sha256, at])?;
    Ok(())
}

/// Records that a pending photo's full file arrived: its placeholder gets the file's
/// size and pixel size, and it is no longer pending. A photo that was not pending is
/// left as it is.
pub(crate) fn arrived(
    conn: &Connection,
    sha256: &str,
    bytes: u64,
    width: u32,
    height: u32,
) -> Result<()> {
    let removed = conn
        .prepare_cached("DELETE FROM pending_photos WHERE sha256 = ?1")?
        .execute([sha256])?;
    if removed == 1 {
        conn.prepare_cached(
            "UPDATE photos SET bytes = ?2, width = ?3, height = ?4 WHERE sha256 = ?1",
        )?
        .execute(params![sha256, bytes, width, height])?;
    }
    Ok(())
}
