//! Receiving what others recorded within this device's scope: pages after the stored
//! cursor until the server has no more. For each page the photos its records name are
//! downloaded first, then the records and the new cursor are stored in one transaction:
//! a crash before it commits re-pulls the page, and storing it again changes nothing.
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
use crate::photo::{IngestOptions, layout::write_atomic, thumbnail_of_evidence};
use crate::store::{SharedStore, settings};
use crate::sync::client::Client;
use crate::sync::progress::{Progress, SyncPhase};
use crate::sync::reference;
use crate::sync::{CURSOR_KEY, MAX_ROUNDS, SyncOptions, SyncReport};

/// One page, parsed.
#[derive(Default)]
struct Page {
    inspections: Vec<Inspection>,
    events: Vec<Event>,
}

impl Page {
    fn photos(&self) -> BTreeSet<String> {
        let mut photos = BTreeSet::new();
        for i in &self.inspections {
            for a in &i.answers {
                photos.extend(a.photos.iter().cloned());
            }
        }
        for e in &self.events {
            photos.extend(e.payload.photos().iter().cloned());
        }
        photos
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
        let count = store_page(client, store, answer.items, &answer.next_cursor, report).await?;
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
    client: &Client,
    store: &SharedStore,
    items: Vec<PulledItem>,
    next_cursor: &str,
    report: &mut SyncReport,
) -> Result<u64> {
    let mut page = Page::default();
    for item in items {
        match item.kind.parse::<RecordKind>() {
            Ok(RecordKind::Inspection) => page.inspections.push(parse(&item.id, item.body)?),
            Ok(RecordKind::HazardEvent) => page.events.push(parse(&item.id, item.body)?),
            // A kind this client does not know yet: skipped, and said so.
            Err(_) => report.errors.push(format!(
                "pulled {} {} is of an unknown kind",
                item.kind, item.id
            )),
        }
    }
    let count = (page.inspections.len() + page.events.len()) as u64;
    download_photos(client, store, &page, report).await?;
    let (inspections, events) = store.with(|s| {
        s.write(|tx, _| {
            let inspections = crate::inspection::remote::apply(tx, &page.inspections)
                .map_err(|e| e.sent_by_server("a pulled inspection"))?;
            let events = crate::hazard::apply_remote(tx, &page.events)
                .map_err(|e| e.sent_by_server("a pulled hazard event"))?;
            settings::set(tx, CURSOR_KEY, next_cursor)?;
            Ok((inspections, events))
        })
    })?;
    for (inspection, sha) in &inspections.missing_photos {
        report.errors.push(format!(
            "inspection {inspection} names photo {sha}, which the server did not hand out"
        ));
    }
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

/// Downloads the photos a page names that this device does not hold, writes each
/// atomically into the photo folder and records it (as already on the server).
async fn download_photos(
    client: &Client,
    store: &SharedStore,
    page: &Page,
    report: &mut SyncReport,
) -> Result<()> {
    let wanted = page.photos();
    if wanted.is_empty() {
        return Ok(());
    }
    let (missing, layout) = store.with(|s| {
        let mut missing = Vec::new();
        for sha in wanted {
            if is_sha256_hex(&sha) && !s.has_photo(&sha)? {
                missing.push(sha);
            }
        }
        Ok((missing, s.photo_layout()))
    })?;
    for sha in missing {
        let Some(bytes) = client.download_blob(&sha).await? else {
            // Not readable for this device (or not uploaded yet by its author): the
            // record is stored without it; the report says so.
            continue;
        };
        let file = layout.evidence_path(&sha);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| CoreError::io(dir, e))?;
        }
        write_atomic(&file, &bytes)?;
        // Evidence from other devices gets a thumbnail here too, so the shells can list
        // it like their own; bytes that are not a JPEG are kept as they are, unlisted.
        match thumbnail_of_evidence(&bytes, &IngestOptions::default()) {
            Ok(thumbnail) => write_atomic(&layout.thumbnail_path(&sha), &thumbnail)?,
            Err(e) => report
                .errors
                .push(format!("photo {sha}: no thumbnail: {e}")),
        }
        let (width, height) = jpeg_size(&bytes);
        store.with(|s| s.record_downloaded_photo(&sha, bytes.len() as u64, width, height))?;
        report.downloaded_blobs += 1;
        report.downloaded_bytes += bytes.len() as u64;
    }
    Ok(())
}

/// The pixel size of a JPEG from its header; `(0, 0)` when it is not one (the server
/// stores whatever a device uploaded under a hash; the device stores it as it is).
fn jpeg_size(bytes: &[u8]) -> (u32, u32) {
    crate::photo::decode::jpeg_dimensions(bytes).unwrap_or((0, 0))
}
