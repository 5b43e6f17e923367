//! Where processed photos live on disk and how they get there.
//!
//! Content-addressed: the evidence file for hash `abcdef…` is `ab/cdef….jpg` under the
//! photo folder and its thumbnail `ab/cdef….thumb.jpg`; a sealed photo (personal
//! details, [`super::seal`]) is `ab/cdef….jpg.sealed` and `ab/cdef….thumb.jpg.sealed`.
//! A photo no larger than a thumbnail has no thumbnail file: it is its own. Two shots
//! of the same bytes are one file. The two-character shard keeps any one folder small
//! on phone file systems. Reading goes through [`Layout::read_evidence`] and
//! [`Layout::read_thumbnail`], which open sealed files, so no caller picks a path.
//!
//! Every file is written atomically: a temp file in the same folder, fsync, rename over
//! the final name, fsync the folder. A crash, a full disk or a killed app at any instant
//! leaves either the complete file or nothing under the final name; temp files are
//! removed on every error path, and folders this call created are removed again if it
//! fails, so a failed ingest leaves the photo folder exactly as it was.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use super::error::PhotoError;
use super::seal::{self, PhotoKey};

/// The content-addressed photo folder.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

/// What [`Layout::store`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The evidence file.
    pub path: PathBuf,
    /// The thumbnail file; the evidence file itself for a photo no larger than a
    /// thumbnail.
    pub thumbnail_path: PathBuf,
    /// Whether an intact evidence file with this hash was already there (dedupe).
    pub already_present: bool,
}

