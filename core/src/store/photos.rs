//! The `photos` table: processed evidence photos known to this device, by the SHA-256 of
//! the stored file, and whether the server holds each. The one module that reads and
//! writes it.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// A processed evidence photo as the store knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PhotoRef {
    /// Lower-case hex SHA-256 of the stored evidence file.
    pub sha256: String,
    /// Size of the stored file in bytes.
    pub bytes: u64,
    /// Width of the stored image in pixels.
    pub width: u32,
    /// Height of the stored image in pixels.
    pub height: u32,
    /// Capture time read from the camera file, when it had one.
    pub taken_at: Option<String>,
    /// Latitude read from the camera file.
    pub lat: Option<f64>,
    /// Longitude read from the camera file.
    pub lon: Option<f64>,
    /// Camera make and model read from the camera file.
    pub camera: Option<String>,
}

/// Records a photo; a photo already recorded keeps its first record (same hash, same
/// bytes, same photo).
pub(crate) fn insert_if_absent(
    conn: &Connection,
    photo: &PhotoRef,
    created_at: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO photos(sha256, bytes, width, height, taken_at, lat, lon,
                                      camera, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        photo.sha256,
        photo.bytes,
        photo.width,
        photo.height,
        photo.taken_at,
        photo.lat,
        photo.lon,
        photo.camera,
        created_at
    ])?;
    Ok(())
}

/// What a camera file said about its capture: `(taken_at, lat, lon)`, each when known.
pub(crate) type Capture = (Option<String>, Option<f64>, Option<f64>);

/// What the camera file of photo `sha256` said about its capture, or `None` for a
/// photo not held.
pub(crate) fn capture(conn: &Connection, sha256: &str) -> Result<Option<Capture>> {
    Ok(conn
        .prepare_cached("SELECT taken_at, lat, lon FROM photos WHERE sha256 = ?1")?
        .query_row([sha256], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

/// The size in bytes of a held photo, `None` when it is not held.
pub(crate) fn size(conn: &Connection, sha256: &str) -> Result<Option<u64>> {
    Ok(conn
        .prepare_cached("SELECT bytes FROM photos WHERE sha256 = ?1")?
        .query_row([sha256], |r| r.get(0))
        .optional()?)
}

/// Whether the photo `sha256` is recorded. The one place that asks, so every caller
/// means the same thing by "held".
pub(crate) fn held(conn: &Connection, sha256: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM photos WHERE sha256 = ?1")?
        .query_row([sha256], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Every recorded photo, oldest first.
pub(crate) fn all(conn: &Connection) -> Result<Vec<String>> {
    hashes(
        conn,
        "SELECT sha256 FROM photos ORDER BY created_at, sha256",
    )
}

/// Recorded photos the server does not hold yet, oldest first.
pub(crate) fn not_uploaded(conn: &Connection) -> Result<Vec<String>> {
    hashes(
        conn,
        "SELECT sha256 FROM photos WHERE uploaded_at IS NULL ORDER BY created_at, sha256",
    )
}

fn hashes(conn: &Connection, sql: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Marks a photo as held by the server since `at`; marking twice keeps the first time.
pub(crate) fn mark_uploaded(conn: &Connection, sha256: &str, at: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE photos SET uploaded_at = ?2 WHERE sha256 = ?1 AND uploaded_at IS NULL",
    )?
    .execute(params![sha256, at])?;
    Ok(())
}
