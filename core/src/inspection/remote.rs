//! Inspections recorded on other devices, as the sync client receives them: stored
//! read-only, never queued for upload, idempotent (a pull page applied twice, after a
//! crash between applying it and saving the cursor, changes nothing the second time).

use rusqlite::Connection;

use crate::error::{CoreError, Result};
use crate::evidence::is_sha256_hex;
use crate::inspection::{Inspection, InspectionStatus};
use crate::store::{
    Store, answer_photos, answers, inspections, now, pending_photos, photos, sites, templates,
};

/// What applying a batch of inspections from elsewhere did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InspectionsApplied {
    /// Inspections new to this device (or a planned spot check replaced by a newer
    /// version of itself).
    pub inserted: u32,
    /// Inspections already held as submitted: nothing to do.
    pub duplicates: u32,
    /// Photos linked whose file this device does not hold yet: the links are kept and
    /// the photos noted as pending, fetched (thumbnail, then full photo) by the sync;
    /// `(inspection id, sha256)`.
    pub pending_photos: Vec<(String, String)>,
}

impl Store {
    /// Stores inspections recorded elsewhere, in one transaction: each is inserted as a
    /// draft with its answers and photo links, then marked submitted (the schema's
    /// triggers refuse answers on a submitted inspection, hence the order). An
    /// inspection already held as submitted is left alone; a draft (a supervisor's
    /// planned spot check) is replaced by the newer version. Nothing is queued in the
    /// outbox and no hazard case is opened: the cases arrive as their own events.
    pub fn apply_remote_inspections(
        &mut self,
        received: &[Inspection],
    ) -> Result<InspectionsApplied> {
        self.write(|tx, _| apply(tx, received))
    }
}

/// [`Store::apply_remote_inspections`] inside the caller's transaction.
pub(crate) fn apply(tx: &Connection, received: &[Inspection]) -> Result<InspectionsApplied> {
    let mut outcome = InspectionsApplied::default();
    for inspection in received {
        if inspection.id.trim().is_empty() {
            return Err(CoreError::InvalidInput(
                "a received inspection has an empty id".into(),
            ));
        }
        match inspections::get(tx, &inspection.id)?.map(|row| row.status) {
            Some(InspectionStatus::Submitted) => {
                outcome.duplicates += 1;
                continue;
            }
            Some(InspectionStatus::Draft) => {
                // A draft held here came from the server (drafts recorded here
                // are never pushed): replace it with the newer version.
                answer_photos::delete_all(tx, &inspection.id)?;
                answers::delete_all(tx, &inspection.id)?;
                inspections::delete_draft(tx, &inspection.id)?;
            }
            None => {}
        }
        if sites::get(tx, &inspection.site_id)?.is_none() {
            return Err(CoreError::NotFound {
                kind: "site",
                id: inspection.site_id.clone(),
            });
        }
        if !templates::exists(tx, &inspection.template_id, inspection.template_version)? {
            return Err(CoreError::NotFound {
                kind: "template",
                id: format!(
                    "{} v{}",
                    inspection.template_id, inspection.template_version
                ),
            });
        }
        inspections::insert_draft(
            tx,
            &inspections::Row {
                id: inspection.id.clone(),
                site_id: inspection.site_id.clone(),
                template_id: inspection.template_id.clone(),
                template_version: inspection.template_version,
                kind: inspection.kind,
                status: InspectionStatus::Draft,
                inspector: inspection.inspector.clone(),
                started_at: inspection.started_at.clone(),
                submitted_at: None,
            },
        )?;
        for answer in &inspection.answers {
            answers::insert(tx, &inspection.id, answer)?;
            // Positions follow the author's order, so every device lists them alike.
            for (position, sha) in answer.photos.iter().enumerate() {
                if !is_sha256_hex(sha) {
                    // Not a photo's name: nothing could ever be fetched under it.
                    continue;
                }
                if !photos::held(tx, sha)? {
                    // Its author sends records before full photos: keep the link and
                    // wait for the photo, never drop it.
                    pending_photos::note(tx, sha, &now())?;
                    outcome
                        .pending_photos
                        .push((inspection.id.clone(), sha.clone()));
                }
                answer_photos::insert_at(
                    tx,
                    &inspection.id,
                    &answer.item,
                    sha,
                    &answer.answered_at,
                    position as i64,
                )?;
            }
        }
        if inspection.status == InspectionStatus::Submitted {
            inspections::mark_submitted(tx, &inspection.id, inspection.submitted_at.as_deref())?;
        }
        outcome.inserted += 1;
    }
    Ok(outcome)
}
