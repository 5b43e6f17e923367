//! The device schema's numbered migrations, run by the shared runner
//! ([`gridwalk_migrate`]): all pending ones in one `BEGIN IMMEDIATE` transaction, a newer
//! file refused. Never edit a released migration: add the next one.

use rusqlite::Connection;

use crate::error::Result;

/// The migrations in order; index 0 is version 1.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_foundation.sql"),
    include_str!("migrations/0002_hazards.sql"),
    include_str!("migrations/0003_sync.sql"),
    include_str!("migrations/0004_photo_order.sql"),
    include_str!("migrations/0005_photo_uploads.sql"),
    include_str!("migrations/0006_record_proofs.sql"),
    include_str!("migrations/0007_pending_photos.sql"),
    include_str!("migrations/0008_photo_originals.sql"),
    include_str!("migrations/0009_chain_marks.sql"),
    include_str!("migrations/0010_chained_records.sql"),
];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Brings the device database up to [`SCHEMA_VERSION`], refusing a newer file.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    Ok(gridwalk_migrate::migrate_schema(conn, MIGRATIONS)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::Store;

    use crate::error::CoreError;
    use gridwalk_migrate::migrate_schema_to;

    fn schema_of(conn: &Connection) -> Vec<(String, String, String)> {
        gridwalk_migrate::schema_of(conn).unwrap()
    }

    #[test]
    fn upgrading_from_every_earlier_version_equals_a_fresh_database() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = Store::open(dir.path().join("fresh.db")).unwrap();
        let expected = schema_of(&fresh.conn);
        for start in 0..SCHEMA_VERSION {
            let path = dir.path().join(format!("from-{start}.db"));
            {
                let mut conn = Connection::open(&path).unwrap();
                migrate_schema_to(&mut conn, MIGRATIONS, start).unwrap();
                let at: u32 = conn
                    .query_row("PRAGMA user_version", [], |r| r.get(0))
                    .unwrap();
                assert_eq!(at, start);
            }
            let upgraded = Store::open(&path).unwrap();
            assert_eq!(upgraded.schema_version().unwrap(), SCHEMA_VERSION);
            assert_eq!(
                schema_of(&upgraded.conn),
                expected,
                "upgrade from v{start} differs"
            );
            upgraded.integrity_check().unwrap();
        }
    }

    #[test]
    fn a_newer_database_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("newer.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        match Store::open(&path) {
            Err(CoreError::SchemaTooNew { found, supported }) => {
                assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
            }
            other => panic!("expected SchemaTooNew, got {:?}", other.err()),
        }
        let conn = Connection::open(&path).unwrap();
        let v: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION + 1);
    }

    #[test]
    fn reopening_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        drop(Store::open(&path).unwrap());
        let s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        let n: i64 = s
            .conn
            .query_row("SELECT COUNT(*) FROM templates", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn version_4_numbers_existing_answer_photos_in_attachment_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v3.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate_schema_to(&mut conn, MIGRATIONS, 3).unwrap();
            conn.execute_batch(
                "INSERT INTO templates VALUES ('t', 1, '{}', 'x');
                 INSERT INTO sites VALUES ('S', 'site', 'market', 'G', '', NULL, NULL);
                 INSERT INTO inspections VALUES ('I', 'S', 't', 1, 'routine', 'draft', 'w', 'x', NULL);
                 INSERT INTO answers VALUES ('I', 'fire-02', 'hazard', NULL, 'x');",
            )
            .unwrap();
            for (sha, at) in [
                ("b", "2026-01-01T00:00:02Z"),
                ("a", "2026-01-01T00:00:03Z"),
                ("c", "2026-01-01T00:00:01Z"),
            ] {
                let sha = sha.repeat(64);
                conn.execute(
                    "INSERT INTO photos(sha256, bytes, width, height, created_at) VALUES (?1, 1, 1, 1, 'x')",
                    [&sha],
                )
                .unwrap();
                conn.execute(
                    "INSERT INTO answer_photos VALUES ('I', 'fire-02', ?1, ?2)",
                    [&sha, at],
                )
                .unwrap();
            }
            migrate_schema_to(&mut conn, MIGRATIONS, 4).unwrap();
            let order: Vec<(String, i64)> = conn
                .prepare(
                    "SELECT substr(sha256, 1, 1), position FROM answer_photos ORDER BY position",
                )
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let expected = [("c", 0), ("b", 1), ("a", 2)].map(|(s, p)| (s.to_string(), p));
            assert_eq!(order, expected);
        }
    }

    #[test]
    fn version_5_moves_unfinished_upload_locations_out_of_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v4.db");
        let [pending, uploaded, forgotten, unknown] = ["a", "b", "c", "d"].map(|c| c.repeat(64));
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate_schema_to(&mut conn, MIGRATIONS, 4).unwrap();
            for (sha, uploaded_at) in [
                (&pending, None),
                (&uploaded, Some("2026-01-01T00:00:00.000Z")),
                (&forgotten, None),
            ] {
                conn.execute(
                    "INSERT INTO photos(sha256, bytes, width, height, created_at, uploaded_at)
                     VALUES (?1, 1, 1, 1, 'x', ?2)",
                    rusqlite::params![sha, uploaded_at],
                )
                .unwrap();
            }
            for (sha, location) in [
                (&pending, "/v1/blobs/uploads/1"),
                (&uploaded, "/v1/blobs/uploads/2"),
                (&forgotten, ""),
                (&unknown, "/v1/blobs/uploads/4"),
            ] {
                conn.execute(
                    "INSERT INTO settings(key, value) VALUES (?1, ?2)",
                    [format!("sync.upload.{sha}"), location.to_string()],
                )
                .unwrap();
            }
            conn.execute(
                "INSERT INTO settings(key, value) VALUES ('sync.cursor', '42')",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let uploads: Vec<(String, String)> = store
            .conn
            .prepare("SELECT sha256, location FROM photo_uploads")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            uploads,
            vec![(pending.clone(), "/v1/blobs/uploads/1".to_string())]
        );
        assert_eq!(
            store.upload_location(&pending).unwrap().as_deref(),
            Some("/v1/blobs/uploads/1"),
            "the sync client resumes the moved upload"
        );
        let left: i64 = store
            .conn
            .query_row(
                "SELECT COUNT(*) FROM settings WHERE key LIKE 'sync.upload.%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(left, 0, "no upload location is left among the settings");
        assert_eq!(store.setting("sync.cursor").unwrap().as_deref(), Some("42"));
        store.integrity_check().unwrap();
    }
}
