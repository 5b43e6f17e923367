//! Storage behind two traits, so that PostgreSQL (records) and S3-compatible object
//! storage (blobs) can replace the embedded defaults without touching the API:
//! - [`RecordStore`]: reference data, people, devices (and who is shut out), pushed
//!   records, upload bookkeeping, recent enrolment attempts;
//! - [`BlobStore`]: photo bytes, finished and in progress;
//! - [`console::ConsoleStore`], part of every record store: the desk console's
//!   accounts and sessions.
//!
//! Blobs live in the data folder ([`files`]) or in an S3 bucket ([`s3`]), as
//! [`Blobs`] (`--blobs`) says.
//!
//! The traits are synchronous; the API calls them through [`crate::error::blocking`]
//! so that a slow store never stalls the async runtime.

pub mod case_index;
pub mod case_locks;
#[cfg(test)]
mod checks;
pub mod console;
pub mod copy;
pub mod files;
pub mod postgres;
pub mod register;
pub mod s3;
pub mod sqlite;

use chrono::{DateTime, Utc};
use gridwalk_model::org::{OrgUnit, Site};
use gridwalk_model::protocol::{Person, RecordKind};
use serde::Serialize;

/// What storage can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// The PostgreSQL database failed (or could not be reached).
    #[error("database: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// The store could not be set up as asked (a bad `--database` URL, a pool).
    #[error("{0}")]
    Config(String),
    /// The object store (`--blobs s3://…`) failed or could not be reached.
    #[error("object store: {0}")]
    Object(String),
    /// A file could not be read or written.
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
    /// A stored blob's bytes do not hash to its name (changed behind the server's back);
    /// a store that checks on reading never hands them out.
    #[error("blob {name} does not hash to its name: its bytes hash to {actual}")]
    BlobMismatch {
        /// The blob's name.
        name: String,
        /// What its bytes hash to.
        actual: String,
    },
    /// Stored data does not read back as expected.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database schema cannot be brought to this build's version (e.g. a newer file).
    #[error("database schema: {0}")]
    Schema(String),
    /// The store lock was poisoned by a panic in another request.
    #[error("store lock poisoned")]
    Poisoned,
}

/// A device being enrolled: the code it redeems and what it is known by from now on.
#[derive(Debug, Clone)]
pub struct NewDevice<'a> {
    /// SHA-256 of the enrolment code.
    pub code_hash: &'a str,
    /// The new device's id.
    pub device_id: &'a str,
    /// SHA-256 of its token.
    pub token_hash: &'a str,
    /// Its public key (hex SEC1 P-256 point), already checked; `None` from an older
    /// client.
    pub public_key: Option<&'a str>,
}

/// Result alias for storage calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// A record about to be stored by a push; everything the scope needs is pulled out of
/// the body by [`crate::kinds`] before it gets here.
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// The record's id (UUIDv7, chosen by the device).
    pub id: String,
    /// The record's kind.
    pub kind: RecordKind,
    /// The canonical JSON body.
    pub body: String,
    /// SHA-256 (hex) of `body`: decides whether a re-push is the same record.
    pub body_hash: String,
    /// The org unit the record belongs to (the site's unit).
    pub unit: String,
    /// The department this record assigns its case to (a hazard `assigned` event).
    pub department: Option<String>,
    /// The hazard case the record belongs to (hazard events).
    pub case_id: Option<String>,
    /// The person whose device pushed it.
    pub author_person: String,
    /// The device that pushed it.
    pub author_device: String,
    /// A draft that its final version may replace once (a planned spot check).
    pub draft: bool,
    /// Whether the body holds personal details (categories 4 and 5).
    pub personal: bool,
    /// Photos the record refers to, each with whether it belongs to personal details.
    pub blobs: Vec<(String, bool)>,
    /// The record's checked signature and chain position; `None` for an unsigned record
    /// (from a device enrolled without a key).
    pub proof: Option<RecordProof>,
}

