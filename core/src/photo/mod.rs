//! The photo evidence pipeline: camera file in, content-addressed evidence out.
//!
//! [`ingest`] reads a JPEG or PNG, decodes it at reduced scale where the format allows,
//! turns it upright per its EXIF orientation, shrinks it to a long edge, re-encodes it
//! as a metadata-free JPEG, makes a thumbnail, hashes the evidence file and writes both
//! atomically under the photo folder. What the EXIF said (time, place, camera) comes
//! back as fields for the record; it is never kept in the file.
//!
//! One file per concern:
//! - [`sniff`]: what format a file is, from its bytes.
//! - [`exif`]: orientation, capture time, GPS and camera from the EXIF block.
//! - [`decode`]: pixel-limit check, then shrink-on-load decoding.
//! - `coef_release`: a progressive JPEG's coefficient memory given back as its pixels
//!   come out.
//! - [`resize`]: SIMD downscaling.
//! - [`orient`]: turning pixels upright.
//! - [`encode`]: metadata-free JPEG output.
//! - [`layout`]: content-addressed, atomic storage and dedupe.
//! - [`seal`]: personal-detail photos encrypted at rest with a key from the store key.
//! - [`record`]: the signed photo record a device queues when it first sends a photo.
//! - [`error`]: the typed [`PhotoError`].
//!
//! The store side (`Store::ingest_photo`, the photo folder of a store) is at the bottom;
//! attaching photos to answers is the inspection's (`Store::answer_with_photos`).

mod coef_release;
pub mod decode;
pub mod encode;
pub mod error;
pub mod exif;
pub mod layout;
pub mod orient;
pub mod record;
pub mod resize;
pub mod seal;
pub mod sniff;

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

pub use error::PhotoError;
pub use exif::{CameraMeta, Orientation};
pub use layout::Layout;
pub use seal::PhotoKey;
pub use sniff::Format;

use crate::error::Result;
use crate::store::{PhotoRef, Store, now, photos};

/// How photos are processed. `Default` gives the project's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestOptions {
    /// Longest side of the stored evidence image, in pixels (default 1600: sharp on a
    /// supervisor's screen, ~250 KB over a village's mobile link).
    pub long_edge: u32,
    /// JPEG quality of evidence and thumbnail, 1–100 (default 80).
    pub quality: u8,
    /// Longest side of the thumbnail, in pixels (default 256).
    pub thumbnail_edge: u32,
    /// Largest pixel count a file's header may declare (default 64 Mi pixels: every
    /// phone camera up to 64 MP). Checked before any pixel memory is allocated.
    pub max_pixels: u64,
    /// Largest source file accepted, in bytes (default 64 MiB).
    pub max_file_bytes: u64,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            long_edge: 1600,
            quality: 80,
            thumbnail_edge: 256,
            max_pixels: 64 * 1024 * 1024,
            max_file_bytes: 64 * 1024 * 1024,
        }
    }
}

impl IngestOptions {
    fn validate(&self) -> std::result::Result<(), PhotoError> {
        let bad = |what: String| Err(PhotoError::InvalidOptions(what));
        if !(16..=16384).contains(&self.long_edge) {
            return bad(format!(
                "long edge {} is not within 16..=16384",
                self.long_edge
            ));
        }
        if !(16..=self.long_edge.max(16)).contains(&self.thumbnail_edge) {
            return bad(format!(
                "thumbnail edge {} is not within 16..={}",
                self.thumbnail_edge, self.long_edge
            ));
        }
        if !(1..=100).contains(&self.quality) {
            return bad(format!("quality {} is not within 1..=100", self.quality));
        }
        Ok(())
    }
}

/// A processed photo, in memory, not yet stored.
#[derive(Debug, Clone)]
pub struct ProcessedPhoto {
    /// The evidence JPEG's bytes.
    pub evidence: Vec<u8>,
    /// The thumbnail JPEG's bytes.
    pub thumbnail: Vec<u8>,
    /// Lower-case hex SHA-256 of `evidence`.
    pub sha256: String,
    /// Width of the evidence image (upright).
    pub width: u32,
    /// Height of the evidence image (upright).
    pub height: u32,
    /// The source format.
    pub format: Format,
    /// What the camera's EXIF said.
    pub meta: CameraMeta,
}

/// A photo ingested into the photo folder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IngestedPhoto {
    /// Lower-case hex SHA-256 of the stored evidence file; the photo's identity.
    pub sha256: String,
    /// Width of the stored evidence image.
    pub width: u32,
    /// Height of the stored evidence image.
    pub height: u32,
    /// Size of the stored evidence file in bytes.
    pub bytes: u64,
    /// The stored evidence file.
    pub path: PathBuf,
    /// The stored thumbnail; the evidence file itself for a photo no larger than a
    /// thumbnail.
    pub thumbnail_path: PathBuf,
    /// Capture time from the camera, when known (see [`CameraMeta::taken_at`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
    /// Latitude from the camera, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude from the camera, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// Camera make and model, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
    /// Whether the same evidence file was already stored (a duplicate ingest).
    pub already_stored: bool,
    /// Lower-case hex SHA-256 of the camera's original file as it arrived (the photo
    /// record attests it: `docs/signing.md`).
    pub original_sha256: String,
}

