//! The kinds of record a device pushes ([`RecordKind`], the model's), and for each:
//! how its body is validated, which site/unit (and department) it belongs to, which
//! photos it refers to, and how its personal details are redacted. Adding a kind means
//! adding it to the model's [`RecordKind`] and an arm here (the compiler asks for
//! both); the push, pull, blob and scope code stay as they are.
//!
//! - [`RecordKind::Inspection`]: body is [`gridwalk_model::inspection::Inspection`];
//!   scope from its site's unit. Every answer's item applies at the site's kind. Only
//!   submitted inspections are accepted, complete by the model's
//!   [`check_complete`] (the check the device makes before submitting), except a spot
//!   check, which a supervisor may push as a draft (the planned visit) and later as
//!   submitted.
//! - [`RecordKind::HazardEvent`]: body is [`gridwalk_model::hazard::Event`]; scope from
//!   its case: the unit of the case's site (or of its report), and the department the
//!   model's fold of the case's stored events says it is assigned to now, kept on the
//!   case's row and extended event by event ([`case_row_with`]). A case is
//!   reported once: its first accepted `reported` event fixes its site, unit, category,
//!   item and severity, and any other `reported` event for it is a `conflict`, whatever
//!   its clock. A report's unit is its site's unit. Workflow rules are not enforced
//!   here: an offline device may have recorded an event the fold will ignore or flag,
//!   and the fold decides that the same way everywhere.
//!
//! - [`RecordKind::Photo`]: body is [`gridwalk_model::photo_record::PhotoRecord`], id
//!   `photo-` and the photo's SHA-256. Only the device that attached the photo may
//!   attest it: a record that device pushed (and the server accepted) must name the
//!   photo, so the photo record is queued, and pushed, after it. Its scope (unit,
//!   personal) is that record's; it names no blob, so it grants no one the photo, and
//!   it is read by whoever may read the photo ([`crate::scope::may_read_photo`]).
//!
//! Who a record claims as its author is pulled out here ([`ClaimedAuthor`]) and held
//! against the caller by [`crate::scope::check_authorship`].

use gridwalk_model::ModelError;
use gridwalk_model::checklist::{PERSONAL_DATA_CATEGORIES, Template};
use gridwalk_model::evidence::is_sha256_hex;
use gridwalk_model::hazard::{Actor, Event, Folding, HazardReport, Payload};
use gridwalk_model::inspection::{
    Inspection, InspectionKind, InspectionStatus, check_complete, is_applicable,
};
use gridwalk_model::photo_record::PhotoRecord;
use gridwalk_model::protocol::RecordKind;
use serde::{Deserialize, Serialize};

use crate::storage::case_index::CaseColumns;
use crate::storage::register::Register;
use crate::storage::{BlobLink, CaseRow, CaseScope, RecordStore, StoreError, sha256_hex};

/// Why one pushed item was refused, as a sentence for people; the rest of the batch is
/// unaffected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code", content = "message", rename_all = "kebab-case")]
pub enum Reject {
    /// The body is not a valid record of its kind: malformed, an unknown site, unit or
    /// template, an incomplete submitted inspection, an item that does not apply at
    /// the site, a report whose unit is not its site's.
    #[error("{0}")]
    Invalid(String),
    /// The kind is unknown to this server.
    #[error("{0}")]
    UnsupportedKind(String),
    /// The caller may not write this record: outside their area or role, or it names
    /// someone else (another person, or a device not enrolled to the caller's person)
    /// as its author.
    #[error("{0}")]
    Forbidden(String),
    /// The record contradicts what is stored: its id is taken by other content, or it
    /// reports a case that is already reported.
    #[error("{0}")]
    Conflict(String),
    /// The record's signature is missing (from a device that registered a key),
    /// malformed, or does not verify with the caller device's key.
    #[error("{0}")]
    BadSignature(String),
    /// The record is chained but unsigned (ADR 12) and no signed record of the same
    /// request closes its chain segment.
    #[error("{0}")]
    Unsealed(String),
}

