//! Photo references in the store: processed evidence photos known to this device, by
//! the SHA-256 of the stored file, and which of them are not yet uploaded.
//! (Decoding and processing camera files is the photo pipeline's job; this module only
//! records the result.)

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::store::{Store, now};

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

/// Whether the photo `sha256` is recorded in the store behind `conn` (a connection or a
/// transaction). The one place that asks, so every caller means the same thing by "held".
pub(crate) fn photo_held(conn: &rusqlite::Connection, sha256: &str) -> Result<bool> {
    Ok(conn
        .query_row("SELECT 1 FROM photos WHERE sha256 = ?1", [sha256], |_| {
            Ok(())
        })
        .optional()?
        .is_some())
}

pub use gridwalk_model::evidence::is_sha256_hex;

impl Store {
    /// Records a processed photo. Recording the same hash again keeps the first record:
    /// the bytes are the same, so the photo is the same.
    pub fn register_photo(&mut self, photo: &PhotoRef) -> Result<()> {
        if !is_sha256_hex(&photo.sha256) {
            return Err(CoreError::InvalidInput(format!(
                "`{}` is not a lower-case hex SHA-256",
                photo.sha256
            )));
        }
        self.conn.execute(
            "INSERT OR IGNORE INTO photos(sha256, bytes, width, height, taken_at, lat, lon,
                                          camera, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                photo.sha256,
                photo.bytes,
                photo.width,
                photo.height,
                photo.taken_at,
                photo.lat,
                photo.lon,
                photo.camera,
                now()
            ],
        )?;
        Ok(())
    }

    /// Whether this device holds a photo.
    pub fn has_photo(&self, sha256: &str) -> Result<bool> {
        photo_held(&self.conn, sha256)
    }

    /// Hashes of photos referenced by an answer and not yet uploaded, oldest first.
    pub fn photos_to_upload(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.sha256 FROM photos p
             WHERE p.uploaded_at IS NULL
               AND EXISTS (SELECT 1 FROM answer_photos ap WHERE ap.sha256 = p.sha256)
             ORDER BY p.created_at, p.sha256",
        )?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}
