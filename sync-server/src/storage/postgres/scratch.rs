//! Throw-away databases on a PostgreSQL server: each test that runs against
//! PostgreSQL gets a database of its own (`CREATE DATABASE`), dropped when it is done,
//! so tests never see each other's records and may run in parallel.

use tokio_postgres::NoTls;

use crate::storage::{StoreError, StoreResult};

/// The environment variable naming the PostgreSQL server the tests run against
/// (`postgres://user@127.0.0.1:PORT/postgres`); unset, they use embedded SQLite.
pub const TEST_DATABASE_VAR: &str = "GRIDWALK_TEST_DATABASE";

/// A database made for one test, dropped (connections and all) with this value.
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    /// The server named by [`TEST_DATABASE_VAR`], if it is set.
    pub fn server_from_env() -> Option<String> {
        std::env::var(TEST_DATABASE_VAR)
            .ok()
            .filter(|url| !url.trim().is_empty())
    }

    /// Creates a new empty database on the server at `admin_url` (a URL whose user may
    /// create databases).
    pub fn create(admin_url: &str) -> StoreResult<ScratchDatabase> {
        admin_url
            .parse::<tokio_postgres::Config>()
            .map_err(|e| StoreError::Config(format!("{TEST_DATABASE_VAR}: {e}")))?;
        let name = format!("gridwalk_test_{}", uuid::Uuid::now_v7().simple());
        admin(admin_url, &format!("CREATE DATABASE {name}"))?;
        let url = url_with_database(admin_url, &name);
        Ok(ScratchDatabase {
            admin_url: admin_url.to_string(),
            name,
            url,
        })
    }

    /// The URL of the new database, for `--database`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let dropped = admin(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
        if let Err(e) = dropped {
            eprintln!("could not drop the test database {}: {e}", self.name);
        }
    }
}

/// `admin_url` with its path (the database name) replaced by `name`.
fn url_with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// Runs one statement on the server at `url` on a connection of its own, driven on a
/// runtime made for it (it may be called from a test's runtime, or from `Drop`).
fn admin(url: &str, sql: &str) -> StoreResult<()> {
    let done = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async {
                    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
                    let driver = tokio::spawn(connection);
                    client.batch_execute(sql).await?;
                    drop(client);
                    let _ = driver.await;
                    Ok::<(), StoreError>(())
                })
            })
            .join()
    });
    match done {
        Ok(result) => result,
        Err(_) => Err(StoreError::Config(
            "the database admin thread panicked".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::url_with_database;

    #[test]
    fn the_database_name_is_replaced_and_options_kept() {
        assert_eq!(
            url_with_database("postgres://pg@127.0.0.1:5433/postgres", "t1"),
            "postgres://pg@127.0.0.1:5433/t1"
        );
        assert_eq!(
            url_with_database("postgres://pg@127.0.0.1:5433", "t1"),
            "postgres://pg@127.0.0.1:5433/t1"
        );
        assert_eq!(
            url_with_database("postgres://pg@h/postgres?sslmode=disable", "t1"),
            "postgres://pg@h/t1?sslmode=disable"
        );
    }
}
