//! Storing on the device what the server sends: other people's submitted inspections
//! (read-only, never queued for upload), downloaded photos, org units; and the photo
//! bookkeeping of uploads.
//!
//! Hazard events from the server go through the hazard store's own
//! [`Store::apply_remote_events`]; everything here is idempotent in the same way, so a
//! pull page applied twice (a crash between applying and saving the cursor) changes
//! nothing the second time.

use rusqlite::{OptionalExtension, params};

use crate::error::{CoreError, Result};
use crate::inspection::{Inspection, InspectionStatus};
use crate::reference::{OrgUnit, UNIT_LEVELS};
use crate::store::{Store, now};

/// What applying a batch of inspections from elsewhere did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InspectionsApplied {
    /// Inspections new to this device (or a planned spot check replaced by a newer
    /// version of itself).
    pub inserted: u32,
    /// Inspections already held as submitted: nothing to do.
    pub duplicates: u32,
    /// Photo references left out because this device does not hold the photo (the
    /// server would not hand it out); `(inspection id, sha256)`.
    pub missing_photos: Vec<(String, String)>,
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
        inspections: &[Inspection],
    ) -> Result<InspectionsApplied> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut outcome = InspectionsApplied::default();
        for inspection in inspections {
            if inspection.id.trim().is_empty() {
                return Err(CoreError::InvalidInput(
                    "a received inspection has an empty id".into(),
                ));
            }
            let status: Option<String> = tx
                .query_row(
                    "SELECT status FROM inspections WHERE id = ?1",
                    [&inspection.id],
                    |r| r.get(0),
                )
                .optional()?;
            match status.as_deref() {
                Some("submitted") => {
                    outcome.duplicates += 1;
                    continue;
                }
                Some(_) => {
                    // A draft held here came from the server (drafts recorded here are
                    // never pushed): replace it with the newer version.
                    tx.execute(
                        "DELETE FROM answer_photos WHERE inspection_id = ?1",
                        [&inspection.id],
                    )?;
                    tx.execute(
                        "DELETE FROM answers WHERE inspection_id = ?1",
                        [&inspection.id],
                    )?;
                    tx.execute("DELETE FROM inspections WHERE id = ?1", [&inspection.id])?;
                }
                None => {}
            }
            let site_known = tx
                .query_row(
                    "SELECT 1 FROM sites WHERE id = ?1",
                    [&inspection.site_id],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if !site_known {
                return Err(CoreError::NotFound {
                    kind: "site",
                    id: inspection.site_id.clone(),
                });
            }
            let template_known = tx
                .query_row(
                    "SELECT 1 FROM templates WHERE id = ?1 AND version = ?2",
                    params![inspection.template_id, inspection.template_version],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if !template_known {
                return Err(CoreError::NotFound {
                    kind: "template",
                    id: format!(
                        "{} v{}",
                        inspection.template_id, inspection.template_version
                    ),
                });
            }
            tx.execute(
                "INSERT INTO inspections(id, site_id, template_id, template_version, kind,
                                         status, inspector, started_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'draft', ?6, ?7)",
                params![
                    inspection.id,
                    inspection.site_id,
                    inspection.template_id,
                    inspection.template_version,
                    inspection.kind.as_str(),
                    inspection.inspector,
                    inspection.started_at
                ],
            )?;
            for answer in &inspection.answers {
                tx.execute(
                    "INSERT INTO answers(inspection_id, item_code, outcome, note, answered_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        inspection.id,
                        answer.item,
                        answer.outcome.as_str(),
                        answer.note,
                        answer.answered_at
                    ],
                )?;
                // Positions follow the author's order, so every device lists them alike.
                for (position, sha) in answer.photos.iter().enumerate() {
                    let held = crate::evidence::photo_held(&tx, sha)?;
                    if !held {
                        outcome
                            .missing_photos
                            .push((inspection.id.clone(), sha.clone()));
                        continue;
                    }
                    tx.execute(
                        "INSERT OR IGNORE INTO answer_photos(inspection_id, item_code, sha256,
                                                             attached_at, position)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![
                            inspection.id,
                            answer.item,
                            sha,
                            answer.answered_at,
                            position as i64
                        ],
                    )?;
                }
            }
            if inspection.status == InspectionStatus::Submitted {
                tx.execute(
                    "UPDATE inspections SET status = 'submitted', submitted_at = ?2 WHERE id = ?1",
                    params![inspection.id, inspection.submitted_at],
                )?;
            }
            outcome.inserted += 1;
        }
        tx.commit()?;
        Ok(outcome)
    }

    /// Records a photo downloaded from the server (its file already written to the
    /// photo folder): known, and not to be uploaded again.
    pub fn record_downloaded_photo(
        &mut self,
        sha256: &str,
        bytes: u64,
        width: u32,
        height: u32,
    ) -> Result<()> {
        self.register_photo(&crate::evidence::PhotoRef {
            sha256: sha256.to_string(),
            bytes,
            width,
            height,
            taken_at: None,
            lat: None,
            lon: None,
            camera: None,
        })?;
        self.mark_photo_uploaded(sha256)?;
        Ok(())
    }

    /// Every photo this device must still upload: those of answers and those named by
    /// hazard events, oldest first, each once.
    pub fn all_photos_to_upload(&self) -> Result<Vec<String>> {
        let mut all = self.photos_to_upload()?;
        let mut seen: std::collections::HashSet<String> = all.iter().cloned().collect();
        for sha in self.hazard_photos_to_upload()? {
            if seen.insert(sha.clone()) {
                all.push(sha);
            }
        }
        Ok(all)
    }

    /// Marks a photo as held by the server. Marking twice is harmless.
    pub fn mark_photo_uploaded(&mut self, sha256: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE photos SET uploaded_at = ?2 WHERE sha256 = ?1 AND uploaded_at IS NULL",
            params![sha256, now()],
        )?;
        Ok(())
    }

    /// Inserts or updates org units (from the server's reference data) in one
    /// transaction; parents may come after their children in the list.
    pub fn upsert_units(&mut self, units: &[OrgUnit]) -> Result<()> {
        for unit in units {
            if unit.id.trim().is_empty() || unit.name.trim().is_empty() {
                return Err(CoreError::InvalidInput(
                    "a unit needs an id and a name".into(),
                ));
            }
            if !UNIT_LEVELS.contains(&unit.level.as_str()) {
                return Err(CoreError::InvalidInput(format!(
                    "unit `{}` has an unknown level `{}`",
                    unit.id, unit.level
                )));
            }
        }
        let tx = self.conn.transaction()?;
        tx.execute_batch("PRAGMA defer_foreign_keys = ON")?;
        for u in units {
            tx.execute(
                "INSERT INTO org_units(id, name, level, parent_id) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, level = excluded.level,
                   parent_id = excluded.parent_id",
                params![u.id, u.name, u.level, u.parent],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}
