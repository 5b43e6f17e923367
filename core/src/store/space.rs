//! The storage guard: a new photo is refused with [`CoreError::LowStorage`] when the
//! space free on the store's file system is below a configurable floor, before any of
//! it is decoded or written, so a full phone never ends up with a half-written photo or
//! a store that cannot commit. The guard only refuses: it never deletes anything, and
//! nothing unsent is ever removed to make room.

use std::path::Path;

use crate::error::{CoreError, Result};
use crate::store::{Store, settings};

/// Settings key: the floor, in bytes.
pub const MIN_FREE_KEY: &str = "storage.min-free-bytes";

/// The default floor: room for the store to commit and for the system to keep running
/// (a phone with less than this is already warning its owner).
pub const DEFAULT_MIN_FREE_BYTES: u64 = 200 * 1024 * 1024;

/// Bytes free for an unprivileged app on the file system holding `folder`.
fn free_bytes_at(folder: &Path) -> Result<u64> {
    let stat = rustix::fs::statvfs(folder).map_err(|e| CoreError::io(folder, e.into()))?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

impl Store {
    /// The folder the store file (and its photo folder) lives in.
    fn folder(&self) -> &Path {
        match self.path().parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        }
    }

    /// Bytes free for this app on the store's file system.
    pub fn free_bytes(&self) -> Result<u64> {
        free_bytes_at(self.folder())
    }

    /// The floor below which new photos are refused.
    pub fn min_free_bytes(&self) -> Result<u64> {
        match settings::get(&self.conn, MIN_FREE_KEY)? {
            None => Ok(DEFAULT_MIN_FREE_BYTES),
            Some(text) => text.parse().map_err(|_| CoreError::Corrupt {
                what: format!("setting {MIN_FREE_KEY}"),
                detail: format!("`{text}` is not a number of bytes"),
            }),
        }
    }

    /// Sets the floor below which new photos are refused (0: never refused).
    pub fn set_min_free_bytes(&mut self, bytes: u64) -> Result<()> {
        self.write(|tx, _| settings::set(tx, MIN_FREE_KEY, &bytes.to_string()))
    }

    /// Refuses with [`CoreError::LowStorage`] when the free space is below the floor;
    /// called before a new photo is ingested.
    pub(crate) fn ensure_room_for_photo(&self) -> Result<()> {
        let floor_bytes = self.min_free_bytes()?;
        if floor_bytes == 0 {
            return Ok(());
        }
        let free_bytes = self.free_bytes()?;
        if free_bytes < floor_bytes {
            return Err(CoreError::LowStorage {
                free_bytes,
                floor_bytes,
            });
        }
        Ok(())
    }
}
