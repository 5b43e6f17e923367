//! The outbox: what this device recorded and has not yet synced, in recording order.
//! Rows are added in the same transaction as the record itself (by the operation that
//! records it), so nothing recorded can be missing from it; the sync client marks rows
//! sent once the server has acknowledged them.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use gridwalk_model::signing::Proof;

use crate::store::{Store, now, outbox, proofs};

pub use crate::store::{OutboxEntry, RefusedEntry};

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
        Ok(PendingSync {
            records: outbox::unsent_count(&self.conn)?,
            photos: self.all_photos_to_upload()?.len() as u32,
        })
    }

    /// The records not yet acknowledged by the server, oldest first.
    pub fn pending_outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        outbox::unsent(&self.conn, limit)
    }

    /// Unsent rows after position `after`, oldest first, leaving out rows the server
    /// refused `max_rejections` times or more (held back, see [`Store::held_back_outbox`]).
    pub fn outbox_batch(
        &self,
        after: i64,
        limit: u32,
        max_rejections: u32,
    ) -> Result<Vec<OutboxEntry>> {
        outbox::batch(&self.conn, after, limit, max_rejections)
    }

    /// Unsent rows the server refused `max_rejections` times or more: kept on the device
    /// (a record is never dropped), no longer offered; with the last reason given.
    pub fn held_back_outbox(&self, max_rejections: u32) -> Result<Vec<RefusedEntry>> {
        outbox::held_back(&self.conn, max_rejections)
    }

    /// Records that the server refused an outbox row, and why; returns how many times
    /// it has been refused now. The row stays unsent.
    pub fn record_rejection(&mut self, seq: i64, code: &str, reason: &str) -> Result<u32> {
        self.write(|tx, _| outbox::record_rejection(tx, seq, code, reason))
    }

    /// The body as signed and the proof (signature, chain link) of outbox row `seq`;
    /// `None` for a row queued before this device signed its records.
    pub fn signed_record(&self, seq: i64) -> Result<Option<(serde_json::Value, Proof)>> {
        proofs::of(&self.conn, seq)
    }

    /// Signs the records of a push being built that end a chain segment in it (ADR 12),
    /// the last one always, and one whose stored body no longer gives its link. The signature seals every record
    /// before it in the request; it is kept, so a retried push sends it again.
    pub fn seal_push(&mut self, seqs: &[i64]) -> Result<()> {
        let signing = self.signing.clone();
        self.write(|tx, _| proofs::seal_push(tx, &signing, seqs))
    }

    /// Marks outbox rows as acknowledged by the server. Marking twice is harmless.
    pub fn mark_sent(&mut self, seqs: &[i64]) -> Result<()> {
        self.write(|tx, _| {
            let at = now();
            for seq in seqs {
                outbox::mark_sent(tx, *seq, &at)?;
            }
            Ok(())
        })
    }
}
