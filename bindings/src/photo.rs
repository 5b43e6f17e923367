//! Photos across the FFI: camera files go in as paths, evidence comes back as a record
//! with string paths (uniffi has no path type).

use gridwalk_core::photo;

/// A camera photo turned into evidence: stored without metadata under its SHA-256,
/// with a thumbnail; what the camera file said is returned for the record.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct IngestedPhoto {
    /// Lower-case hex SHA-256 of the stored evidence file.
    pub sha256: String,
    /// Width of the stored image.
    pub width: u32,
    /// Height of the stored image.
    pub height: u32,
    /// Size of the stored file in bytes.
    pub bytes: u64,
    /// Where the evidence file is.
    pub path: String,
    /// Where the thumbnail is.
    pub thumbnail_path: String,
    /// Capture time from the camera file, when it had one.
    pub taken_at: Option<String>,
    /// Latitude from the camera file.
    pub lat: Option<f64>,
    /// Longitude from the camera file.
    pub lon: Option<f64>,
    /// Camera make and model from the camera file.
    pub camera: Option<String>,
    /// Whether the same evidence was already stored (the photo was deduplicated).
    pub already_stored: bool,
}

impl From<photo::IngestedPhoto> for IngestedPhoto {
    fn from(p: photo::IngestedPhoto) -> Self {
        IngestedPhoto {
            sha256: p.sha256,
            width: p.width,
            height: p.height,
            bytes: p.bytes,
            path: p.path.display().to_string(),
            thumbnail_path: p.thumbnail_path.display().to_string(),
            taken_at: p.taken_at,
            lat: p.lat,
            lon: p.lon,
            camera: p.camera,
            already_stored: p.already_stored,
        }
    }
}
