//! The embedded blob store: photos as files named by their SHA-256 under `blobs/`, and
//! unfinished uploads as `uploads/<id>.part` whose length is the tus offset.
//!
//! Every append is fsynced before the new offset is reported, and a finished upload
//! becomes a blob by rename, so a crash never leaves a blob with wrong bytes.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{BlobStore, FinishOutcome, StoreError, StoreResult};

/// Blobs and uploads in a local folder.
pub struct FileBlobStore {
    root: PathBuf,
}

impl FileBlobStore {
    /// Opens (creating if needed) the folder.
    pub fn open(root: &Path) -> StoreResult<FileBlobStore> {
        fs::create_dir_all(root.join("uploads"))?;
        fs::create_dir_all(root.join("sha256"))?;
        Ok(FileBlobStore {
            root: root.to_path_buf(),
        })
    }

    fn upload_path(&self, id: &str) -> StoreResult<PathBuf> {
        // Ids come from URLs: allow only what the server itself generates.
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            return Err(StoreError::Corrupt(format!("bad upload id `{id}`")));
        }
        Ok(self.root.join("uploads").join(format!("{id}.part")))
    }

    fn blob_path(&self, sha256: &str) -> StoreResult<PathBuf> {
        if !gridwalk_model::evidence::is_sha256_hex(sha256) {
            return Err(StoreError::Corrupt(format!("bad blob name `{sha256}`")));
        }
        Ok(self.root.join("sha256").join(&sha256[..2]).join(sha256))
    }
}

fn sync_dir(dir: &Path) -> StoreResult<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

impl BlobStore for FileBlobStore {
    fn check_health(&self) -> StoreResult<()> {
        fs::metadata(self.root.join("uploads"))?;
        Ok(())
    }

    fn start_upload(&self, upload_id: &str) -> StoreResult<()> {
        let path = self.upload_path(upload_id)?;
        File::create(&path)?.sync_all()?;
        sync_dir(&self.root.join("uploads"))
    }

    fn upload_offset(&self, upload_id: &str) -> StoreResult<Option<u64>> {
        match fs::metadata(self.upload_path(upload_id)?) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn append(&self, upload_id: &str, offset: u64, data: &[u8]) -> StoreResult<u64> {
        let path = self.upload_path(upload_id)?;
        let file = OpenOptions::new().write(true).open(&path)?;
        // The caller checked the offset; truncating to it drops any tail a crash left
        // between a write and its fsync, which was never acknowledged.
        file.set_len(offset)?;
        file.sync_all()?;
        let mut file = OpenOptions::new().append(true).open(&path)?;
        file.write_all(data)?;
        file.sync_all()?;
        Ok(offset + data.len() as u64)
    }

    fn finish(&self, upload_id: &str, sha256: &str) -> StoreResult<FinishOutcome> {
        let path = self.upload_path(upload_id)?;
        let target = self.blob_path(sha256)?;
        let mut hasher = Sha256::new();
        let mut file = File::open(&path)?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        let actual = hex::encode(hasher.finalize());
        if actual != sha256 {
            fs::remove_file(&path)?;
            return Ok(FinishOutcome::HashMismatch { actual });
        }
        let dir = target
            .parent()
            .ok_or_else(|| StoreError::Corrupt("blob path has no folder".into()))?;
        fs::create_dir_all(dir)?;
        // Same bytes under the same name: if the blob is already there, keep it.
        if target.exists() {
            fs::remove_file(&path)?;
        } else {
            fs::rename(&path, &target)?;
            sync_dir(dir)?;
        }
        Ok(FinishOutcome::Stored)
    }

    fn discard_upload(&self, upload_id: &str) -> StoreResult<()> {
        match fs::remove_file(self.upload_path(upload_id)?) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    fn remove_stale_upload_files(
        &self,
        before: std::time::SystemTime,
        keep: &std::collections::HashSet<String>,
    ) -> StoreResult<usize> {
        let mut removed = 0;
        for entry in fs::read_dir(self.root.join("uploads"))? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".part")) else {
                continue;
            };
            if keep.contains(id) {
                continue;
            }
            let changed = entry.metadata()?.modified()?;
            if changed < before {
                match fs::remove_file(entry.path()) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                    _ => removed += 1,
                }
            }
        }
        Ok(removed)
    }

    fn has_blob(&self, sha256: &str) -> StoreResult<bool> {
        Ok(self.blob_path(sha256)?.exists())
    }

    fn read_blob(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>> {
        match fs::read(self.blob_path(sha256)?) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