impl Layout {
    /// A layout rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Layout {
        Layout { root: root.into() }
    }

    /// The photo folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn shard<'a>(&self, sha256: &'a str) -> (PathBuf, &'a str) {
        let (head, rest) = sha256.split_at(2.min(sha256.len()));
        (self.root.join(head), rest)
    }

    /// Path of the evidence file for `sha256` (lower-case hex).
    pub fn evidence_path(&self, sha256: &str) -> PathBuf {
        let (dir, rest) = self.shard(sha256);
        dir.join(format!("{rest}.jpg"))
    }

    /// Path of the thumbnail for the evidence file `sha256`.
    pub fn thumbnail_path(&self, sha256: &str) -> PathBuf {
        let (dir, rest) = self.shard(sha256);
        dir.join(format!("{rest}.thumb.jpg"))
    }

    /// Path of the sealed evidence file for `sha256` (a personal-detail photo, see
    /// [`super::seal`]).
    pub fn sealed_path(&self, sha256: &str) -> PathBuf {
        let (dir, rest) = self.shard(sha256);
        dir.join(format!("{rest}.jpg.sealed"))
    }

    /// Path of the sealed thumbnail for the evidence file `sha256`.
    pub fn sealed_thumbnail_path(&self, sha256: &str) -> PathBuf {
        let (dir, rest) = self.shard(sha256);
        dir.join(format!("{rest}.thumb.jpg.sealed"))
    }

    /// The file holding the photo `sha256`'s evidence: the sealed one when there is one.
    pub fn stored_path(&self, sha256: &str) -> PathBuf {
        let sealed = self.sealed_path(sha256);
        if sealed.exists() {
            sealed
        } else {
            self.evidence_path(sha256)
        }
    }

    /// The evidence bytes of photo `sha256`, opened with `key` when they are sealed, and
    /// checked against the name: bytes that do not hash to it are refused, not returned.
    pub fn read_evidence(
        &self,
        sha256: &str,
        key: Option<&PhotoKey>,
    ) -> Result<Vec<u8>, PhotoError> {
        let path = self.stored_path(sha256);
        let stored = fs::read(&path).map_err(|e| PhotoError::unreadable(&path, e))?;
        let plain = if path == self.sealed_path(sha256) {
            key.and_then(|key| seal::open(key, sha256, &stored))
                .ok_or_else(|| {
                    damaged(
                        &path,
                        "the sealed photo does not open with this store's key",
                    )
                })?
        } else {
            stored
        };
        if super::hex(&Sha256::digest(&plain)) != sha256 {
            return Err(damaged(&path, "its bytes do not match its SHA-256"));
        }
        Ok(plain)
    }

    /// The file holding the photo `sha256`'s own thumbnail, the sealed one when there is
    /// one; `None` when there is no thumbnail file.
    fn stored_thumbnail_path(&self, sha256: &str) -> Option<PathBuf> {
        [
            self.sealed_thumbnail_path(sha256),
            self.thumbnail_path(sha256),
        ]
        .into_iter()
        .find(|path| path.exists())
    }

    /// The thumbnail bytes of photo `sha256`, opened with `key` when they are sealed;
    /// `None` when the photo has no thumbnail of its own because it is no larger than
    /// one (its evidence, [`Layout::read_evidence`], is what a screen shows and what
    /// goes up). A thumbnail file identical to its photo (as versions before this one
    /// wrote for small photos) is no thumbnail of its own either. A thumbnail is not
    /// named by its own hash, so a plain one is checked to be a JPEG; a sealed one is
    /// authenticated by the seal.
    pub fn read_thumbnail(
        &self,
        sha256: &str,
        key: Option<&PhotoKey>,
    ) -> Result<Option<Vec<u8>>, PhotoError> {
        let Some(path) = self.stored_thumbnail_path(sha256) else {
            return Ok(None);
        };
        let stored = fs::read(&path).map_err(|e| PhotoError::unreadable(&path, e))?;
        let plain = if path == self.sealed_thumbnail_path(sha256) {
            key.and_then(|key| seal::open(key, sha256, &stored))
                .ok_or_else(|| {
                    damaged(
                        &path,
                        "the sealed thumbnail does not open with this store's key",
                    )
                })?
        } else {
            stored
        };
        if super::sniff::sniff(&plain) != super::sniff::Format::Jpeg {
            return Err(damaged(&path, "the thumbnail is not a JPEG"));
        }
        if super::hex(&Sha256::digest(&plain)) == sha256 {
            return Ok(None);
        }
        Ok(Some(plain))
    }

    /// Stores a thumbnail of photo `sha256` that arrived before the photo itself (from
    /// the server), sealed with `key` when given; an earlier thumbnail is replaced.
    pub fn store_thumbnail(
        &self,
        sha256: &str,
        thumbnail: &[u8],
        key: Option<&PhotoKey>,
    ) -> Result<PathBuf, PhotoError> {
        let (path, bytes) = match key {
            None => (self.thumbnail_path(sha256), thumbnail.to_vec()),
            Some(key) => (
                self.sealed_thumbnail_path(sha256),
                seal::seal(key, sha256, thumbnail)?,
            ),
        };
        let (shard, _) = self.shard(sha256);
        let mut created_dirs = Vec::new();
        ensure_dir(&self.root, &mut created_dirs)?;
        ensure_dir(&shard, &mut created_dirs)?;
        write_all_atomic(&shard, &[(&path, &bytes)], &mut Vec::new())?;
        if key.is_some() {
            // Sealed from now on: no plain copy stays beside it.
            remove_plain(&[self.thumbnail_path(sha256)], &shard);
        }
        Ok(path)
    }

    /// Stores the evidence file (whose SHA-256 is `sha256`) and its thumbnail (`None`
    /// for a photo no larger than a thumbnail, which is its own). An intact evidence file
    /// already there is kept as is; a damaged one is replaced. On error, nothing this
    /// call wrote remains.
    pub fn store(
        &self,
        sha256: &str,
        evidence: &[u8],
        thumbnail: Option<&[u8]>,
    ) -> Result<Stored, PhotoError> {
        self.store_as(sha256, evidence, thumbnail, None)
    }

    /// Stores like [`Layout::store`], but sealed with `key` under the sealed names: the
    /// plaintext never reaches the disk.
    pub fn store_sealed(
        &self,
        sha256: &str,
        evidence: &[u8],
        thumbnail: Option<&[u8]>,
        key: &PhotoKey,
    ) -> Result<Stored, PhotoError> {
        self.store_as(sha256, evidence, thumbnail, Some(key))
    }

    fn store_as(
        &self,
        sha256: &str,
        evidence: &[u8],
        thumbnail: Option<&[u8]>,
        key: Option<&PhotoKey>,
    ) -> Result<Stored, PhotoError> {
        let (path, thumbnail_path) = match key {
            None => (self.evidence_path(sha256), self.thumbnail_path(sha256)),
            Some(_) => (self.sealed_path(sha256), self.sealed_thumbnail_path(sha256)),
        };
        let (shard, _) = self.shard(sha256);

        let mut created_dirs = Vec::new();
        let mut created_files = Vec::new();
        let result = (|| {
            ensure_dir(&self.root, &mut created_dirs)?;
            ensure_dir(&shard, &mut created_dirs)?;
            let (already_present, thumbnail_current) = match key {
                None => (
                    file_has_hash(&path, sha256),
                    thumbnail.is_none_or(|t| file_equals(&thumbnail_path, t)),
                ),
                Some(key) => {
                    let opens_to = |file: &Path| {
                        fs::read(file)
                            .ok()
                            .and_then(|sealed| seal::open(key, sha256, &sealed))
                    };
                    (
                        opens_to(&path).is_some_and(|p| super::hex(&Sha256::digest(&p)) == sha256),
                        thumbnail.is_none_or(|thumbnail| {
                            opens_to(&thumbnail_path).is_some_and(|t| t == thumbnail)
                        }),
                    )
                }
            };
            let sealed = |bytes: &[u8]| match key {
                Some(key) => seal::seal(key, sha256, bytes),
                None => Ok(bytes.to_vec()),
            };
            let evidence = if already_present {
                Vec::new()
            } else {
                sealed(evidence)?
            };
            let thumbnail = match thumbnail {
                Some(thumbnail) if !thumbnail_current => sealed(thumbnail)?,
                _ => Vec::new(),
            };
            let mut writes: Vec<(&Path, &[u8])> = Vec::with_capacity(2);
            if !already_present {
                writes.push((&path, &evidence));
            }
            // The thumbnail is derived from the evidence; rewrite it whenever it is
            // missing or differs (say, a different thumbnail size was configured).
            if !thumbnail_current {
                writes.push((&thumbnail_path, &thumbnail));
            }
            write_all_atomic(&shard, &writes, &mut created_files)?;
            Ok(already_present)
        })();
        match result {
            Ok(already_present) => {
                if key.is_some() {
                    // A plain copy from before the photo was known to be personal (a
                    // thumbnail that arrived first) does not stay beside the sealed one.
                    remove_plain(
                        &[self.evidence_path(sha256), self.thumbnail_path(sha256)],
                        &shard,
                    );
                }
                Ok(Stored {
                    thumbnail_path: match thumbnail {
                        Some(_) => thumbnail_path,
                        None => path.clone(),
                    },
                    path,
                    already_present,
                })
            }
            Err(e) => {
                // Roll back: files first, then the folders we made (only if empty).
                for file in created_files.iter().rev() {
                    let _ = fs::remove_file(file);
                }
                if !created_files.is_empty() {
                    let _ = sync_dir(&shard);
                }
                for dir in created_dirs.iter().rev() {
                    let _ = fs::remove_dir(dir);
                }
                Err(e)
            }
        }
    }

    /// Removes a photo's files, plain and sealed (used to undo an ingest whose store
    /// update failed).
    pub fn remove(&self, sha256: &str) {
        let _ = fs::remove_file(self.thumbnail_path(sha256));
        let _ = fs::remove_file(self.evidence_path(sha256));
        let _ = fs::remove_file(self.sealed_thumbnail_path(sha256));
        let _ = fs::remove_file(self.sealed_path(sha256));
        let (shard, _) = self.shard(sha256);
        let _ = sync_dir(&shard);
        let _ = fs::remove_dir(&shard);
    }
}