/// A pushed record's proof, its signature checked ([`crate::proofs`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordProof {
    /// The link of the device's previous record.
    pub prev: String,
    /// The DER signature, hex; `None` for a chained record sealed by a later one.
    pub signature: Option<String>,
    /// Whether it is chained (ADR 12): its link is SHA-256(prev ‖ content digest).
    pub chained: bool,
    /// This record's own link.
    pub link: String,
}

/// Where a signed record stands in its device's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChainStatus {
    /// It follows the device's previous record (or is the device's first record).
    Linked,
    /// Its predecessor is not on the server: a record the device never pushed, or one
    /// the server refused.
    Gap,
    /// Another record of the device already follows the same predecessor: a store
    /// restored from a backup, or cloned.
    Fork,
}

/// Logs a record stored out of its device's chain: every store decides a signed record's
/// [`ChainStatus`] as it inserts it (among the device's other stored records, the record
/// itself left out so that a re-push is not its own fork), in the insert's own statement
/// where it can, and says so here.
pub(crate) fn note_chain(device: &str, record: &str, chain: &str) {
    if chain != ChainStatus::Linked.as_str() {
        tracing::warn!(device, record, chain, "device chain broken");
    }
}

impl ChainStatus {
    /// The stable text form, in storage and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ChainStatus::Linked => "linked",
            ChainStatus::Gap => "gap",
            ChainStatus::Fork => "fork",
        }
    }
}

/// A stored record with its proof and its device's key, as `verify` re-checks it.
#[derive(Debug, Clone)]
pub struct ProvenRow {
    /// The record's id.
    pub id: String,
    /// Its kind as stored.
    pub kind: String,
    /// Its stored body.
    pub body: String,
    /// The device that pushed it.
    pub device: String,
    /// The device's registered public key, if it registered one.
    pub public_key: Option<String>,
    /// The proof as stored; `None` for a record of a device enrolled without a key.
    pub proof: Option<StoredProof>,
}

/// A stored record's proof, as `verify` re-checks it.
#[derive(Debug, Clone)]
pub struct StoredProof {
    /// The link of the device's previous record.
    pub prev: String,
    /// The DER signature, hex; `None` for a chained record sealed by a later one.
    pub signature: Option<String>,
    /// This record's own link as stored.
    pub link: String,
    /// Where the server placed it at receipt.
    pub chain: String,
    /// Whether it is chained (ADR 12).
    pub chained: bool,
}

/// One signed or chained record in its device's chain, as a case bundle carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainEntry {
    /// The record's id.
    pub id: String,
    /// The hazard case it belongs to, if any.
    pub case_id: Option<String>,
    /// Its kind as stored.
    pub kind: String,
    /// Its body as stored (the bundle carries only its content digest).
    pub body: String,
    /// Whether it is chained (ADR 12).
    pub chained: bool,
    /// The link of the device's previous record.
    pub prev: String,
    /// The DER signature, hex; `None` for a chained record sealed by a later one.
    pub signature: Option<String>,
    /// The record's own link.
    pub link: String,
    /// Where the server placed it at receipt (`linked`, `gap`, `fork`).
    pub chain: String,
}

/// How many of a device's records arrived with a broken chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreaks {
    /// The device.
    pub device: String,
    /// Its person's name.
    pub person_name: String,
    /// Records received without their predecessor.
    pub gap: u64,
    /// Records received on a second branch of the chain.
    pub fork: u64,
}

