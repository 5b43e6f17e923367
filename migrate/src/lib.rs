//! Numbered SQLite schema migrations, shared by the device store (`gridwalk-core`) and
//! the sync server's embedded store, so neither depends on the other for them.
//!
//! Migration N takes `PRAGMA user_version` from N-1 to N; all pending ones run in one
//! `BEGIN IMMEDIATE` transaction, so a crash mid-upgrade leaves the old schema intact. A
//! file newer than the list is refused and left untouched. Never edit a released
//! migration: add the next one.

use rusqlite::{Connection, TransactionBehavior};

/// Why a database could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The file was written by a newer build; refuse rather than damage it.
    #[error("database schema version {found} is newer than this build supports ({supported})")]
    SchemaTooNew {
        /// Version found in the file.
        found: u32,
        /// Highest version this build knows.
        supported: u32,
    },
    /// SQLite failed while reading the version or running a migration.
    #[error("migration failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Brings a database up to the last of `migrations` (index 0 is version 1).
pub fn migrate_schema(conn: &mut Connection, migrations: &[&str]) -> Result<(), MigrateError> {
    migrate_schema_to(conn, migrations, migrations.len() as u32)
}

/// Like [`migrate_schema`], but stops at version `target`: tests build every earlier
/// version with it to check that upgrading equals a fresh database.
pub fn migrate_schema_to(
    conn: &mut Connection,
    migrations: &[&str],
    target: u32,
) -> Result<(), MigrateError> {
    let supported = migrations.len() as u32;
    // Most opens find the schema current: answer that without taking the write lock, so
    // opening a second connection never waits on another connection's writes.
    let current = user_version(conn)?;
    if current > supported {
        return Err(MigrateError::SchemaTooNew {
            found: current,
            supported,
        });
    }
    if current >= target {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = user_version(&tx)?;
    if found > supported {
        return Err(MigrateError::SchemaTooNew { found, supported });
    }
    for (index, sql) in migrations
        .iter()
        .enumerate()
        .take(target as usize)
        .skip(found as usize)
    {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as u32 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

/// The schema version recorded in the file (`PRAGMA user_version`).
pub fn user_version(conn: &Connection) -> Result<u32, MigrateError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Every table, index and trigger definition, in a stable order: what the
/// upgrade-equals-fresh tests compare.
pub fn schema_of(conn: &Connection) -> Result<Vec<(String, String, String)>, MigrateError> {
    let mut stmt = conn.prepare(
        "SELECT type, name, COALESCE(sql, '') FROM sqlite_master
         WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const STEPS: &[&str] = &[
        "CREATE TABLE a(x);",
        "ALTER TABLE a ADD COLUMN y;",
        "CREATE INDEX a_y ON a(y);",
    ];

    #[test]
    fn every_partial_upgrade_ends_where_a_fresh_one_does() {
        let mut fresh = Connection::open_in_memory().unwrap();
        migrate_schema(&mut fresh, STEPS).unwrap();
        for start in 0..STEPS.len() as u32 {
            let mut conn = Connection::open_in_memory().unwrap();
            migrate_schema_to(&mut conn, STEPS, start).unwrap();
            assert_eq!(user_version(&conn).unwrap(), start);
            migrate_schema(&mut conn, STEPS).unwrap();
            assert_eq!(schema_of(&conn).unwrap(), schema_of(&fresh).unwrap());
        }
    }

    #[test]
    fn a_newer_file_is_refused_untouched_and_a_failed_step_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("n.db")).unwrap();
        conn.pragma_update(None, "user_version", 9).unwrap();
        match migrate_schema(&mut conn, STEPS) {
            Err(MigrateError::SchemaTooNew {
                found: 9,
                supported: 3,
            }) => {}
            other => panic!("{other:?}"),
        }
        assert!(schema_of(&conn).unwrap().is_empty());
        let mut conn = Connection::open_in_memory().unwrap();
        let broken = &["CREATE TABLE a(x);", "THIS IS NOT SQL;"];
        assert!(migrate_schema(&mut conn, broken).is_err());
        assert_eq!(user_version(&conn).unwrap(), 0);
        assert!(schema_of(&conn).unwrap().is_empty());
    }
}
