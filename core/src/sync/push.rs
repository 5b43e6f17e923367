//! Sending what this device recorded: the outbox in recording order (a case's
//! `reported` event before its others, as the server requires), then each photo's
//! thumbnail, then the full photos, so over a slow link the records and a picture of
//! each hazard arrive within the first seconds. Other devices keep a record's links
//! to photos that have not arrived yet and fetch them later (`pending_photos`).

use std::path::PathBuf;

use gridwalk_model::protocol::{
    ItemResult, ItemStatus, PushItem, PushRequest, PushResponse, RecordKind, paths,
};

use crate::error::{CoreError, Result};
use crate::outbox::OutboxEntry;
use crate::store::{SharedStore, Store};
use crate::sync::blobs::{UploadState, is_upload_limit, sha256_hex, upload};
use crate::sync::chunking::ChunkSizer;
use crate::sync::client::Client;
use crate::sync::progress::{Progress, SyncPhase};
use crate::sync::report::RejectedItem;
use crate::sync::{MAX_ROUNDS, SyncOptions, SyncReport};

/// Uploads of one photo per sync before giving up on it until the next sync, when the
/// server keeps reporting an upload complete without holding the photo.
const UPLOAD_ATTEMPTS: u32 = 3;

/// A photo upload's location, kept in the store's `photo_uploads` between attempts
/// (and between syncs) until the photo is marked uploaded.
struct StoredUploadState<'a> {
    store: &'a SharedStore,
    sha256: &'a str,
}

impl UploadState for StoredUploadState<'_> {
    fn load(&self) -> Result<Option<String>> {
        self.store.with(|s| s.upload_location(self.sha256))
    }

    fn save(&self, location: Option<&str>) -> Result<()> {
        self.store
            .with(|s| s.save_upload_location(self.sha256, location))
    }
}