impl Reject {
    /// The stable code of this reject, for clients to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Reject::Invalid(_) => "invalid",
            Reject::UnsupportedKind(_) => "unsupported-kind",
            Reject::Forbidden(_) => "forbidden",
            Reject::Conflict(_) => "conflict",
            Reject::BadSignature(_) => "bad_signature",
            Reject::Unsealed(_) => "unsealed",
        }
    }
}

/// What the server needs to know about a valid pushed item.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The record's kind.
    pub kind: RecordKind,
    /// The canonical JSON body (re-serialised, so whitespace and key order of the
    /// device's JSON do not make a re-push look different).
    pub body: String,
    /// SHA-256 of `body`.
    pub body_hash: String,
    /// The org unit of the record's site.
    pub unit: String,
    /// The department the record's case is assigned to now (before this record).
    pub department: Option<String>,
    /// The department this record assigns its case to (an `assigned` event).
    pub assigns: Option<String>,
    /// The hazard case the record belongs to.
    pub case_id: Option<String>,
    /// Whether that case had its row when the record was checked. The caller holds the
    /// case's lock from the check to the write, so it still has (or lacks) it then; a
    /// case without a row has no kept fold to extend ([`case_row_with`]).
    pub case_has_row: bool,
    /// Who the record says recorded it, to check against the caller.
    pub author: ClaimedAuthor,
    /// Whether it is a spot check (or the plan for one).
    pub spot_check: bool,
    /// Whether it is a draft its final version may replace.
    pub draft: bool,
    /// Whether the body holds personal details.
    pub personal: bool,
    /// Photos referred to, each with whether it belongs to personal details.
    pub blobs: Vec<(String, bool)>,
}

/// Who a record says made it, as the device wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimedAuthor {
    /// A hazard event: its actor and the device it was recorded on.
    Event {
        /// The person the event names.
        actor: Actor,
        /// The device id the event names.
        device: String,
    },
    /// An inspection: the inspector's name as entered on the device.
    Inspection {
        /// The inspector's name.
        inspector: String,
    },
    /// A photo record: the pushing device, found attaching the photo by the check.
    PhotoOf {
        /// The photo's SHA-256.
        sha256: String,
    },
}

/// Outcome of checking one item: a reject, or a storage failure that fails the batch.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The item is refused.
    #[error(transparent)]
    Reject(#[from] Reject),
    /// Storage failed while looking something up.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The checklist templates the server knows: the model's built-in ones, parsed once.
pub fn templates() -> &'static [Template] {
    Template::builtin_cached().unwrap_or_else(|e| {
        // A broken built-in template is a build defect the model's tests catch;
        // serving no template is safer than crashing the server.
        tracing::error!(error = %e, "built-in templates do not parse");
        &[]
    })
}

fn template(id: &str, version: u32) -> Option<&'static Template> {
    templates()
        .iter()
        .find(|t| t.id == id && t.version == version)
}

fn is_personal_category(code: &str) -> bool {
    PERSONAL_DATA_CATEGORIES.contains(&code)
}

/// Validates an item pushed by `device` and pulls out what scope and storage need.
/// `kind` is the item's text kind, refused by name when this server does not know it.
pub fn check(
    kind: &str,
    id: &str,
    body: &serde_json::Value,
    device: &str,
    store: &dyn RecordStore,
    register: &Register,
) -> Result<Checked, CheckError> {
    let kind: RecordKind = kind.parse().map_err(|e| match e {
        ModelError::Invalid(reason) => Reject::UnsupportedKind(reason),
        other => Reject::UnsupportedKind(other.to_string()),
    })?;
    match kind {
        RecordKind::Inspection => check_inspection(id, body, store, register),
        RecordKind::HazardEvent => check_hazard_event(id, body, store, register),
        RecordKind::Photo => check_photo(id, body, device, store),
    }
}

