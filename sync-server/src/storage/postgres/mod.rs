//! The record store on PostgreSQL (`--database postgres://…`), for several server
//! replicas on one database (issue 14). Nothing is shared between replicas in memory:
//! - a hazard case's lock is a session advisory lock on a connection of its own
//!   ([`PgStore::lock_case`]), so two replicas never extend one case's kept fold at once;
//! - the pull cursor's sequence is drawn under a transaction advisory lock held until
//!   commit (`records.rs`), so sequence order is commit order and a puller never moves
//!   past a record that commits later with a smaller number;
//! - a push request is one transaction on one connection ([`RecordStore::in_batch`]):
//!   its case locks are transaction advisory locks taken first in key order, so its
//!   records cost one commit (one WAL flush) and the feed lock is held once per request;
//! - enrolment attempts and upload caps are counted under a per-client / per-device
//!   transaction lock, so two replicas cannot both admit the last place.
//!
//! The driver is tokio-postgres with a deadpool pool. The connections run on a small
//! runtime this store owns; a call blocks its thread on the query's future (the trait
//! is synchronous and the API calls it inside `spawn_blocking`), which works from any
//! thread, a runtime's own included, as the admin code and the tests call it.

mod case_index;
mod console;
mod copy;
mod records;
pub mod scratch;

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use super::register::RegisterCache;
use super::{BatchStep, CaseLock, RecordStore, StoreError, StoreResult};

/// The numbered migrations for PostgreSQL; index 0 is version 1. Never edit a released
/// migration: add the next one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_records.sql"),
    include_str!("migrations/0002_console.sql"),
    include_str!("migrations/0003_thumbnails.sql"),
    include_str!("migrations/0004_case_columns.sql"),
    include_str!("migrations/0005_form_nonces.sql"),
    include_str!("migrations/0006_chained_records.sql"),
    include_str!("migrations/0007_dashboard_reads.sql"),
    include_str!("migrations/0008_pull_scope.sql"),
    include_str!("migrations/0009_seq_at_commit.sql"),
    include_str!("migrations/0010_units_version.sql"),
    include_str!("migrations/0011_sites_version.sql"),
    include_str!("migrations/0012_seq_from_xid.sql"),
];

/// Most connections one replica opens for queries.
const POOL_SIZE: usize = 16;
/// Most hazard cases one replica holds locked at once (each lock holds a connection).
/// Apart from the query pool, so a lock waiter never takes the connection the lock's
/// holder needs to finish.
const LOCK_POOL_SIZE: usize = 8;

/// The PostgreSQL record store.
pub struct PgStore {
    pool: Pool,
    locks: Pool,
    handle: tokio::runtime::Handle,
    /// Taken only by `Drop`, which shuts it down without waiting; `None` in a batch's
    /// view, which runs on its store's runtime.
    runtime: Option<tokio::runtime::Runtime>,
    /// In a batch's view ([`RecordStore::in_batch`]): the connection whose transaction
    /// every query of the view goes into.
    batch: Option<tokio::sync::Mutex<Pinned>>,
    /// In a batch's view: how many records its transaction has tried to store, each
    /// numbered by its place ([`records::FEED_FROM`]); outside a batch every record is
    /// a transaction of its own, the first of it.
    ordinal: std::sync::atomic::AtomicI64,
    /// The org-unit tree as of the last change to the units (shared with batch views).
    register: Arc<RegisterCache>,
}

/// A batch's connection, in its open transaction. Unless [`Pinned::release`]d once the
/// transaction has ended, dropping it closes the connection rather than handing it back
/// to the pool half-way through: PostgreSQL then rolls the transaction back and releases
/// its locks.
pub(super) struct Pinned(Option<Object>);

impl Pinned {
    /// Hands the connection back to the pool; its transaction has ended.
    fn release(mut self) {
        drop(self.0.take());
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            drop(Object::take(client));
        }
    }
}

impl std::ops::Deref for Pinned {
    type Target = Object;

    fn deref(&self) -> &Object {
        // Only `release` and `drop` take the connection, and both consume the guard.
        self.0
            .as_ref()
            .unwrap_or_else(|| unreachable!("a batch connection used after release"))
    }
}

/// A connection for queries: a pooled one, or in a batch's view the batch's own.
pub(super) enum Conn<'a> {
    /// From the query pool, for this call alone (boxed: a pooled object is large).
    Pooled(Box<Object>),
    /// The batch's connection, in its transaction.
    Pinned(tokio::sync::MutexGuard<'a, Pinned>),
}

impl std::ops::Deref for Conn<'_> {
    type Target = Object;

    fn deref(&self) -> &Object {
        match self {
            Conn::Pooled(c) => c,
            Conn::Pinned(c) => c,
        }
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Object {
        match self {
            Conn::Pooled(c) => c,
            Conn::Pinned(c) => {
                c.0.as_mut()
                    .unwrap_or_else(|| unreachable!("a batch connection used after release"))
            }
        }
    }
}

