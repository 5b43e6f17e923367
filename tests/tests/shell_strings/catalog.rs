//! One language's strings, read from either shell's resource files, and the checks
//! that hold for both: each key in every language, the same placeholders everywhere,
//! counts with the plural forms their language needs, Chinese that is Chinese.

use std::collections::BTreeMap;

use crate::format::{self, Placeholder};
use crate::prose;

/// A string or a plural (one text per quantity: `one`, `other`…).
#[derive(Debug, Clone)]
pub struct Entry {
    /// `(quantity, text)`; a plain string has one form with an empty quantity.
    pub forms: Vec<(String, String)>,
    pub plural: bool,
    /// Where it is defined, for messages.
    pub origin: String,
}

/// The language a catalog is written in, for the checks that depend on it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Language {
    SimplifiedChinese,
    English,
}

/// One language's strings by key.
#[derive(Debug)]
pub struct Catalog {
    pub name: String,
    pub language: Language,
    pub entries: BTreeMap<String, Entry>,
}

impl Catalog {
    /// The placeholders of `key`: those of its `other` form for a plural (after
    /// [`check_entries`] made sure every form agrees).
    pub fn placeholders(&self, key: &str) -> Option<Vec<Placeholder>> {
        let entry = self.entries.get(key)?;
        let text = entry
            .forms
            .iter()
            .find(|(q, _)| q.is_empty() || q == "other")
            .or(entry.forms.first())?;
        format::placeholders(&text.1).ok()
    }
}

/// Problems of each entry on its own.
pub fn check_entries(catalog: &Catalog, problems: &mut Vec<String>) {
    for (key, entry) in &catalog.entries {
        let at = format!("{} `{key}` ({})", catalog.name, entry.origin);
        let mut signatures = Vec::new();
        for (quantity, text) in &entry.forms {
            match format::placeholders(text) {
                Ok(found) => {
                    if let Some(p) = format::problems(&found) {
                        problems.push(format!("{at}: {p}: {text:?}"));
                    }
                    signatures.push(format::signature(&found));
                }
                Err(e) => problems.push(format!("{at}: {e}")),
            }
            if catalog.language == Language::SimplifiedChinese
                && !text.chars().any(prose::is_cjk)
                && prose::is_prose(text)
            {
                let form = if quantity.is_empty() {
                    String::new()
                } else {
                    format!(" [{quantity}]")
                };
                problems.push(format!("{at}{form}: not translated into Chinese: {text:?}"));
            }
        }
        if signatures.windows(2).any(|w| w[0] != w[1]) {
            problems.push(format!(
                "{at}: its plural forms take different placeholders"
            ));
        }
        if entry.plural {
            let quantities: Vec<&str> = entry.forms.iter().map(|(q, _)| q.as_str()).collect();
            if !quantities.contains(&"other") {
                problems.push(format!("{at}: a plural needs an `other` form"));
            }
            if catalog.language == Language::English && !quantities.contains(&"one") {
                problems.push(format!("{at}: an English plural needs a `one` form"));
            }
        }
    }
}

/// Problems between the languages: keys missing from one, plain against plural,
/// placeholders that differ.
pub fn compare(catalogs: &[Catalog], problems: &mut Vec<String>) {
    let Some((first, rest)) = catalogs.split_first() else {
        return;
    };
    for other in rest {
        for (a, b) in [(first, other), (other, first)] {
            for key in a.entries.keys().filter(|k| !b.entries.contains_key(*k)) {
                problems.push(format!(
                    "`{key}` is in {} but missing from {}",
                    a.name, b.name
                ));
            }
        }
        for (key, entry) in &first.entries {
            let Some(theirs) = other.entries.get(key) else {
                continue;
            };
            if entry.plural != theirs.plural {
                problems.push(format!(
                    "`{key}` is a plural in one of {} and {} only",
                    first.name, other.name
                ));
            }
            let (mine, yours) = (first.placeholders(key), other.placeholders(key));
            if let (Some(mine), Some(yours)) = (mine, yours)
                && format::signature(&mine) != format::signature(&yours)
            {
                problems.push(format!(
                    "`{key}` takes different placeholders in {} {:?} and {} {:?}",
                    first.name,
                    format::signature(&mine),
                    other.name,
                    format::signature(&yours)
                ));
            }
        }
    }
}
