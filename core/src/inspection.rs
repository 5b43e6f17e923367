//! Inspections: one visit to one site with one template version. A draft lives only on
//! this device and may change; submitting freezes it (the schema's triggers refuse any
//! later change), opens a hazard case per hazard answer and queues both in the outbox.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

pub use gridwalk_model::inspection::{
    Answer, DEFAULT_TEMPLATE, Inspection, InspectionKind, InspectionStatus, Outcome,
};

use crate::checklist::{Item, Template};
use crate::error::{CoreError, Result};
use crate::protocol::RecordKind;
use crate::store::{Store, new_id, now};

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

struct Header {
    site_kind: String,
    template_id: String,
    template_version: u32,
    status: InspectionStatus,
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
        let id = new_id();
        self.conn.execute(
            "INSERT INTO inspections(id, site_id, template_id, template_version, kind, status,
                                     inspector, started_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'draft', ?6, ?7)",
            params![
                id,
                site.id,
                template.id,
                template.version,
                new.kind.as_str(),
                new.inspector.trim(),
                now()
            ],
        )?;
        Ok(id)
    }

    /// Records or changes the answer to one applicable item of a draft.
    pub fn answer(
        &mut self,
        inspection_id: &str,
        item: &str,
        outcome: Outcome,
        note: Option<&str>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let header = load_header(&tx, inspection_id)?;
        if header.status == InspectionStatus::Submitted {
            return Err(CoreError::AlreadySubmitted {
                id: inspection_id.to_string(),
            });
        }
        let template = self
            .templates
            .get(&tx, &header.template_id, header.template_version)?;
        ensure_applicable(&template, &header, inspection_id, item)?;
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        tx.execute(
            "INSERT INTO answers(inspection_id, item_code, outcome, note, answered_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(inspection_id, item_code) DO UPDATE SET
               outcome = excluded.outcome, note = excluded.note, answered_at = excluded.answered_at",
            params![inspection_id, item, outcome.as_str(), note, now()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Attaches a stored photo (by SHA-256) as evidence to an answered item of a draft.
    pub fn attach_photo(&mut self, inspection_id: &str, item: &str, sha256: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        let header = load_header(&tx, inspection_id)?;
        if header.status == InspectionStatus::Submitted {
            return Err(CoreError::AlreadySubmitted {
                id: inspection_id.to_string(),
            });
        }
        let answered: bool = tx
            .query_row(
                "SELECT 1 FROM answers WHERE inspection_id = ?1 AND item_code = ?2",
                params![inspection_id, item],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false);
        if !answered {
            return Err(CoreError::InvalidInput(format!(
                "item {item} has no answer yet; answer it before attaching photos"
            )));
        }
        let known = crate::evidence::photo_held(&tx, sha256)?;
        if !known {
            return Err(CoreError::NotFound {
                kind: "photo",
                id: sha256.to_string(),
            });
        }
        tx.execute(
            "INSERT OR IGNORE INTO answer_photos(inspection_id, item_code, sha256, attached_at,
                                                 position)
             SELECT ?1, ?2, ?3, ?4, COALESCE(MAX(position) + 1, 0) FROM answer_photos
             WHERE inspection_id = ?1 AND item_code = ?2",
            params![inspection_id, item, sha256, now()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Submits a draft. Refused, naming the items, while an applicable item is unanswered
    /// or a hazard lacks a required photo. Submitting twice is refused too. Each hazard
    /// answer opens a hazard case in the same transaction.
    pub fn submit(&mut self, inspection_id: &str) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let header = load_header(&tx, inspection_id)?;
        if header.status == InspectionStatus::Submitted {
            return Err(CoreError::AlreadySubmitted {
                id: inspection_id.to_string(),
            });
        }
        let template = self
            .templates
            .get(&tx, &header.template_id, header.template_version)?;
        let answers = load_answers(&tx, inspection_id, &template)?;
        gridwalk_model::inspection::check_complete(&template, &header.site_kind, &answers)
            .map_err(gridwalk_model::ModelError::from)?;
        let at = now();
        tx.execute(
            "UPDATE inspections SET status = 'submitted', submitted_at = ?2 WHERE id = ?1",
            params![inspection_id, at],
        )?;
        tx.execute(
            "INSERT INTO outbox(kind, record_id, created_at) VALUES (?1, ?2, ?3)",
            params![RecordKind::Inspection.as_str(), inspection_id, at],
        )?;
        crate::hazard::open_cases_for_inspection(&tx, inspection_id)?;
        tx.commit()?;
        Ok(())
    }

    /// Loads an inspection with its answers.
    pub fn inspection(&self, id: &str) -> Result<Inspection> {
        let row = self
            .conn
            .query_row(
                "SELECT id, site_id, template_id, template_version, kind, status, inspector,
                        started_at, submitted_at FROM inspections WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, u32>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, Option<String>>(8)?,
                    ))
                },
            )
            .optional()?
            .ok_or_else(|| CoreError::NotFound {
                kind: "inspection",
                id: id.to_string(),
            })?;
        let template = self.templates.get(&self.conn, &row.2, row.3)?;
        let answers = load_answers(&self.conn, id, &template)?;
        Ok(Inspection {
            id: row.0,
            site_id: row.1,
            template_id: row.2,
            template_version: row.3,
            kind: CoreError::parse_stored(&row.4, "an inspection's kind")?,
            status: CoreError::parse_stored(&row.5, "an inspection's status")?,
            inspector: row.6,
            started_at: row.7,
            submitted_at: row.8,
            answers,
        })
    }

    /// The applicable items of an inspection grouped by category, with progress.
    pub fn checklist(&self, inspection_id: &str) -> Result<Checklist> {
        let header = load_header(&self.conn, inspection_id)?;
        let template =
            self.templates
                .get(&self.conn, &header.template_id, header.template_version)?;
        let answers = load_answers(&self.conn, inspection_id, &template)?;
        let mut categories = Vec::new();
        for category in &template.categories {
            let entries: Vec<ChecklistEntry> = category
                .items
                .iter()
                .filter(|i| i.applies_to_kind(&header.site_kind))
                .map(|i| ChecklistEntry {
                    item: i.clone(),
                    answer: answers.iter().find(|a| a.item == i.code).cloned(),
                })
                .collect();
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
            status: header.status,
            answered: categories.iter().map(|c| c.answered).sum(),
            applicable: categories.iter().map(|c| c.applicable).sum(),
            categories,
        })
    }

    /// Lists inspections, newest first.
    pub fn list_inspections(&self, filter: &InspectionFilter) -> Result<Vec<InspectionSummary>> {
        // Conditions are added only when asked for, so SQLite can use the inspector index
        // instead of scanning every inspection the device ever made.
        let mut sql = String::from(
            "SELECT i.id, i.site_id, s.name, i.kind, i.status, i.inspector, i.started_at,
                    i.submitted_at,
                    (SELECT COUNT(*) FROM answers a WHERE a.inspection_id = i.id)
             FROM inspections i JOIN sites s ON s.id = i.site_id WHERE 1",
        );
        let mut args: Vec<&dyn rusqlite::ToSql> = Vec::new();
        if let Some(inspector) = &filter.inspector {
            sql.push_str(" AND i.inspector = ?");
            args.push(inspector);
        }
        let status = filter.status.map(|s| s.as_str());
        if let Some(status) = &status {
            sql.push_str(" AND i.status = ?");
            args.push(status);
        }
        sql.push_str(" ORDER BY i.started_at DESC, i.id DESC LIMIT ?");
        let limit = filter.limit.map_or(-1, i64::from);
        args.push(&limit);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(args.as_slice(), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, u32>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let r = row?;
            out.push(InspectionSummary {
                id: r.0,
                site_id: r.1,
                site_name: r.2,
                kind: CoreError::parse_stored(&r.3, "an inspection's kind")?,
                status: CoreError::parse_stored(&r.4, "an inspection's status")?,
                inspector: r.5,
                started_at: r.6,
                submitted_at: r.7,
                answered: r.8,
            });
        }
        Ok(out)
    }
}

