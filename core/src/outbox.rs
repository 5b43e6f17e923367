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

impl Store {
    /// The records not yet acknowledged by the server, oldest first.
    pub fn pending_outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, kind, record_id, created_at FROM outbox
             WHERE sent_at IS NULL ORDER BY seq LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit], |r| {
                Ok(OutboxEntry {
                    seq: r.get(0)?,
                    kind: r.get(1)?,
                    record_id: r.get(2)?,
                    created_at: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
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