impl IngestedPhoto {
    /// The record the store keeps for this photo.
    pub fn to_photo_ref(&self) -> PhotoRef {
        PhotoRef {
            sha256: self.sha256.clone(),
            bytes: self.bytes,
            width: self.width,
            height: self.height,
            taken_at: self.taken_at.clone(),
            lat: self.lat,
            lon: self.lon,
            camera: self.camera.clone(),
        }
    }
}

/// Extensions that claim to be images: a non-image under one of these names is reported
/// as a misleading extension rather than a bare "not an image".
const IMAGE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jpe", "jfif", "png", "heic", "heif", "avif", "webp", "gif", "tif", "tiff",
    "bmp", "dng",
];

/// Ingests the camera file at `path` into the content-addressed photo folder
/// `photos_dir`. On any error nothing is written (see [`Layout::store`]).
pub fn ingest(
    path: &Path,
    photos_dir: &Path,
    options: &IngestOptions,
) -> std::result::Result<IngestedPhoto, PhotoError> {
    ingest_as(path, photos_dir, options, None)
}

/// Ingests like [`ingest`]; with `seal`, the evidence and thumbnail are sealed with that
/// key before they are written ([`Layout::store_sealed`]).
pub fn ingest_as(
    path: &Path,
    photos_dir: &Path,
    options: &IngestOptions,
    seal: Option<&PhotoKey>,
) -> std::result::Result<IngestedPhoto, PhotoError> {
    options.validate()?;
    let metadata = std::fs::metadata(path).map_err(|e| PhotoError::unreadable(path, e))?;
    if !metadata.is_file() {
        return Err(PhotoError::unreadable(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
        ));
    }
    if metadata.len() == 0 {
        return Err(PhotoError::Empty);
    }
    if metadata.len() > options.max_file_bytes {
        return Err(PhotoError::FileTooLarge {
            bytes: metadata.len(),
            limit: options.max_file_bytes,
        });
    }
    let file = File::open(path).map_err(|e| PhotoError::unreadable(path, e))?;
    let processed = process(BufReader::with_capacity(64 * 1024, file), options).map_err(|e| {
        match (e, claimed_image_extension(path)) {
            (PhotoError::NotAnImage, Some(extension)) => {
                PhotoError::MisleadingExtension { extension }
            }
            // `process` reads from an anonymous reader; name the file here.
            (PhotoError::Unreadable { source, .. }, _) => PhotoError::unreadable(path, source),
            (e, _) => e,
        }
    })?;
    let original_sha256 = hash_file(path)?;
    let layout = Layout::new(photos_dir);
    // A photo no larger than a thumbnail is its own: a second file would be the same
    // picture, and the server refuses a thumbnail that names itself.
    let thumbnail = (processed.width.max(processed.height) > options.thumbnail_edge)
        .then_some(processed.thumbnail.as_slice());
    let stored = match seal {
        None => layout.store(&processed.sha256, &processed.evidence, thumbnail)?,
        Some(key) => layout.store_sealed(&processed.sha256, &processed.evidence, thumbnail, key)?,
    };
    Ok(IngestedPhoto {
        sha256: processed.sha256,
        width: processed.width,
        height: processed.height,
        bytes: processed.evidence.len() as u64,
        path: stored.path,
        thumbnail_path: stored.thumbnail_path,
        taken_at: processed.meta.taken_at,
        lat: processed.meta.lat,
        lon: processed.meta.lon,
        camera: processed.meta.camera,
        already_stored: stored.already_present,
        original_sha256,
    })
}

