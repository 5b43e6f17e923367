//! Server configuration: where data lives and the limits every request is held to.

use std::path::PathBuf;

/// Size and count limits; requests beyond them get `413` with a message naming the limit.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest JSON request body (enrol, push), counted after decompression so that a
    /// small compressed bomb cannot expand past it.
    pub max_body_bytes: usize,
    /// Largest photo a tus upload may declare in `Upload-Length`.
    pub max_photo_bytes: u64,
    /// Most items in one push batch.
    pub max_batch_items: usize,
    /// Page size of a pull when the client names none.
    pub default_pull_limit: u32,
    /// Largest page size a pull may ask for.
    pub max_pull_limit: u32,
}

/// The default photo limit: 20 MB, well above a processed evidence photo.
pub const DEFAULT_MAX_PHOTO_BYTES: u64 = 20 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 8 * 1024 * 1024,
            max_photo_bytes: DEFAULT_MAX_PHOTO_BYTES,
            max_batch_items: 500,
            default_pull_limit: 200,
            max_pull_limit: 1000,
        }
    }
}

/// Where the embedded storage lives inside the data folder.
#[derive(Debug, Clone)]
pub struct DataDir {
    /// The folder given with `--data`.
    pub root: PathBuf,
}

impl DataDir {
    /// The SQLite file holding records, reference data, people and devices.
    pub fn database(&self) -> PathBuf {
        self.root.join("server.sqlite")
    }

    /// The folder holding photo blobs and unfinished uploads.
    pub fn blobs(&self) -> PathBuf {
        self.root.join("blobs")
    }
}
