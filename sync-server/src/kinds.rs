//! The kinds of item a device pushes, and for each: how its body is validated, which
//! site/unit (and department) it belongs to, which photos it refers to, and how its
//! personal details are redacted. Adding a kind means adding an arm here; the push,
//! pull, blob and scope code stay as they are.
//!
//! - `inspection`: body is [`gridwalk_core::inspection::Inspection`]; scope from its
//!   site's unit. Only submitted inspections are accepted, except a spot check, which a
//!   supervisor may push as a draft (the planned visit) and later as submitted.
//! - `hazard-event`: reserved for the hazard-case event log. Until that lands in
//!   `gridwalk-core` these items are rejected with `unsupported-kind`; the hook is
//!   [`check`]'s `HAZARD_EVENT` arm (scope from the case's site, department from the
//!   case's assignment).

use std::sync::OnceLock;

use gridwalk_core::checklist::{PERSONAL_DATA_CATEGORIES, Template};
use gridwalk_core::evidence::is_sha256_hex;
use gridwalk_core::inspection::{Inspection, InspectionKind, InspectionStatus};
use serde::Serialize;

use crate::storage::{RecordStore, StoreError, sha256_hex};

/// The `inspection` item kind.
pub const INSPECTION: &str = "inspection";
/// The `hazard-event` item kind (reserved until hazard cases land).
pub const HAZARD_EVENT: &str = "hazard-event";

/// Why one pushed item was refused; the rest of the batch is unaffected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code", content = "message", rename_all = "kebab-case")]
pub enum Reject {
    /// The body is not a valid record of its kind.
    #[error("{0}")]
    Invalid(String),
    /// The kind is unknown to this server.
    #[error("{0}")]
    UnsupportedKind(String),
    /// The caller may not write this record.
    #[error("{0}")]
    Forbidden(String),
    /// The id is already stored with different content.
    #[error("{0}")]
    Conflict(String),
}

impl Reject {
    /// The stable code of this reject, for clients to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Reject::Invalid(_) => "invalid",
            Reject::UnsupportedKind(_) => "unsupported-kind",
            Reject::Forbidden(_) => "forbidden",
            Reject::Conflict(_) => "conflict",
        }
    }
}

/// What the server needs to know about a valid pushed item.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The canonical JSON body (re-serialised, so whitespace and key order of the
    /// device's JSON do not make a re-push look different).
    pub body: String,
    /// SHA-256 of `body`.
    pub body_hash: String,
    /// The org unit of the record's site.
    pub unit: String,
    /// The department a case is assigned to.
    pub department: Option<String>,
    /// Whether it is a spot check (or the plan for one).
    pub spot_check: bool,
    /// Whether it is a draft its final version may replace.
    pub draft: bool,
    /// Whether the body holds personal details.
    pub personal: bool,
    /// Photos referred to, each with whether it belongs to personal details.
    pub blobs: Vec<(String, bool)>,
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

/// The checklist templates the server knows (the built-in ones), parsed once.
pub fn templates() -> &'static [Template] {
    static TEMPLATES: OnceLock<Vec<Template>> = OnceLock::new();
    TEMPLATES.get_or_init(|| match Template::builtin() {
        Ok(t) => t,
        Err(e) => {
            // A broken built-in template is a build defect the core's tests catch;
            // serving no template is safer than crashing the server.
            tracing::error!(error = %e, "built-in templates do not parse");
            Vec::new()
        }
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

/// Validates a pushed item and pulls out what scope and storage need.
pub fn check(
    kind: &str,
    id: &str,
    body: &serde_json::Value,
    store: &dyn RecordStore,
) -> Result<Checked, CheckError> {
    match kind {
        INSPECTION => check_inspection(id, body, store),
        HAZARD_EVENT => Err(Reject::UnsupportedKind(
            "hazard-event items are accepted once hazard cases land in gridwalk-core".into(),
        )
        .into()),
        other => Err(Reject::UnsupportedKind(format!(
            "unknown item kind `{other}` (expected `{INSPECTION}`)"
        ))
        .into()),
    }
}

fn check_inspection(
    id: &str,
    body: &serde_json::Value,
    store: &dyn RecordStore,
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
    let site = store
        .site(&inspection.site_id)?
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
    let canonical = serde_json::to_string(&inspection)
        .map_err(|e| Reject::Invalid(format!("inspection cannot be stored: {e}")))?;
    Ok(Checked {
        body_hash: sha256_hex(canonical.as_bytes()),
        body: canonical,
        unit: site.unit,
        department: None,
        spot_check,
        draft,
        personal,
        blobs,
    })
}

/// The body as a caller with [`crate::scope::Access::Redacted`] sees it: personal
/// details (notes and photos of key-groups and disputes answers) removed, the record's
/// shape unchanged so a device can still store it.
pub fn redact(kind: &str, body: &str) -> Result<serde_json::Value, StoreError> {
    match kind {
        INSPECTION => {
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
        // A kind this server cannot redact is withheld whole rather than leaked.
        _ => Ok(serde_json::Value::Null),
    }
}
