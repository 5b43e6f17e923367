//! The embedded record store: one SQLite file in WAL mode, one connection behind a mutex.
//! SQLite serialises writers anyway, and one connection keeps every push batch's
//! check-then-insert atomic without extra locking. A push request's batch
//! ([`RecordStore::in_batch`]) borrows the connection for its one transaction; everyone
//! else waits for it to come back.

mod case_index;
mod console;
mod copy;

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use gridwalk_model::org::{OrgUnit, Site};
use gridwalk_model::photo_record::ID_PREFIX as PHOTO_ID_PREFIX;
use gridwalk_model::profile::Role;
use gridwalk_model::protocol::{Person, RecordKind};
use gridwalk_model::signing::GENESIS;
use rusqlite::{Connection, OptionalExtension, Params, Row, params};

use super::case_locks::CaseLocks;
use super::register::{Register, RegisterCache};
use super::{
    BatchStep, BlobLink, CaseLock, CaseRow, CaseScope, ChainBreaks, ChainEntry, ChainStatus,
    DeviceSummary, EnrolAttempt, NewDevice, NewRecord, PersonSummary, ProvenRow, PutOutcome,
    RecordFilter, RecordStore, Redeemed, StoreError, StoreResult, StoredProof, StoredRecord,
    TokenDevice, Upload, UploadAdmission, UploadCap, judge_stored, note_chain,
};

/// The server's numbered migrations, run by the shared runner
/// (`gridwalk_migrate::migrate_schema`); index 0 is version 1. Never edit a released
/// migration: add the next one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_records.sql"),
    include_str!("migrations/0002_blob_uploaders.sql"),
    include_str!("migrations/0003_access.sql"),
    include_str!("migrations/0004_case_fold.sql"),
    include_str!("migrations/0005_upload_caps.sql"),
    include_str!("migrations/0006_signatures.sql"),
    include_str!("migrations/0007_console.sql"),
    include_str!("migrations/0008_thumbnails.sql"),
    include_str!("migrations/0009_case_columns.sql"),
    include_str!("migrations/0010_form_nonces.sql"),
    include_str!("migrations/0011_chained_records.sql"),
    include_str!("migrations/0012_dashboard_reads.sql"),
    include_str!("migrations/0013_pull_scope.sql"),
    include_str!("migrations/0014_units_version.sql"),
    include_str!("migrations/0015_sites_version.sql"),
];

const RECORD_COLUMNS: &str = "seq, id, kind, body, unit, department, author_person, \
                              author_device, draft, personal, received_at, case_id, chain";

/// Statements run through the connection's prepared-statement cache. `Connection::execute`
/// and `query_row` parse and plan their SQL on every call, which was a fifth of the
/// embedded server's CPU under load (`perf`, city bench): a push runs the same two dozen
/// statements for every record.
trait Cached {
    /// Runs a statement, as `Connection::execute`.
    fn run<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    /// Reads the first row, as `Connection::query_row`.
    fn row<T, P: Params, F: FnOnce(&Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        read: F,
    ) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn run<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn row<T, P: Params, F: FnOnce(&Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        read: F,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, read)
    }
}

/// Distinct statements the store keeps prepared: more than it has, so none is evicted
/// and parsed again (rusqlite's default keeps 16).
const STATEMENT_CACHE: usize = 256;

/// One record's step of a batch, or a transaction of its own outside one: a savepoint
/// through cached statements, released by [`Step::keep`] and rolled back when dropped
/// without it (an error or a refusal part way).
struct Step<'c> {
    conn: &'c Connection,
    kept: bool,
}

impl<'c> Step<'c> {
    fn begin(conn: &'c Connection) -> StoreResult<Step<'c>> {
        conn.run("SAVEPOINT record_step", [])?;
        Ok(Step { conn, kept: false })
    }

    fn keep(mut self) -> StoreResult<()> {
        self.kept = true;
        self.conn.run("RELEASE record_step", [])?;
        Ok(())
    }
}

impl Drop for Step<'_> {
    fn drop(&mut self) {
        if !self.kept {
            // Nothing to report to: the caller already has the error that got here, and
            // a connection that cannot roll back fails its next statement.
            let _ = self.conn.run("ROLLBACK TO record_step", []);
            let _ = self.conn.run("RELEASE record_step", []);
        }
    }
}

/// A list of names as one JSON array text, for `json_each`.
fn json_array(names: &[&str]) -> StoreResult<String> {
    serde_json::to_string(names).map_err(|e| StoreError::Corrupt(format!("a list of names: {e}")))
}

/// The SQLite record store.
pub struct SqliteStore {
    /// The connection and the queue for it.
    conn: Mutex<Slot>,
    /// Hazard-case locks: in this process, which owns the file.
    case_locks: CaseLocks,
    /// The org-unit tree as of the last change to the units (shared with batch views).
    register: Arc<RegisterCache>,
}

/// The connection and who is next for it: first come, first served, so a push of many
/// batches, which gives the connection back between them, cannot take it again ahead
/// of a request that was already waiting (an unrelated push must not wait for all of a
/// long one, issue 10).
struct Slot {
    /// `None` while a batch has borrowed it ([`RecordStore::in_batch`]).
    conn: Option<Connection>,
    /// The next ticket to hand out.
    next: u64,
    /// The ticket whose turn it is.
    serving: u64,
    /// Who waits, in ticket order, each on a signal of its own: only the one whose turn
    /// it is gets woken. (One signal for all woke every waiter on every query, and with
    /// 128 pushes waiting that cost more CPU than the pushes; `docs/BENCHMARKS.md`.)
    waiting: VecDeque<(u64, Arc<Condvar>)>,
}

impl Slot {
    /// Wakes the waiter whose turn it is, if the connection is here for it.
    fn wake_next(&self) {
        if self.conn.is_some()
            && let Some((ticket, turn)) = self.waiting.front()
            && *ticket == self.serving
        {
            turn.notify_one();
        }
    }
}

/// The store's connection, held: what every query goes through. Dropping it serves the
/// next ticket.
struct ConnGuard<'a>(MutexGuard<'a, Slot>);

impl Drop for ConnGuard<'_> {
    fn drop(&mut self) {
        self.0.serving += 1;
        self.0.wake_next();
    }
}

impl std::ops::Deref for ConnGuard<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // `SqliteStore::conn` hands out a guard only once the connection is in it.
        self.0
            .conn
            .as_ref()
            .unwrap_or_else(|| unreachable!("held without its connection"))
    }
}

