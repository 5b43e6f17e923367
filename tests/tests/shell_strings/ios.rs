//! The iOS shell: `*.lproj/Localizable.strings` (+ `.stringsdict` for counts),
//! `InfoPlist.strings`, and the Swift that uses them through `localized("key", …)`.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{Catalog, Entry, Language};
use crate::lexer::{self, Lang, Lexed};
use crate::{prose, xml};

/// Reads a `.strings` file: `"key" = "value";` lines and comments, nothing else.
pub fn read_strings(
    name: &str,
    source: &str,
    problems: &mut Vec<String>,
) -> BTreeMap<String, String> {
    let mut pairs = BTreeMap::new();
    let lexed = match lexer::lex(source, Lang::Swift) {
        Ok(l) => l,
        Err(e) => {
            problems.push(format!("{name}: {e}"));
            return pairs;
        }
    };
    // What is left of the code once literals are blanked must be `"" = "";` repeated.
    let code: String = String::from_utf8_lossy(&lexed.code)
        .split_whitespace()
        .collect();
    let statements = lexed.literals.len() / 2;
    if lexed.literals.len() % 2 != 0 || code != "\"\"=\"\";".repeat(statements) {
        problems.push(format!("{name}: not a list of \"key\" = \"value\"; lines"));
        return pairs;
    }
    for pair in lexed.literals.chunks(2) {
        let (key, value) = (&pair[0], &pair[1]);
        if key.text.contains(lexer::HOLE) || value.text.contains(lexer::HOLE) {
            problems.push(format!(
                "{name}:{}: `\\(` has no meaning in a .strings file",
                lexed.line(key.start)
            ));
        }
        match unescape(&value.text) {
            Ok(text) => {
                if pairs.insert(key.text.clone(), text).is_some() {
                    problems.push(format!("{name}: `{}` is defined twice", key.text));
                }
            }
            Err(e) => problems.push(format!("{name} `{}`: {e}", key.text)),
        }
    }
    pairs
}

fn unescape(text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(e @ ('"' | '\\')) => out.push(e),
            other => {
                return Err(format!(
                    "unknown escape \\{}",
                    other.map(String::from).unwrap_or_default()
                ));
            }
        }
    }
    Ok(out)
}

/// Reads a `.stringsdict`: each key a plural of one variable (`%#@count@`), whose
/// forms become the entry's forms.
fn read_stringsdict(
    name: &str,
    source: &str,
    problems: &mut Vec<String>,
) -> BTreeMap<String, Entry> {
    let mut entries = BTreeMap::new();
    let root = match xml::parse(source).and_then(|plist| plist_value(&plist)) {
        Ok(v) => v,
        Err(e) => {
            problems.push(format!("{name}: {e}"));
            return entries;
        }
    };
    let Plist::Dict(keys) = root else {
        problems.push(format!("{name}: the plist does not hold a dictionary"));
        return entries;
    };
    for (key, value) in keys {
        match plural(&value) {
            Ok(forms) => {
                entries.insert(
                    key,
                    Entry {
                        forms,
                        plural: true,
                        origin: name.into(),
                    },
                );
            }
            Err(e) => problems.push(format!("{name} `{key}`: {e}")),
        }
    }
    entries
}

/// The forms of one stringsdict plural, with the variable's `%lld` as `%1$lld`'s equal.
fn plural(value: &Plist) -> Result<Vec<(String, String)>, String> {
    let Plist::Dict(fields) = value else {
        return Err("not a dictionary".into());
    };
    let get = |k: &str| fields.iter().find(|(name, _)| name == k).map(|(_, v)| v);
    let Some(Plist::String(format)) = get("NSStringLocalizedFormatKey") else {
        return Err("no NSStringLocalizedFormatKey".into());
    };
    let variables: Vec<&str> = format
        .split("%#@")
        .skip(1)
        .filter_map(|v| v.split('@').next())
        .collect();
    let [variable] = variables.as_slice() else {
        return Err(format!("{format:?} must name exactly one variable"));
    };
    let Some(Plist::Dict(spec)) = get(variable) else {
        return Err(format!("no dictionary for `{variable}`"));
    };
    let mut forms = Vec::new();
    let mut rule = None;
    for (name, v) in spec {
        let Plist::String(text) = v else {
            return Err(format!("`{name}` is not a string"));
        };
        match name.as_str() {
            "NSStringFormatSpecTypeKey" => rule = Some(text.clone()),
            "NSStringFormatValueTypeKey" => {}
            "zero" | "one" | "two" | "few" | "many" | "other" => {
                // The text around the variable, with the variable's form in its place.
                forms.push((
                    name.clone(),
                    format.replace(&format!("%#@{variable}@"), text),
                ));
            }
            other => return Err(format!("unknown key `{other}`")),
        }
    }
    if rule.as_deref() != Some("NSStringPluralRuleType") {
        return Err("NSStringFormatSpecTypeKey must be NSStringPluralRuleType".into());
    }
    Ok(forms)
}

