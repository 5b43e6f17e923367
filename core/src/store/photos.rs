//! The `photos` table: processed evidence photos known to this device, by the SHA-256 of
//! the stored file, and whether the server holds each. The one module that reads and
//! writes it.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use gridwalk_model::hazard::Hlc;
use gridwalk_model::hazard::hlc::wall_clock_ms;
use gridwalk_model::photo_record::{PhotoRecord, to_e7};

use crate::error::{CoreError, Result};
use crate::store::clock;

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

/// Notes what the photo record of `sha256` will attest of its ingest, the first time
/// the photo is ingested: the camera original's SHA-256, the device's clock, and a
/// timestamp issued from its hybrid logical clock. An ingest of the same evidence again
/// keeps the first (the photo was on the device since then).
pub(crate) fn note_ingest(conn: &Connection, sha256: &str, original_sha256: &str) -> Result<()> {
    let noted: Option<Option<String>> = conn
        .prepare_cached("SELECT original_sha256 FROM photos WHERE sha256 = ?1")?
        .query_row([sha256], |r| r.get(0))
        .optional()?;
    if !matches!(noted, Some(None)) {
        return Ok(());
    }
    let now_ms = wall_clock_ms();
    let hlc = clock::issue(conn, now_ms, Hlc::default())?;
    conn.prepare_cached(
        "UPDATE photos SET original_sha256 = ?2, ingested_ms = ?3, ingested_hlc = ?4
         WHERE sha256 = ?1 AND original_sha256 IS NULL",
    )?
    .execute(params![sha256, original_sha256, now_ms, hlc.to_string()])?;
    Ok(())
}

/// The photo record this device can attest for photo `sha256`: `None` for a photo not
/// held, downloaded from the server, or ingested before originals were hashed.
pub(crate) fn record(conn: &Connection, sha256: &str) -> Result<Option<PhotoRecord>> {
    type Row = (
        Option<String>,
        Option<f64>,
        Option<f64>,
        Option<String>,
        Option<i64>,
        Option<String>,
    );
    let row: Option<Row> = conn
        .prepare_cached(
            "SELECT taken_at, lat, lon, original_sha256, ingested_ms, ingested_hlc
             FROM photos WHERE sha256 = ?1",
        )?
        .query_row([sha256], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .optional()?;
    let Some((taken_at, lat, lon, Some(original), Some(ingested_ms), Some(hlc))) = row else {
        return Ok(None);
    };
    let hlc = CoreError::parse_stored(&hlc, "a photo's ingest clock")?;
    Ok(Some(PhotoRecord {
        id: PhotoRecord::id_for(sha256),
        sha256: sha256.to_string(),
        original_sha256: original,
        taken_at,
        lat_e7: lat.map(to_e7),
        lon_e7: lon.map(to_e7),
        ingested_ms,
        hlc,
    }))
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

/// Whether the photo `sha256` is recorded and its file is here (not a photo only known
/// through a pulled record, see `pending_photos`). The one place that asks, so every
/// caller means the same thing by "held".
pub(crate) fn held(conn: &Connection, sha256: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM photos WHERE sha256 = ?1
             AND NOT EXISTS (SELECT 1 FROM pending_photos p WHERE p.sha256 = ?1)",
        )?
        .query_row([sha256], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Every held photo (its file here), oldest first.
pub(crate) fn all(conn: &Connection) -> Result<Vec<String>> {
    hashes(
        conn,
        "SELECT sha256 FROM photos
         WHERE sha256 NOT IN (SELECT sha256 FROM pending_photos)
         ORDER BY created_at, sha256",
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

/// Whether this device's thumbnail of the photo is already on the server.
pub(crate) fn thumbnail_sent(conn: &Connection, sha256: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT thumbnail_sent_at IS NOT NULL FROM photos WHERE sha256 = ?1")?
        .query_row([sha256], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

/// Marks this device's thumbnail of the photo as on the server since `at`.
pub(crate) fn mark_thumbnail_sent(conn: &Connection, sha256: &str, at: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE photos SET thumbnail_sent_at = ?2 WHERE sha256 = ?1 AND thumbnail_sent_at IS NULL",
    )?
    .execute(params![sha256, at])?;
    Ok(())
}
