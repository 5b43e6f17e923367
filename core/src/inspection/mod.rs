//! Inspections: one visit to one site with one template version. A draft lives only on
//! this device and may change; submitting freezes it (the schema's triggers refuse any
//! later change), opens a hazard case per hazard answer and queues both in the outbox.
//!
//! Every operation loads what it needs through the table owners, asks the model
//! (applicability, completeness) and writes through the owners, in one transaction.
//!
//! Map of the module:
//! - this file: starting, answering, submitting and reading inspections.
//! - [`photos`]: evidence photos attached to answers (by hash, or camera files ingested
//!   on the way, all in the answer's transaction).
//! - [`remote`]: storing inspections recorded on other devices.

pub mod photos;
pub mod remote;

use std::collections::HashMap;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

pub use gridwalk_model::inspection::{
    Answer, DEFAULT_TEMPLATE, Inspection, InspectionKind, InspectionStatus, Outcome,
};
pub use remote::InspectionsApplied;

use gridwalk_model::checklist::{Item, Template};
use gridwalk_model::org::Site;
use gridwalk_model::protocol::RecordKind;

use crate::error::{CoreError, Result};
use crate::store::{Store, answer_photos, answers, inspections, new_id, now, outbox, templates};

/// What is needed to start an inspection.
#[derive(Debug, Clone)]
pub struct NewInspection {
    /// The site visited.
    pub site_id: String,
    /// Template id; `None` for [`DEFAULT_TEMPLATE`].
    pub template_id: Option<String>,
    /// Template version; `None` for the newest stored.
    pub template_version: Option<u32>,
    /// Why the visit happens.
    pub kind: InspectionKind,
    /// Who inspects (the local profile's name).
    pub inspector: String,
}

/// An inspection as listed, with progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct InspectionSummary {
    /// Inspection id.
    pub id: String,
    /// The site visited.
    pub site_id: String,
    /// The site's name.
    pub site_name: String,
    /// Why the visit happens.
    pub kind: InspectionKind,
    /// Draft or submitted.
    pub status: InspectionStatus,
    /// Who inspects.
    pub inspector: String,
    /// When it was started.
    pub started_at: String,
    /// When it was submitted.
    pub submitted_at: Option<String>,
    /// Number of answers recorded.
    pub answered: u32,
}

/// Which inspections to list.
#[derive(Debug, Clone, Default)]
pub struct InspectionFilter {
    /// Only this inspector's.
    pub inspector: Option<String>,
    /// Only in this status.
    pub status: Option<InspectionStatus>,
    /// At most this many, newest first; `None` for all.
    pub limit: Option<u32>,
}

/// One applicable item with its answer, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ChecklistEntry {
    /// The item from the template.
    pub item: Item,
    /// The answer so far.
    pub answer: Option<Answer>,
    /// The answer's photos in its order, each with what this device holds of it (a
    /// pulled answer's photos may still be pending).
    pub photos: Vec<crate::evidence::PhotoView>,
}

/// The applicable items of one category, with progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CategoryProgress {
    /// Category code.
    pub code: String,
    /// Chinese title.
    pub title_zh: String,
    /// English title.
    pub title_en: String,
    /// Answered items in this category.
    pub answered: u32,
    /// Applicable items in this category.
    pub applicable: u32,
    /// The applicable items, in template order.
    pub entries: Vec<ChecklistEntry>,
}

/// What an inspector works through: applicable items grouped by category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Checklist {
    /// The inspection.
    pub inspection_id: String,
    /// Draft or submitted.
    pub status: InspectionStatus,
    /// Answered applicable items.
    pub answered: u32,
    /// All applicable items.
    pub applicable: u32,
    /// Categories with at least one applicable item, in template order.
    pub categories: Vec<CategoryProgress>,
}

/// What every change to an inspection checks first: the inspection as stored, its site
/// (whose kind decides the applicable items) and its template.
pub(crate) struct Loaded {
    /// The inspection's row.
    pub(crate) row: inspections::Row,
    /// The site visited.
    pub(crate) site: Site,
    /// The template the inspection is pinned to.
    pub(crate) template: std::sync::Arc<Template>,
}

impl Loaded {
    /// Loads inspection `id` through `conn` (a connection or a transaction).
    pub(crate) fn load(conn: &Connection, cache: &templates::Cache, id: &str) -> Result<Loaded> {
        let row = inspections::get(conn, id)?.ok_or_else(|| CoreError::NotFound {
            kind: "inspection",
            id: id.to_string(),
        })?;
        let site = crate::reference::site(conn, &row.site_id)?;
        let template = cache.get(conn, &row.template_id, row.template_version)?;
        Ok(Loaded {
            row,
            site,
            template,
        })
    }

    /// Refuses any change to a submitted inspection.
    pub(crate) fn ensure_draft(&self) -> Result<()> {
        if self.row.status == InspectionStatus::Submitted {
            return Err(CoreError::AlreadySubmitted {
                id: self.row.id.clone(),
            });
        }
        Ok(())
    }