/// A record as stored, with its sequence number.
#[derive(Debug, Clone, Serialize)]
pub struct StoredRecord {
    /// Server-assigned sequence number; increases with every stored record.
    pub seq: i64,
    /// The record's id.
    pub id: String,
    /// The record's kind as stored ([`RecordKind::as_str`]); text, so a row written by
    /// a newer server with a kind this build does not know still reads.
    pub kind: String,
    /// The canonical JSON body.
    pub body: String,
    /// The org unit the record belongs to.
    pub unit: String,
    /// The department this record assigns its case to.
    pub department: Option<String>,
    /// The hazard case the record belongs to.
    pub case_id: Option<String>,
    /// The person whose device pushed it.
    pub author_person: String,
    /// The device that pushed it.
    pub author_device: String,
    /// Whether it is a draft.
    pub draft: bool,
    /// Whether the body holds personal details.
    pub personal: bool,
    /// When the server stored it (server clock, RFC 3339).
    pub received_at: String,
    /// Where it stands in its device's chain ([`ChainStatus::as_str`]) as placed at
    /// receipt; `None` for an unsigned record.
    pub chain: Option<String>,
}

impl StoredRecord {
    /// Whether the record is of `kind`.
    pub fn is(&self, kind: RecordKind) -> bool {
        self.kind == kind.as_str()
    }
}

/// Which records a pull page looks at, narrowed in the database's indexes so that a
/// caller who may read little of a big server is not walked through all of it: a
/// superset of what the caller may read, built by [`crate::scope::read_filter`]. The
/// rules in [`crate::scope`] still decide every record it lets through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFilter {
    /// Records of these units are candidates; `None`: records of every unit, and the
    /// other fields but `skip_device` do not matter.
    pub units: Option<Vec<String>>,
    /// Records this person pushed are candidates, wherever they lie.
    pub author: Option<String>,
    /// Records of the hazard cases assigned to this department now, and the photo
    /// records of photos attached to them, are candidates.
    pub department: Option<String>,
    /// Records this device pushed are left out (it holds them).
    pub skip_device: Option<String>,
}

impl RecordFilter {
    /// Every record.
    pub fn everything() -> RecordFilter {
        RecordFilter::default()
    }
}

/// A stored record naming a photo.
#[derive(Debug, Clone)]
pub struct BlobLink {
    /// The record; its `author_person` is who attached the photo.
    pub record: StoredRecord,
    /// Whether the photo belongs to the record's personal details.
    pub personal: bool,
    /// Whether the link was stored before the server recorded photo uploaders (schema
    /// version 2); such a link still grants a photo whose uploader is not known.
    pub before_uploaders: bool,
}

/// What the scope needs to know of a hazard case, folded from its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseScope {
    /// The case id.
    pub case_id: String,
    /// The org unit of the case's site (or of the report, without a site).
    pub unit: String,
    /// The department the case is assigned to now.
    pub department: Option<String>,
    /// Whether the case is about named people (categories 4 and 5).
    pub personal: bool,
}

/// A hazard case's row as written with one of its events: its scope, and the fold of
/// its events so far (JSON), kept so that the next event is applied to it rather than
/// every event refolded, and the indexed columns taken from that fold, written in the
/// same statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    /// What the scope needs.
    pub scope: CaseScope,
    /// The kept fold, opaque to storage.
    pub fold: String,
    /// The fold's indexed columns ([`case_index::CaseColumns::of`] of the same fold).
    pub columns: case_index::CaseColumns,
}

/// What happened to a pushed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    /// Stored now under this sequence number.
    Stored(i64),
    /// The same id with the same content was already stored.
    Duplicate(i64),
    /// The stored record is the final version of this (draft) push; nothing changed.
    Stale(i64),
    /// The id is taken by different content; nothing changed.
    Conflict,
}

/// What a push of `rec` is when a record with its id is already stored (`seq`, and the
/// stored `body_hash`, `kind`, `draft` and `author_person`): the same content is a
/// duplicate, a draft sent after its final version is stale, anything else a conflict;
/// `None` when `rec` is the final version of the stored draft, which it replaces. Both
/// stores judge through this one function.
pub(crate) fn judge_stored(
    (seq, hash, kind, draft, author): &(i64, String, String, bool, String),
    rec: &NewRecord,
) -> Option<PutOutcome> {
    if *hash == rec.body_hash {
        return Some(PutOutcome::Duplicate(*seq));
    }
    let same_record = kind == rec.kind.as_str() && *author == rec.author_person;
    if same_record && *draft && !rec.draft {
        return None;
    }
    if same_record && !*draft && rec.draft {
        return Some(PutOutcome::Stale(*seq));
    }
    Some(PutOutcome::Conflict)
}