impl std::ops::DerefMut for ConnGuard<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.0
            .conn
            .as_mut()
            .unwrap_or_else(|| unreachable!("held without its connection"))
    }
}

/// Gives a batch's borrowed connection back to its store however the batch ends (a
/// panic included): an open transaction is rolled back, and the waiters are woken.
struct Lent<'a> {
    home: &'a SqliteStore,
    view: SqliteStore,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        let conn = self
            .view
            .conn
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .conn
            .take();
        // `None` only if the batch already lost it (nothing to give back).
        let Some(conn) = conn else { return };
        if !conn.is_autocommit()
            && let Err(e) = conn.execute_batch("ROLLBACK")
        {
            tracing::warn!(error = %e, "rolling back an unfinished batch failed");
        }
        let mut slot = self
            .home
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        slot.conn = Some(conn);
        slot.wake_next();
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and its schema.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = Connection::open(path)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mode: String = conn.row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt(format!(
                "the database needs WAL journaling, the file system gave `{mode}`"
            )));
        }
        // FULL: an acknowledged push must survive a power cut, not just a crash.
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")?;
        gridwalk_migrate::migrate_schema(&mut conn, MIGRATIONS)
            .map_err(|e| StoreError::Schema(e.to_string()))?;
        case_index::fill_case_columns(&mut conn)?;
        Ok(SqliteStore::with(conn, Arc::default()))
    }

    /// A store on `conn`: the store itself, or a batch's view that owns the borrowed
    /// connection while the batch runs.
    fn with(conn: Connection, register: Arc<RegisterCache>) -> SqliteStore {
        SqliteStore {
            conn: Mutex::new(Slot {
                conn: Some(conn),
                next: 0,
                serving: 0,
                waiting: VecDeque::new(),
            }),
            case_locks: CaseLocks::default(),
            register,
        }
    }

    /// The connection, once no batch has it borrowed.
    fn conn(&self) -> StoreResult<ConnGuard<'_>> {
        Ok(ConnGuard(self.held_conn()?))
    }

    /// The slot with the connection in it, in turn: waiting for the requests queued
    /// before this one, and while a batch has the connection borrowed. The caller
    /// serves the next ticket when done ([`ConnGuard`], [`Self::borrow_conn`]).
    fn held_conn(&self) -> StoreResult<MutexGuard<'_, Slot>> {
        let mut held = self.conn.lock().map_err(|_| StoreError::Poisoned)?;
        let ticket = held.next;
        held.next += 1;
        if held.conn.is_some() && held.serving == ticket {
            return Ok(held);
        }
        let turn = Arc::new(Condvar::new());
        held.waiting.push_back((ticket, turn.clone()));
        let mut held = turn
            .wait_while(held, |slot| slot.conn.is_none() || slot.serving != ticket)
            .map_err(|_| StoreError::Poisoned)?;
        // Every earlier ticket was served, and each left the queue as it woke, under
        // this lock: this one is first.
        let first = held.waiting.pop_front();
        debug_assert_eq!(first.map(|(t, _)| t), Some(ticket));
        Ok(held)
    }

    /// Takes the connection for a batch, in turn; the next in the queue waits until it
    /// comes back.
    fn borrow_conn(&self) -> StoreResult<Connection> {
        let mut held = self.held_conn()?;
        // The next ticket's turn comes when the connection does ([`Lent`]).
        held.serving += 1;
        let conn = held.conn.take();
        drop(held);
        conn.ok_or_else(|| StoreError::Corrupt("the connection was not returned".into()))
    }
}

pub(super) fn now() -> String {
    stamp(Utc::now())
}

/// A time as stored: RFC 3339 UTC with milliseconds, so stored times compare as text.
pub(super) fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(super) fn parse_stamp(what: &str, text: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("{what}: `{text}` is not a time: {e}")))
}

/// The columns of a [`DeviceSummary`] and whether the device is expired at `?1`.
const DEVICE_SUMMARY_SELECT: &str = "SELECT d.id, d.person, p.name, d.enrolled_at, \
     d.last_seen_at, d.expires_at, d.expires_at <= ?1, d.revoked_at \
     FROM devices d JOIN people p ON p.id = d.person";

fn device_summary_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceSummary> {
    let revoked_at: Option<String> = r.get(7)?;
    Ok(DeviceSummary {
        id: r.get(0)?,
        person: r.get(1)?,
        person_name: r.get(2)?,
        enrolled_at: r.get(3)?,
        last_seen_at: r.get(4)?,
        expires_at: r.get(5)?,
        expired: r.get(6)?,
        revoked: revoked_at.is_some(),
        revoked_at,
    })
}

fn record_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRecord> {
    Ok(StoredRecord {
        seq: r.get(0)?,
        id: r.get(1)?,
        kind: r.get(2)?,
        body: r.get(3)?,
        unit: r.get(4)?,
        department: r.get(5)?,
        author_person: r.get(6)?,
        author_device: r.get(7)?,
        draft: r.get(8)?,
        personal: r.get(9)?,
        received_at: r.get(10)?,
        case_id: r.get(11)?,
        chain: r.get(12)?,
    })
}

fn person_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(String, String, String, String, Option<String>)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

pub(super) fn person_from_parts(
    parts: (String, String, String, String, Option<String>),
) -> StoreResult<Person> {
    let (id, name, role, unit, department) = parts;
    let role: Role = role
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("person {id}: {e}")))?;
    Ok(Person {
        id,
        name,
        role,
        unit,
        department,
    })
}

fn site_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Site> {
    Ok(Site {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        unit: r.get(3)?,
        address: r.get(4)?,
        lat: r.get(5)?,
        lon: r.get(6)?,
    })
}

/// The columns [`upload_from_row`] reads.
const UPLOAD_COLUMNS: &str = "id, sha256, length, device, person, done, created_at, thumbnail_of";

fn upload_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Upload, String)> {
    let created_at: String = r.get(6)?;
    Ok((
        Upload {
            id: r.get(0)?,
            sha256: r.get(1)?,
            length: r.get::<_, i64>(2)?.max(0) as u64,
            device: r.get(3)?,
            person: r.get(4)?,
            done: r.get(5)?,
            thumbnail_of: r.get(7)?,
            // Parsed by the caller, which can report a bad time as corrupt data.
            created_at: DateTime::<Utc>::MIN_UTC,
        },
        created_at,
    ))
}

impl RecordStore for SqliteStore {
    fn check_health(&self) -> StoreResult<()> {
        let conn = self.conn()?;
        conn.row("SELECT count(*) FROM records", [], |r| r.get::<_, i64>(0))?;
        Ok(())
    }