    /// Refuses an item that is not in the template or does not apply to the site.
    pub(crate) fn ensure_applicable(&self, item: &str) -> Result<()> {
        if gridwalk_model::inspection::is_applicable(&self.template, &self.site.kind, item) {
            Ok(())
        } else {
            Err(CoreError::ItemNotApplicable {
                inspection: self.row.id.clone(),
                item: item.to_string(),
            })
        }
    }
}

/// Records the answer to an applicable item of a draft, inside the caller's transaction.
pub(crate) fn put_answer(
    conn: &Connection,
    loaded: &Loaded,
    item: &str,
    outcome: Outcome,
    note: Option<&str>,
) -> Result<()> {
    loaded.ensure_draft()?;
    loaded.ensure_applicable(item)?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    answers::put(conn, &loaded.row.id, item, outcome, note, &now())
}

impl Store {
    /// Starts a draft inspection and returns its id.
    pub fn start_inspection(&mut self, new: &NewInspection) -> Result<String> {
        if new.inspector.trim().is_empty() {
            return Err(CoreError::InvalidInput("inspector name is empty".into()));
        }
        let site = self.site(&new.site_id)?;
        let template_id = new.template_id.as_deref().unwrap_or(DEFAULT_TEMPLATE);
        let template = self.template(template_id, new.template_version)?;
        if !template
            .items()
            .any(|(_, item)| item.applies_to_kind(&site.kind))
        {
            return Err(CoreError::InvalidInput(format!(
                "template {} v{} has no item for a site of kind {}",
                template.id, template.version, site.kind
            )));
        }
        let row = inspections::Row {
            id: new_id(),
            site_id: site.id,
            template_id: template.id,
            template_version: template.version,
            kind: new.kind,
            status: InspectionStatus::Draft,
            inspector: new.inspector.trim().to_string(),
            started_at: now(),
            submitted_at: None,
        };
        inspections::insert_draft(&self.conn, &row)?;
        Ok(row.id)
    }

    /// Records or changes the answer to one applicable item of a draft.
    pub fn answer(
        &mut self,
        inspection_id: &str,
        item: &str,
        outcome: Outcome,
        note: Option<&str>,
    ) -> Result<()> {
        self.write(|tx, cache| {
            let loaded = Loaded::load(tx, cache, inspection_id)?;
            put_answer(tx, &loaded, item, outcome, note)
        })
    }

    /// Submits a draft. Refused, naming the items, while an applicable item is unanswered
    /// or a hazard lacks a required photo. Submitting twice is refused too. Each hazard
    /// answer opens a hazard case in the same transaction.
    pub fn submit(&mut self, inspection_id: &str) -> Result<()> {
        self.write(|tx, cache| {
            let loaded = Loaded::load(tx, cache, inspection_id)?;
            loaded.ensure_draft()?;
            let answers = load_answers(tx, inspection_id, &loaded.template)?;
            gridwalk_model::inspection::check_complete(
                &loaded.template,
                &loaded.site.kind,
                &answers,
            )
            .map_err(gridwalk_model::ModelError::from)?;
            let at = now();
            inspections::mark_submitted(tx, inspection_id, Some(&at))?;
            let body = serde_json::to_value(load(tx, cache, inspection_id)?).map_err(|e| {
                CoreError::Internal(format!("inspection {inspection_id} cannot be encoded: {e}"))
            })?;
            outbox::enqueue(tx, RecordKind::Inspection, inspection_id, &body, &at)?;
            let shas: Vec<String> = answers.iter().flat_map(|a| a.photos.clone()).collect();
            crate::photo::record::queue_for(tx, &shas)?;
            crate::hazard::open_cases_for_inspection(
                tx,
                &loaded.row,
                &loaded.site,
                &loaded.template,
                &answers,
            )?;
            Ok(())
        })
    }

    /// Loads an inspection with its answers.
    pub fn inspection(&self, id: &str) -> Result<Inspection> {
        load(&self.conn, &self.templates, id)
    }

    /// The applicable items of an inspection grouped by category, with progress.
    pub fn checklist(&self, inspection_id: &str) -> Result<Checklist> {
        let loaded = Loaded::load(&self.conn, &self.templates, inspection_id)?;
        let answers = load_answers(&self.conn, inspection_id, &loaded.template)?;
        let mut categories = Vec::new();
        for category in &loaded.template.categories {
            let entries: Vec<ChecklistEntry> = category
                .items
                .iter()
                .filter(|i| i.applies_to_kind(&loaded.site.kind))
                .map(|i| {
                    let answer = answers.iter().find(|a| a.item == i.code).cloned();
                    let photos = match &answer {
                        Some(a) => crate::evidence::views(&self.conn, &a.photos)?,
                        None => Vec::new(),
                    };
                    Ok(ChecklistEntry {
                        item: i.clone(),
                        answer,
                        photos,
                    })
                })
                .collect::<Result<_>>()?;
            if entries.is_empty() {
                continue;
            }
            categories.push(CategoryProgress {
                code: category.code.clone(),
                title_zh: category.title_zh.clone(),
                title_en: category.title_en.clone(),
                answered: entries.iter().filter(|e| e.answer.is_some()).count() as u32,
                applicable: entries.len() as u32,
                entries,
            });
        }
        Ok(Checklist {
            inspection_id: inspection_id.to_string(),
            status: loaded.row.status,
            answered: categories.iter().map(|c| c.answered).sum(),
            applicable: categories.iter().map(|c| c.applicable).sum(),
            categories,
        })
    }