/// Creates `dir` if missing (its parent must exist or be created by an earlier call),
/// recording it so a failure can remove it again.
fn ensure_dir(dir: &Path, created: &mut Vec<PathBuf>) -> Result<(), PhotoError> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|e| PhotoError::write(dir, e))?;
    created.push(dir.to_path_buf());
    // Make the new directory entry itself durable.
    if let Some(parent) = dir.parent() {
        sync_dir(parent).map_err(|e| PhotoError::write(parent, e))?;
    }
    Ok(())
}

/// Removes plain copies of a photo that is now sealed, then makes the removals durable.
fn remove_plain(paths: &[PathBuf], shard: &Path) {
    let mut removed = false;
    for path in paths {
        removed |= fs::remove_file(path).is_ok();
    }
    if removed {
        let _ = sync_dir(shard);
    }
}

/// An evidence file that is there but cannot be trusted.
fn damaged(path: &Path, why: &str) -> PhotoError {
    PhotoError::unreadable(
        path,
        std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_string()),
    )
}

/// Whether `path` exists and its bytes hash to `sha256` (an intact earlier copy).
fn file_has_hash(path: &Path, sha256: &str) -> bool {
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    let mut hasher = Sha256::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(_) => return false,
        }
    }
    super::hex(&hasher.finalize()) == sha256
}

fn file_equals(path: &Path, bytes: &[u8]) -> bool {
    fs::read(path).is_ok_and(|existing| existing == bytes)
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` atomically (see the module docs).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PhotoError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    write_all_atomic(dir, &[(path, bytes)], &mut Vec::new())
}

/// Writes several files of one folder atomically: every temp file is written and
/// fsynced, then all are renamed, then the folder is fsynced once (one folder flush for
/// evidence and thumbnail instead of two). Paths that did not exist before and were
/// renamed into place are pushed to `created`, so a caller can undo them.
fn write_all_atomic(
    dir: &Path,
    files: &[(&Path, &[u8])],
    created: &mut Vec<PathBuf>,
) -> Result<(), PhotoError> {
    if files.is_empty() {
        return Ok(());
    }
    let mut temps: Vec<(PathBuf, &Path)> = Vec::with_capacity(files.len());
    let remove_temps = |temps: &[(PathBuf, &Path)]| {
        for (tmp, _) in temps {
            let _ = fs::remove_file(tmp);
        }
    };
    for &(path, bytes) in files {
        let tmp = temp_path(dir, path);
        // Recorded before creating it, so a failure part-way through still removes it.
        temps.push((tmp.clone(), path));
        let written = (|| -> std::io::Result<()> {
            let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()
        })();
        if let Err(e) = written {
            remove_temps(&temps);
            return Err(PhotoError::write(path, e));
        }
    }
    for (i, (tmp, path)) in temps.iter().enumerate() {
        let existed = path.exists();
        if let Err(e) = fs::rename(tmp, path) {
            remove_temps(&temps[i..]);
            return Err(PhotoError::write(path, e));
        }
        if !existed {
            created.push(path.to_path_buf());
        }
    }
    sync_dir(dir).map_err(|e| PhotoError::write(dir, e))
}

/// A temp name beside `path`: unique per process and call, and dot-prefixed so
/// listings and sync skip it.
fn temp_path(dir: &Path, path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Flushes a directory's entries (the rename) to disk. Only Unix can open a directory
/// for this; elsewhere the rename's own durability is what the OS gives.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
