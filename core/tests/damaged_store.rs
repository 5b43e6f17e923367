//! A damaged store says so: a file that is not a database, a database whose pages are
//! scribbled over or whose indexes disagree with their tables, records that no longer
//! parse, and a write-ahead log lost with committed changes are each their own error,
//! never "invalid input". Every damage here is done to real SQLite files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use gridwalk_core::profile::{Profile, Role};
use gridwalk_core::reference::Site;
use gridwalk_core::{CoreError, Store};
use rusqlite::Connection;

/// Bytes that are not a SQLite database (nor any other format): a repeating pattern.
fn garbage(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 13) as u8).collect()
}

fn site(id: &str) -> Site {
    Site {
        id: id.into(),
        name: format!("Site {id}"),
        kind: "residential".into(),
        unit: "G1".into(),
        address: String::new(),
        lat: None,
        lon: None,
    }
}

/// A store with a few sites, closed again.
fn store_with_sites(path: &Path) {
    let mut store = Store::open(path).unwrap();
    store.upsert_sites(&[site("S1"), site("S2")]).unwrap();
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", path.display()))
}

fn expect_corrupt<T>(result: Result<T, CoreError>) -> (String, String) {
    match result.map(|_| "a value") {
        Err(e @ CoreError::Corrupt { .. }) => {
            assert_eq!(e.code(), "corrupt");
            let CoreError::Corrupt { what, detail } = e else {
                unreachable!()
            };
            (what, detail)
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn a_file_of_garbage_is_corrupt_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    store_with_sites(&path);
    let bytes = garbage(std::fs::metadata(&path).unwrap().len() as usize);
    std::fs::write(&path, &bytes).unwrap();

    let (what, detail) = expect_corrupt(Store::open(&path));
    assert_eq!(what, path.display().to_string(), "names the file");
    assert!(detail.contains("not a database"), "{detail}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the file is not touched"
    );
}

#[test]
fn a_database_with_scribbled_pages_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    store_with_sites(&path);
    // Keep SQLite's 100-byte header, so the file still claims to be a database, and
    // overwrite the rest of the first page: the schema table's b-tree page.
    let mut bytes = std::fs::read(&path).unwrap();
    let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    bytes[100..page].copy_from_slice(&garbage(page - 100));
    std::fs::write(&path, &bytes).unwrap();

    let (what, detail) = expect_corrupt(Store::open(&path));
    assert_eq!(what, path.display().to_string());
    assert!(detail.contains("malformed"), "{detail}");
}

#[test]
fn an_index_that_disagrees_with_its_table_fails_the_integrity_check_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    store_with_sites(&path);
    {
        // Point the index of sites by unit at the (empty) b-tree of another index: the
        // sites are then missing from it, as after a torn write on a lying disk.
        let raw = Connection::open(&path).unwrap();
        let empty: i64 = raw
            .query_row(
                "SELECT rootpage FROM sqlite_schema WHERE name = 'hazard_events_by_case'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        raw.execute_batch("PRAGMA writable_schema = ON").unwrap();
        raw.execute(
            "UPDATE sqlite_schema SET rootpage = ?1 WHERE name = 'sites_by_unit'",
            [empty],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let (what, detail) = expect_corrupt(store.integrity_check());
    assert_eq!(what, path.display().to_string());
    assert!(detail.starts_with("integrity check failed"), "{detail}");
}

#[test]
fn records_that_no_longer_parse_are_corrupt_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = Store::open(&path).unwrap();
    store
        .set_profile(&Profile {
            name: "Li Wei".into(),
            role: Role::GridWorker,
            unit: "G1".into(),
            department: None,
        })
        .unwrap();
    assert!(store.profile().unwrap().is_some());

    let raw = Connection::open(&path).unwrap();
    raw.execute_batch(
        "UPDATE settings SET value = '{\"name\": \"Li' WHERE key = 'profile';
         INSERT INTO settings(key, value) VALUES ('hazard.deadlines', 'not json');
         INSERT INTO hazard_events(id, case_id, hlc_ms, hlc_counter, kind, device, body,
                                   origin, received_ms)
         VALUES ('e1', 'c1', 1, 0, 'reported', 'd1', '{\"id\": 1}', 'remote', 1);",
    )
    .unwrap();

    let (what, detail) = expect_corrupt(store.profile());
    assert_eq!(what, "the stored profile");
    assert!(detail.contains("EOF"), "{detail}");
    let (what, _) = expect_corrupt(store.deadline_policy());
    assert_eq!(what, "the stored deadline policy");
    let (what, _) = expect_corrupt(store.all_hazard_events());
    assert_eq!(what, "a stored hazard event");
    let (what, _) = expect_corrupt(store.case_states());
    assert_eq!(what, "a stored hazard event");
}

/// A power cut leaves the last commits in the `-wal` file only. If that file is then
/// lost (a cleaner, a restore that skipped it) SQLite itself opens the store as of the
/// last checkpoint and says nothing; the store refuses instead.
#[test]
fn a_log_lost_after_a_crash_is_refused_where_sqlite_would_silently_drop_commits() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.db");
    // Created and closed once, so the schema is in the database file itself.
    drop(Store::open(&live).unwrap());
    let store = Store::open(&live).unwrap();
    store
        .set_setting("marker", "written before the crash")
        .unwrap();
    // The files as a power cut at this moment leaves them, without the log.
    let crashed = dir.path().join("crashed.db");
    std::fs::copy(&live, &crashed).unwrap();
    std::fs::copy(sibling(&live, "-shm"), sibling(&crashed, "-shm")).unwrap();
    assert!(sibling(&live, "-wal").exists());
    assert!(!sibling(&crashed, "-wal").exists());

    match Store::open(&crashed).map(|_| "an open store") {
        Err(e @ CoreError::WalMissing { .. }) => {
            assert_eq!(e.code(), "wal-missing");
            let CoreError::WalMissing { path, frames } = e else {
                unreachable!()
            };
            assert_eq!(path, crashed.display().to_string());
            assert!(frames > 0);
        }
        other => panic!("expected WalMissing, got {other:?}"),
    }
    assert!(
        !sibling(&crashed, "-wal").exists(),
        "the refused open changed nothing"
    );

    // What SQLite does on its own: the store opens, the marker is silently gone.
    let raw = Connection::open(&crashed).unwrap();
    let markers: i64 = raw
        .query_row(
            "SELECT count(*) FROM settings WHERE key = 'marker'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(markers, 0);
    // The store with its log has it.
    assert_eq!(
        store.setting("marker").unwrap().as_deref(),
        Some("written before the crash")
    );
}

/// Deleting the log while the store is open elsewhere: SQLite would fail with a short
/// read from the empty log it recreates; the store says what happened instead.
#[test]
fn a_log_deleted_while_the_store_is_open_is_refused_by_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = Store::open(&path).unwrap();
    store.set_setting("marker", "only in the log").unwrap();
    std::fs::remove_file(sibling(&path, "-wal")).unwrap();

    match Store::open(&path).map(|_| "an open store") {
        Err(CoreError::WalMissing { frames, .. }) => assert!(frames > 0),
        other => panic!("expected WalMissing, got {other:?}"),
    }
    // The open connection still writes to the log it holds, and its last close
    // checkpoints it into the database file: nothing was lost in this case.
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.setting("marker").unwrap().as_deref(),
        Some("only in the log")
    );
}

#[test]
fn a_cleanly_closed_store_without_a_log_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    {
        let store = Store::open(&path).unwrap();
        store.set_setting("marker", "checkpointed").unwrap();
    }
    assert!(!sibling(&path, "-wal").exists());
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.setting("marker").unwrap().as_deref(),
        Some("checkpointed")
    );
    store.integrity_check().unwrap();
}
