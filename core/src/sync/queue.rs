//! What the phone shows of its sync queue: every photo and record still to reach the
//! server, in the order a sync sends them (photos first), with what it is, how many
//! bytes are left to send and the last error the server gave for it.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::store::{Store, outbox, photo_uploads, photos};
use crate::sync::SyncOptions;
use gridwalk_model::photo_record::ID_PREFIX;
use gridwalk_model::protocol::RecordKind;

/// What a queued item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum QueueItemKind {
    /// An evidence photo.
    Photo,
    /// A submitted inspection.
    Inspection,
    /// An event of a hazard case.
    HazardEvent,
    /// What the device attests about one of its photos (record kind `photo`); its
    /// subject is the photo's SHA-256.
    PhotoRecord,
    /// A record of a kind this build does not know (queued by a newer app that shared
    /// the store file): shown, never dropped.
    Unknown,
}

/// One item waiting for the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct QueueItem {
    /// What it is.
    pub kind: QueueItemKind,
    /// The record's id, or the photo's SHA-256.
    pub id: String,
    /// What it is about: an inspection's site, an event's case; empty for a photo.
    pub subject: String,
    /// Bytes still to send: a record's body as signed (before compression), a photo's
    /// file (whole until its upload finishes: the server holds the offset of an upload
    /// under way).
    pub bytes_left: u64,
    /// Whether a photo's upload has started (a later sync resumes it).
    pub started: bool,
    /// The server's last refusal of a record (`code: reason`), if any.
    pub last_error: Option<String>,
    /// Refused too often to be offered again: it stays on the device, never dropped,
    /// until someone looks at it.
    pub held_back: bool,
}

impl Store {
    /// Everything still to reach the server, photos first, then records in recording
    /// order.
    pub fn sync_queue(&self) -> Result<Vec<QueueItem>> {
        let max = SyncOptions::default().max_rejections;
        let mut items = Vec::new();
        for sha in self.all_photos_to_upload()? {
            items.push(QueueItem {
                kind: QueueItemKind::Photo,
                bytes_left: photos::size(&self.conn, &sha)?.unwrap_or(0),
                started: photo_uploads::location(&self.conn, &sha)?.is_some(),
                subject: String::new(),
                id: sha,
                last_error: None,
                held_back: false,
            });
        }
        for row in outbox::queued(&self.conn)? {
            let id = row.entry.record_id;
            let (kind, subject, body) = match row.entry.kind.parse::<RecordKind>() {
                Ok(RecordKind::Inspection) => {
                    let inspection = self.inspection(&id)?;
                    let body = serde_json::to_vec(&inspection).map_or(0, |b| b.len());
                    (QueueItemKind::Inspection, inspection.site_id, body)
                }
                Ok(RecordKind::HazardEvent) => {
                    let event = self.hazard_events(std::slice::from_ref(&id))?.pop();
                    let body = event
                        .as_ref()
                        .and_then(|e| serde_json::to_vec(e).ok())
                        .map_or(0, |b| b.len());
                    let case = event.map(|e| e.case_id).unwrap_or_default();
                    (QueueItemKind::HazardEvent, case, body)
                }
                Ok(RecordKind::Photo) => {
                    let sha = id.strip_prefix(ID_PREFIX).unwrap_or(&id).to_string();
                    (QueueItemKind::PhotoRecord, sha, 0)
                }
                // Only this build's kinds are ever queued; one from a newer build that
                // shared the file is shown as a record of unknown content.
                Err(_) => (QueueItemKind::Unknown, row.entry.kind.clone(), 0),
            };
            items.push(QueueItem {
                kind,
                id,
                subject,
                bytes_left: row.signed_bytes.unwrap_or(body as u64),
                started: false,
                last_error: row
                    .refusal
                    .map(|(code, reason)| format!("{code}: {reason}")),
                held_back: row.rejections >= max,
            });
        }
        Ok(items)
    }
}