/// The SHA-256 of the file at `path`, read in 64 KiB pieces: the camera's original as
/// it arrived, hashed on its own pass because decoding may seek and skip.
fn hash_file(path: &Path) -> std::result::Result<String, PhotoError> {
    let mut file = File::open(path).map_err(|e| PhotoError::unreadable(path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| PhotoError::unreadable(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn claimed_image_extension(path: &Path) -> Option<String> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    IMAGE_EXTENSIONS.contains(&ext.as_str()).then_some(ext)
}

/// Processes camera bytes in memory (the fuzz target's entry point; [`ingest`] is this
/// plus reading the file and storing the result).
pub fn process_bytes(
    bytes: &[u8],
    options: &IngestOptions,
) -> std::result::Result<ProcessedPhoto, PhotoError> {
    if bytes.len() as u64 > options.max_file_bytes {
        return Err(PhotoError::FileTooLarge {
            bytes: bytes.len() as u64,
            limit: options.max_file_bytes,
        });
    }
    process(Cursor::new(bytes), options)
}

/// Processes a camera file from a reader: sniff, decode (shrink-on-load), resize,
/// orient, encode evidence and thumbnail, hash.
pub fn process<R: BufRead + Seek>(
    mut reader: R,
    options: &IngestOptions,
) -> std::result::Result<ProcessedPhoto, PhotoError> {
    options.validate()?;
    let mut head = [0u8; sniff::SNIFF_LEN];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(PhotoError::Unreadable {
                    path: String::new(),
                    source: e,
                });
            }
        }
    }
    if filled == 0 {
        return Err(PhotoError::Empty);
    }
    reader
        .seek(SeekFrom::Start(0))
        .map_err(|e| PhotoError::Unreadable {
            path: String::new(),
            source: e,
        })?;
    let format = sniff::sniff(&head[..filled]);
    let decoded = match format {
        Format::Jpeg => decode::jpeg(reader, options.long_edge, options.max_pixels)?,
        Format::Png => decode::png(reader, options.long_edge, options.max_pixels)?,
        Format::Unsupported(name) => {
            return Err(PhotoError::Unsupported {
                format: name.to_string(),
            });
        }
        Format::Unknown => return Err(PhotoError::NotAnImage),
    };
    let meta = decoded.exif.as_deref().map(exif::read).unwrap_or_default();
    let icc = decoded.icc;

    // Resize before orienting: turning 1.9 MP costs far less than turning 12 MP.
    let evidence_image = orient::apply(
        resize::to_long_edge(decoded.image, options.long_edge, resize::Quality::Sharp)?,
        meta.orientation,
    );
    // The thumbnail is made on a second thread while the evidence is encoded: both
    // only read the upright image, and phones (and this bench machine) have spare cores.
    let (evidence, thumbnail) = std::thread::scope(|scope| {
        let thumb = scope.spawn(|| {
            let (w, h) = decode::fit(
                evidence_image.width,
                evidence_image.height,
                options.thumbnail_edge,
            );
            let small = resize::resize(&evidence_image, w, h, resize::Quality::Fast)?;
            encode::jpeg(&small, options.quality, icc.as_deref())
        });
        let evidence = encode::jpeg(&evidence_image, options.quality, icc.as_deref());
        let thumbnail = thumb
            .join()
            .map_err(|_| PhotoError::Encode("the thumbnail worker panicked".into()))?;
        Ok::<_, PhotoError>((evidence?, thumbnail?))
    })?;
    Ok(ProcessedPhoto {
        sha256: hex(&Sha256::digest(&evidence)),
        width: evidence_image.width,
        height: evidence_image.height,
        evidence,
        thumbnail,
        format,
        meta,
    })
}

/// A thumbnail of already-processed evidence (a JPEG another device ingested and this one
/// downloaded): decoded at reduced scale straight to about the thumbnail size, so the
/// shells can list photos they did not take. The evidence itself is never re-encoded:
/// its bytes are what its SHA-256 names.
pub fn thumbnail_of_evidence(
    evidence: &[u8],
    options: &IngestOptions,
) -> std::result::Result<Vec<u8>, PhotoError> {
    options.validate()?;
    if sniff::sniff(evidence) != Format::Jpeg {
        return Err(PhotoError::NotAnImage);
    }
    let decoded = decode::jpeg(
        Cursor::new(evidence),
        options.thumbnail_edge,
        options.max_pixels,
    )?;
    let small = resize::to_long_edge(decoded.image, options.thumbnail_edge, resize::Quality::Fast)?;
    encode::jpeg(&small, options.quality, decoded.icc.as_deref())
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

impl Store {
    /// The folder where this store's photos live: `photos/` beside the database file.
    pub fn photos_dir(&self) -> PathBuf {
        match self.path().parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join("photos"),
            _ => PathBuf::from("photos"),
        }
    }

    /// The photo folder's layout (paths of evidence files and thumbnails by hash).
    pub fn photo_layout(&self) -> Layout {
        Layout::new(self.photos_dir())
    }

    /// The key that seals this store's personal-detail photos; `None` for a plain store,
    /// whose photos are all kept plain like the store itself.
    pub(crate) fn photo_key(&self) -> Option<&PhotoKey> {
        self.photo_key.as_ref()
    }

    /// Ingests a camera file into this store's photo folder and records it. Ingesting
    /// the same photo twice returns the same hash and stores one file.
    pub fn ingest_photo(&mut self, path: &Path, options: &IngestOptions) -> Result<IngestedPhoto> {
        self.ensure_room_for_photo()?;
        let photo = ingest(path, &self.photos_dir(), options)?;
        let recorded = self.write(|tx, _| {
            photos::insert_if_absent(tx, &photo.to_photo_ref(), &now())?;
            photos::note_ingest(tx, &photo.sha256, &photo.original_sha256)
        });
        if let Err(e) = recorded {
            if !photo.already_stored {
                self.photo_layout().remove(&photo.sha256);
            }
            return Err(e);
        }
        Ok(photo)
    }
}