/// A tus upload in progress or finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Upload id (in the upload URL).
    pub id: String,
    /// The SHA-256 (hex) the finished bytes must have.
    pub sha256: String,
    /// Declared total length.
    pub length: u64,
    /// The device that created it; only it may continue it.
    pub device: String,
    /// The person that device belongs to.
    pub person: String,
    /// Whether the bytes were verified and stored as a blob.
    pub done: bool,
    /// The photo (hex SHA-256) this upload is a thumbnail of, as its uploader says
    /// (`thumbnail-of` in `Upload-Metadata`); `None` for a photo.
    pub thumbnail_of: Option<String>,
    /// When it was created (server clock): an unfinished upload expires a configured
    /// time after.
    pub created_at: DateTime<Utc>,
}

/// How many unfinished uploads one device may hold, checked as an upload is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadCap {
    /// Most unfinished uploads.
    pub max_open: u32,
    /// Most bytes their `Upload-Length`s may add up to, the new one included.
    pub max_bytes: u64,
    /// Uploads created before this have expired and do not count.
    pub live_since: DateTime<Utc>,
}

impl UploadCap {
    /// No cap at all (tests of the store that are not about caps).
    pub const UNLIMITED: UploadCap = UploadCap {
        max_open: u32::MAX,
        max_bytes: u64::MAX,
        live_since: DateTime::<Utc>::MIN_UTC,
    };
}

/// Whether a new upload fit its device's [`UploadCap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadAdmission {
    /// Stored.
    Admitted,
    /// Not stored: the device holds too many, or too large, unfinished uploads.
    Refused {
        /// The device's live unfinished uploads.
        open: u32,
        /// What their `Upload-Length`s add up to.
        bytes: u64,
        /// When the oldest of them was created (it expires first).
        oldest: Option<DateTime<Utc>>,
    },
}

/// What redeeming an enrolment code came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Redeemed {
    /// The code was unused: the device is enrolled for this person.
    Enrolled(Person),
    /// No unused code has this hash (never issued, used, or replaced by a reissue).
    UnknownCode,
    /// The code is unused but its person is disabled; the code stays unused.
    PersonDisabled,
}

/// What counting an enrolment attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrolAttempt {
    /// Allowed and counted under this id (to forget it if it enrols a device).
    Allowed(i64),
    /// Refused and not counted: the earliest retry is this many milliseconds away.
    Refused {
        /// Milliseconds until the oldest counted attempt leaves the window.
        retry_after_ms: i64,
    },
}

/// A device as the token check needs it: whose it is and whether it may still sync.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenDevice {
    /// The device id.
    pub device: String,
    /// The person who enrolled it.
    pub person: Person,
    /// Whether an admin disabled the person.
    pub person_disabled: bool,
    /// Whether an admin revoked the device.
    pub revoked: bool,
    /// When the token stops working unless renewed.
    pub expires_at: DateTime<Utc>,
    /// The signing key the device registered at enrolment (`None`: enrolled without
    /// one); it never changes, so a push reads it with the token.
    pub public_key: Option<String>,
}

/// A person as `people list` shows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonSummary {
    /// Who they are (id, name, role, unit, department).
    #[serde(flatten)]
    pub person: Person,
    /// Whether an admin disabled them: every device of theirs is refused.
    pub disabled: bool,
    /// When they were disabled (RFC 3339), if they are.
    pub disabled_at: Option<String>,
    /// Their devices that may sync now: neither revoked nor expired.
    pub active_devices: u32,
}

