//! `gridwalk-server export-case` and `gridwalk-server case`: a hazard case's evidence
//! gathered from the store into the model's case bundle ([`gridwalk_model::bundle`]) —
//! its events, the inspections it came from, their photos, every record's proof and
//! each involved device's whole chain of links, the devices' public keys — written as
//! one zip file that anyone can check offline with `gridwalk verify-bundle`.
//!
//! The case view is the same evidence checked in place: the model's verification of
//! the bundle the store would export, so the chain status of each event (`linked`,
//! `gap`, `fork`) and the provenance flags are shown from one definition.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use gridwalk_model::bundle::{
    self, BundleContents, BundleDevice, BundleError, BundleProof, BundleRecord, BundleReport,
    CaseFile,
};
use gridwalk_model::hazard::{Event, Payload, ReportSource};
use gridwalk_model::inspection::Inspection;
use gridwalk_model::photo_record::PhotoRecord;
use gridwalk_model::protocol::RecordKind;
use gridwalk_model::provenance::PhotoUse;
use gridwalk_model::signing;

use crate::storage::{BlobStore, ChainEntry, RecordStore, StoreError, StoredRecord};

/// Why a case could not be exported or shown.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// No hazard event of this case is stored.
    #[error("no case `{0}` on this server")]
    NotFound(String),
    /// A stored record no longer parses.
    #[error("stored record {0} is corrupt: {1}")]
    Corrupt(String, String),
    /// Building the bundle's files failed.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The zip file could not be written.
    #[error("{path}: {detail}")]
    Write {
        /// The output file.
        path: String,
        /// What went wrong.
        detail: String,
    },
}