    /// Lists inspections, newest first.
    pub fn list_inspections(&self, filter: &InspectionFilter) -> Result<Vec<InspectionSummary>> {
        let rows = inspections::list(
            &self.conn,
            filter.inspector.as_deref(),
            filter.status,
            filter.limit,
        )?;
        // A list names few sites many times over: each is looked up once.
        let mut site_names: HashMap<String, String> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let site_name = match site_names.get(&row.site_id) {
                Some(name) => name.clone(),
                None => {
                    let name = crate::reference::site(&self.conn, &row.site_id)?.name;
                    site_names.insert(row.site_id.clone(), name.clone());
                    name
                }
            };
            out.push(InspectionSummary {
                answered: answers::count(&self.conn, &row.id)?,
                id: row.id,
                site_id: row.site_id,
                site_name,
                kind: row.kind,
                status: row.status,
                inspector: row.inspector,
                started_at: row.started_at,
                submitted_at: row.submitted_at,
            });
        }
        Ok(out)
    }
}

/// Loads an inspection with its answers through any connection or transaction.
fn load(conn: &Connection, templates: &templates::Cache, id: &str) -> Result<Inspection> {
    let row = inspections::get(conn, id)?.ok_or_else(|| CoreError::NotFound {
        kind: "inspection",
        id: id.to_string(),
    })?;
    let template = templates.get(conn, &row.template_id, row.template_version)?;
    let answers = load_answers(conn, id, &template)?;
    Ok(Inspection {
        id: row.id,
        site_id: row.site_id,
        template_id: row.template_id,
        template_version: row.template_version,
        kind: row.kind,
        status: row.status,
        inspector: row.inspector,
        started_at: row.started_at,
        submitted_at: row.submitted_at,
        answers,
    })
}

/// The answers of an inspection with their photos, in template order.
pub(crate) fn load_answers(
    conn: &Connection,
    id: &str,
    template: &Template,
) -> Result<Vec<Answer>> {
    let mut answers = answers::of_inspection(conn, id)?;
    for (item, sha) in answer_photos::of_inspection(conn, id)? {
        if let Some(a) = answers.iter_mut().find(|a| a.item == item) {
            a.photos.push(sha);
        }
    }
    let position = |code: &str| {
        template
            .items()
            .position(|(_, i)| i.code == code)
            .unwrap_or(usize::MAX)
    };
    answers.sort_by_key(|a| position(&a.item));
    Ok(answers)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use gridwalk_model::org::Site;

    /// The schema itself refuses to change a submitted inspection, so no future code path
    /// that forgets the status check can break immutability.
    #[test]
    fn triggers_refuse_raw_changes_to_a_submitted_inspection() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("t.db")).unwrap();
        store
            .upsert_sites(&[Site {
                id: "W".into(),
                name: "pond".into(),
                kind: "water-body".into(),
                unit: "G1".into(),
                address: String::new(),
                lat: None,
                lon: None,
            }])
            .unwrap();
        let id = store
            .start_inspection(&NewInspection {
                site_id: "W".into(),
                template_id: None,
                template_version: None,
                kind: InspectionKind::Routine,
                inspector: "x".into(),
            })
            .unwrap();
        let items: Vec<String> = store
            .checklist(&id)
            .unwrap()
            .categories
            .iter()
            .flat_map(|c| c.entries.iter().map(|e| e.item.code.clone()))
            .collect();
        for item in &items {
            store.answer(&id, item, Outcome::Ok, None).unwrap();
        }
        store.submit(&id).unwrap();
        for sql in [
            "UPDATE inspections SET inspector = 'y' WHERE id = ?1",
            "DELETE FROM inspections WHERE id = ?1",
            "UPDATE answers SET outcome = 'hazard' WHERE inspection_id = ?1",
            "DELETE FROM answers WHERE inspection_id = ?1",
            "INSERT INTO answers VALUES (?1, 'fire-01', 'ok', NULL, 'now')",
        ] {
            let err = store.conn.execute(sql, [&id]).unwrap_err();
            assert!(
                err.to_string().contains("inspection is submitted"),
                "{sql}: {err}"
            );
        }
    }
}