/// A device as `devices list` shows it. Times are RFC 3339 UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceSummary {
    /// The device id.
    pub id: String,
    /// The id of the person who enrolled it.
    pub person: String,
    /// That person's name.
    pub person_name: String,
    /// When it enrolled.
    pub enrolled_at: String,
    /// When it last made an authenticated request, to within the renewal interval
    /// (an hour); absent when not seen since it enrolled before expiry was recorded.
    pub last_seen_at: Option<String>,
    /// When its token stops working unless it syncs before.
    pub expires_at: String,
    /// Whether `expires_at` has passed.
    pub expired: bool,
    /// Whether an admin revoked it.
    pub revoked: bool,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// What comes after one item of a batch ([`RecordStore::in_batch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchStep {
    /// Another item follows.
    More,
    /// That was the last item: commit.
    Done,
    /// Something failed: roll the batch back.
    Abort,
}

/// A held hazard-case lock ([`RecordStore::lock_case`]); dropping it releases the case.
pub type CaseLock<'a> = Box<dyn Send + 'a>;

/// Where the records live: `--database`, an embedded SQLite file by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// The embedded SQLite file.
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL database, by URL (`postgres://…`): what several replicas share.
    Postgres(String),
}

impl Database {
    /// `--database` as given (`postgres://…` or `postgresql://…`), or the data folder's
    /// SQLite file without one; any other scheme is refused by name.
    pub fn from_flag(flag: Option<&str>, sqlite_file: std::path::PathBuf) -> StoreResult<Self> {
        match flag {
            None => Ok(Database::Sqlite(sqlite_file)),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Database::Postgres(url.to_string()))
            }
            Some(other) => Err(StoreError::Config(format!(
                "--database {other}: only postgres://… is supported (without the flag the \
                 records are kept in the data folder's SQLite file)"
            ))),
        }
    }

    /// Opens the record store, bringing its schema up to date.
    pub fn open(&self) -> StoreResult<std::sync::Arc<dyn RecordStore>> {
        Ok(match self {
            Database::Sqlite(path) => std::sync::Arc::new(sqlite::SqliteStore::open(path)?),
            Database::Postgres(url) => std::sync::Arc::new(postgres::PgStore::open(url)?),
        })
    }
}