/// Everything the store holds about case `case_id`, as a bundle's contents.
pub fn case_contents(
    records: &dyn RecordStore,
    blobs: &dyn BlobStore,
    case_id: &str,
    now: DateTime<Utc>,
) -> Result<BundleContents, ExportError> {
    let mut stored: Vec<StoredRecord> = records
        .case_records(case_id)?
        .into_iter()
        .filter(|r| r.is(RecordKind::HazardEvent))
        .collect();
    if stored.is_empty() {
        return Err(ExportError::NotFound(case_id.into()));
    }
    let events: Vec<Event> = stored
        .iter()
        .map(|r| {
            serde_json::from_str(&r.body)
                .map_err(|e| ExportError::Corrupt(r.id.clone(), e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    // The inspections the case came from: the report's, and a re-inspection's.
    let mut inspection_ids = BTreeSet::new();
    let mut site_id = None;
    for e in &events {
        match &e.payload {
            Payload::Reported(r) => {
                site_id = r.site_id.clone().or(site_id);
                if let ReportSource::Inspection { inspection_id, .. } = &r.source {
                    inspection_ids.insert(inspection_id.clone());
                }
            }
            Payload::Verified {
                inspection_id: Some(id),
                ..
            } => {
                inspection_ids.insert(id.clone());
            }
            _ => {}
        }
    }
    for id in &inspection_ids {
        if let Some(r) = records.record(id)?.filter(|r| r.is(RecordKind::Inspection)) {
            stored.push(r);
        }
    }
    // The photo records attesting the photos those records attach (the capture facts
    // the GPS-distance and capture-time flags are computed from).
    let mut photo_names = BTreeSet::new();
    for r in &stored {
        photo_names.extend(photos_of(r)?);
    }
    for sha in &photo_names {
        if let Some(r) = records
            .record(&PhotoRecord::id_for(sha))?
            .filter(|r| r.is(RecordKind::Photo))
        {
            stored.push(r);
        }
    }
    stored.sort_by_key(|r| r.seq);
    let in_case: HashSet<&str> = stored.iter().map(|r| r.id.as_str()).collect();

    let mut devices = Vec::new();
    let mut proofs = Vec::new();
    let device_ids: BTreeSet<&str> = stored.iter().map(|r| r.author_device.as_str()).collect();
    for device in device_ids {
        devices.push(BundleDevice {
            device: device.into(),
            public_key: records.device_public_key(device)?,
        });
        for entry in chain_order(records.device_chain(device)?) {
            // A chained record's content digest, so the walk from the case's records to
            // their seal can be checked without the bodies of the others.
            let content = match entry.chained || entry.signature.is_none() {
                true => Some(content_digest_of(&entry)?),
                false => None,
            };
            proofs.push(BundleProof {
                in_case: in_case.contains(entry.id.as_str()),
                record: entry.id,
                device: device.into(),
                prev: entry.prev,
                signature: entry.signature,
                chained: entry.chained,
                content,
                link: entry.link,
                chain: entry.chain,
            });
        }
    }

    let mut bundle_records = Vec::new();
    for r in &stored {
        let body: serde_json::Value = serde_json::from_str(&r.body)
            .map_err(|e| ExportError::Corrupt(r.id.clone(), e.to_string()))?;
        bundle_records.push(BundleRecord {
            id: r.id.clone(),
            kind: r.kind.clone(),
            device: r.author_device.clone(),
            received_at: r.received_at.clone(),
            body,
        });
    }
    let mut photos = Vec::new();
    let mut photos_not_uploaded = Vec::new();
    let mut other_uses = Vec::new();
    for sha in photo_names {
        match blobs.read_blob(&sha)? {
            Some(bytes) => photos.push((sha.clone(), bytes)),
            None => photos_not_uploaded.push(sha.clone()),
        }
        for link in records.records_with_blob(&sha)? {
            if !in_case.contains(link.record.id.as_str()) {
                other_uses.push(use_elsewhere(&sha, &link.record));
            }
        }
    }
    let site = match site_id {
        Some(id) => records.site(&id)?,
        None => None,
    };
    Ok(BundleContents {
        case: CaseFile {
            case_id: case_id.into(),
            exported_at: now.to_rfc3339_opts(SecondsFormat::Millis, true),
            site,
            photos_not_uploaded,
            other_uses,
        },
        records: bundle_records,
        proofs,
        devices,
        photos,
    })
}

/// A device's chain in link order: each record after the one it names as `prev` when
/// that one is stored (a record that filled a gap later arrived after its follower),
/// otherwise in the order received.
/// The content digest of a stored chained record ([`signing::content_digest`]).
fn content_digest_of(entry: &ChainEntry) -> Result<String, ExportError> {
    let corrupt = |e: String| ExportError::Corrupt(entry.id.clone(), e);
    let body: serde_json::Value =
        serde_json::from_str(&entry.body).map_err(|e| corrupt(e.to_string()))?;
    signing::content_digest(&entry.kind, &entry.id, &body).map_err(|e| corrupt(e.to_string()))
}

fn chain_order(entries: Vec<ChainEntry>) -> Vec<ChainEntry> {
    let by_link: HashMap<&str, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.link.as_str(), i))
        .collect();
    let mut order = Vec::with_capacity(entries.len());
    let mut placed = vec![false; entries.len()];
    for start in 0..entries.len() {
        // Walk back to the earliest predecessor not placed yet, then place forwards.
        let mut pending = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at {
            if placed[i] || pending.contains(&i) {
                break;
            }
            pending.push(i);
            at = by_link.get(entries[i].prev.as_str()).copied();
        }
        for i in pending.into_iter().rev() {
            placed[i] = true;
            order.push(i);
        }
    }
    let mut slots: Vec<Option<ChainEntry>> = entries.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// The photos a stored record attaches.
fn photos_of(record: &StoredRecord) -> Result<Vec<String>, ExportError> {
    let corrupt = |e: serde_json::Error| ExportError::Corrupt(record.id.clone(), e.to_string());
    if record.is(RecordKind::HazardEvent) {
        let event: Event = serde_json::from_str(&record.body).map_err(corrupt)?;
        Ok(event.payload.photos().to_vec())
    } else if record.is(RecordKind::Inspection) {
        let inspection: Inspection = serde_json::from_str(&record.body).map_err(corrupt)?;
        Ok(inspection
            .answers
            .into_iter()
            .flat_map(|a| a.photos)
            .collect())
    } else {
        Ok(Vec::new())
    }
}

/// A use of photo `sha` by a record outside the case, for the re-use flag.
fn use_elsewhere(sha: &str, record: &StoredRecord) -> PhotoUse {
    let site_id = if record.is(RecordKind::Inspection) {
        serde_json::from_str::<Inspection>(&record.body)
            .ok()
            .map(|i| i.site_id)
    } else {
        serde_json::from_str::<Event>(&record.body)
            .ok()
            .and_then(|e| match e.payload {
                Payload::Reported(r) => r.site_id,
                _ => None,
            })
    };
    PhotoUse {
        sha256: sha.into(),
        record: record.id.clone(),
        at_ms: None,
        case_id: record.case_id.clone(),
        site_id,
    }
}

/// The case as the model's verification of its evidence sees it: timeline with each
/// record's signature and chain status, warnings (forks, gaps), provenance flags. A
/// photo not received whose thumbnail is here is said to be pending: its phone sent
/// records and thumbnails first and the full photo follows.
pub fn case_view(
    records: &dyn RecordStore,
    blobs: &dyn BlobStore,
    case_id: &str,
    now: DateTime<Utc>,
) -> Result<BundleReport, ExportError> {
    let contents = case_contents(records, blobs, case_id, now)?;
    let files = bundle::write_files(&contents)?;
    let mut report = bundle::verify_files(&files.into_iter().collect());
    for warning in &mut report.warnings {
        if warning.code == "photo_not_uploaded"
            && !records.thumbnail_links(&warning.subject)?.is_empty()
        {
            warning.detail = format!(
                "{PHOTO_PENDING}: the thumbnail arrived, the full photo has not; {}",
                warning.detail
            );
        }
    }
    Ok(report)
}

/// How `gridwalk-server case` names a photo whose thumbnail arrived ahead of it, in both
/// languages as the console shows it.
pub const PHOTO_PENDING: &str = "原图上传中 full photo pending";

/// Writes case `case_id`'s bundle to `out` as a zip, through a temporary file renamed into place, so a failed export never
/// leaves half a bundle under the name asked for. Returns the contents written.
pub fn export_case(
    records: &dyn RecordStore,
    blobs: &dyn BlobStore,
    case_id: &str,
    out: &Path,
    now: DateTime<Utc>,
) -> Result<BundleContents, ExportError> {
    let contents = case_contents(records, blobs, case_id, now)?;
    let files = bundle::write_files(&contents)?;
    let partial = out.with_extension("zip.partial");
    let written = write_zip(&files, &partial)
        .and_then(|()| std::fs::rename(&partial, out).map_err(|e| e.to_string()));
    if let Err(detail) = written {
        // Nothing half-written stays behind; the error names the file asked for.
        let _ = std::fs::remove_file(&partial);
        return Err(ExportError::Write {
            path: out.display().to_string(),
            detail,
        });
    }
    Ok(contents)
}

/// Writes `files` as a zip at `path` (photos stored as they are, JSON deflated), synced
/// to disk.
fn write_zip(files: &[(String, Vec<u8>)], path: &Path) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipWriter::new(file);
    for (name, bytes) in files {
        let method = if name.ends_with(".jpg") {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .large_file(bytes.len() as u64 >= u64::from(u32::MAX));
        zip.start_file(name.as_str(), options)
            .map_err(|e| e.to_string())?;
        zip.write_all(bytes).map_err(|e| e.to_string())?;
    }
    let file = zip.finish().map_err(|e| e.to_string())?;
    file.sync_all().map_err(|e| e.to_string())
}
