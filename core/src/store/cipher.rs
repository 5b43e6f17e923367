//! The store encrypted at rest: SQLCipher with a raw 32-byte key that the shell hands in
//! (from the Android Keystore, the iOS Keychain, or the terminal shell's key file), and
//! the one-time migration of a plain store into an encrypted one.
//!
//! The key is used raw (`PRAGMA key = "x'…'"`): it is already 32 random bytes, so
//! SQLCipher's passphrase derivation (256,000 PBKDF2 rounds on every open) would only
//! slow the app's start.
//!
//! A plain store met with a key is encrypted in place before it is opened: the plain
//! file's log is folded into it, `sqlcipher_export` copies every table into a new file
//! beside it, the new file is synced and renamed over the old one. A crash at any point
//! leaves either the old plain store (the half-written copy is discarded on the next
//! open, which starts again) or the complete encrypted one, never neither.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore};
use rusqlite::Connection;
use zeroize::Zeroizing;

use gridwalk_model::signing::{from_hex, to_hex};

use crate::error::{CoreError, Result};

/// The first 16 bytes of every plain SQLite database file.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The suffix of the encrypted copy while a plain store is being migrated.
const STAGING_SUFFIX: &str = ".encrypting";

/// The key a store is encrypted with: 32 random bytes, wiped from memory when dropped
/// and never printed.
#[derive(Clone)]
pub struct StoreKey(Zeroizing<[u8; 32]>);

impl StoreKey {
    /// The length of a key, in bytes.
    pub const LEN: usize = 32;

    /// A key from its 32 bytes; any other length is [`CoreError::InvalidInput`].
    pub fn from_bytes(bytes: &[u8]) -> Result<StoreKey> {
        let mut key = Zeroizing::new([0u8; 32]);
        if bytes.len() != Self::LEN {
            return Err(CoreError::InvalidInput(format!(
                "a store key is {} bytes, this one is {}",
                Self::LEN,
                bytes.len()
            )));
        }
        key.copy_from_slice(bytes);
        Ok(StoreKey(key))
    }

    /// A key from 64 hex digits (surrounding white space ignored), as the key file and
    /// `GRIDWALK_STORE_KEY` hold it.
    pub fn from_hex(text: &str) -> Result<StoreKey> {
        let bytes = Zeroizing::new(from_hex(text.trim()).ok_or_else(|| {
            CoreError::InvalidInput("a store key is 64 hex digits; this is not hex".into())
        })?);
        StoreKey::from_bytes(&bytes)
    }

    /// A new random key from the operating system's random source.
    pub fn generate() -> StoreKey {
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(key.as_mut());
        StoreKey(key)
    }

    /// The key as 64 lower-case hex digits, for the key file.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(to_hex(self.0.as_ref()))
    }

    /// The key's bytes, for deriving the keys of other things kept at rest.
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key as SQLCipher's raw-key literal, `x'…'`.
    fn literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", self.to_hex().as_str()))
    }
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreKey(…)")
    }
}

/// The key personal-detail photos are sealed with (`photo::seal`), derived from the
/// store key by HKDF-SHA256; wiped when dropped and never printed.
#[derive(Clone)]
pub struct PhotoKey(Zeroizing<[u8; 32]>);

impl PhotoKey {
    /// What the photo key is derived for; a new purpose gets a new label.
    const INFO: &'static [u8] = b"gridwalk photo sealing v1";

    /// The photo key of the store encrypted with `store_key`.
    pub fn derive(store_key: &StoreKey) -> PhotoKey {
        let mut key = Zeroizing::new([0u8; 32]);
        // HKDF-SHA256 gives up to 8160 bytes, so asking for 32 cannot fail.
        let _ = hkdf::Hkdf::<sha2::Sha256>::new(None, store_key.bytes())
            .expand(Self::INFO, key.as_mut());
        PhotoKey(key)
    }

    /// The key's bytes, for the cipher.
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for PhotoKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PhotoKey(…)")
    }
}

/// What the file at a store path holds, judged from its first bytes.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum FileKind {
    /// No file, or an empty one: SQLite makes a new database there.
    New,
    /// A plain SQLite database.
    Plain,
    /// Anything else: an encrypted store, or a damaged file.
    Opaque,
}

/// Looks at the first bytes of `path`.
pub(super) fn file_kind(path: &Path) -> Result<FileKind> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileKind::New),
        Err(e) => return Err(CoreError::io(path, e)),
    };
    let mut header = Vec::with_capacity(PLAIN_HEADER.len());
    file.by_ref()
        .take(PLAIN_HEADER.len() as u64)
        .read_to_end(&mut header)
        .map_err(|e| CoreError::io(path, e))?;
    Ok(if header.is_empty() {
        FileKind::New
    } else if header == PLAIN_HEADER {
        FileKind::Plain
    } else {
        FileKind::Opaque
    })
}