/// A property list value, as far as string files use them.
enum Plist {
    Dict(Vec<(String, Plist)>),
    String(String),
}

fn plist_value(element: &xml::Element) -> Result<Plist, String> {
    match element.name.as_str() {
        "plist" => {
            let mut inner = element.elements();
            match (inner.next(), inner.next()) {
                (Some(only), None) => plist_value(only),
                _ => Err("<plist> must hold one value".into()),
            }
        }
        "string" => Ok(Plist::String(element.text()?)),
        "dict" => {
            let children: Vec<&xml::Element> = element.elements().collect();
            if !children.len().is_multiple_of(2) {
                return Err("<dict> with a key and no value".into());
            }
            children
                .chunks(2)
                .map(|pair| {
                    if pair[0].name != "key" {
                        return Err(format!("<{}> where a <key> belongs", pair[0].name));
                    }
                    Ok((pair[0].text()?, plist_value(pair[1])?))
                })
                .collect::<Result<_, _>>()
                .map(Plist::Dict)
        }
        other => Err(format!("<{other}> is not read here")),
    }
}

/// One `.lproj` folder's files.
pub struct Lproj {
    pub name: String,
    pub language: Language,
    pub strings: String,
    pub stringsdict: Option<String>,
    pub info_plist_strings: Option<String>,
}

/// Each folder's `InfoPlist.strings`: (folder, key → text).
pub type InfoPlistStrings = Vec<(String, BTreeMap<String, String>)>;

/// The catalogs of `Localizable` in each folder, plus each folder's `InfoPlist.strings`.
pub fn read_lproj(
    folders: &[Lproj],
    problems: &mut Vec<String>,
) -> (Vec<Catalog>, InfoPlistStrings) {
    let mut catalogs = Vec::new();
    let mut info = Vec::new();
    for folder in folders {
        let strings_name = format!("{}/Localizable.strings", folder.name);
        let mut entries: BTreeMap<String, Entry> =
            read_strings(&strings_name, &folder.strings, problems)
                .into_iter()
                .map(|(k, v)| {
                    (
                        k,
                        Entry {
                            forms: vec![(String::new(), v)],
                            plural: false,
                            origin: strings_name.clone(),
                        },
                    )
                })
                .collect();
        if let Some(dict) = &folder.stringsdict {
            let dict_name = format!("{}/Localizable.stringsdict", folder.name);
            for (key, entry) in read_stringsdict(&dict_name, dict, problems) {
                if entries.insert(key.clone(), entry).is_some() {
                    problems.push(format!(
                        "{}: `{key}` is in both Localizable.strings and .stringsdict",
                        folder.name
                    ));
                }
            }
        }
        catalogs.push(Catalog {
            name: folder.name.clone(),
            language: folder.language,
            entries,
        });
        let info_name = format!("{}/InfoPlist.strings", folder.name);
        let pairs = folder
            .info_plist_strings
            .as_deref()
            .map(|s| read_strings(&info_name, s, problems))
            .unwrap_or_default();
        info.push((folder.name.clone(), pairs));
    }
    (catalogs, info)
}

/// `Info.plist`'s texts iOS shows the user (permission prompts) are translated in every
/// folder's `InfoPlist.strings`, and those files name only keys of `Info.plist`.
pub fn check_info_plist(
    info_plist: &str,
    info: &[(String, BTreeMap<String, String>)],
    problems: &mut Vec<String>,
) {
    let keys: BTreeSet<String> = info_plist
        .split("<key>")
        .skip(1)
        .filter_map(|k| k.split("</key>").next())
        .map(String::from)
        .collect();
    let shown: Vec<&String> = keys
        .iter()
        .filter(|k| k.starts_with("NS") && k.ends_with("UsageDescription"))
        .collect();
    for (folder, pairs) in info {
        for key in &shown {
            if !pairs.contains_key(*key) {
                problems.push(format!(
                    "{folder}/InfoPlist.strings: {key} (shown by iOS) is not translated"
                ));
            }
        }
        for key in pairs.keys().filter(|k| !keys.contains(*k)) {
            problems.push(format!(
                "{folder}/InfoPlist.strings: {key} is not a key of Info.plist"
            ));
        }
    }
}