/// Uploads every photo not yet on the server and marks each uploaded once the server
/// confirms it holds the photo (`HEAD /v1/blobs/{sha256}`). A photo whose
/// file is missing on this device is reported and skipped (the records naming it still
/// go up; the photo follows if the file comes back). When the server refuses to open
/// another upload for this device (`upload_limit`), the rest wait for a later sync and
/// the refusal is reported; the sync goes on to push and pull.
pub(crate) async fn upload_photos(
    client: &Client,
    store: &SharedStore,
    sizer: &mut ChunkSizer,
    progress: Progress<'_>,
    report: &mut SyncReport,
) -> Result<()> {
    let (pending, layout, key): (Vec<(String, PathBuf)>, _, _) = store.with(|s| {
        let layout = s.photo_layout();
        let pending = s
            .all_photos_to_upload()?
            .into_iter()
            .map(|sha| {
                let file = layout.stored_path(&sha);
                (sha, file)
            })
            .collect();
        Ok((pending, layout, s.photo_key().cloned()))
    })?;
    let total: u64 = pending
        .iter()
        .map(|(_, f)| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();
    let mut done = 0u64;
    progress.report(SyncPhase::Uploading, 0, total);
    for (sha, file) in pending {
        // The plaintext JPEG goes up (a sealed one is opened here), checked against its
        // name: the server checks the same hash.
        let bytes = match layout.read_evidence(&sha, key.as_ref()) {
            Ok(bytes) => bytes,
            Err(e) => {
                report
                    .errors
                    .push(format!("photo {sha} not uploaded: {}: {e}", file.display()));
                continue;
            }
        };
        let size = bytes.len() as u64;
        let state = StoredUploadState {
            store,
            sha256: &sha,
        };
        let mut confirmed = client.server_has_blob(&sha).await?;
        let mut attempts = 0u32;
        while !confirmed && attempts < UPLOAD_ATTEMPTS {
            attempts += 1;
            let base = done;
            let mut sent_here = 0u64;
            let mut on_sent = |n: u64| {
                sent_here += n;
                progress.report(SyncPhase::Uploading, (base + sent_here).min(total), total);
            };
            let sent = match upload(client, &sha, None, &bytes, sizer, &state, &mut on_sent).await {
                Ok(sent) => sent,
                Err(e) if is_upload_limit(&e) => {
                    // Every further upload would be refused too; the records still go
                    // up and the photos follow in a later sync.
                    report.errors.push(format!(
                        "photos not uploaded in this sync: {e}; they are sent again in a later sync"
                    ));
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            report.uploaded_bytes += sent;
            // Only the blob itself proves the photo arrived: an upload reported complete
            // (say by a server that crashed before finishing it) may have stored nothing.
            confirmed = client.server_has_blob(&sha).await?;
            if !confirmed {
                // Start afresh rather than resume an upload the server calls complete.
                state.save(None)?;
            }
        }
        if !confirmed {
            report.errors.push(format!(
                "photo {sha} not uploaded: the server reported the upload complete \
                 {UPLOAD_ATTEMPTS} times but does not hold the photo; it is sent again next sync"
            ));
            continue;
        }
        // Marked uploaded and its upload's location forgotten, in one transaction.
        store.with(|s| s.mark_photo_uploaded(&sha))?;
        report.uploaded_blobs += 1;
        done += size;
        progress.report(SyncPhase::Uploading, done.min(total), total);
    }
    Ok(())
}

/// A thumbnail's upload location, kept in memory for one sync: a thumbnail is a chunk
/// or two, so a new sync starts it afresh rather than keep a row for it.
#[derive(Default)]
struct ThumbnailUploadState(std::sync::Mutex<Option<String>>);

impl UploadState for ThumbnailUploadState {
    fn load(&self) -> Result<Option<String>> {
        Ok(self
            .0
            .lock()
            .map_err(|_| CoreError::Internal("thumbnail upload state poisoned".into()))?
            .clone())
    }

    fn save(&self, location: Option<&str>) -> Result<()> {
        *self
            .0
            .lock()
            .map_err(|_| CoreError::Internal("thumbnail upload state poisoned".into()))? =
            location.map(str::to_string);
        Ok(())
    }
}

/// Uploads the thumbnail of every photo still to upload whose thumbnail the server does
/// not have yet, naming the photo it shows (`thumbnail-of`), and marks each sent. Run
/// after the records and before the full photos. A sealed (personal-detail) thumbnail
/// is opened here and sent plain, like its full photo. A photo no larger than a
/// thumbnail has none of its own: it is marked done, and the photo itself follows. A
/// thumbnail the server refuses (or whose file is missing or damaged here) is reported
/// and skipped: its full photo still follows.
pub(crate) async fn upload_thumbnails(
    client: &Client,
    store: &SharedStore,
    sizer: &mut ChunkSizer,
    report: &mut SyncReport,
) -> Result<()> {
    let (pending, layout, key) = store.with(|s| {
        Ok((
            s.thumbnails_to_send()?,
            s.photo_layout(),
            s.photo_key().cloned(),
        ))
    })?;
    for photo in pending {
        let bytes = match layout.read_thumbnail(&photo, key.as_ref()) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                store.with(|s| s.mark_thumbnail_sent(&photo))?;
                continue;
            }
            Err(e) => {
                report
                    .errors
                    .push(format!("thumbnail of photo {photo} not uploaded: {e}"));
                continue;
            }
        };
        let name = sha256_hex(&bytes);
        let state = ThumbnailUploadState::default();
        match upload(
            client,
            &name,
            Some(&photo),
            &bytes,
            sizer,
            &state,
            &mut |_| {},
        )
        .await
        {
            Ok(sent) => report.uploaded_bytes += sent,
            Err(e) if is_upload_limit(&e) => {
                report.errors.push(format!(
                    "thumbnails not uploaded in this sync: {e}; they are sent again in a later sync"
                ));
                return Ok(());
            }
            Err(e @ CoreError::ServerStatus { status, .. }) if (400..500).contains(&status) => {
                report.errors.push(format!(
                    "thumbnail of photo {photo} refused: {e}; the full photo still follows"
                ));
                continue;
            }
            Err(e) => return Err(e),
        }
        store.with(|s| s.mark_thumbnail_sent(&photo))?;
    }
    Ok(())
}

/// Pushes the outbox in batches over `/v1`. Accepted and duplicate records are marked
/// sent; a refused one stays unsent with the server's reason, is offered again in later
/// syncs up to `max_rejections` times, then held back (and listed in every report).
pub(crate) async fn push_outbox(
    client: &Client,
    store: &SharedStore,
    options: &SyncOptions,
    progress: Progress<'_>,
    report: &mut SyncReport,
) -> Result<()> {
    let mut outbox = Outbox::start(store, options, progress)?;
    for _ in 0..MAX_ROUNDS {
        let Some(batch) = outbox.next_batch(store, report)? else {
            break;
        };
        if batch.items.is_empty() {
            continue;
        }
        let answer: PushResponse = client
            .post_json(
                paths::PUSH,
                &PushRequest {
                    items: batch.items.clone(),
                },
                true,
            )
            .await?;
        outbox.apply(store, &batch, &answer.results, report)?;
    }
    outbox.finish(store, report)
}

/// The outbox walked in recording order, one batch at a time, and the results the
/// server gave for each batch: what the `/v1` push and the `/v2` exchange share.
pub(crate) struct Outbox<'p> {
    after: i64,
    /// Whether the last batch read reached the end of the outbox.
    exhausted: bool,
    done: u64,
    total: u64,
    batch: u32,
    max_rejections: u32,
    progress: Progress<'p>,
}

