//! The store's write-ahead log: turning it on, and noticing when it was lost.
//!
//! The store needs WAL journaling (a reader and a writer at once, durable commits that
//! do not rewrite the database file). A file system without shared memory refuses it,
//! and SQLite then quietly stays in another mode; [`enable`] makes that an error.
//!
//! A commit lives only in the `-wal` file until a checkpoint copies it into the database
//! file. If the `-wal` file is deleted after a crash (or while another connection has the
//! store open), SQLite opens the store as of the last checkpoint and says nothing: the
//! commits are gone without a word. When another connection still holds the store open
//! SQLite fails instead with a short read from the empty log it recreates. Before
//! opening, [`ensure_not_lost`] recognises both from the `-shm` index SQLite keeps next
//! to the log, which records how many frames the log holds and how many of them are
//! already in the database file.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::error::{CoreError, Result};

/// Turns on WAL journaling, or fails with [`CoreError::WalUnavailable`] naming the mode
/// the file system left the store in.
pub(super) fn enable(conn: &Connection, path: &Path) -> Result<()> {
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if mode.eq_ignore_ascii_case("wal") {
        Ok(())
    } else {
        Err(CoreError::WalUnavailable {
            path: path.display().to_string(),
            mode,
        })
    }
}

/// Fails with [`CoreError::WalMissing`] when the store's `-shm` index says its `-wal`
/// log holds committed frames not yet in the database file, and the log is gone or
/// shorter than those frames.
///
/// The log is looked at before and after the index: SQLite writes frames to the log
/// before the index counts them and shrinks the log only after the index is reset, so a
/// log that is short both times, around an index that counts frames, was lost and was
/// not merely being written or checkpointed by another connection meanwhile.
pub(super) fn ensure_not_lost(path: &Path) -> Result<()> {
    let wal = sibling(path, "-wal");
    let before = file_len(&wal);
    let Some(index) = read_index(&sibling(path, "-shm")) else {
        return Ok(());
    };
    let pending = index.max_frame.saturating_sub(index.backfilled);
    if pending == 0 {
        return Ok(());
    }
    let needed = index.log_len();
    if before >= needed || file_len(&wal) >= needed {
        return Ok(());
    }
    Err(CoreError::WalMissing {
        path: path.display().to_string(),
        frames: pending,
    })
}

/// `path` with `suffix` appended to its file name, as SQLite names the log and index.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// The file's length, 0 when it does not exist or cannot be read.
fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// What the `-shm` index says about the log.
struct WalIndex {
    /// Frames of committed transactions in the log (`mxFrame`).
    max_frame: u32,
    /// Frames already copied into the database file (`nBackfill`).
    backfilled: u32,
    /// The database page size; a log frame is a 24-byte header and one page.
    page_size: u64,
}

impl WalIndex {
    /// The length the log needs to hold every committed frame: a 32-byte header, then
    /// the frames.
    fn log_len(&self) -> u64 {
        32 + u64::from(self.max_frame) * (24 + self.page_size)
    }
}

/// The index's header, when the `-shm` file exists and holds a valid, initialised one.
///
/// Layout (SQLite's `wal.c`, in the host's byte order, as the file is shared memory):
/// two identical 48-byte copies of the header (`iVersion` at 0, `isInit` at 12,
/// `szPage` at 14, `mxFrame` at 16), then the checkpoint info with `nBackfill` at 96.
/// A torn or never-initialised index is ignored, as SQLite ignores it.
fn read_index(shm: &Path) -> Option<WalIndex> {
    const HEADER: usize = 48;
    const WAL_INDEX_VERSION: u32 = 3_007_000;
    let mut bytes = [0u8; 100];
    let mut file = std::fs::File::open(shm).ok()?;
    std::io::Read::read_exact(&mut file, &mut bytes).ok()?;
    let u32_at = |at: usize| {
        let mut word = [0u8; 4];
        word.copy_from_slice(&bytes[at..at + 4]);
        u32::from_ne_bytes(word)
    };
    let consistent = bytes[..HEADER] == bytes[HEADER..2 * HEADER];
    if !consistent || u32_at(0) != WAL_INDEX_VERSION || bytes[12] != 1 {
        return None;
    }
    let size_field = u16::from_ne_bytes([bytes[14], bytes[15]]);
    // A 65536-byte page does not fit the 16-bit field and is stored as 1.
    let page_size = if size_field == 1 {
        65_536
    } else {
        u64::from(size_field)
    };
    Some(WalIndex {
        max_frame: u32_at(16),
        backfilled: u32_at(96),
        page_size,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rusqlite::OpenFlags;

    use super::*;

    /// A file system without shared memory is simulated with SQLite's own `unix-dotfile`
    /// VFS, which has none: SQLite then keeps the rollback journal.
    #[test]
    fn a_file_system_that_refuses_wal_is_its_own_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let conn = Connection::open_with_flags_and_vfs(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
            c"unix-dotfile",
        )
        .unwrap();
        match enable(&conn, &path) {
            Err(CoreError::WalUnavailable { mode, .. }) => assert_eq!(mode, "delete"),
            other => panic!("expected WalUnavailable, got {other:?}"),
        }
        let plain = dir.path().join("plain.db");
        enable(&Connection::open(&plain).unwrap(), &plain).unwrap();
    }

    #[test]
    fn an_index_without_a_log_is_read_from_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let conn = Connection::open(&path).unwrap();
        enable(&conn, &path).unwrap();
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0; CREATE TABLE t(x);")
            .unwrap();
        for i in 0..10 {
            conn.execute("INSERT INTO t VALUES (?1)", [i]).unwrap();
        }
        let index = read_index(&sibling(&path, "-shm")).unwrap();
        assert_eq!(index.page_size, 4096);
        assert_eq!(index.backfilled, 0);
        assert!(index.max_frame >= 11, "{}", index.max_frame);
        assert_eq!(file_len(&sibling(&path, "-wal")), index.log_len());
        ensure_not_lost(&path).unwrap();

        conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)")
            .unwrap();
        let index = read_index(&sibling(&path, "-shm")).unwrap();
        assert_eq!(
            index.backfilled, index.max_frame,
            "a checkpoint copied them"
        );
        std::fs::remove_file(sibling(&path, "-wal")).unwrap();
        ensure_not_lost(&path).unwrap();
    }
}