    fn lock_case(&self, case_id: &str) -> StoreResult<CaseLock<'_>> {
        Ok(Box::new(self.case_locks.lock(case_id)))
    }

    fn in_batch(
        &self,
        cases: &[&str],
        work: &mut dyn FnMut(&dyn RecordStore) -> BatchStep,
    ) -> StoreResult<bool> {
        // Sorted, so two batches sharing cases take them in the same order (no cycle);
        // taken before the connection, which a holder of the connection never waits on.
        let mut cases = cases.to_vec();
        cases.sort_unstable();
        cases.dedup();
        let _guards: Vec<_> = cases.iter().map(|c| self.case_locks.lock(c)).collect();
        let conn = self.borrow_conn()?;
        // The view owns the connection while `work` runs on it; `Lent` gives it back
        // even if `work` panics. Its own case locks are never taken (see the trait).
        let lent = Lent {
            home: self,
            view: SqliteStore::with(conn, self.register.clone()),
        };
        // IMMEDIATE: the write lock is taken now, so the commit cannot find the file
        // busy after the work is done.
        lent.view.conn()?.run("BEGIN IMMEDIATE", [])?;
        let commit = loop {
            match work(&lent.view) {
                BatchStep::More => {}
                BatchStep::Done => break true,
                BatchStep::Abort => break false,
            }
        };
        lent.view
            .conn()?
            .run(if commit { "COMMIT" } else { "ROLLBACK" }, [])?;
        Ok(commit)
    }

    fn upsert_units(&self, units: &[OrgUnit]) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        for u in units {
            tx.run(
                "INSERT INTO units(id, name, level, parent) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, level = excluded.level,
                   parent = excluded.parent",
                params![u.id, u.name, u.level, u.parent],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn units(&self) -> StoreResult<Vec<OrgUnit>> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare_cached("SELECT id, name, level, parent FROM units ORDER BY id")?;
        let units = stmt
            .query_map([], |r| {
                Ok(OrgUnit {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    level: r.get(2)?,
                    parent: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(units)
    }

    fn register(&self) -> StoreResult<Arc<Register>> {
        let version: i64 = self
            .conn()?
            .row("SELECT version FROM units_version", [], |r| r.get(0))?;
        self.register.register(version, || self.units())
    }

    fn upsert_sites(&self, sites: &[Site]) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        for s in sites {
            tx.run(
                "INSERT INTO sites(id, name, kind, unit, address, lat, lon)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                   unit = excluded.unit, address = excluded.address,
                   lat = excluded.lat, lon = excluded.lon",
                params![s.id, s.name, s.kind, s.unit, s.address, s.lat, s.lon],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn sites(&self) -> StoreResult<Vec<Site>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, name, kind, unit, address, lat, lon FROM sites ORDER BY id",
        )?;
        let sites = stmt
            .query_map([], site_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(sites)
    }

    fn site(&self, id: &str) -> StoreResult<Option<Site>> {
        let conn = self.conn()?;
        Ok(conn
            .row(
                "SELECT id, name, kind, unit, address, lat, lon FROM sites WHERE id = ?1",
                [id],
                site_from_row,
            )
            .optional()?)
    }

    fn add_person(&self, person: &Person, code_hash: &str) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        tx.run(
            "INSERT INTO people(id, name, role, unit, department) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                person.id,
                person.name,
                person.role.as_str(),
                person.unit,
                person.department
            ],
        )?;
        tx.run(
            "INSERT INTO enrolment_codes(code_hash, person) VALUES (?1, ?2)",
            params![code_hash, person.id],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn people(&self) -> StoreResult<Vec<Person>> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare_cached("SELECT id, name, role, unit, department FROM people ORDER BY id")?;
        let rows: Vec<_> = stmt
            .query_map([], person_from_row)?
            .collect::<Result<_, _>>()?;
        rows.into_iter().map(person_from_parts).collect()
    }

    fn person_summaries(&self, now: DateTime<Utc>) -> StoreResult<Vec<PersonSummary>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT p.id, p.name, p.role, p.unit, p.department, p.disabled_at,
               (SELECT count(*) FROM devices d WHERE d.person = p.id
                  AND d.revoked_at IS NULL AND d.expires_at > ?1)
             FROM people p ORDER BY p.id",
        )?;
        let rows: Vec<_> = stmt
            .query_map([stamp(now)], |r| {
                Ok((
                    person_from_row(r)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, u32>(6)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(parts, disabled_at, active_devices)| {
                Ok(PersonSummary {
                    person: person_from_parts(parts)?,
                    disabled: disabled_at.is_some(),
                    disabled_at,
                    active_devices,
                })
            })
            .collect()
    }

    fn set_person_disabled(&self, person: &str, at: Option<DateTime<Utc>>) -> StoreResult<bool> {
        let conn = self.conn()?;
        let changed = match at {
            Some(at) => conn.run(
                "UPDATE people SET disabled_at = ?2 WHERE id = ?1 AND disabled_at IS NULL",
                params![person, stamp(at)],
            )?,
            None => conn.run(
                "UPDATE people SET disabled_at = NULL WHERE id = ?1 AND disabled_at IS NOT NULL",
                [person],
            )?,
        };
        Ok(changed > 0)
    }

    fn reissue_enrolment(&self, person: &str, code_hash: &str) -> StoreResult<usize> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let replaced = tx.run(
            "DELETE FROM enrolment_codes WHERE person = ?1 AND used_at IS NULL",
            [person],
        )?;
        tx.run(
            "INSERT INTO enrolment_codes(code_hash, person) VALUES (?1, ?2)",
            params![code_hash, person],
        )?;
        tx.commit()?;
        Ok(replaced)
    }

    fn redeem_enrolment(
        &self,
        enrolment: &NewDevice<'_>,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<Redeemed> {
        let code_hash = enrolment.code_hash;
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let person: Option<(String, bool)> = tx
            .row(
                "SELECT c.person, p.disabled_at IS NOT NULL
                 FROM enrolment_codes c JOIN people p ON p.id = c.person
                 WHERE c.code_hash = ?1 AND c.used_at IS NULL",
                [code_hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let person_id = match person {
            None => return Ok(Redeemed::UnknownCode),
            Some((_, true)) => return Ok(Redeemed::PersonDisabled),
            Some((id, false)) => id,
        };
        let at = stamp(now);
        tx.run(
            "UPDATE enrolment_codes SET used_at = ?2 WHERE code_hash = ?1",
            params![code_hash, at],
        )?;
        tx.run(
            "INSERT INTO devices(id, person, token_hash, enrolled_at, last_seen_at, expires_at,
               public_key)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)",
            params![
                enrolment.device_id,
                person_id,
                enrolment.token_hash,
                at,
                stamp(expires_at),
                enrolment.public_key
            ],
        )?;
        let parts = tx.row(
            "SELECT id, name, role, unit, department FROM people WHERE id = ?1",
            [&person_id],
            person_from_row,
        )?;
        tx.commit()?;
        person_from_parts(parts).map(Redeemed::Enrolled)
    }

    fn device_public_key(&self, device_id: &str) -> StoreResult<Option<String>> {
        let conn = self.conn()?;
        Ok(conn
            .row(
                "SELECT public_key FROM devices WHERE id = ?1",
                [device_id],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    fn proven_rows(&self) -> StoreResult<Vec<ProvenRow>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT r.id, r.kind, r.body, r.author_device, d.public_key, r.proof_prev,
               r.proof_signature, r.proof_link, r.chain, coalesce(r.proof_chained, 0)
             FROM records r LEFT JOIN devices d ON d.id = r.author_device ORDER BY r.seq",
        )?;
        let rows = stmt
            .query_map([], |r| {
                let proof: (
                    Option<String>,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                ) = (r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?);
                Ok(ProvenRow {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    body: r.get(2)?,
                    device: r.get(3)?,
                    public_key: r.get(4)?,
                    proof: match proof {
                        (Some(prev), signature, Some(link), chain) => Some(StoredProof {
                            prev,
                            signature,
                            link,
                            chain: chain.unwrap_or_default(),
                            chained: r.get(9)?,
                        }),
                        _ => None,
                    },
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn referenced_blobs(&self) -> StoreResult<Vec<String>> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare_cached("SELECT DISTINCT sha256 FROM record_blobs ORDER BY sha256")?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn device_person(&self, device_id: &str) -> StoreResult<Option<String>> {
        let conn = self.conn()?;
        Ok(conn
            .row(
                "SELECT person FROM devices WHERE id = ?1",
                [device_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn device_for_token(&self, token_hash: &str) -> StoreResult<Option<TokenDevice>> {
        let conn = self.conn()?;
        let row = conn
            .row(
                "SELECT d.id, p.id, p.name, p.role, p.unit, p.department,
                   p.disabled_at IS NOT NULL, d.revoked_at IS NOT NULL, d.expires_at,
                   d.public_key
                 FROM devices d JOIN people p ON p.id = d.person WHERE d.token_hash = ?1",
                [token_hash],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?),
                        (r.get::<_, bool>(6)?, r.get::<_, bool>(7)?),
                        r.get::<_, String>(8)?,
                        r.get::<_, Option<String>>(9)?,
                    ))
                },
            )
            .optional()?;
        let Some((device, parts, (person_disabled, revoked), expires_at, public_key)) = row else {
            return Ok(None);
        };
        Ok(Some(TokenDevice {
            expires_at: parse_stamp(&format!("device {device} expiry"), &expires_at)?,
            device,
            person: person_from_parts(parts)?,
            person_disabled,
            revoked,
            public_key,
        }))
    }

    fn renew_device(
        &self,
        device: &str,
        seen_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let conn = self.conn()?;
        conn.run(
            "UPDATE devices SET last_seen_at = ?2, expires_at = ?3
             WHERE id = ?1 AND revoked_at IS NULL",
            params![device, stamp(seen_at), stamp(expires_at)],
        )?;
        Ok(())
    }

    fn device_summaries(
        &self,
        person: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<DeviceSummary>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "{DEVICE_SUMMARY_SELECT} WHERE ?2 IS NULL OR d.person = ?2
             ORDER BY d.enrolled_at, d.id"
        ))?;
        let rows = stmt
            .query_map(params![stamp(now), person], device_summary_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn revoke_device(&self, device: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        let conn = self.conn()?;
        let changed = conn.run(
            "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![device, stamp(at)],
        )?;
        Ok(changed > 0)
    }

    fn note_enrol_attempt(
        &self,
        client: &str,
        now_ms: i64,
        window_ms: i64,
        max: u32,
    ) -> StoreResult<EnrolAttempt> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let since = now_ms.saturating_sub(window_ms);
        tx.run("DELETE FROM enrol_attempts WHERE at_ms <= ?1", [since])?;
        let (count, oldest): (u32, Option<i64>) = tx.row(
            "SELECT count(*), min(at_ms) FROM enrol_attempts WHERE client = ?1",
            [client],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        // Refused attempts are not counted: what one address can make the table hold
        // stays at `max` rows per window.
        let attempt = if count >= max {
            let free_at = oldest.unwrap_or(now_ms).saturating_add(window_ms);
            EnrolAttempt::Refused {
                retry_after_ms: free_at.saturating_sub(now_ms).max(1),
            }
        } else {
            tx.run(
                "INSERT INTO enrol_attempts(client, at_ms) VALUES (?1, ?2)",
                params![client, now_ms],
            )?;
            EnrolAttempt::Allowed(tx.last_insert_rowid())
        };
        tx.commit()?;
        Ok(attempt)
    }

    fn forget_enrol_attempt(&self, attempt: i64) -> StoreResult<()> {
        let conn = self.conn()?;
        conn.run("DELETE FROM enrol_attempts WHERE rowid = ?1", [attempt])?;
        Ok(())
    }

    fn put_record(&self, rec: &NewRecord, case: Option<&CaseRow>) -> StoreResult<PutOutcome> {
        let conn = self.conn()?;
        // A savepoint: a transaction of its own outside a batch, and inside one a step
        // that a refusal or an error undoes without undoing the batch's other records.
        let step = Step::begin(&conn)?;
        let outcome = insert_record(&conn, rec)?;
        if let Some(row) = case {
            match outcome {
                PutOutcome::Stored(_) => write_case_row(&conn, row, true)?,
                PutOutcome::Duplicate(_) | PutOutcome::Stale(_) => {
                    write_case_row(&conn, row, false)?
                }
                PutOutcome::Conflict => {}
            }
        } else if let (PutOutcome::Stored(_), RecordKind::HazardEvent, Some(case_id)) =
            (&outcome, &rec.kind, &rec.case_id)
        {
            // An event of a case whose report has not arrived: the case awaits it.
            conn.run(
                "INSERT INTO cases_awaiting_report(case_id) SELECT ?1
                 WHERE NOT EXISTS (SELECT 1 FROM cases WHERE case_id = ?1)
                 ON CONFLICT(case_id) DO NOTHING",
                [case_id],
            )?;
        }
        step.keep()?;
        Ok(outcome)
    }

    fn records_after(
        &self,
        after: i64,
        upto: i64,
        filter: &RecordFilter,
        limit: u32,
    ) -> StoreResult<Vec<StoredRecord>> {
        let conn = self.conn()?;
        // One statement per shape of filter, each prepared once; the unit list travels
        // as one JSON array, however long the area.
        let units = match &filter.units {
            Some(units) => Some(
                serde_json::to_string(units)
                    .map_err(|e| StoreError::Corrupt(format!("unit list: {e}")))?,
            ),
            None => None,
        };
        let mut sql = format!(
            "SELECT {RECORD_COLUMNS} FROM records
             WHERE seq > :after AND seq <= :upto AND author_device IS NOT :skip"
        );
        if units.is_some() {
            sql.push_str(&format!(
                " AND (unit IN (SELECT value FROM json_each(:units))
                   OR author_person = :author
                   OR case_id IN (SELECT case_id FROM cases WHERE department = :department)
                   OR (kind = 'photo' AND :department IS NOT NULL AND EXISTS (
                       SELECT 1 FROM record_blobs b
                       JOIN records attaching ON attaching.id = b.record
                       JOIN cases c ON c.case_id = attaching.case_id
                       WHERE b.sha256 = substr(records.id, {skip})
                         AND c.department = :department)))",
                skip = PHOTO_ID_PREFIX.len() + 1
            ));
        }
        sql.push_str(" ORDER BY seq LIMIT :limit");
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut named: Vec<(&str, &dyn rusqlite::ToSql)> = vec![
            (":after", &after),
            (":upto", &upto),
            (":skip", &filter.skip_device),
            (":limit", &limit),
        ];
        if units.is_some() {
            named.push((":units", &units));
            named.push((":author", &filter.author));
            named.push((":department", &filter.department));
        }
        let rows = stmt
            .query_map(named.as_slice(), record_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn max_seq(&self) -> StoreResult<i64> {
        let conn = self.conn()?;
        Ok(
            conn.row("SELECT coalesce(max(seq), 0) FROM records", [], |r| {
                r.get(0)
            })?,
        )
    }

    fn record_exists(&self, id: &str) -> StoreResult<bool> {
        let conn = self.conn()?;
        Ok(conn
            .row("SELECT 1 FROM records WHERE id = ?1", [id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn records_with_blobs(&self, sha256s: &[&str]) -> StoreResult<Vec<(String, BlobLink)>> {
        let conn = self.conn()?;
        let cols = RECORD_COLUMNS
            .split(", ")
            .map(|c| format!("r.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        // The names as one JSON array: one prepared statement for any number of them.
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {cols}, b.personal, b.before_uploaders, b.sha256
             FROM record_blobs b JOIN records r ON r.id = b.record
             WHERE b.sha256 IN (SELECT value FROM json_each(?1)) ORDER BY r.seq"
        ))?;
        let rows = stmt
            .query_map([json_array(sha256s)?], |r| {
                Ok((
                    r.get(15)?,
                    BlobLink {
                        record: record_from_row(r)?,
                        personal: r.get(13)?,
                        before_uploaders: r.get(14)?,
                    },
                ))
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn create_upload(&self, up: &Upload, cap: &UploadCap) -> StoreResult<UploadAdmission> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        // Counted and inserted in one transaction, so two creates at once cannot both
        // take the last place.
        let (open, bytes, oldest): (i64, i64, Option<String>) = tx.row(
            "SELECT count(*), coalesce(sum(length), 0), min(created_at) FROM uploads
             WHERE device = ?1 AND done = 0 AND created_at >= ?2",
            params![up.device, stamp(cap.live_since)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let open = u32::try_from(open).unwrap_or(u32::MAX);
        let bytes = u64::try_from(bytes).unwrap_or(0);
        if open >= cap.max_open || bytes.saturating_add(up.length) > cap.max_bytes {
            let oldest = match oldest {
                Some(text) => Some(parse_stamp("upload created_at", &text)?),
                None => None,
            };
            return Ok(UploadAdmission::Refused {
                open,
                bytes,
                oldest,
            });
        }
        tx.run(
            "INSERT INTO uploads(id, sha256, length, device, person, done, created_at,
                                 thumbnail_of)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                up.id,
                up.sha256,
                i64::try_from(up.length).unwrap_or(i64::MAX),
                up.device,
                up.person,
                up.done,
                stamp(up.created_at),
                up.thumbnail_of
            ],
        )?;
        tx.commit()?;
        Ok(UploadAdmission::Admitted)
    }

    fn upload(&self, id: &str) -> StoreResult<Option<Upload>> {
        let conn = self.conn()?;
        let row = conn
            .row(
                &format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = ?1"),
                [id],
                upload_from_row,
            )
            .optional()?;
        row.map(|(mut upload, created_at)| {
            upload.created_at = parse_stamp("upload created_at", &created_at)?;
            Ok(upload)
        })
        .transpose()
    }

    fn unfinished_uploads_created_before(&self, before: DateTime<Utc>) -> StoreResult<Vec<String>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM uploads WHERE done = 0 AND created_at < ?1 ORDER BY created_at",
        )?;
        let ids = stmt
            .query_map([stamp(before)], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }

    fn unfinished_upload_ids(&self) -> StoreResult<Vec<String>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached("SELECT id FROM uploads WHERE done = 0")?;
        let ids = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }

    fn finish_upload(&self, id: &str) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        tx.run("UPDATE uploads SET done = 1 WHERE id = ?1", [id])?;
        tx.run(
            "INSERT OR IGNORE INTO blob_uploaders(sha256, person, uploaded_at)
             SELECT sha256, person, ?2 FROM uploads WHERE id = ?1",
            params![id, now()],
        )?;
        // A thumbnail's link to its photo, per person: a newer thumbnail of the same
        // photo by the same person replaces the older one.
        tx.run(
            "INSERT OR REPLACE INTO thumbnails(photo, person, thumbnail, linked_at)
             SELECT thumbnail_of, person, sha256, ?2 FROM uploads
             WHERE id = ?1 AND thumbnail_of IS NOT NULL",
            params![id, now()],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn delete_upload(&self, id: &str) -> StoreResult<()> {
        let conn = self.conn()?;
        conn.run("DELETE FROM uploads WHERE id = ?1", [id])?;
        Ok(())
    }

    fn uploaders_of_blobs(&self, sha256s: &[&str]) -> StoreResult<Vec<(String, String)>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT sha256, person FROM blob_uploaders
             WHERE sha256 IN (SELECT value FROM json_each(?1)) ORDER BY sha256, person",
        )?;
        let people = stmt
            .query_map([json_array(sha256s)?], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(people)
    }

    fn thumbnail_links(&self, photo: &str) -> StoreResult<Vec<(String, String)>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT person, thumbnail FROM thumbnails WHERE photo = ?1 ORDER BY linked_at, person",
        )?;
        let links = stmt
            .query_map([photo], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(links)
    }

    fn case_scope(&self, case_id: &str) -> StoreResult<Option<CaseScope>> {
        let conn = self.conn()?;
        Ok(conn
            .row(
                "SELECT case_id, unit, department, personal FROM cases WHERE case_id = ?1",
                [case_id],
                |r| {
                    Ok(CaseScope {
                        case_id: r.get(0)?,
                        unit: r.get(1)?,
                        department: r.get(2)?,
                        personal: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    fn case_fold(&self, case_id: &str) -> StoreResult<Option<String>> {
        let conn = self.conn()?;
        Ok(conn
            .row(
                "SELECT fold FROM cases WHERE case_id = ?1",
                [case_id],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    fn case_records(&self, case_id: &str) -> StoreResult<Vec<StoredRecord>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM records WHERE case_id = ?1 ORDER BY seq"
        ))?;
        let rows = stmt
            .query_map([case_id], record_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn record(&self, id: &str) -> StoreResult<Option<StoredRecord>> {
        let conn = self.conn()?;
        Ok(conn
            .prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM records WHERE id = ?1"
            ))?
            .query_row([id], record_from_row)
            .optional()?)
    }

    fn device_chain(&self, device: &str) -> StoreResult<Vec<ChainEntry>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, case_id, proof_prev, proof_signature, proof_link, coalesce(chain, ''),
               coalesce(proof_chained, 0), kind, body
             FROM records WHERE author_device = ?1 AND proof_link IS NOT NULL ORDER BY seq",
        )?;
        let rows = stmt
            .query_map([device], |r| {
                Ok(ChainEntry {
                    id: r.get(0)?,
                    case_id: r.get(1)?,
                    prev: r.get(2)?,
                    signature: r.get(3)?,
                    link: r.get(4)?,
                    chain: r.get(5)?,
                    chained: r.get(6)?,
                    kind: r.get(7)?,
                    body: r.get(8)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn chain_breaks(&self) -> StoreResult<Vec<ChainBreaks>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT r.author_device, coalesce(p.name, ''),
                    count(*) FILTER (WHERE r.chain = 'gap'),
                    count(*) FILTER (WHERE r.chain = 'fork')
             FROM records r LEFT JOIN people p ON p.id = r.author_person
             WHERE r.chain IN ('gap', 'fork')
             GROUP BY r.author_device ORDER BY r.author_device",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(ChainBreaks {
                    device: r.get(0)?,
                    person_name: r.get(1)?,
                    gap: r.get(2)?,
                    fork: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn records_of_kind(&self, kind: RecordKind) -> StoreResult<Vec<StoredRecord>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM records WHERE kind = ?1 ORDER BY seq"
        ))?;
        let rows = stmt
            .query_map([kind.as_str()], record_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}

/// Inserts a pushed record inside `tx` (see [`PutOutcome`]); the caller commits.
/// Where a record of `device` naming `prev` as its predecessor stands in the device's
/// chain, among the device's other stored records (`record_id` left out, so a re-push of
/// the same record is not its own fork).
fn chain_status(
    conn: &Connection,
    device: &str,
    record_id: &str,
    prev: &str,
) -> StoreResult<ChainStatus> {
    let found = |sql: &str, params: &[&dyn rusqlite::ToSql]| -> StoreResult<bool> {
        Ok(conn.row(sql, params, |_| Ok(())).optional()?.is_some())
    };
    if found(
        "SELECT 1 FROM records WHERE author_device = ?1 AND proof_prev = ?2 AND id <> ?3",
        params![device, prev, record_id],
    )? {
        return Ok(ChainStatus::Fork);
    }
    if prev == GENESIS {
        // A device's first record: a fork if the device already has a signed one.
        let earlier = found(
            "SELECT 1 FROM records WHERE author_device = ?1 AND proof_link IS NOT NULL
             AND id <> ?2",
            params![device, record_id],
        )?;
        return Ok(if earlier {
            ChainStatus::Fork
        } else {
            ChainStatus::Linked
        });
    }
    let predecessor = found(
        "SELECT 1 FROM records WHERE author_device = ?1 AND proof_link = ?2",
        params![device, prev],
    )?;
    Ok(if predecessor {
        ChainStatus::Linked
    } else {
        ChainStatus::Gap
    })
}

fn insert_record(tx: &Connection, rec: &NewRecord) -> StoreResult<PutOutcome> {
    let existing: Option<(i64, String, String, bool, String)> = tx
        .row(
            "SELECT seq, body_hash, kind, draft, author_person FROM records WHERE id = ?1",
            [&rec.id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    if let Some(stored) = existing {
        if let Some(outcome) = judge_stored(&stored, rec) {
            return Ok(outcome);
        }
        // A draft's final version replaces it under a new sequence number, so every
        // cursor that already passed the draft still sees the final version.
        tx.run("DELETE FROM record_blobs WHERE record = ?1", [&rec.id])?;
        tx.run("DELETE FROM records WHERE id = ?1", [&rec.id])?;
    }
    let proof = rec.proof.as_ref();
    let chain = match proof {
        Some(p) => {
            let chain = chain_status(tx, &rec.author_device, &rec.id, &p.prev)?.as_str();
            note_chain(&rec.author_device, &rec.id, chain);
            Some(chain)
        }
        None => None,
    };
    tx.run(
        "INSERT INTO records(id, kind, body, body_hash, unit, department, author_person,
           author_device, draft, personal, received_at, case_id, proof_prev,
           proof_signature, proof_link, chain, proof_chained)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        params![
            rec.id,
            rec.kind.as_str(),
            rec.body,
            rec.body_hash,
            rec.unit,
            rec.department,
            rec.author_person,
            rec.author_device,
            rec.draft,
            rec.personal,
            now(),
            rec.case_id,
            proof.map(|p| &p.prev),
            proof.and_then(|p| p.signature.as_ref()),
            proof.map(|p| &p.link),
            chain,
            proof.and_then(|p| p.chained.then_some(1))
        ],
    )?;
    let seq = tx.last_insert_rowid();
    for (sha, personal) in &rec.blobs {
        tx.run(
            "INSERT INTO record_blobs(record, sha256, personal) VALUES (?1, ?2, ?3)
             ON CONFLICT(record, sha256) DO UPDATE SET personal = personal OR excluded.personal",
            params![rec.id, sha, personal],
        )?;
    }
    Ok(PutOutcome::Stored(seq))
}

/// Writes a case's row inside `tx`, its fold and indexed columns in one statement:
/// replacing the row when `replace`, else only when the case has none.
fn write_case_row(tx: &Connection, row: &CaseRow, replace: bool) -> StoreResult<()> {
    let on_conflict = if replace {
        "DO UPDATE SET unit = excluded.unit, department = excluded.department, \
         personal = excluded.personal, fold = excluded.fold, status = excluded.status, \
         level = excluded.level, category = excluded.category, \
         report_unit = excluded.report_unit, site = excluded.site, \
         reported_at_ms = excluded.reported_at_ms, due_ms = excluded.due_ms, \
         rectified_at_ms = excluded.rectified_at_ms, solved_at_ms = excluded.solved_at_ms, \
         solved_level = excluded.solved_level, closed_at_ms = excluded.closed_at_ms, \
         last_hlc_ms = excluded.last_hlc_ms"
    } else {
        "DO NOTHING"
    };
    let scope = &row.scope;
    let c = &row.columns;
    // The case has its row now: it awaits its report no longer.
    tx.run(
        "DELETE FROM cases_awaiting_report WHERE case_id = ?1",
        [&scope.case_id],
    )?;
    tx.run(
        &format!(
            "INSERT INTO cases(case_id, unit, department, personal, fold, status, level,
               category, report_unit, site, reported_at_ms, due_ms, rectified_at_ms,
               solved_at_ms, solved_level, closed_at_ms, last_hlc_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
             ON CONFLICT(case_id) {on_conflict}"
        ),
        params![
            scope.case_id,
            scope.unit,
            scope.department,
            scope.personal,
            row.fold,
            c.status,
            c.level,
            c.category,
            c.report_unit,
            c.site,
            c.reported_at_ms,
            c.due_ms,
            c.rectified_at_ms,
            c.solved_at_ms,
            c.solved_level,
            c.closed_at_ms,
            c.last_hlc_ms
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema_of(path: &Path) -> Vec<(String, String)> {
        let conn = Connection::open(path).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT name, COALESCE(sql, '') FROM sqlite_master
                 WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn a_step_dropped_unkept_undoes_its_writes_and_a_kept_one_stays() {
        let conn = Connection::open_in_memory().unwrap();
        conn.run("CREATE TABLE t(x INTEGER)", []).unwrap();
        let count = |conn: &Connection| -> i64 {
            conn.row("SELECT count(*) FROM t", [], |r| r.get(0))
                .unwrap()
        };
        // Outside a transaction, a step is one of its own.
        {
            let step = Step::begin(&conn).unwrap();
            conn.run("INSERT INTO t VALUES (1)", []).unwrap();
            drop(step);
        }
        assert_eq!(count(&conn), 0);
        assert!(
            conn.is_autocommit(),
            "the undone step left a transaction open"
        );
        let step = Step::begin(&conn).unwrap();
        conn.run("INSERT INTO t VALUES (2)", []).unwrap();
        step.keep().unwrap();
        assert_eq!(count(&conn), 1);
        assert!(conn.is_autocommit());
        // Inside a batch's transaction, an undone step leaves the batch's other writes.
        conn.run("BEGIN IMMEDIATE", []).unwrap();
        conn.run("INSERT INTO t VALUES (3)", []).unwrap();
        {
            let _step = Step::begin(&conn).unwrap();
            conn.run("INSERT INTO t VALUES (4)", []).unwrap();
        }
        conn.run("COMMIT", []).unwrap();
        let kept: Vec<i64> = conn
            .prepare("SELECT x FROM t ORDER BY x")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(kept, [2, 3]);
    }

    #[test]
    fn photo_questions_for_many_blobs_answer_each() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("server.db")).unwrap();
        super::super::checks::photo_questions_for_many_blobs_answer_each(&store);
    }

    #[test]
    fn put_record_answers_new_duplicate_final_stale_and_conflict() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("server.db")).unwrap();
        super::super::checks::put_record_answers(&store);
    }

    #[test]
    fn units_changed_by_another_process_are_in_the_next_tree() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let server = SqliteStore::open(&path).unwrap();
        // The admin command opens the same file from a process of its own.
        let admin = SqliteStore::open(&path).unwrap();
        super::super::checks::units_and_sites_changed_elsewhere_are_seen(&server, &admin);
    }

    #[test]
    fn upgrading_from_every_earlier_version_equals_a_fresh_database() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh.db");
        drop(SqliteStore::open(&fresh).unwrap());
        for start in 0..MIGRATIONS.len() as u32 {
            let path = dir.path().join(format!("from-{start}.db"));
            {
                let mut conn = Connection::open(&path).unwrap();
                gridwalk_migrate::migrate_schema_to(&mut conn, MIGRATIONS, start).unwrap();
            }
            drop(SqliteStore::open(&path).unwrap());
            assert_eq!(schema_of(&path), schema_of(&fresh), "upgrade from v{start}");
        }
    }

    #[test]
    fn a_database_made_before_numbered_migrations_is_adopted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.run(
                "INSERT INTO units VALUES ('D1', 'District', 'district', NULL)",
                [],
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.units().unwrap().len(), 1, "data kept");
    }

    #[test]
    fn version_2_learns_the_uploaders_of_finished_uploads_and_marks_older_links() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            gridwalk_migrate::migrate_schema_to(&mut conn, MIGRATIONS, 1).unwrap();
            conn.execute_batch(
                "INSERT INTO records(id, kind, body, body_hash, unit, author_person,
                   author_device, draft, personal, received_at)
                 VALUES ('r1', 'inspection', '{}', 'h', 'g1', 'p-author', 'd1', 0, 0, 't');
                 INSERT INTO record_blobs(record, sha256, personal) VALUES ('r1', 'aa', 0);
                 INSERT INTO record_blobs(record, sha256, personal) VALUES ('r1', 'bb', 0);
                 INSERT INTO uploads(id, sha256, length, device, person, done, created_at)
                 VALUES ('u1', 'aa', 3, 'd1', 'p-uploader', 1, 't1'),
                        ('u2', 'cc', 3, 'd1', 'p-unfinished', 0, 't2');",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.blob_uploaders("aa").unwrap(), ["p-uploader"]);
        assert!(
            store.blob_uploaders("bb").unwrap().is_empty(),
            "uploader unknown"
        );
        assert!(
            store.blob_uploaders("cc").unwrap().is_empty(),
            "never finished"
        );
        let links = store.records_with_blob("bb").unwrap();
        assert_eq!(links.len(), 1);
        assert!(links[0].before_uploaders, "stored before version 2");
        assert_eq!(links[0].record.author_person, "p-author");

        // From now on: a finished upload names its uploader, a new link is not older.
        store
            .create_upload(
                &Upload {
                    id: "u3".into(),
                    sha256: "cc".into(),
                    length: 3,
                    device: "d2".into(),
                    person: "p-new".into(),
                    done: false,
                    thumbnail_of: None,
                    created_at: Utc::now(),
                },
                &UploadCap::UNLIMITED,
            )
            .unwrap();
        store.finish_upload("u3").unwrap();
        store.finish_upload("u3").unwrap();
        assert_eq!(store.blob_uploaders("cc").unwrap(), ["p-new"]);
        store
            .put_record(
                &NewRecord {
                    id: "r2".into(),
                    kind: RecordKind::Inspection,
                    body: "{}".into(),
                    body_hash: "h2".into(),
                    unit: "g1".into(),
                    department: None,
                    case_id: None,
                    author_person: "p-new".into(),
                    author_device: "d2".into(),
                    draft: false,
                    personal: false,
                    blobs: vec![("cc".into(), false)],
                    proof: None,
                },
                None,
            )
            .unwrap();
        let links = store.records_with_blob("cc").unwrap();
        assert!(!links[0].before_uploaders);
        assert!(store.record_exists("r2").unwrap() && !store.record_exists("r9").unwrap());
    }

    #[test]
    fn upgrading_fills_the_cases_awaiting_their_report_from_the_records() {
        use crate::storage::case_index::CaseIndex;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("before.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            let before = MIGRATIONS
                .iter()
                .position(|m| m.contains("CREATE TABLE cases_awaiting_report"))
                .unwrap();
            gridwalk_migrate::migrate_schema_to(&mut conn, MIGRATIONS, before as u32).unwrap();
            // Two events of a case without its report, one of a reported case, and a
            // record of another kind naming a case id.
            conn.execute_batch(
                "INSERT INTO records(id, kind, body, body_hash, unit, author_person,
                   author_device, draft, personal, received_at, case_id) VALUES
                   ('e1', 'hazard-event', '{}', 'h1', 'g1', 'p1', 'd1', 0, 0, 'then', 'waiting'),
                   ('e2', 'hazard-event', '{}', 'h2', 'g1', 'p1', 'd1', 0, 0, 'then', 'waiting'),
                   ('e3', 'hazard-event', '{}', 'h3', 'g1', 'p1', 'd1', 0, 0, 'then', 'reported'),
                   ('i1', 'inspection', '{}', 'h4', 'g1', 'p1', 'd1', 0, 0, 'then', 'other');
                 INSERT INTO cases(case_id, unit, personal, status, level, category)
                   VALUES ('reported', 'g1', 0, 'reported', 0, 'fire');",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.cases_awaiting_report().unwrap(), 1);
        let kept: Vec<String> = store
            .conn()
            .unwrap()
            .prepare("SELECT case_id FROM cases_awaiting_report")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(kept, ["waiting"]);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("newer.db");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", MIGRATIONS.len() as u32 + 1)
            .unwrap();
        assert!(matches!(
            SqliteStore::open(&path),
            Err(StoreError::Schema(_))
        ));
    }

    #[test]
    fn devices_enrolled_before_expiry_existed_get_the_default_lifetime_from_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            gridwalk_migrate::migrate_schema_to(&mut conn, MIGRATIONS, 1).unwrap();
            conn.execute_batch(
                "INSERT INTO people VALUES ('p1', 'Li Na', 'grid-worker', 'g1', NULL);
                 INSERT INTO devices VALUES ('d1', 'p1', 'hash', '2025-01-01T00:00:00.000Z');",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let now = Utc::now();
        let devices = store.device_summaries(None, now).unwrap();
        assert_eq!(devices.len(), 1);
        let d = &devices[0];
        assert_eq!(d.last_seen_at, None, "not seen since the upgrade");
        assert!(!d.expired && !d.revoked);
        let expires = parse_stamp("test", &d.expires_at).unwrap();
        let days = (expires - now).num_hours() as f64 / 24.0;
        assert!((89.9..=90.1).contains(&days), "{days} days");
        let found = store.device_for_token("hash").unwrap().unwrap();
        assert_eq!(found.expires_at, expires);
        assert_eq!(store.person_summaries(now).unwrap()[0].active_devices, 1);
    }

    #[test]
    fn enrolment_attempts_are_counted_per_client_and_pruned_after_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        let rows = |store: &SqliteStore| -> i64 {
            store
                .conn()
                .unwrap()
                .row("SELECT count(*) FROM enrol_attempts", [], |r| r.get(0))
                .unwrap()
        };
        let mut allowed = Vec::new();
        for at in [0, 100, 200] {
            match store.note_enrol_attempt("10.0.0.1", at, 1000, 3).unwrap() {
                EnrolAttempt::Allowed(id) => allowed.push(id),
                refused => panic!("{refused:?}"),
            }
        }
        // The fourth waits until the first leaves the window; another address does not.
        assert_eq!(
            store.note_enrol_attempt("10.0.0.1", 500, 1000, 3).unwrap(),
            EnrolAttempt::Refused {
                retry_after_ms: 500
            }
        );
        assert!(matches!(
            store.note_enrol_attempt("10.0.0.2", 500, 1000, 3).unwrap(),
            EnrolAttempt::Allowed(_)
        ));
        assert_eq!(rows(&store), 4, "the refused attempt is not stored");
        // A forgotten attempt (it enrolled a device) frees its place at once.
        store.forget_enrol_attempt(allowed[2]).unwrap();
        assert!(matches!(
            store.note_enrol_attempt("10.0.0.1", 600, 1000, 3).unwrap(),
            EnrolAttempt::Allowed(_)
        ));
        // Past the window everything earlier is gone.
        assert!(matches!(
            store.note_enrol_attempt("10.0.0.3", 5000, 1000, 3).unwrap(),
            EnrolAttempt::Allowed(_)
        ));
        assert_eq!(rows(&store), 1);
    }
}
