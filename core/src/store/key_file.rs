//! The terminal shell's store key: from the `GRIDWALK_STORE_KEY` environment variable
//! (64 hex digits) when it is set, otherwise from the file `store.key` in the data
//! folder, made with a new random key on first use. The phones keep theirs in the
//! platform keystore instead and never use this module.
//!
//! The file is only as safe as its permissions: one that others may read (any group or
//! world bit set) is refused with [`CoreError::KeyFileExposed`] rather than used, so a
//! key that may have leaked is noticed. A new file is written beside its final name with
//! mode `0600` and linked into place only if none is there, so a crash never leaves an
//! empty or half-written key file, and two processes starting at once agree on one key.

use std::io::Write;
use std::path::Path;

use crate::error::{CoreError, Result};
use crate::store::StoreKey;

/// The environment variable that holds the store key (hex) instead of the key file.
pub const KEY_ENV: &str = "GRIDWALK_STORE_KEY";

/// The key file's name in the data folder.
pub const KEY_FILE: &str = "store.key";

/// The store key of the data folder `dir`: `GRIDWALK_STORE_KEY` when set, otherwise the
/// key file, made on first use.
pub fn resolve(dir: &Path) -> Result<StoreKey> {
    match std::env::var(KEY_ENV) {
        Ok(hex) => {
            StoreKey::from_hex(&hex).map_err(|e| CoreError::InvalidInput(format!("{KEY_ENV}: {e}")))
        }
        Err(std::env::VarError::NotUnicode(_)) => Err(CoreError::InvalidInput(format!(
            "{KEY_ENV}: a store key is 64 hex digits; this is not text"
        ))),
        Err(std::env::VarError::NotPresent) => load_or_create(dir),
    }
}

/// The key in `dir/store.key`, made (with a new random key, mode `0600`) when there is
/// no such file yet.
pub fn load_or_create(dir: &Path) -> Result<StoreKey> {
    let path = dir.join(KEY_FILE);
    if !path.exists() {
        create(dir)?;
    }
    read(&path)
}

/// Reads a key file, refusing one that others may read.
fn read(path: &Path) -> Result<StoreKey> {
    let metadata = std::fs::metadata(path).map_err(|e| CoreError::io(path, e))?;
    ensure_private(path, &metadata)?;
    let text =
        zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| CoreError::io(path, e))?);
    StoreKey::from_hex(&text)
        .map_err(|e| CoreError::InvalidInput(format!("{}: {e}", path.display())))
}

#[cfg(unix)]
fn ensure_private(path: &Path, metadata: &std::fs::Metadata) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CoreError::KeyFileExposed {
            path: path.display().to_string(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn ensure_private(_path: &Path, _metadata: &std::fs::Metadata) -> Result<()> {
    Ok(())
}

/// Writes a new random key to a private temporary file, syncs it, and links it to
/// `store.key` unless another process got there first (whose key then stands).
fn create(dir: &Path) -> Result<()> {
    let path = dir.join(KEY_FILE);
    let staging = dir.join(format!("{KEY_FILE}.{}.new", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&staging).and_then(|mut file| {
        file.write_all(format!("{}\n", StoreKey::generate().to_hex().as_str()).as_bytes())?;
        file.sync_all()
    });
    let linked = written.and_then(|()| match std::fs::hard_link(&staging, &path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    });
    let removed = std::fs::remove_file(&staging);
    linked.map_err(|e| CoreError::io(&path, e))?;
    removed.map_err(|e| CoreError::io(&staging, e))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| CoreError::io(dir, e))
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn the_key_file_is_made_private_once_and_refused_once_others_may_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let key = load_or_create(dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(load_or_create(dir.path()).unwrap().bytes(), key.bytes());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no staging file is left"
        );

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        match load_or_create(dir.path()) {
            Err(e @ CoreError::KeyFileExposed { mode: 0o640, .. }) => {
                assert_eq!(e.code(), "key-file-exposed");
            }
            other => panic!("expected KeyFileExposed, got {other:?}"),
        }

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&path, "not a key").unwrap();
        assert!(matches!(
            load_or_create(dir.path()),
            Err(CoreError::InvalidInput(_))
        ));
    }
}
