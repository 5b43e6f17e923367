//! Receiving what others recorded within this device's scope: pages after the stored
//! cursor until the server has no more. Each page's records and the new cursor are
//! stored in one transaction: a crash before it commits re-pulls the page, and storing
//! it again changes nothing. The photos they name that this device does not hold are
//! kept as pending (their authors send records first, full photos last); after the
//! pages, [`fetch_pending`] fetches every pending photo's thumbnail, then the full
//! photos the server holds by then.
//!
//! The records this device pushed are left out (`skip_own`): the server's row is the
//! body this device pushed (a draft's final version pushed from another device is a
//! new row under that device, and still comes), and the device needs nothing else from
//! it: the sequence number only moves the cursor, which the server still advances past
//! them; a refusal comes back in the push answer; and a copy redacted for this caller
//! would not replace the full one held anyway.
//!
//! The first page also carries the held reference tag; when the server answers with
//! another one, the reference is fetched and stored before the page, so a pulled
//! record never names a site or template the device has not stored yet.

use std::collections::BTreeSet;

use gridwalk_model::protocol::conditional::{REFERENCE, REFERENCE_ETAG, SKIP_OWN};
use gridwalk_model::protocol::{PullResponse, PulledItem, RecordKind, paths};

use crate::error::{CoreError, Result};
use crate::evidence::is_sha256_hex;
use crate::hazard::Event;
use crate::inspection::Inspection;
use crate::photo::{IngestOptions, thumbnail_of_evidence};
use crate::store::{SharedStore, chain_marks, now, pending_photos, photos, settings};
use crate::sync::client::Client;
use crate::sync::progress::{Progress, SyncPhase};
use crate::sync::reference;
use crate::sync::{CURSOR_KEY, MAX_ROUNDS, SyncOptions, SyncReport};

/// One page, parsed.
#[derive(Default)]
struct Page {
    inspections: Vec<Inspection>,
    events: Vec<Event>,
    /// What the server said of each record's place in its device's chain.
    chain: Vec<(String, String)>,
}

impl Page {
    /// The photo names the page's hazard events carry (inspections' photos are noted
    /// as their links are stored).
    fn event_photos(&self) -> BTreeSet<String> {
        self.events
            .iter()
            .flat_map(|e| e.payload.photos().iter().cloned())
            .filter(|sha| is_sha256_hex(sha))
            .collect()
    }
}

/// Pulls until the server has no more, storing each page and then its cursor.
pub(crate) async fn pull_all(
    client: &Client,
    store: &SharedStore,
    options: &SyncOptions,
    progress: Progress<'_>,
    report: &mut SyncReport,
) -> Result<()> {
    let mut received = 0u64;
    progress.report(SyncPhase::Pulling, 0, 0);
    for round in 0..MAX_ROUNDS {
        let cursor = store.with(|s| Ok(s.setting(CURSOR_KEY)?.unwrap_or_default()))?;
        let mut query = vec![
            ("cursor", cursor.clone()),
            ("limit", options.pull_page.max(1).to_string()),
            (SKIP_OWN, "true".to_string()),
        ];
        // Once per sync: whether the reference changed since the held one.
        let held_reference = match round {
            0 => reference::held_tag(store)?,
            _ => None,
        };
        if let Some(tag) = &held_reference {
            query.push((REFERENCE, tag.trim_matches('"').to_string()));
        }
        let answer = client
            .get_json_answer::<PullResponse>(paths::PULL, &query, &[])
            .await?;
        if held_reference.is_some() && answer.header(REFERENCE_ETAG).is_some() {
            reference::fetch_and_store(client, store, progress, report).await?;
        }
        let Some(answer) = answer.body else {
            return Err(CoreError::Protocol(
                "the server answered a pull with no body".into(),
            ));
        };
        let count = store_page(store, answer.items, &answer.next_cursor, report).await?;
        received += count;
        progress.report(SyncPhase::Pulling, received, received);
        if !answer.has_more {
            return Ok(());
        }
        if answer.next_cursor == cursor && count == 0 {
            return Err(CoreError::Protocol(
                "the server says it has more but its cursor does not move".into(),
            ));
        }
    }
    Err(CoreError::Protocol(format!(
        "pull did not finish within {MAX_ROUNDS} pages"
    )))
}

