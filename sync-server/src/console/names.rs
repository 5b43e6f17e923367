//! Names of units, categories and departments in the page's language, looked up once
//! per page; an id with no name shows as itself.

use std::collections::HashMap;

use chrono::{FixedOffset, TimeZone};
use gridwalk_model::org::OrgUnit;

use super::i18n::Lang;
use crate::kinds::templates;

/// China Standard Time, in which the console shows times (the campaign's zone).
const CHINA: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(zone) => zone,
    None => panic!("UTC+8 is a valid offset"),
};

/// A time in ms since the Unix epoch as `2026-11-30 16:05` (UTC+8).
pub fn show_time(ms: i64) -> String {
    CHINA.timestamp_millis_opt(ms).single().map_or_else(
        || ms.to_string(),
        |t| t.format("%Y-%m-%d %H:%M").to_string(),
    )
}

/// A date in ms since the Unix epoch as `2026-11-30` (UTC+8).
pub fn show_date(ms: i64) -> String {
    CHINA
        .timestamp_millis_opt(ms)
        .single()
        .map_or_else(|| ms.to_string(), |t| t.format("%Y-%m-%d").to_string())
}

/// Names for one page.
#[derive(Debug)]
pub struct Names {
    lang: Lang,
    units: HashMap<String, String>,
    categories: HashMap<String, (String, String)>,
    departments: HashMap<String, (String, String)>,
}

impl Names {
    /// Names of `units` and of every template's categories and departments.
    pub fn new(lang: Lang, units: &[OrgUnit]) -> Names {
        let mut categories = HashMap::new();
        let mut departments = HashMap::new();
        for template in templates() {
            for c in &template.categories {
                categories
                    .entry(c.code.clone())
                    .or_insert_with(|| (c.title_zh.clone(), c.title_en.clone()));
            }
            for d in &template.departments {
                departments
                    .entry(d.code.clone())
                    .or_insert_with(|| (d.name_zh.clone(), d.name_en.clone()));
            }
        }
        Names {
            lang,
            units: units
                .iter()
                .map(|u| (u.id.clone(), u.name.clone()))
                .collect(),
            categories,
            departments,
        }
    }

    fn pick(&self, pair: Option<&(String, String)>, code: &str) -> String {
        match (pair, self.lang) {
            (Some((zh, _)), Lang::Zh) => zh.clone(),
            (Some((_, en)), Lang::En) => en.clone(),
            (None, _) => code.to_string(),
        }
    }

    /// A unit's name.
    pub fn unit(&self, id: &str) -> String {
        self.units
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// A category's title.
    pub fn category(&self, code: &str) -> String {
        self.pick(self.categories.get(code), code)
    }

    /// A department's name.
    pub fn department(&self, code: &str) -> String {
        self.pick(self.departments.get(code), code)
    }

    /// Every department, (code, name), in code order.
    pub fn all_departments(&self) -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = self
            .departments
            .keys()
            .map(|code| (code.clone(), self.department(code)))
            .collect();
        all.sort();
        all
    }
}
