//! Checklist templates: the data format of `checklists/*.json`, loading and validation.
//!
//! A template is versioned; several versions live side by side in the store, and an
//! inspection is pinned to the version it was started with.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The nine categories of the safe-community campaign, in the campaign's order.
/// A template may only use these category codes.
pub const CATEGORIES: [&str; 9] = [
    "fire",
    "facilities",
    "public-order",
    "key-groups",
    "disputes",
    "food",
    "production",
    "traffic",
    "environment",
];

/// Categories whose answers concern named people (key groups, disputes); their personal
/// details are restricted to the roles that need them.
pub const PERSONAL_DATA_CATEGORIES: [&str; 2] = ["key-groups", "disputes"];

/// The kinds of site a checklist item can apply to.
pub const SITE_KINDS: [&str; 10] = [
    "residential",
    "market",
    "school",
    "office-building",
    "small-venue",
    "care-institution",
    "village",
    "enterprise",
    "water-body",
    "event-area",
];

/// The built-in safe-community template, shipped with every build so that a fresh device
/// can inspect before its first sync.
pub const BUILTIN_TEMPLATES: [(&str, &str); 1] = [(
    "checklists/safe-community.v1.json",
    include_str!("../../checklists/safe-community.v1.json"),
)];

/// How serious a hazard is by default; drives deadlines and report ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Severity {
    /// Minor; fix in the normal course of work.
    Low,
    /// Needs a planned fix.
    Medium,
    /// Needs a prompt fix.
    High,
    /// Danger to life; act at once.
    Critical,
}

/// A responding department named by a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Department {
    /// Stable code, e.g. `fire-rescue`.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
}

/// One checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Item {
    /// Stable code, unique within the template, e.g. `fire-02`.
    pub code: String,
    /// Chinese title.
    pub title_zh: String,
    /// English title.
    pub title_en: String,
    /// One line on what to look at.
    pub guidance: String,
    /// Site kinds this item applies to.
    pub applies_to: Vec<String>,
    /// Whether a hazard answer needs at least one photo.
    pub photo_required: bool,
    /// Default severity of a hazard found under this item.
    pub severity: Severity,
    /// Code of the department that usually responds.
    pub department: String,
}

/// A category of items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Category {
    /// One of [`CATEGORIES`].
    pub code: String,
    /// Chinese title.
    pub title_zh: String,
    /// English title.
    pub title_en: String,
    /// The items, in display order.
    pub items: Vec<Item>,
}

/// A whole checklist template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Template {
    /// Template id, e.g. `safe-community`.
    pub id: String,
    /// Version; higher is newer.
    pub version: u32,
    /// Chinese title.
    pub title_zh: String,
    /// English title.
    pub title_en: String,
    /// Site kinds the template knows.
    pub site_kinds: Vec<String>,
    /// Departments items may name.
    pub departments: Vec<Department>,
    /// Categories in display order.
    pub categories: Vec<Category>,
}