fn load_header(conn: &rusqlite::Connection, id: &str) -> Result<Header> {
    let row = conn
        .query_row(
            "SELECT s.kind, i.template_id, i.template_version, i.status
             FROM inspections i JOIN sites s ON s.id = i.site_id WHERE i.id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| CoreError::NotFound {
            kind: "inspection",
            id: id.to_string(),
        })?;
    Ok(Header {
        site_kind: row.0,
        template_id: row.1,
        template_version: row.2,
        status: CoreError::parse_stored(&row.3, "an inspection's status")?,
    })
}

fn ensure_applicable(
    template: &Template,
    header: &Header,
    inspection: &str,
    item: &str,
) -> Result<()> {
    if gridwalk_model::inspection::is_applicable(template, &header.site_kind, item) {
        Ok(())
    } else {
        Err(CoreError::ItemNotApplicable {
            inspection: inspection.to_string(),
            item: item.to_string(),
        })
    }
}

/// The answers of an inspection with their photos, in template order.
fn load_answers(conn: &rusqlite::Connection, id: &str, template: &Template) -> Result<Vec<Answer>> {
    let mut stmt = conn.prepare_cached(
        "SELECT item_code, outcome, note, answered_at FROM answers WHERE inspection_id = ?1",
    )?;
    let mut answers = stmt
        .query_map([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get(3)?,
            ))
        })?
        .map(|row| {
            let (item, outcome, note, answered_at) = row?;
            Ok(Answer {
                item,
                outcome: CoreError::parse_stored(&outcome, "an answer's outcome")?,
                note,
                photos: Vec::new(),
                answered_at,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut photos = conn.prepare_cached(
        "SELECT item_code, sha256 FROM answer_photos WHERE inspection_id = ?1
         ORDER BY item_code, position, sha256",
    )?;
    for row in photos.query_map([id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })? {
        let (item, sha) = row?;
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
    use crate::reference::Site;

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
