//! The photo pipeline's error type: one variant per way a camera file or the disk can
//! let us down, each with enough detail for a field worker (or a support person reading
//! a log) to know what to do next. Every one of them means nothing was stored.

use std::path::Path;

/// Why a photo could not be ingested. Nothing was written to the photo folder or the
/// store when any of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// The file is a known image format the core does not decode (HEIC, WebP, ...).
    /// The shells convert these to JPEG before handing them over.
    #[error(
        "unsupported image format: {format} (only JPEG and PNG are accepted; convert it first)"
    )]
    Unsupported {
        /// The format detected from the file's first bytes, e.g. "HEIC", or the JPEG
        /// variant the decoder lacks, e.g. "arithmetic-coded JPEG".
        format: String,
    },

    /// The file has no bytes at all (an interrupted copy or a failed capture).
    #[error("the photo file is empty (zero bytes)")]
    Empty,

    /// The file ends before the image data does (an interrupted copy or transfer).
    #[error("the {format} file is truncated: its image data ends early")]
    Truncated {
        /// "JPEG" or "PNG".
        format: &'static str,
    },

    /// The file starts like an image but its contents are damaged.
    #[error("the {format} file is corrupt: {reason}")]
    Corrupt {
        /// "JPEG" or "PNG".
        format: &'static str,
        /// What the decoder found wrong.
        reason: String,
    },

    /// The file is not an image at all.
    #[error("not an image: the file's contents are not JPEG or PNG")]
    NotAnImage,

    /// The file's name says it is an image but its contents are not one.
    #[error("the file is named .{extension} but its contents are not an image")]
    MisleadingExtension {
        /// The extension the file was named with, without the dot.
        extension: String,
    },

    /// The image header declares more pixels than allowed: refused before any pixel
    /// memory is allocated (a "decompression bomb" or simply too big for a phone).
    #[error("the image is {width}x{height} = {pixels} pixels, over the limit of {limit} pixels")]
    TooManyPixels {
        /// Declared width in pixels.
        width: u32,
        /// Declared height in pixels.
        height: u32,
        /// width × height.
        pixels: u64,
        /// The configured limit ([`crate::photo::IngestOptions::max_pixels`]).
        limit: u64,
    },

    /// The file is larger than any camera photo we accept; refused before reading it.
    #[error("the file is {bytes} bytes, over the limit of {limit} bytes")]
    FileTooLarge {
        /// Size of the file.
        bytes: u64,
        /// The configured limit ([`crate::photo::IngestOptions::max_file_bytes`]).
        limit: u64,
    },

    /// The source path could not be opened or read (missing, a directory, no permission).
    #[error("cannot read {path}: {source}")]
    Unreadable {
        /// The path that was given.
        path: String,
        /// What the operating system said.
        source: std::io::Error,
    },

    /// The device ran out of space (or hit a file size or quota limit) while writing.
    /// Any partial file was removed.
    #[error("no space left to store the photo at {path}: {source}")]
    DiskFull {
        /// The file or folder being written.
        path: String,
        /// What the operating system said.
        source: std::io::Error,
    },

    /// Writing the processed photo failed for another reason (read-only folder, a file
    /// where a folder should be, ...). Any partial file was removed.
    #[error("cannot write the photo to {path}: {source}")]
    WriteFailed {
        /// The file or folder being written.
        path: String,
        /// What the operating system said.
        source: std::io::Error,
    },

    /// The processing options are out of range (long edge, thumbnail edge, quality).
    #[error("invalid photo options: {0}")]
    InvalidOptions(String),

    /// The processed image could not be encoded (a bug, not bad input).
    #[error("cannot encode the processed photo: {0}")]
    Encode(String),
}

impl PhotoError {
    /// A stable, machine-readable name for the kind of error (see `CoreError::code`).
    pub fn code(&self) -> &'static str {
        match self {
            PhotoError::Unsupported { .. } => "photo-unsupported-format",
            PhotoError::Empty => "photo-empty",
            PhotoError::Truncated { .. } => "photo-truncated",
            PhotoError::Corrupt { .. } => "photo-corrupt",
            PhotoError::NotAnImage => "photo-not-an-image",
            PhotoError::MisleadingExtension { .. } => "photo-misleading-extension",
            PhotoError::TooManyPixels { .. } => "photo-too-many-pixels",
            PhotoError::FileTooLarge { .. } => "photo-file-too-large",
            PhotoError::Unreadable { .. } => "photo-unreadable",
            PhotoError::DiskFull { .. } => "photo-disk-full",
            PhotoError::WriteFailed { .. } => "photo-write-failed",
            PhotoError::InvalidOptions(_) => "photo-invalid-options",
            PhotoError::Encode(_) => "photo-encode",
        }
    }

    /// Classifies a write-side I/O error: space exhaustion gets its own variant because
    /// the remedy (free space) differs from every other write failure.
    pub(crate) fn write(path: &Path, source: std::io::Error) -> PhotoError {
        use std::io::ErrorKind;
        let path = path.display().to_string();
        match source.kind() {
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge => {
                PhotoError::DiskFull { path, source }
            }
            _ => PhotoError::WriteFailed { path, source },
        }
    }

    /// Wraps an error opening or reading the source file.
    pub(crate) fn unreadable(path: &Path, source: std::io::Error) -> PhotoError {
        PhotoError::Unreadable {
            path: path.display().to_string(),
            source,
        }
    }
}