/// Gives a just-opened connection its key and checks it: SQLCipher only tries the key
/// on the first read, where a wrong one looks like a file that is not a database. That
/// is [`CoreError::WrongKey`] here, not corruption: the file may be perfectly fine.
pub(super) fn unlock(conn: &Connection, key: &StoreKey, path: &Path) -> Result<()> {
    conn.pragma_update(None, "key", key.literal().as_str())?;
    quiet(conn)?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) => {
            Err(CoreError::WrongKey {
                path: path.display().to_string(),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Stops SQLCipher's own logging (to stderr on Linux, the system log on phones), which it
/// turns on when a key is first given in the process (so this comes after the key): a
/// wrong key would print lines into the terminal shell's output, and its failures reach
/// the shells as typed errors anyway.
fn quiet(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA cipher_log_level = NONE", [], |_| Ok(()))?;
    Ok(())
}

/// Encrypts the plain store at `path` with `key`, in place (see the module's comment).
/// Nothing else may have the store open meanwhile: the store belongs to one app.
pub(super) fn encrypt_in_place(path: &Path, key: &StoreKey) -> Result<()> {
    let staging = sibling(path, STAGING_SUFFIX);
    discard_staging(path)?;
    {
        let plain = Connection::open(path)?;
        plain.busy_timeout(std::time::Duration::from_secs(5))?;
        // Fold the log into the file, so the copy reads every commit from one place and
        // the log left behind is empty.
        let busy: i64 = plain.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy != 0 {
            return Err(CoreError::Storage(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                Some("another connection holds the store open; it cannot be encrypted now".into()),
            )));
        }
        let version: u32 = plain.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let staging_text = staging.to_str().ok_or_else(|| {
            CoreError::InvalidInput(format!("{}: the path is not UTF-8", staging.display()))
        })?;
        plain.execute(
            "ATTACH DATABASE ?1 AS encrypted KEY ?2",
            rusqlite::params![staging_text, key.literal().as_str()],
        )?;
        quiet(&plain)?;
        // A rollback journal, not a log: when the copy is detached everything is in the
        // one file that is renamed.
        plain.query_row("PRAGMA encrypted.journal_mode = DELETE", [], |_| Ok(()))?;
        plain.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        plain.execute_batch(&format!(
            "PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;"
        ))?;
    }
    sync_file(&staging)?;
    // Closing the plain connection removed its (empty) log and index; a leftover empty
    // pair would describe the plain file, not the new one.
    for suffix in ["-wal", "-shm"] {
        let leftover = sibling(path, suffix);
        if std::fs::metadata(&leftover).is_ok_and(|m| suffix == "-shm" || m.len() == 0) {
            std::fs::remove_file(&leftover).map_err(|e| CoreError::io(&leftover, e))?;
        }
    }
    std::fs::rename(&staging, path).map_err(|e| CoreError::io(path, e))?;
    sync_dir(path)
}

/// Removes what an interrupted migration left beside a store: the partial encrypted copy
/// and its journal. The store itself is still the plain one then.
pub(super) fn discard_staging(path: &Path) -> Result<()> {
    let staging = sibling(path, STAGING_SUFFIX);
    for leftover in [
        staging.clone(),
        sibling(&staging, "-journal"),
        sibling(&staging, "-wal"),
        sibling(&staging, "-shm"),
    ] {
        match std::fs::remove_file(&leftover) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(CoreError::io(&leftover, e)),
        }
    }
    Ok(())
}

/// Flushes a file's bytes to the disk.
fn sync_file(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| CoreError::io(path, e))
}

/// Flushes the folder holding `path`, so a rename in it survives a power cut.
fn sync_dir(path: &Path) -> Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => sync_file(dir),
        None => sync_file(Path::new(".")),
    }
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_32_bytes_or_64_hex_digits_and_never_printed() {
        let key = StoreKey::generate();
        let again = StoreKey::from_hex(&format!(" {}\n", key.to_hex().as_str())).unwrap();
        assert_eq!(again.bytes(), key.bytes());
        assert!(matches!(
            StoreKey::from_bytes(&[1; 31]),
            Err(CoreError::InvalidInput(_))
        ));
        assert!(matches!(
            StoreKey::from_hex("zz"),
            Err(CoreError::InvalidInput(_))
        ));
        assert_eq!(format!("{key:?}"), "StoreKey(…)");
    }

    #[test]
    fn the_first_bytes_tell_a_new_a_plain_and_an_opaque_file_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        assert_eq!(file_kind(&path).unwrap(), FileKind::New);
        std::fs::write(&path, b"").unwrap();
        assert_eq!(file_kind(&path).unwrap(), FileKind::New);
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t(x)")
            .unwrap();
        assert_eq!(file_kind(&path).unwrap(), FileKind::Plain);
        std::fs::write(&path, [0x5a; 4096]).unwrap();
        assert_eq!(file_kind(&path).unwrap(), FileKind::Opaque);
    }
}