fn check_photo(
    id: &str,
    body: &serde_json::Value,
    device: &str,
    store: &dyn RecordStore,
) -> Result<Checked, CheckError> {
    let record: PhotoRecord = serde_json::from_value(body.clone())
        .map_err(|e| Reject::Invalid(format!("not a photo record: {e}")))?;
    record.check(id).map_err(Reject::Invalid)?;
    let own: Vec<BlobLink> = store
        .records_with_blob(&record.sha256)?
        .into_iter()
        .filter(|link| link.record.author_device == device)
        .collect();
    let Some(first) = own.first() else {
        return Err(Reject::Forbidden(format!(
            "no record your device `{device}` pushed attaches photo {}; a device attests \
             only its own photos, after the record that attaches them",
            record.sha256
        ))
        .into());
    };
    let canonical = serde_json::to_string(&record)
        .map_err(|e| Reject::Invalid(format!("photo record cannot be stored: {e}")))?;
    Ok(Checked {
        kind: RecordKind::Photo,
        body_hash: sha256_hex(canonical.as_bytes()),
        body: canonical,
        unit: first.record.unit.clone(),
        department: None,
        assigns: None,
        case_id: None,
        case_has_row: false,
        author: ClaimedAuthor::PhotoOf {
            sha256: record.sha256.clone(),
        },
        spot_check: false,
        draft: false,
        personal: own.iter().any(|link| link.personal),
        blobs: Vec::new(),
    })
}

fn check_inspection(
    id: &str,
    body: &serde_json::Value,
    store: &dyn RecordStore,
    register: &Register,
) -> Result<Checked, CheckError> {
    let inspection: Inspection = serde_json::from_value(body.clone())
        .map_err(|e| Reject::Invalid(format!("not an inspection: {e}")))?;
    if inspection.id != id {
        return Err(Reject::Invalid(format!(
            "item id `{id}` differs from the inspection's id `{}`",
            inspection.id
        ))
        .into());
    }
    let spot_check = inspection.kind == InspectionKind::SpotCheck;
    let draft = inspection.status == InspectionStatus::Draft;
    if draft && !spot_check {
        return Err(Reject::Invalid(
            "drafts stay on the device; push an inspection once it is submitted".into(),
        )
        .into());
    }
    let site = register
        .site(store, &inspection.site_id)?
        .ok_or_else(|| Reject::Invalid(format!("unknown site `{}`", inspection.site_id)))?;
    let template =
        template(&inspection.template_id, inspection.template_version).ok_or_else(|| {
            Reject::Invalid(format!(
                "unknown template {} v{}",
                inspection.template_id, inspection.template_version
            ))
        })?;
    let mut personal = false;
    let mut blobs = Vec::new();
    for answer in &inspection.answers {
        let (category, _) = template.item(&answer.item).ok_or_else(|| {
            Reject::Invalid(format!(
                "item `{}` is not in template {} v{}",
                answer.item, template.id, template.version
            ))
        })?;
        if !is_applicable(template, &site.kind, &answer.item) {
            return Err(Reject::Invalid(format!(
                "item `{}` does not apply at site `{}`, a {} site",
                answer.item, site.id, site.kind
            ))
            .into());
        }
        let answer_personal = is_personal_category(&category.code);
        if answer_personal && (answer.note.is_some() || !answer.photos.is_empty()) {
            personal = true;
        }
        for photo in &answer.photos {
            if !is_sha256_hex(photo) {
                return Err(Reject::Invalid(format!(
                    "photo `{photo}` of item `{}` is not a lower-case hex SHA-256",
                    answer.item
                ))
                .into());
            }
            blobs.push((photo.clone(), answer_personal));
        }
    }
    if !draft {
        check_complete(template, &site.kind, &inspection.answers).map_err(|missing| {
            Reject::Invalid(format!(
                "a submitted inspection must be complete ({missing})"
            ))
        })?;
    }
    let canonical = serde_json::to_string(&inspection)
        .map_err(|e| Reject::Invalid(format!("inspection cannot be stored: {e}")))?;
    Ok(Checked {
        kind: RecordKind::Inspection,
        body_hash: sha256_hex(canonical.as_bytes()),
        body: canonical,
        unit: site.unit,
        department: None,
        assigns: None,
        case_id: None,
        case_has_row: false,
        author: ClaimedAuthor::Inspection {
            inspector: inspection.inspector.clone(),
        },
        spot_check,
        draft,
        personal,
        blobs,
    })
}