/// Why a template was rejected: the file, the item (when one is at fault) and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad template {file}{}: {reason}", .item.as_ref().map(|i| format!(", item {i}")).unwrap_or_default())]
pub struct TemplateError {
    /// The file (or source name) the template came from.
    pub file: String,
    /// The item or category code at fault, if any.
    pub item: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl Template {
    /// Parses and validates a template from JSON text; `source` names it in errors.
    pub fn from_json(source: &str, json: &str) -> Result<Template, TemplateError> {
        let template: Template = serde_json::from_str(json).map_err(|e| TemplateError {
            file: source.to_string(),
            item: None,
            reason: format!("not a valid template: {e}"),
        })?;
        template.validate(source)?;
        Ok(template)
    }

    /// Reads, parses and validates a template file.
    pub fn load(path: &Path) -> Result<Template, TemplateError> {
        let source = path.display().to_string();
        let json = std::fs::read_to_string(path).map_err(|e| TemplateError {
            file: source.clone(),
            item: None,
            reason: format!("cannot read: {e}"),
        })?;
        Template::from_json(&source, &json)
    }

    /// Checks the rules every template must follow.
    pub fn validate(&self, source: &str) -> Result<(), TemplateError> {
        let fail = |item: Option<&str>, reason: String| TemplateError {
            file: source.to_string(),
            item: item.map(str::to_string),
            reason,
        };
        if self.id.trim().is_empty() {
            return Err(fail(None, "template id is empty".into()));
        }
        if self.version == 0 {
            return Err(fail(None, "version must be 1 or higher".into()));
        }
        if self.title_zh.trim().is_empty() || self.title_en.trim().is_empty() {
            return Err(fail(
                None,
                "template needs both a Chinese and an English title".into(),
            ));
        }
        for kind in &self.site_kinds {
            if !SITE_KINDS.contains(&kind.as_str()) {
                return Err(fail(None, format!("unknown site kind `{kind}`")));
            }
        }
        let departments: HashSet<&str> = self.departments.iter().map(|d| d.code.as_str()).collect();
        if self.categories.is_empty() {
            return Err(fail(None, "template has no categories".into()));
        }
        let mut category_codes = HashSet::new();
        let mut item_codes = HashSet::new();
        for category in &self.categories {
            let code = Some(category.code.as_str());
            if !CATEGORIES.contains(&category.code.as_str()) {
                return Err(fail(code, format!("unknown category `{}`", category.code)));
            }
            if !category_codes.insert(category.code.as_str()) {
                return Err(fail(code, "category appears twice".into()));
            }
            if category.title_zh.trim().is_empty() || category.title_en.trim().is_empty() {
                return Err(fail(
                    code,
                    "category needs both a Chinese and an English title".into(),
                ));
            }
            if category.items.is_empty() {
                return Err(fail(code, "category has no items".into()));
            }
            for item in &category.items {
                let code = Some(item.code.as_str());
                if item.code.trim().is_empty() {
                    return Err(fail(
                        None,
                        format!("an item of `{}` has no code", category.code),
                    ));
                }
                if !item_codes.insert(item.code.as_str()) {
                    return Err(fail(code, "item code is not unique".into()));
                }
                if item.title_zh.trim().is_empty() {
                    return Err(fail(code, "missing Chinese title".into()));
                }
                if item.title_en.trim().is_empty() {
                    return Err(fail(code, "missing English title".into()));
                }
                if item.guidance.trim().is_empty() {
                    return Err(fail(code, "missing guidance".into()));
                }
                if item.applies_to.is_empty() {
                    return Err(fail(code, "applies to no site kind".into()));
                }
                for kind in &item.applies_to {
                    if !self.site_kinds.contains(kind) {
                        return Err(fail(code, format!("applies to unknown site kind `{kind}`")));
                    }
                }
                if !departments.contains(item.department.as_str()) {
                    return Err(fail(
                        code,
                        format!("unknown department `{}`", item.department),
                    ));
                }
            }
        }
        Ok(())
    }

    /// All items in display order, with their category.
    pub fn items(&self) -> impl Iterator<Item = (&Category, &Item)> {
        self.categories
            .iter()
            .flat_map(|c| c.items.iter().map(move |i| (c, i)))
    }

    /// Finds an item by code.
    pub fn item(&self, code: &str) -> Option<(&Category, &Item)> {
        self.items().find(|(_, i)| i.code == code)
    }

    /// Whether answers to item `code` concern named people: it belongs to one of the
    /// [`PERSONAL_DATA_CATEGORIES`], whose details the server restricts by role and
    /// whose photos a device keeps sealed at rest. Decided by the category, which a
    /// template cannot choose freely ([`CATEGORIES`]), rather than by a per-item flag a
    /// template (or a stored copy from before the flag) could leave off.
    pub fn is_personal(&self, code: &str) -> bool {
        self.item(code)
            .is_some_and(|(category, _)| PERSONAL_DATA_CATEGORIES.contains(&category.code.as_str()))
    }

    /// The built-in templates, parsed. A broken built-in template is a build defect,
    /// caught by this crate's tests, so the error is still returned rather than panicking.
    pub fn builtin() -> Result<Vec<Template>, TemplateError> {
        BUILTIN_TEMPLATES
            .iter()
            .map(|(source, json)| Template::from_json(source, json))
            .collect()
    }

    /// The built-in templates, parsed once per process: every store open makes sure they
    /// are present.
    pub fn builtin_cached() -> Result<&'static [Template], TemplateError> {
        static BUILTIN: std::sync::OnceLock<Result<Vec<Template>, TemplateError>> =
            std::sync::OnceLock::new();
        BUILTIN
            .get_or_init(Template::builtin)
            .as_deref()
            .map_err(Clone::clone)
    }
}

