//! The outbox: what this device recorded and has not yet synced, in recording order.
//! Rows are added in the same transaction as the record itself, so nothing recorded can
//! be missing from it; the sync client marks rows sent once the server has acknowledged.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::store::{Store, now};

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

/// What is waiting for the next sync, for a shell's sync status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PendingSync {
    /// Records (inspections, hazard events) not yet acknowledged by the server.
    pub records: u32,
    /// Evidence photos not yet uploaded.
    pub photos: u32,
}

impl Store {
    /// How much is waiting for the next sync.
    pub fn pending_sync(&self) -> Result<PendingSync> {
        let records: u32 = self.conn.query_row(
            "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL",
            [],
            |r| r.get(0),
        )?;
        let photos = self.all_photos_to_upload()?.len() as u32;
        Ok(PendingSync { records, photos })
    }

    /// The records not yet acknowledged by the server, oldest first.
    pub fn pending_outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, kind, record_id, created_at FROM outbox
             WHERE sent_at IS NULL ORDER BY seq LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit], outbox_entry)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Unsent rows after position `after`, oldest first, leaving out rows the server
    /// refused `max_rejections` times or more (held back, see [`Store::held_back_outbox`]).
    pub fn outbox_batch(
        &self,
        after: i64,
        limit: u32,
        max_rejections: u32,
    ) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, kind, record_id, created_at FROM outbox
             WHERE sent_at IS NULL AND seq > ?1 AND rejections < ?3 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![after, limit, max_rejections], outbox_entry)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Unsent rows the server refused `max_rejections` times or more: kept on the device
    /// (a record is never dropped), no longer offered; with the last reason given.
    pub fn held_back_outbox(&self, max_rejections: u32) -> Result<Vec<RefusedEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, kind, record_id, rejections, COALESCE(reject_code, ''),
                    COALESCE(reject_reason, '')
             FROM outbox WHERE sent_at IS NULL AND rejections >= ?1 ORDER BY seq",
        )?;
        let rows = stmt
            .query_map([max_rejections], |r| {
                Ok(RefusedEntry {
                    seq: r.get(0)?,
                    kind: r.get(1)?,
                    record_id: r.get(2)?,
                    rejections: r.get(3)?,
                    code: r.get(4)?,
                    reason: r.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Records that the server refused an outbox row, and why; returns how many times
    /// it has been refused now. The row stays unsent.
    pub fn record_rejection(&mut self, seq: i64, code: &str, reason: &str) -> Result<u32> {
        self.conn.execute(
            "UPDATE outbox SET rejections = rejections + 1, reject_code = ?2, reject_reason = ?3
             WHERE seq = ?1 AND sent_at IS NULL",
            params![seq, code, reason],
        )?;
        Ok(self
            .conn
            .query_row("SELECT rejections FROM outbox WHERE seq = ?1", [seq], |r| {
                r.get(0)
            })?)
    }

    /// Marks outbox rows as acknowledged by the server. Marking twice is harmless.
    pub fn mark_sent(&mut self, seqs: &[i64]) -> Result<()> {
        let tx = self.conn.transaction()?;
        let at = now();
        for seq in seqs {
            tx.execute(
                "UPDATE outbox SET sent_at = ?2 WHERE seq = ?1 AND sent_at IS NULL",
                params![seq, at],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// An outbox row as selected by `seq, kind, record_id, created_at`.
fn outbox_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxEntry> {
    Ok(OutboxEntry {
        seq: r.get(0)?,
        kind: r.get(1)?,
        record_id: r.get(2)?,
        created_at: r.get(3)?,
    })
}