fn check_hazard_event(
    id: &str,
    body: &serde_json::Value,
    store: &dyn RecordStore,
    register: &Register,
) -> Result<Checked, CheckError> {
    let event: Event = serde_json::from_value(body.clone())
        .map_err(|e| Reject::Invalid(format!("not a hazard event: {e}")))?;
    if event.id != id {
        return Err(Reject::Invalid(format!(
            "item id `{id}` differs from the event's id `{}`",
            event.id
        ))
        .into());
    }
    event
        .check_well_formed()
        .map_err(|e| Reject::Invalid(e.to_string()))?;
    let stored_scope = store.case_scope(&event.case_id)?;
    let case_has_row = stored_scope.is_some();
    let scope = match (stored_scope, &event.payload) {
        // A re-push of the stored report goes on to be recognised as a duplicate.
        (Some(_), Payload::Reported(_)) if !store.record_exists(&event.id)? => {
            return Err(Reject::Conflict(format!(
                "case `{}` is already reported; a case is reported once, and its first \
                 report fixes its site, unit and category",
                event.case_id
            ))
            .into());
        }
        (Some(scope), _) => scope,
        (None, Payload::Reported(report)) => CaseScope {
            case_id: event.case_id.clone(),
            unit: new_report_unit(report, store, register)?,
            department: None,
            personal: is_personal_category(&report.category),
        },
        (None, _) => {
            return Err(Reject::Invalid(format!(
                "unknown case `{}`: push the event that reported it first",
                event.case_id
            ))
            .into());
        }
    };
    let photos = event.payload.photos();
    if let Some(bad) = photos.iter().find(|p| !is_sha256_hex(p)) {
        return Err(
            Reject::Invalid(format!("photo `{bad}` is not a lower-case hex SHA-256")).into(),
        );
    }
    let assigns = match &event.payload {
        Payload::Assigned { department, .. } => Some(department.clone()),
        _ => None,
    };
    let canonical = serde_json::to_string(&event)
        .map_err(|e| Reject::Invalid(format!("hazard event cannot be stored: {e}")))?;
    Ok(Checked {
        kind: RecordKind::HazardEvent,
        body_hash: sha256_hex(canonical.as_bytes()),
        body: canonical,
        blobs: photos.iter().map(|p| (p.clone(), scope.personal)).collect(),
        unit: scope.unit,
        department: scope.department,
        assigns,
        case_id: Some(event.case_id),
        case_has_row,
        author: ClaimedAuthor::Event {
            actor: event.actor,
            device: event.device,
        },
        spot_check: false,
        draft: false,
        personal: scope.personal,
    })
}

/// The unit a case belongs to: its site's unit (from the site register), or the
/// reported unit without a site.
fn report_unit(
    report: &HazardReport,
    store: &dyn RecordStore,
    register: &Register,
) -> Result<String, CheckError> {
    match &report.site_id {
        Some(site) => Ok(register
            .site(store, site)?
            .ok_or_else(|| Reject::Invalid(format!("unknown site `{site}`")))?
            .unit),
        None if register.tree.is_within(&report.unit, &report.unit) => Ok(report.unit.clone()),
        None => Err(Reject::Invalid(format!("unknown unit `{}`", report.unit)).into()),
    }
}