impl Item {
    /// Whether this item applies to a site of the given kind.
    pub fn applies_to_kind(&self, kind: &str) -> bool {
        self.applies_to.iter().any(|k| k == kind)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn builtin_json() -> serde_json::Value {
        serde_json::from_str(BUILTIN_TEMPLATES[0].1).unwrap()
    }

    fn reject(json: serde_json::Value) -> TemplateError {
        Template::from_json("broken.json", &json.to_string()).unwrap_err()
    }

    #[test]
    fn builtin_template_has_nine_categories_and_twenty_nine_items() {
        let templates = Template::builtin().unwrap();
        let t = &templates[0];
        assert_eq!(t.id, "safe-community");
        assert_eq!(t.categories.len(), 9);
        let counts: Vec<usize> = t.categories.iter().map(|c| c.items.len()).collect();
        assert_eq!(counts, vec![6, 4, 2, 3, 4, 4, 2, 2, 2]);
        assert_eq!(t.items().count(), 29);
        let codes: Vec<&str> = t.categories.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes, CATEGORIES);
        let template = &Template::builtin().unwrap()[0];
        assert!(template.is_personal("key-groups-01"));
        assert!(template.is_personal("disputes-03"));
        assert!(!template.is_personal("fire-01"));
        assert!(!template.is_personal("no-such-item"));
    }

    #[test]
    fn every_site_kind_has_applicable_items() {
        let t = &Template::builtin().unwrap()[0];
        for kind in SITE_KINDS {
            assert!(
                t.items().any(|(_, i)| i.applies_to_kind(kind)),
                "{kind} has no items"
            );
        }
    }

    #[test]
    fn duplicate_item_code_is_rejected_naming_the_item() {
        let mut j = builtin_json();
        j["categories"][1]["items"][0]["code"] = "fire-02".into();
        let e = reject(j);
        assert_eq!(e.file, "broken.json");
        assert_eq!(e.item.as_deref(), Some("fire-02"));
        assert!(e.reason.contains("not unique"), "{e}");
    }

    #[test]
    fn unknown_category_is_rejected() {
        let mut j = builtin_json();
        j["categories"][8]["code"] = "weather".into();
        let e = reject(j);
        assert_eq!(e.item.as_deref(), Some("weather"));
        assert!(e.reason.contains("unknown category"));
    }

    #[test]
    fn missing_language_is_rejected() {
        let mut j = builtin_json();
        j["categories"][0]["items"][3]["title_en"] = "  ".into();
        let e = reject(j);
        assert_eq!(e.item.as_deref(), Some("fire-04"));
        assert!(e.reason.contains("English"));
        let mut j = builtin_json();
        j["categories"][0]["items"][3]
            .as_object_mut()
            .unwrap()
            .remove("title_zh");
        let e = reject(j);
        assert!(e.reason.contains("title_zh"), "{e}");
    }

    #[test]
    fn bad_applicability_is_rejected() {
        let mut j = builtin_json();
        j["categories"][2]["items"][0]["applies_to"] = serde_json::json!([]);
        assert!(reject(j).reason.contains("no site kind"));
        let mut j = builtin_json();
        j["categories"][2]["items"][1]["applies_to"] = serde_json::json!(["spaceport"]);
        let e = reject(j);
        assert_eq!(e.item.as_deref(), Some("public-order-02"));
        assert!(e.reason.contains("spaceport"));
    }

    #[test]
    fn unknown_department_and_severity_are_rejected() {
        let mut j = builtin_json();
        j["categories"][0]["items"][0]["department"] = "nobody".into();
        assert!(reject(j).reason.contains("unknown department"));
        let mut j = builtin_json();
        j["categories"][0]["items"][0]["severity"] = "apocalyptic".into();
        assert!(reject(j).reason.contains("apocalyptic"));
    }

    #[test]
    fn not_json_and_missing_file_are_reported_with_the_file() {
        let e = Template::from_json("x.json", "{ not json").unwrap_err();
        assert_eq!(e.file, "x.json");
        let e = Template::load(Path::new("/nonexistent/t.json")).unwrap_err();
        assert!(e.reason.contains("cannot read"));
        assert!(e.to_string().contains("/nonexistent/t.json"));
    }
}