/// Records, reference data, people and devices.
pub trait RecordStore:
    console::ConsoleStore + case_index::CaseIndex + Send + Sync + 'static
{
    /// Runs a real query, for `/health`.
    fn check_health(&self) -> StoreResult<()>;
    /// Waits for hazard case `case_id`'s lock and holds it until the returned guard is
    /// dropped: a push holds it from checking an event against the case's kept row to
    /// writing both, so two pushes to one case never build on the same row. Blocks the
    /// thread; never call it while holding another case's lock. The embedded store
    /// locks in this process (it has one); a shared database locks in the database, so
    /// replicas exclude each other too.
    fn lock_case(&self, case_id: &str) -> StoreResult<CaseLock<'_>>;
    /// Runs `work` against a view of this store whose every read and write goes into one
    /// transaction, one item at a time (each call of `work` does one item and says what
    /// comes next, [`BatchStep`]), committed once at [`BatchStep::Done`] and rolled back
    /// at [`BatchStep::Abort`] or an error: a push request's records cost one durable
    /// commit (one fsync), not one each, and a crash before the commit loses the whole
    /// request, which the device re-sends since nothing was acknowledged. Returns
    /// whether it committed; the numbers `put_record` answered inside are final.
    ///
    /// Inside, [`RecordStore::put_record`] is a savepoint: a record refused on writing
    /// (a conflict) leaves the others of the batch as they are. Reads see the batch's
    /// earlier writes, so a photo record finds the inspection stored just before it.
    /// Only reads and `put_record` may be called on the view.
    ///
    /// The locks of every hazard case in `cases` are taken first, in one fixed order,
    /// and held until the end: two requests to one case never both build on the same
    /// row, and two requests sharing cases cannot wait on each other in a cycle. Never
    /// call [`RecordStore::lock_case`] on the view, nor hold a case lock while calling
    /// this.
    ///
    /// A shared database runs batches side by side and shows nothing of one until it
    /// commits; the embedded store has one connection, which a batch borrows, so the
    /// others wait for it. Either way a batch should be short: the caller splits a long
    /// request ([`crate::api::push::BATCH_ITEMS`]).
    fn in_batch(
        &self,
        cases: &[&str],
        work: &mut dyn FnMut(&dyn RecordStore) -> BatchStep,
    ) -> StoreResult<bool>;
    /// Inserts or updates org units (validated by the caller).
    fn upsert_units(&self, units: &[OrgUnit]) -> StoreResult<()>;
    /// Every org unit.
    fn units(&self) -> StoreResult<Vec<OrgUnit>>;
    /// The units and sites that access and checks are decided by, started again only
    /// when either changed ([`register`]).
    fn register(&self) -> StoreResult<std::sync::Arc<register::Register>>;
    /// Inserts or updates sites (validated by the caller).
    fn upsert_sites(&self, sites: &[Site]) -> StoreResult<()>;
    /// Every site.
    fn sites(&self) -> StoreResult<Vec<Site>>;
    /// One site.
    fn site(&self, id: &str) -> StoreResult<Option<Site>>;
    /// Adds a person with a one-time enrolment code (stored as its hash).
    fn add_person(&self, person: &Person, code_hash: &str) -> StoreResult<()>;
    /// Every person.
    fn people(&self) -> StoreResult<Vec<Person>>;
    /// Every person with whether they are disabled and how many devices are active at
    /// `now`, in id order.
    fn person_summaries(&self, now: DateTime<Utc>) -> StoreResult<Vec<PersonSummary>>;
    /// Disables a person (`Some(at)`) or enables them again (`None`); `false` when the
    /// person was already so (or does not exist).
    fn set_person_disabled(&self, person: &str, at: Option<DateTime<Utc>>) -> StoreResult<bool>;
    /// Replaces a person's unused enrolment codes with a new one, atomically; returns
    /// how many unused codes stopped working.
    fn reissue_enrolment(&self, person: &str, code_hash: &str) -> StoreResult<usize>;
    /// Redeems an unused enrolment code for a new device token, atomically, unless the
    /// person is disabled. The device's token expires at `expires_at`.
    fn redeem_enrolment(
        &self,
        enrolment: &NewDevice<'_>,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<Redeemed>;
    /// The public key a device registered at enrolment (`None`: enrolled without one).
    fn device_public_key(&self, device_id: &str) -> StoreResult<Option<String>>;
    /// Every stored record with its proof and its device's key, in sequence order.
    fn proven_rows(&self) -> StoreResult<Vec<ProvenRow>>;
    /// The names (SHA-256) of every photo a stored record refers to.
    fn referenced_blobs(&self) -> StoreResult<Vec<String>>;
    /// The device a token hash belongs to, revoked, disabled or expired alike.
    fn device_for_token(&self, token_hash: &str) -> StoreResult<Option<TokenDevice>>;
    /// Records that a device was seen at `seen_at` and moves its expiry to `expires_at`
    /// (a revoked device is left as it is).
    fn renew_device(
        &self,
        device: &str,
        seen_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Every device (or one person's), with whether each is expired at `now`, in order
    /// of enrolment.
    fn device_summaries(
        &self,
        person: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<DeviceSummary>>;
    /// Revokes a device at `at`; `false` when it was already revoked (or does not exist).
    fn revoke_device(&self, device: &str, at: DateTime<Utc>) -> StoreResult<bool>;
    /// Counts an enrolment attempt from `client` at `now_ms` against at most `max` per
    /// `window_ms`, atomically, forgetting attempts older than the window.
    fn note_enrol_attempt(
        &self,
        client: &str,
        now_ms: i64,
        window_ms: i64,
        max: u32,
    ) -> StoreResult<EnrolAttempt>;
    /// Stops counting an attempt (it enrolled a device).
    fn forget_enrol_attempt(&self, attempt: i64) -> StoreResult<()>;
    /// The person a device id was enrolled to, if the server ever enrolled it.
    fn device_person(&self, device_id: &str) -> StoreResult<Option<String>>;
    /// Stores a pushed record idempotently (see [`PutOutcome`]) and, for a hazard event,
    /// its case's row as it is with the event, in the same transaction: a crash never
    /// leaves an event without its case row, nor a row whose kept fold misses an event.
    /// A duplicate writes the row only when the case has none (a store orphaned by a
    /// crash before this was one step).
    fn put_record(&self, record: &NewRecord, case: Option<&CaseRow>) -> StoreResult<PutOutcome>;
    /// Up to `limit` records with `after < seq <= upto` that `filter` lets through, in
    /// sequence order.
    fn records_after(
        &self,
        after: i64,
        upto: i64,
        filter: &RecordFilter,
        limit: u32,
    ) -> StoreResult<Vec<StoredRecord>>;
    /// The highest sequence number stored (0 when empty).
    fn max_seq(&self) -> StoreResult<i64>;
    /// Whether a record with this id is stored.
    fn record_exists(&self, id: &str) -> StoreResult<bool>;
    /// Records referring to any of the blobs `sha256s`, each with the blob it names, in
    /// sequence order: one question for a whole pull page's photos.
    fn records_with_blobs(&self, sha256s: &[&str]) -> StoreResult<Vec<(String, BlobLink)>>;
    /// Records referring to a blob, in sequence order.
    fn records_with_blob(&self, sha256: &str) -> StoreResult<Vec<BlobLink>> {
        Ok(self
            .records_with_blobs(&[sha256])?
            .into_iter()
            .map(|(_, link)| link)
            .collect())
    }
    /// Registers a new upload unless its device's live unfinished uploads would exceed
    /// `cap`, atomically.
    fn create_upload(&self, upload: &Upload, cap: &UploadCap) -> StoreResult<UploadAdmission>;
    /// One upload.
    fn upload(&self, id: &str) -> StoreResult<Option<Upload>>;
    /// Marks an upload as verified and stored, and records its person as an uploader
    /// of its blob, in one transaction.
    fn finish_upload(&self, id: &str) -> StoreResult<()>;
    /// Forgets an upload (its bytes were wrong, or it expired).
    fn delete_upload(&self, id: &str) -> StoreResult<()>;
    /// The unfinished uploads created before `before` (expired), oldest first.
    fn unfinished_uploads_created_before(&self, before: DateTime<Utc>) -> StoreResult<Vec<String>>;
    /// Every unfinished upload's id.
    fn unfinished_upload_ids(&self) -> StoreResult<Vec<String>>;
    /// `(blob, person)` for each person who finished an upload of one of `sha256s`, by
    /// person within a blob.
    fn uploaders_of_blobs(&self, sha256s: &[&str]) -> StoreResult<Vec<(String, String)>>;
    /// The people who finished an upload of this blob (empty when none is known).
    fn blob_uploaders(&self, sha256: &str) -> StoreResult<Vec<String>> {
        Ok(self
            .uploaders_of_blobs(&[sha256])?
            .into_iter()
            .map(|(_, person)| person)
            .collect())
    }
    /// The thumbnails linked to a photo: `(person who linked it, thumbnail's hash)`,
    /// oldest link first.
    fn thumbnail_links(&self, photo: &str) -> StoreResult<Vec<(String, String)>>;
    /// A hazard case's scope, once its first event is stored.
    fn case_scope(&self, case_id: &str) -> StoreResult<Option<CaseScope>>;
    /// The fold kept on a hazard case's row; `None` when the case has no row, or a row
    /// written before folds were kept.
    fn case_fold(&self, case_id: &str) -> StoreResult<Option<String>>;
    /// Every record of a hazard case, in sequence order.
    fn case_records(&self, case_id: &str) -> StoreResult<Vec<StoredRecord>>;
    /// Every record of a kind, in sequence order (for the server-wide report).
    fn records_of_kind(&self, kind: RecordKind) -> StoreResult<Vec<StoredRecord>>;
    /// The record with this id, if stored.
    fn record(&self, id: &str) -> StoreResult<Option<StoredRecord>>;
    /// Every signed record of `device`, in the order the server received them.
    fn device_chain(&self, device: &str) -> StoreResult<Vec<ChainEntry>>;
    /// The devices with records whose chain was broken at receipt (gap or fork), by
    /// device id.
    fn chain_breaks(&self) -> StoreResult<Vec<ChainBreaks>>;
}

/// Where the photos live: `--blobs`, the data folder's `blobs/` by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blobs {
    /// A local folder.
    Folder(std::path::PathBuf),
    /// An S3 bucket (`s3://…`): what several replicas share.
    S3(s3::S3Location),
}

impl Blobs {
    /// `--blobs` as given (`s3://…`), or the data folder's blob folder without one; any
    /// other scheme is refused by name.
    pub fn from_flag(flag: Option<&str>, folder: std::path::PathBuf) -> StoreResult<Self> {
        match flag {
            None => Ok(Blobs::Folder(folder)),
            Some(url) if url.starts_with("s3://") => Ok(Blobs::S3(s3::S3Location::parse(url)?)),
            Some(_) => Err(StoreError::Config(
                "--blobs takes an s3://BUCKET?endpoint=…&region=… URL; without it photos \
                 stay in the data folder"
                    .into(),
            )),
        }
    }

    /// Opens the blob store.
    pub fn open(&self) -> StoreResult<std::sync::Arc<dyn BlobStore>> {
        Ok(match self {
            Blobs::Folder(root) => std::sync::Arc::new(files::FileBlobStore::open(root)?),
            Blobs::S3(location) => std::sync::Arc::new(s3::S3BlobStore::open(location)?),
        })
    }
}

/// What finishing an upload found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishOutcome {
    /// The bytes hash to the name; the blob is stored.
    Stored,
    /// The bytes hash to something else; they were discarded.
    HashMismatch {
        /// The SHA-256 the bytes actually have.
        actual: String,
    },
}

/// Photo bytes: finished blobs by SHA-256, and unfinished uploads by upload id.
pub trait BlobStore: Send + Sync + 'static {
    /// Checks the storage is reachable and writable, for `/health`.
    fn check_health(&self) -> StoreResult<()>;
    /// Creates an empty upload.
    fn start_upload(&self, upload_id: &str) -> StoreResult<()>;
    /// How many bytes of an upload are safely stored; `None` if there is no such upload.
    fn upload_offset(&self, upload_id: &str) -> StoreResult<Option<u64>>;
    /// Appends bytes at `offset` (the current offset) durably; returns the new offset.
    fn append(&self, upload_id: &str, offset: u64, data: &[u8]) -> StoreResult<u64>;
    /// Hashes a complete upload and, if it matches `sha256`, stores it as that blob.
    fn finish(&self, upload_id: &str, sha256: &str) -> StoreResult<FinishOutcome>;
    /// Removes an upload's bytes.
    fn discard_upload(&self, upload_id: &str) -> StoreResult<()>;
    /// Removes upload files last changed before `before` whose upload `keep` does not
    /// name (left by a crash between creating the file and recording the upload);
    /// returns how many were removed.
    fn remove_stale_upload_files(
        &self,
        before: std::time::SystemTime,
        keep: &std::collections::HashSet<String>,
    ) -> StoreResult<usize>;
    /// Whether a blob is stored.
    fn has_blob(&self, sha256: &str) -> StoreResult<bool>;
    /// A blob's bytes.
    fn read_blob(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>>;
}

/// SHA-256 of bytes as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