/// The unit of a case being reported, which the report must name itself: a report at
/// a site counts for the site's unit, never another. (Without a site, whether the unit
/// is the caller's to report in is the scope's question.)
fn new_report_unit(
    report: &HazardReport,
    store: &dyn RecordStore,
    register: &Register,
) -> Result<String, CheckError> {
    let unit = report_unit(report, store, register)?;
    if let Some(site) = &report.site_id
        && unit != report.unit
    {
        return Err(Reject::Invalid(format!(
            "the report names unit `{}`, but site `{site}` is in unit `{unit}`; a case \
             counts for its site's unit",
            report.unit
        ))
        .into());
    }
    Ok(unit)
}

/// What the server keeps on a hazard case's row between events (JSON in the row, see
/// [`CaseRow::fold`]): the case's first stored report, which places it, and the fold
/// of its events so far, so that a new event is applied to it instead of refolding
/// every event of the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFold {
    /// The first stored `reported` event's report: its site (through the site
    /// register) gives the case's unit, its category whether the case is personal.
    pub report: HazardReport,
    /// The fold of the case's stored events, in fold order.
    pub folding: Folding,
}

/// A hazard case's row as it is once `body` (one of its events, checked, stored or
/// about to be) is among its events: the unit of its first stored report, the
/// department the model's fold assigns it to, and the kept fold. Written with the
/// event in one transaction ([`RecordStore::put_record`]); `None` when the case has no
/// report yet.
///
/// The kept fold is extended with the event in constant time when the event comes
/// after the last one applied in fold order (HLC, then id), as the events of a live
/// case almost always do; an event that belongs earlier (a device that was offline),
/// a row kept before folds were (schema version 4) or a kept fold this build cannot
/// read makes a full refold ([`refold_case`]). Both give the same row. The caller
/// holds the case's lock from reading the row to writing it.
pub fn case_row_with(
    store: &dyn RecordStore,
    case_id: &str,
    body: &str,
    has_row: bool,
    register: &Register,
) -> Result<Option<CaseRow>, StoreError> {
    let event: Event = serde_json::from_str(body)
        .map_err(|e| StoreError::Corrupt(format!("checked hazard event: {e}")))?;
    // A case without its row (its report, or events before it) has no kept fold: not
    // asked for, a statement saved per new case.
    let kept = if has_row {
        store.case_fold(case_id)?
    } else {
        None
    };
    if let Some(kept) = kept {
        match serde_json::from_str::<CaseFold>(&kept) {
            // Already stored: already in the kept fold.
            Ok(kept) if store.record_exists(&event.id)? => {
                return case_row(store, case_id, kept, register).map(Some);
            }
            Ok(mut kept) => {
                if kept.folding.apply(&event).is_ok() {
                    return case_row(store, case_id, kept, register).map(Some);
                }
            }
            Err(e) => {
                tracing::warn!(case = case_id, error = %e, "kept case fold unreadable; refolding");
            }
        }
    }
    let mut events = case_events(store, case_id)?;
    if !events.iter().any(|e| e.id == event.id) {
        events.push(event);
    }
    refolded_row(store, case_id, &events, register)
}

/// A hazard case's row from all its stored events: what [`case_row_with`] keeps up
/// event by event, computed from scratch; `None` when the case has no stored report.
pub fn refold_case(
    store: &dyn RecordStore,
    case_id: &str,
    register: &Register,
) -> Result<Option<CaseRow>, StoreError> {
    refolded_row(store, case_id, &case_events(store, case_id)?, register)
}

/// The row of a case with `events` (in the order they were stored).
fn refolded_row(
    store: &dyn RecordStore,
    case_id: &str,
    events: &[Event],
    register: &Register,
) -> Result<Option<CaseRow>, StoreError> {
    // The first stored report places the case, whatever the fold's order: a later one
    // is refused at push, and one stored before that rule never moves the case.
    let Some(report) = events.iter().find_map(|e| match &e.payload {
        Payload::Reported(report) => Some(report.clone()),
        _ => None,
    }) else {
        return Ok(None);
    };
    let kept = CaseFold {
        report,
        folding: Folding::of(case_id, events),
    };
    case_row(store, case_id, kept, register).map(Some)
}

