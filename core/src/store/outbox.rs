//! The `outbox` table: what this device recorded and the server has not yet
//! acknowledged, in recording order, with the server's refusals. The one module that
//! reads and writes it; a row is added in the transaction of the record it names.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::store::proofs;
use gridwalk_model::protocol::RecordKind;

/// One unsent record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Position in the outbox; increases with every record.
    pub seq: i64,
    /// What kind of record (`inspection`, ...).
    pub kind: String,
    /// The record's id.
    pub record_id: String,
    /// When it was queued.
    pub created_at: String,
}

/// An unsent row the server refused, with its last reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedEntry {
    /// Position in the outbox.
    pub seq: i64,
    /// Record kind.
    pub kind: String,
    /// The record's id.
    pub record_id: String,
    /// How many times the server refused it.
    pub rejections: u32,
    /// The server's last reject code.
    pub code: String,
    /// The server's last reason.
    pub reason: String,
}

/// Queues a record for the server, to be signed and chained by this device's signer over
/// `body` (the record as it is pushed) when the transaction commits; call in the
/// transaction ([`Store::write`](super::Store::write)) that stores the record.
pub(crate) fn enqueue(
    conn: &Connection,
    kind: RecordKind,
    record_id: &str,
    body: &serde_json::Value,
    at: &str,
) -> Result<()> {
    conn.prepare_cached("INSERT INTO outbox(kind, record_id, created_at) VALUES (?1, ?2, ?3)")?
        .execute(params![kind.as_str(), record_id, at])?;
    let seq = conn.last_insert_rowid();
    proofs::queue(conn, seq, kind, record_id, body)
}

/// How many rows are unsent.
pub(crate) fn unsent_count(conn: &Connection) -> Result<u32> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")?
        .query_row([], |r| r.get(0))?)
}

/// An unsent row as the queue shows it: its size as signed and the server's last
/// refusal, if any.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueuedRow {
    /// The row.
    pub(crate) entry: OutboxEntry,
    /// Bytes of the signed body (`None` for a row queued before records were signed).
    pub(crate) signed_bytes: Option<u64>,
    /// How many times the server refused it.
    pub(crate) rejections: u32,
    /// The server's last code and reason.
    pub(crate) refusal: Option<(String, String)>,
}

/// Every unsent row, oldest first, with what the queue shows of it.
pub(crate) fn queued(conn: &Connection) -> Result<Vec<QueuedRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT o.seq, o.kind, o.record_id, o.created_at, length(CAST(p.body AS BLOB)),
                o.rejections, o.reject_code, o.reject_reason
         FROM outbox o LEFT JOIN record_proofs p ON p.outbox_seq = o.seq
         WHERE o.sent_at IS NULL ORDER BY o.seq",
    )?;
    let rows = stmt
        .query_map([], |r| {
            let code: Option<String> = r.get(6)?;
            let reason: Option<String> = r.get(7)?;
            Ok(QueuedRow {
                entry: entry(r)?,
                signed_bytes: r.get(4)?,
                rejections: r.get(5)?,
                refusal: code.map(|c| (c, reason.unwrap_or_default())),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Unsent rows, oldest first, at most `limit`.
pub(crate) fn unsent(conn: &Connection, limit: u32) -> Result<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, kind, record_id, created_at FROM outbox
         WHERE sent_at IS NULL ORDER BY seq LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], entry)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Unsent rows after position `after` refused fewer than `max_rejections` times,
/// oldest first, at most `limit`.
pub(crate) fn batch(
    conn: &Connection,
    after: i64,
    limit: u32,
    max_rejections: u32,
) -> Result<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, kind, record_id, created_at FROM outbox
         WHERE sent_at IS NULL AND seq > ?1 AND rejections < ?3 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![after, limit, max_rejections], entry)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Unsent rows refused `max_rejections` times or more, oldest first.
pub(crate) fn held_back(conn: &Connection, max_rejections: u32) -> Result<Vec<RefusedEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, kind, record_id, rejections, COALESCE(reject_code, ''),
                COALESCE(reject_reason, '')
         FROM outbox WHERE sent_at IS NULL AND rejections >= ?1 ORDER BY seq",
    )?;
    let rows = stmt
        .query_map([max_rejections], refused_entry)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Unsent rows of `kind` the server has refused at least once (held back or still
/// offered), with the last reason. A row the server later accepts is sent, so it leaves
/// this list: only the server's latest word counts.
pub(crate) fn refused(conn: &Connection, kind: RecordKind) -> Result<Vec<RefusedEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, kind, record_id, rejections, COALESCE(reject_code, ''),
                COALESCE(reject_reason, '')
         FROM outbox WHERE sent_at IS NULL AND rejections > 0 AND kind = ?1 ORDER BY seq",
    )?;
    let rows = stmt
        .query_map([kind.as_str()], refused_entry)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Counts one more refusal of an unsent row, with its reason; returns the count now.
pub(crate) fn record_rejection(
    conn: &Connection,
    seq: i64,
    code: &str,
    reason: &str,
) -> Result<u32> {
    conn.prepare_cached(
        "UPDATE outbox SET rejections = rejections + 1, reject_code = ?2, reject_reason = ?3
         WHERE seq = ?1 AND sent_at IS NULL",
    )?
    .execute(params![seq, code, reason])?;
    Ok(conn
        .prepare_cached("SELECT rejections FROM outbox WHERE seq = ?1")?
        .query_row([seq], |r| r.get(0))?)
}

/// Marks a row acknowledged by the server at `at`; marking twice keeps the first time.
pub(crate) fn mark_sent(conn: &Connection, seq: i64, at: &str) -> Result<()> {
    conn.prepare_cached("UPDATE outbox SET sent_at = ?2 WHERE seq = ?1 AND sent_at IS NULL")?
        .execute(params![seq, at])?;
    Ok(())
}

/// Whether a record of `kind` with id `record_id` was ever queued (sent or not).
pub(crate) fn holds(conn: &Connection, kind: RecordKind, record_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM outbox WHERE kind = ?1 AND record_id = ?2 LIMIT 1")?
        .query_row(params![kind.as_str(), record_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// An outbox row as selected by `seq, kind, record_id, created_at`.
fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxEntry> {
    Ok(OutboxEntry {
        seq: r.get(0)?,
        kind: r.get(1)?,
        record_id: r.get(2)?,
        created_at: r.get(3)?,
    })
}

/// A refused row as selected by `seq, kind, record_id, rejections, code, reason`.
fn refused_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<RefusedEntry> {
    Ok(RefusedEntry {
        seq: r.get(0)?,
        kind: r.get(1)?,
        record_id: r.get(2)?,
        rejections: r.get(3)?,
        code: r.get(4)?,
        reason: r.get(5)?,
    })
}