/// SwiftUI initialisers and modifiers that treat a string literal as a key to look up
/// (`LocalizedStringKey`); a literal there must be a key of the catalogs.
const SWIFTUI_KEYED: &[&str] = &[
    "Text",
    "Button",
    "Label",
    "Toggle",
    "Picker",
    "TextField",
    "Section",
    "NavigationLink",
    "ProgressView",
    "LabeledContent",
    "navigationTitle",
];

/// Calls whose text is never shown: a `fatalError` is a crash report for developers, and
/// `NSLocalizedString`'s literals are a key (checked as one) and a note for translators.
const DEVELOPER_SINKS: &[&str] = &[
    "fatalError",
    "precondition",
    "preconditionFailure",
    "assert",
    "assertionFailure",
    "NSLocalizedString",
];

/// Checks the Swift sources against the catalogs (the first is the development
/// language): every key `localized("…", args)` (or `NSLocalizedString`, or a literal in
/// a SwiftUI text view) names exists, takes as many arguments as it has placeholders,
/// every key is used, and no prose is written in the code.
pub fn check_sources(
    sources: &[(String, String)],
    catalogs: &[Catalog],
    problems: &mut Vec<String>,
) {
    let Some(default) = catalogs.first() else {
        return;
    };
    let mut used = BTreeSet::new();
    for (path, source) in sources {
        let lexed = match lexer::lex(source, Lang::Swift) {
            Ok(l) => l,
            Err(e) => {
                problems.push(format!("{path}: {e}"));
                continue;
            }
        };
        check_keys(path, &lexed, default, &mut used, problems);
        check_prose(path, &lexed, problems);
        crate::check_template_titles(path, &lexed, "inAppLanguage", problems);
    }
    for key in default.entries.keys().filter(|k| !used.contains(*k)) {
        problems.push(format!(
            "{}: `{key}` is used nowhere in the code",
            default.name
        ));
    }
}

fn literals_in(lexed: &Lexed, span: (usize, usize)) -> impl Iterator<Item = &lexer::Literal> {
    lexed
        .literals
        .iter()
        .filter(move |l| (span.0..span.1).contains(&l.start))
}

fn check_keys(
    path: &str,
    lexed: &Lexed,
    catalog: &Catalog,
    used: &mut BTreeSet<String>,
    problems: &mut Vec<String>,
) {
    let mut uses: Vec<(usize, String, usize)> = Vec::new();
    for call in lexer::calls(lexed, "localized")
        .into_iter()
        .chain(lexer::calls(lexed, "NSLocalizedString"))
    {
        let Some(&first) = call.args.first() else {
            continue;
        };
        let keys: Vec<&lexer::Literal> = literals_in(lexed, first).collect();
        if keys.is_empty() {
            problems.push(format!(
                "{path}:{}: the key must be a string literal so it can be checked",
                lexed.line(call.at)
            ));
        }
        let is_ns =
            String::from_utf8_lossy(&lexed.code[call.at..]).starts_with("NSLocalizedString");
        // NSLocalizedString's other arguments are its comment, not format arguments.
        let args = if is_ns { 0 } else { call.args.len() - 1 };
        uses.extend(keys.into_iter().map(|k| (k.start, k.text.clone(), args)));
    }
    for name in SWIFTUI_KEYED {
        for call in lexer::calls(lexed, name) {
            let Some(&first) = call.args.first() else {
                continue;
            };
            // Only a bare literal is a key; `verbatim:` and expressions are not.
            let arg = String::from_utf8_lossy(&lexed.code[first.0..first.1])
                .trim()
                .to_string();
            if arg.starts_with('"')
                && arg.ends_with('"')
                && let Some(literal) = literals_in(lexed, first).next()
            {
                uses.push((literal.start, literal.text.clone(), 0));
            }
        }
    }
    for (at, key, args) in uses {
        let line = lexed.line(at);
        if key.contains(lexer::HOLE) {
            problems.push(format!(
                "{path}:{line}: an interpolated key {:?}: use localized(\"key\", value)",
                key.replace(lexer::HOLE, "…")
            ));
            continue;
        }
        used.insert(key.clone());
        if !catalog.entries.contains_key(&key) {
            problems.push(format!(
                "{path}:{line}: key `{key}` is not in {}",
                catalog.name
            ));
            continue;
        }
        let wanted = catalog.placeholders(&key).map_or(0, |p| p.len());
        if wanted != args {
            problems.push(format!(
                "{path}:{line}: `{key}` has {wanted} placeholder(s) but is given {args} argument(s)"
            ));
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
                "{path}:{}: hard-coded text {:?}: put it in Localizable.strings and use localized(\"key\")",
                lexed.line(literal.start),
                literal.text.replace(lexer::HOLE, "…")
            ));
        }
    }
}