/// One batch: the outbox entries and their records as pushed, in the same order.
pub(crate) struct Batch {
    entries: Vec<OutboxEntry>,
    /// The records to push.
    pub(crate) items: Vec<PushItem>,
}

impl<'p> Outbox<'p> {
    /// Starts at the outbox's first record.
    pub(crate) fn start(
        store: &SharedStore,
        options: &SyncOptions,
        progress: Progress<'p>,
    ) -> Result<Outbox<'p>> {
        let max = options.max_rejections;
        let total: u64 = store.with(|s| Ok(s.outbox_batch(0, u32::MAX, max)?.len() as u64))?;
        progress.report(SyncPhase::Pushing, 0, total);
        Ok(Outbox {
            after: 0,
            exhausted: false,
            done: 0,
            total,
            batch: options.push_batch.max(1),
            max_rejections: max,
            progress,
        })
    }

    /// The next batch, `None` once the outbox is walked. A record that cannot be read
    /// stays in the outbox and is reported; its batch may then be empty.
    pub(crate) fn next_batch(
        &mut self,
        store: &SharedStore,
        report: &mut SyncReport,
    ) -> Result<Option<Batch>> {
        let batch = store.with(|s| s.outbox_batch(self.after, self.batch, self.max_rejections))?;
        self.exhausted = batch.len() < self.batch as usize;
        let Some(last) = batch.last() else {
            return Ok(None);
        };
        self.after = last.seq;
        store.with(|s| {
            // Signed once per push (ADR 12): the records that end a chain segment in
            // this request, which seal the ones before them. A signer that fails (a
            // locked keystore) fails this sync; nothing recorded is touched.
            let seqs: Vec<i64> = batch.iter().map(|e| e.seq).collect();
            s.seal_push(&seqs)?;
            let mut items = Vec::with_capacity(batch.len());
            let mut kept = Vec::with_capacity(batch.len());
            for entry in batch {
                // A chained record goes up exactly as chained (and signed, when it ends
                // the request's segment); one queued before this device signed its
                // records is read as it is now and goes up unsigned.
                let read = match s.signed_record(entry.seq) {
                    Ok(Some((body, proof))) => Ok((body, Some(proof))),
                    Ok(None) => body_of(s, &entry.kind, &entry.record_id).map(|b| (b, None)),
                    Err(e) => Err(e),
                };
                match read {
                    Ok((body, proof)) => {
                        items.push(PushItem {
                            id: entry.record_id.clone(),
                            kind: entry.kind.clone(),
                            body,
                            proof,
                        });
                        kept.push(entry);
                    }
                    // Kept in the outbox; reported so a person can look at it.
                    Err(e) => report.errors.push(format!(
                        "{} {} could not be read for sync: {e}",
                        entry.kind, entry.record_id
                    )),
                }
            }
            Ok(Some(Batch {
                entries: kept,
                items,
            }))
        })
    }

    /// Whether the last batch read was the outbox's last (records queued since are
    /// for the next sync).
    pub(crate) fn exhausted(&self) -> bool {
        self.exhausted
    }

    /// Applies the server's results for `batch`, each found by its record's id.
    pub(crate) fn apply(
        &mut self,
        store: &SharedStore,
        batch: &Batch,
        results: &[ItemResult],
        report: &mut SyncReport,
    ) -> Result<()> {
        store.with(|s| {
            let mut sent_seqs = Vec::new();
            for entry in &batch.entries {
                let result = results
                    .iter()
                    .find(|r| r.id == entry.record_id)
                    .ok_or_else(|| {
                        CoreError::Protocol(format!(
                            "the push answer has no result for {}",
                            entry.record_id
                        ))
                    })?;
                match result.status {
                    ItemStatus::Accepted => {
                        report.accepted += 1;
                        sent_seqs.push(entry.seq);
                    }
                    ItemStatus::Duplicate => {
                        report.duplicates += 1;
                        sent_seqs.push(entry.seq);
                    }
                    ItemStatus::Rejected => {
                        let code = result.code.clone().unwrap_or_default();
                        let reason = result.reason.clone().unwrap_or_default();
                        let times = s.record_rejection(entry.seq, &code, &reason)?;
                        report.rejected.push(RejectedItem {
                            id: entry.record_id.clone(),
                            kind: entry.kind.clone(),
                            code,
                            reason,
                            times_refused: times,
                        });
                    }
                }
            }
            s.mark_sent(&sent_seqs)
        })?;
        let sent = batch.items.len() as u32;
        report.pushed += sent;
        self.done += u64::from(sent);
        self.progress.report(
            SyncPhase::Pushing,
            self.done.min(self.total),
            self.total.max(self.done),
        );
        Ok(())
    }

    /// Lists what is held back after too many refusals in the report.
    pub(crate) fn finish(self, store: &SharedStore, report: &mut SyncReport) -> Result<()> {
        report.held_back = store.with(|s| {
            Ok(s.held_back_outbox(self.max_rejections)?
                .into_iter()
                .map(|r| RejectedItem {
                    id: r.record_id,
                    kind: r.kind,
                    code: r.code,
                    reason: r.reason,
                    times_refused: r.rejections,
                })
                .collect())
        })?;
        Ok(())
    }
}

/// The JSON body of an outbox record.
fn body_of(s: &Store, kind: &str, id: &str) -> Result<serde_json::Value> {
    let value = match kind.parse::<RecordKind>() {
        Ok(RecordKind::Inspection) => serde_json::to_value(s.inspection(id)?),
        Ok(RecordKind::HazardEvent) => {
            let event = s
                .hazard_events(&[id.to_string()])?
                .into_iter()
                .next()
                .ok_or_else(|| CoreError::NotFound {
                    kind: "hazard event",
                    id: id.to_string(),
                })?;
            serde_json::to_value(event)
        }
        // A photo record is only ever queued chained, its body kept with its proof.
        Ok(RecordKind::Photo) => {
            return Err(CoreError::Corrupt {
                what: format!("photo record {id}"),
                detail: "it has no signed body".into(),
            });
        }
        Err(_) => {
            return Err(CoreError::Corrupt {
                what: format!("outbox record {id}"),
                detail: format!("its kind `{kind}` is unknown to this build"),
            });
        }
    };
    value.map_err(|e| CoreError::Internal(format!("{kind} {id} cannot be encoded: {e}")))
}