/// What the query helpers run on: a connection, or a transaction on one.
pub(super) trait Db {
    /// The client the statements go to.
    type Client: GenericClient;
    /// That client.
    fn db(&self) -> &Self::Client;
}

impl Db for Conn<'_> {
    type Client = Object;

    fn db(&self) -> &Object {
        self
    }
}

impl Db for Pinned {
    type Client = Object;

    fn db(&self) -> &Object {
        self
    }
}

impl Db for deadpool_postgres::Transaction<'_> {
    type Client = Self;

    fn db(&self) -> &Self {
        self
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user@host:port/name`) and brings
    /// its schema up to date; a database written by a newer build is refused.
    pub fn open(url: &str) -> StoreResult<PgStore> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Config(format!("--database: {e}")))?;
        let pool = |size| {
            let manager = Manager::from_config(
                config.clone(),
                NoTls,
                ManagerConfig {
                    recycling_method: RecyclingMethod::Fast,
                },
            );
            Pool::builder(manager)
                .max_size(size)
                .build()
                .map_err(|e| StoreError::Config(format!("database pool: {e}")))
        };
        let (queries, locks) = (pool(POOL_SIZE)?, pool(LOCK_POOL_SIZE)?);
        // Made last: from here on `Drop` shuts it down without blocking, even on error.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("gridwalk-pg")
            .enable_all()
            .build()?;
        let store = PgStore {
            pool: queries,
            locks,
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
            batch: None,
            ordinal: std::sync::atomic::AtomicI64::new(0),
            register: Arc::default(),
        };
        store.run(async {
            let mut client = store.client().await?;
            migrate(&mut client, MIGRATIONS, MIGRATIONS.len()).await?;
            case_index::fill_case_columns(&mut client).await
        })?;
        Ok(store)
    }

    /// Runs a query's future to completion on this thread, with the store's runtime
    /// entered so that new connections are driven by it.
    fn run<T>(&self, future: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        let _entered = self.handle.enter();
        block_on(future)
    }

    /// A connection for queries: a pooled one, or in a batch's view the batch's.
    async fn client(&self) -> StoreResult<Conn<'_>> {
        match &self.batch {
            Some(pinned) => Ok(Conn::Pinned(pinned.lock().await)),
            None => Ok(Conn::Pooled(Box::new(
                self.pool.get().await.map_err(pool_error)?,
            ))),
        }
    }

    /// Whether this is a batch's view (its writes are steps of the batch's transaction).
    fn in_a_batch(&self) -> bool {
        self.batch.is_some()
    }

    /// The place of the next record this store's transaction stores: counted in a
    /// batch's view (never reused, even for a write undone), 0 outside one.
    fn next_ordinal(&self) -> StoreResult<i64> {
        if !self.in_a_batch() {
            return Ok(0);
        }
        let ordinal = self
            .ordinal
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if ordinal >= records::PER_TRANSACTION {
            return Err(StoreError::Config(format!(
                "one transaction may store at most {} records",
                records::PER_TRANSACTION
            )));
        }
        Ok(ordinal)
    }

    /// [`RecordStore::in_batch`]: one connection, one transaction, the cases' locks as
    /// transaction advisory locks in key order (released by the commit, and taking no
    /// connection of the lock pool, which a request with many cases could exhaust).
    fn run_batch(
        &self,
        cases: &[&str],
        work: &mut dyn FnMut(&dyn RecordStore) -> BatchStep,
    ) -> StoreResult<bool> {
        let mut keys: Vec<i64> = cases.iter().map(|c| advisory_key("case", c)).collect();
        keys.sort_unstable();
        keys.dedup();
        let pinned = self.run(async {
            let pinned = Pinned(Some(self.pool.get().await.map_err(pool_error)?));
            if keys.is_empty() {
                pinned.batch_execute("BEGIN").await?;
            } else {
                // BEGIN and every lock sent together, the locks taken by one statement in
                // key order (`unnest` reads an array out in storage order, and `keys` is
                // sorted): a push of 3 hazards paid 7 round trips here.
                let params: [&(dyn ToSql + Sync); 1] = [&keys];
                let (begun, locked) = tokio::join!(
                    pinned.batch_execute("BEGIN"),
                    execute(
                        &pinned,
                        "SELECT pg_advisory_xact_lock(key) FROM unnest($1::BIGINT[]) AS key",
                        &params,
                    )
                );
                begun?;
                locked?;
            }
            Ok(pinned)
        })?;
        let mut view = PgStore {
            pool: self.pool.clone(),
            locks: self.locks.clone(),
            handle: self.handle.clone(),
            runtime: None,
            batch: Some(tokio::sync::Mutex::new(pinned)),
            ordinal: std::sync::atomic::AtomicI64::new(0),
            register: self.register.clone(),
        };
        // One transaction whatever the length: a replica's other requests have
        // connections of their own, and the commit is what is paid once.
        let commit = loop {
            match work(&view) {
                BatchStep::More => {}
                BatchStep::Done => break true,
                BatchStep::Abort => break false,
            }
        };
        let Some(pinned) = view.batch.take().map(tokio::sync::Mutex::into_inner) else {
            return Err(StoreError::Config("a batch lost its connection".into()));
        };
        self.run(async {
            pinned
                .batch_execute(if commit { "COMMIT" } else { "ROLLBACK" })
                .await?;
            Ok(())
        })?;
        pinned.release();
        Ok(commit)
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Without waiting: a store may be dropped on a runtime's thread (tests).
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => StoreError::Postgres(e),
        other => StoreError::Config(format!("database pool: {other}")),
    }
}

/// Wakes the thread blocked in [`block_on`].
struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls a future on this thread, parking between wake-ups. The futures it runs only
/// wait on the connection tasks, which the store's runtime drives (the S3 blob store
/// bridges its requests the same way).
pub(crate) fn block_on<T>(future: impl Future<Output = T>) -> T {
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return value;
        }
        std::thread::park();
    }
}

/// A 64-bit advisory lock key for `name` in a namespace (`case`, `feed`, …): the first
/// 8 bytes of its SHA-256, so every replica computes the same key.
fn advisory_key(namespace: &str, name: &str) -> i64 {
    use sha2::Digest;
    let digest = sha2::Sha256::new()
        .chain_update(namespace.as_bytes())
        .chain_update([0])
        .chain_update(name.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// Brings the schema to version `target`, in one transaction under an advisory lock so
/// that replicas starting together migrate once; refuses a newer database.
async fn migrate(
    client: &mut tokio_postgres::Client,
    migrations: &[&str],
    target: usize,
) -> StoreResult<()> {
    let supported = migrations.len();
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&advisory_key("migrate", "schema")],
    )
    .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .await?;
    let found: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .try_get(0)?;
    let found = usize::try_from(found)
        .map_err(|_| StoreError::Schema(format!("schema version {found} is not a version")))?;
    if found > supported {
        return Err(StoreError::Schema(format!(
            "database schema version {found} is newer than this build supports ({supported})"
        )));
    }
    for (index, sql) in migrations.iter().enumerate().take(target).skip(found) {
        tx.batch_execute(sql).await?;
        let version = i32::try_from(index + 1)
            .map_err(|_| StoreError::Schema("too many migrations".into()))?;
        tx.execute(
            "INSERT INTO schema_migrations(version, applied_at) VALUES ($1, $2)",
            &[&version, &super::sqlite::stamp(chrono::Utc::now())],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Rows of a statement prepared once per connection.
async fn query(c: &impl Db, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StoreResult<Vec<Row>> {
    let stmt = c.db().prepare_cached(sql).await?;
    Ok(c.db().query(&stmt, params).await?)
}

/// At most one row of a statement prepared once per connection.
async fn query_opt(
    c: &impl Db,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> StoreResult<Option<Row>> {
    let stmt = c.db().prepare_cached(sql).await?;
    Ok(c.db().query_opt(&stmt, params).await?)
}

/// Exactly one row of a statement prepared once per connection.
async fn query_one(c: &impl Db, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StoreResult<Row> {
    let stmt = c.db().prepare_cached(sql).await?;
    Ok(c.db().query_one(&stmt, params).await?)
}

/// Runs a statement prepared once per connection; how many rows it changed.
async fn execute(c: &impl Db, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StoreResult<u64> {
    let stmt = c.db().prepare_cached(sql).await?;
    Ok(c.db().execute(&stmt, params).await?)
}

/// A held hazard-case lock: a session advisory lock on a connection of the lock pool,
/// released when dropped. If the connection dies, PostgreSQL releases the lock with it.
struct PgCaseGuard<'a> {
    store: &'a PgStore,
    client: Option<Object>,
    key: i64,
}

impl Drop for PgCaseGuard<'_> {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        let key = self.key;
        let unlocked = self.store.run(async {
            client
                .execute("SELECT pg_advisory_unlock($1)", &[&key])
                .await?;
            Ok(())
        });
        if let Err(e) = unlocked {
            // Never hand a connection that may still hold the lock back to the pool:
            // closing it releases the lock.
            tracing::warn!(error = %e, "releasing a case lock failed; closing its connection");
            drop(Object::take(client));
        }
    }
}

impl PgStore {
    /// Waits for hazard case `case_id`'s lock, across every replica on this database.
    fn lock_case_now(&self, case_id: &str) -> StoreResult<CaseLock<'_>> {
        let key = advisory_key("case", case_id);
        let client = self.run(async {
            let client = self.locks.get().await.map_err(pool_error)?;
            client
                .execute("SELECT pg_advisory_lock($1)", &[&key])
                .await?;
            Ok(client)
        })?;
        Ok(Box::new(PgCaseGuard {
            store: self,
            client: Some(client),
            key,
        }))
    }
}

#[cfg(test)]
mod tests;
