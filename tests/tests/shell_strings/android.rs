//! The Android shell: `res/values*/strings.xml` and the Kotlin that uses them.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{Catalog, Entry, Language};
use crate::lexer::{self, Lang, Lexed};
use crate::{prose, xml};

/// Reads one `strings.xml` into a catalog; markup this check does not read, and text
/// aapt would refuse or mangle, are problems.
pub fn read_strings(
    name: &str,
    language: Language,
    source: &str,
    problems: &mut Vec<String>,
) -> Catalog {
    let mut entries = BTreeMap::new();
    let root = match xml::parse(source) {
        Ok(root) => root,
        Err(e) => {
            problems.push(format!("{name}: {e}"));
            return Catalog {
                name: name.into(),
                language,
                entries,
            };
        }
    };
    if root.name != "resources" {
        problems.push(format!(
            "{name}: the root element is <{}>, not <resources>",
            root.name
        ));
    }
    for element in root.elements() {
        let Some(key) = element.attr("name") else {
            problems.push(format!("{name}: <{}> without a name", element.name));
            continue;
        };
        let origin = name.to_string();
        let entry = match element.name.as_str() {
            "string" => element.text().map(|t| Entry {
                forms: vec![(String::new(), t)],
                plural: false,
                origin,
            }),
            "plurals" => element
                .elements()
                .map(|item| {
                    let quantity = item.attr("quantity").unwrap_or_default().to_string();
                    item.text().map(|t| (quantity, t))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|forms| Entry {
                    forms,
                    plural: true,
                    origin,
                }),
            other => Err(format!(
                "<{other}> is not a string resource this check reads"
            )),
        };
        match entry {
            Ok(mut entry) => {
                for (_, text) in &mut entry.forms {
                    match android_text(text) {
                        Ok(t) => *text = t,
                        Err(e) => problems.push(format!("{name} `{key}`: {e}: {text:?}")),
                    }
                }
                if entries.insert(key.to_string(), entry).is_some() {
                    problems.push(format!("{name}: `{key}` is defined twice"));
                }
            }
            Err(e) => problems.push(format!("{name} `{key}`: {e}")),
        }
    }
    Catalog {
        name: name.into(),
        language,
        entries,
    }
}

/// The text Android shows for a resource's XML text. aapt fails on an unescaped `'` and
/// silently drops an unescaped `"`, so both must be written `\'` and `\"`.
fn android_text(raw: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(e @ ('\'' | '"' | '\\' | '@' | '?')) => out.push(e),
                other => {
                    return Err(format!(
                        "unknown escape \\{}",
                        other.map(String::from).unwrap_or_default()
                    ));
                }
            },
            '\'' => return Err("an apostrophe must be written \\' (aapt refuses it bare)".into()),
            '"' => return Err("a double quote must be written \\\" (aapt drops it bare)".into()),
            _ => out.push(c),
        }
    }
    // Android collapses runs of whitespace in resource text.
    Ok(out.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The calls that turn a resource id into text, and how many of their arguments come
/// before the format arguments (the id; for plurals the id and the count).
const LOOKUPS: &[(&str, usize, &str)] = &[
    ("stringResource", 1, "string"),
    ("getString", 1, "string"),
    ("pluralStringResource", 2, "plurals"),
    ("getQuantityString", 2, "plurals"),
];

/// Calls whose text is for developers, never shown: a failed `error()` is a crash report.
const DEVELOPER_SINKS: &[&str] = &[
    "error",
    "require",
    "check",
    "requireNotNull",
    "checkNotNull",
    "TODO",
];

/// Checks the Kotlin sources against the catalogs (the first is the default language):
/// every `R.string`/`R.plurals` used exists, is used with as many format arguments as
/// it has placeholders, every resource is used, and no prose is written in the code.
/// `manifest` is `AndroidManifest.xml`, whose `@string/` references count as uses.
pub fn check_sources(
    sources: &[(String, String)],
    manifest: &str,
    catalogs: &[Catalog],
    problems: &mut Vec<String>,
) {
    let Some(default) = catalogs.first() else {
        return;
    };
    let mut used: BTreeSet<String> = BTreeSet::new();
    for reference in manifest.split("@string/").skip(1) {
        let key: String = reference
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !default.entries.contains_key(&key) {
            problems.push(format!(
                "AndroidManifest.xml: @string/{key} is not a string resource"
            ));
        }
        used.insert(key);
    }
    for (path, source) in sources {
        let lexed = match lexer::lex(source, Lang::Kotlin) {
            Ok(l) => l,
            Err(e) => {
                problems.push(format!("{path}: {e}"));
                continue;
            }
        };
        check_references(path, &lexed, default, &mut used, problems);
        check_prose(path, &lexed, problems);
        crate::check_template_titles(path, &lexed, "localized", problems);
    }
    for key in default.entries.keys().filter(|k| !used.contains(*k)) {
        problems.push(format!(
            "{}: `{key}` is used nowhere in the code",
            default.name
        ));
    }
}

fn check_references(
    path: &str,
    lexed: &Lexed,
    catalog: &Catalog,
    used: &mut BTreeSet<String>,
    problems: &mut Vec<String>,
) {
    // Arguments each reference is formatted with, when it is the id of a lookup call.
    let mut formatted: BTreeMap<usize, usize> = BTreeMap::new();
    for (call, before_args, _) in LOOKUPS {
        for c in lexer::calls(lexed, call) {
            let Some(&first) = c.args.first() else {
                continue;
            };
            let args = c.args.len().saturating_sub(*before_args);
            for prefix in ["R.string.", "R.plurals."] {
                for (at, _) in lexer::references(lexed, prefix, first) {
                    formatted.insert(at, args);
                }
            }
        }
    }
    for (kind, prefix) in [("string", "R.string."), ("plurals", "R.plurals.")] {
        for (at, key) in lexer::references(lexed, prefix, (0, lexed.code.len())) {
            let line = lexed.line(at);
            if key.is_empty() {
                problems.push(format!("{path}:{line}: `{prefix}` names no resource"));
                continue;
            }
            used.insert(key.clone());
            let Some(entry) = catalog.entries.get(&key) else {
                problems.push(format!(
                    "{path}:{line}: {prefix}{key} is not in {}",
                    catalog.name
                ));
                continue;
            };
            if entry.plural != (kind == "plurals") {
                problems.push(format!(
                    "{path}:{line}: {prefix}{key} is a {} resource",
                    if entry.plural { "plurals" } else { "string" }
                ));
            }
            let wanted = catalog.placeholders(&key).map_or(0, |p| p.len());
            match formatted.get(&at) {
                Some(&given) if given != wanted => problems.push(format!(
                    "{path}:{line}: {prefix}{key} has {wanted} placeholder(s) but is formatted with {given} argument(s)"
                )),
                None if wanted > 0 => problems.push(format!(
                    "{path}:{line}: {prefix}{key} has {wanted} placeholder(s) but is not the id of a \
                     stringResource/getString call that fills them"
                )),
                _ => {}
            }
        }
    }
}

fn check_prose(path: &str, lexed: &Lexed, problems: &mut Vec<String>) {
    let sinks: Vec<(usize, usize)> = DEVELOPER_SINKS
        .iter()
        .flat_map(|s| lexer::calls(lexed, s))
        .filter_map(|c| Some((c.args.first()?.0, c.args.last()?.1)))
        .collect();
    for literal in &lexed.literals {
        if sinks.iter().any(|&(a, b)| (a..b).contains(&literal.start)) {
            continue;
        }
        if prose::is_prose(&literal.text) {
            problems.push(format!(
                "{path}:{}: hard-coded text {:?}: put it in res/values*/strings.xml",
                lexed.line(literal.start),
                literal.text.replace(lexer::HOLE, "…")
            ));
        }
    }
}