/// Stores one pulled page: the photos its records name first, then the records and the
/// cursor in one transaction. Returns how many records of known kinds it held. What
/// the `/v1` pull and the `/v2` exchange share.
pub(crate) async fn store_page(
    store: &SharedStore,
    items: Vec<PulledItem>,
    next_cursor: &str,
    report: &mut SyncReport,
) -> Result<u64> {
    let mut page = Page::default();
    for item in items {
        if let Some(chain) = &item.chain {
            page.chain.push((item.id.clone(), chain.clone()));
        }
        match item.kind.parse::<RecordKind>() {
            Ok(RecordKind::Inspection) => page.inspections.push(parse(&item.id, item.body)?),
            Ok(RecordKind::HazardEvent) => page.events.push(parse(&item.id, item.body)?),
            // Another device's attestation of its photo: the server checked and keeps it
            // (the case's provenance is computed there and in bundles); this device
            // keeps what its own camera files said.
            Ok(RecordKind::Photo) => {}
            // A kind this client does not know yet: skipped, and said so.
            Err(_) => report.errors.push(format!(
                "pulled {} {} is of an unknown kind",
                item.kind, item.id
            )),
        }
    }
    let count = (page.inspections.len() + page.events.len()) as u64;
    let event_photos = page.event_photos();
    let (inspections, events) = store.with(|s| {
        s.write(|tx, _| {
            let inspections = crate::inspection::remote::apply(tx, &page.inspections)
                .map_err(|e| e.sent_by_server("a pulled inspection"))?;
            let events = crate::hazard::apply_remote(tx, &page.events)
                .map_err(|e| e.sent_by_server("a pulled hazard event"))?;
            // Photos named by events are fetched like those of inspections.
            let at = now();
            for sha in &event_photos {
                if !photos::held(tx, sha)? {
                    pending_photos::note(tx, sha, &at)?;
                }
            }
            for (id, chain) in &page.chain {
                chain_marks::set(tx, id, chain)?;
            }
            settings::set(tx, CURSOR_KEY, next_cursor)?;
            Ok((inspections, events))
        })
    })?;
    for id in &events.conflicting_ids {
        report.errors.push(format!(
            "hazard event {id} arrived with content different from the copy held here; \
             the held copy was kept"
        ));
    }
    report.pulled += count as u32;
    report.pulled_new += inspections.inserted + events.inserted;
    Ok(count)
}

fn parse<T: serde::de::DeserializeOwned>(id: &str, body: serde_json::Value) -> Result<T> {
    serde_json::from_value(body)
        .map_err(|e| CoreError::Protocol(format!("pulled record {id} is not readable: {e}")))
}

/// Fetches what this device lacks of the photos pulled records name: first every
/// pending photo's thumbnail (so a screen shows a picture of each hazard early, marked
/// pending), then each full photo the server holds, hash-checked, written atomically,
/// given a thumbnail of its own and recorded as held. A photo the server does not hold
/// yet (or will not hand out) stays pending for the next sync.
pub(crate) async fn fetch_pending(
    client: &Client,
    store: &SharedStore,
    report: &mut SyncReport,
) -> Result<()> {
    let (pending, layout) = store.with(|s| Ok((s.pending_photos()?, s.photo_layout())))?;
    if pending.is_empty() {
        return Ok(());
    }
    let mut stored = BTreeSet::new();
    for photo in pending.iter().filter(|p| !p.thumbnail) {
        let Some((bytes, full_stored)) = client.download_thumbnail(&photo.sha256).await? else {
            // None linked yet, or none this device may see: the full photo may still be.
            continue;
        };
        if crate::photo::decode::jpeg_dimensions(&bytes).is_none() {
            report.errors.push(format!(
                "the thumbnail of photo {} is not a JPEG; it was not kept",
                photo.sha256
            ));
            continue;
        }
        let seal = store.with(|s| s.seal_for_named(&photo.sha256))?;
        layout.store_thumbnail(&photo.sha256, &bytes, seal.as_ref())?;
        store.with(|s| s.record_pending_thumbnail(&photo.sha256))?;
        report.downloaded_bytes += bytes.len() as u64;
        if full_stored {
            stored.insert(photo.sha256.clone());
        }
    }
    for photo in &pending {
        // Without a thumbnail the server's state is unknown: ask for the photo anyway.
        let Some(bytes) = client.download_blob(&photo.sha256).await? else {
            continue;
        };
        stored.remove(&photo.sha256);
        let sha = &photo.sha256;
        let (width, height) = jpeg_size(&bytes);
        // Evidence from other devices gets a thumbnail here too (unless it is no larger
        // than one), so the shells can list it like their own; bytes that are not a
        // JPEG are kept as they are, unlisted.
        let options = IngestOptions::default();
        let thumbnail = if width.max(height) > options.thumbnail_edge {
            match thumbnail_of_evidence(&bytes, &options) {
                Ok(thumbnail) => Some(thumbnail),
                Err(e) => {
                    report
                        .errors
                        .push(format!("photo {sha}: no thumbnail: {e}"));
                    None
                }
            }
        } else {
            None
        };
        // Sealed at rest like an ingested one when a personal-detail record names it.
        let seal = store.with(|s| s.seal_for_named(sha))?;
        match &seal {
            None => layout.store(sha, &bytes, thumbnail.as_deref())?,
            Some(key) => layout.store_sealed(sha, &bytes, thumbnail.as_deref(), key)?,
        };
        store.with(|s| s.record_downloaded_photo(sha, bytes.len() as u64, width, height))?;
        report.downloaded_blobs += 1;
        report.downloaded_bytes += bytes.len() as u64;
    }
    for sha in stored {
        report.errors.push(format!(
            "photo {sha} is stored on the server but was not handed out; it stays pending"
        ));
    }
    Ok(())
}

/// The pixel size of a JPEG from its header; `(0, 0)` when it is not one (the server
/// stores whatever a device uploaded under a hash; the device stores it as it is).
fn jpeg_size(bytes: &[u8]) -> (u32, u32) {
    crate::photo::decode::jpeg_dimensions(bytes).unwrap_or((0, 0))
}