/// The row that a kept fold implies. The unit is looked up in the site register
/// every time, as when every event refolded the case.
fn case_row(
    store: &dyn RecordStore,
    case_id: &str,
    kept: CaseFold,
    register: &Register,
) -> Result<CaseRow, StoreError> {
    let unit = match report_unit(&kept.report, store, register) {
        Ok(unit) => unit,
        Err(CheckError::Store(e)) => return Err(e),
        Err(CheckError::Reject(_)) => kept.report.unit.clone(),
    };
    let fold = serde_json::to_string(&kept)
        .map_err(|e| StoreError::Corrupt(format!("case {case_id} fold: {e}")))?;
    Ok(CaseRow {
        columns: CaseColumns::of(&kept.folding),
        scope: CaseScope {
            case_id: case_id.to_string(),
            unit,
            department: kept.folding.state.department.clone(),
            personal: is_personal_category(&kept.report.category),
        },
        fold,
    })
}

/// A hazard case's stored events, parsed.
pub fn case_events(store: &dyn RecordStore, case_id: &str) -> Result<Vec<Event>, StoreError> {
    store
        .case_records(case_id)?
        .iter()
        .filter(|r| r.is(RecordKind::HazardEvent))
        .map(|r| {
            serde_json::from_str(&r.body)
                .map_err(|e| StoreError::Corrupt(format!("stored hazard event {}: {e}", r.id)))
        })
        .collect()
}

/// The body as a caller with [`crate::scope::Access::Redacted`] sees it: personal
/// details (notes and photos of key-groups and disputes answers; the free text and
/// photos of events of cases in those categories) removed, the record's shape
/// unchanged so a device can still store it; a redacted event says what was withheld
/// ([`Event::redacted`]) so every device folds it as the full one.
pub fn redact(kind: &str, body: &str) -> Result<serde_json::Value, StoreError> {
    // A kind this server cannot redact is withheld whole rather than leaked.
    let Ok(kind) = kind.parse::<RecordKind>() else {
        return Ok(serde_json::Value::Null);
    };
    match kind {
        RecordKind::Inspection => {
            let mut inspection: Inspection = serde_json::from_str(body)
                .map_err(|e| StoreError::Corrupt(format!("stored inspection: {e}")))?;
            if let Some(template) = template(&inspection.template_id, inspection.template_version) {
                for answer in &mut inspection.answers {
                    let personal = template
                        .item(&answer.item)
                        .is_none_or(|(c, _)| is_personal_category(&c.code));
                    if personal {
                        answer.note = None;
                        answer.photos.clear();
                    }
                }
            }
            serde_json::to_value(&inspection)
                .map_err(|e| StoreError::Corrupt(format!("stored inspection: {e}")))
        }
        RecordKind::HazardEvent => {
            let event: Event = serde_json::from_str(body)
                .map_err(|e| StoreError::Corrupt(format!("stored hazard event: {e}")))?;
            serde_json::to_value(event.redacted())
                .map_err(|e| StoreError::Corrupt(format!("stored hazard event: {e}")))
        }
        // Read whole by whoever may read its photo, never redacted (pull decides).
        RecordKind::Photo => Ok(serde_json::Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::sqlite::SqliteStore;

    #[test]
    fn an_unknown_kind_is_refused_by_name_and_withheld_on_pull() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("server.sqlite")).unwrap();
        let register = Register::new(&[]);
        let body = serde_json::json!({});
        match check("gossip", "x", &body, "d", &store, &register) {
            Err(CheckError::Reject(Reject::UnsupportedKind(reason))) => assert_eq!(
                reason,
                "unknown item kind `gossip` (expected `inspection` or `hazard-event` or `photo`)"
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(redact("gossip", "{}").unwrap(), serde_json::Value::Null);
    }

    #[test]
    fn the_templates_are_the_models_built_in_ones() {
        assert_eq!(templates(), Template::builtin().unwrap());
    }
}
