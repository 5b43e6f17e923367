//! Every crate's modules form layers: a module may use the modules below it, never one
//! above it, so no two modules import each other in a circle (issue 9). This test reads
//! every file under a crate's `src/`, maps it to its module, collects each `crate::…`
//! path it names (in `use` lines and in paths, `super::` paths that climb to the crate
//! root included; comments, string literals and `#[cfg(test)]` items left out) and checks
//! that each points to its own module or one listed lower in the crate's layers.
//!
//! In the device crate, `photo::error` is a layer of its own at the bottom: the core's
//! error type wraps the photo pipeline's error, so that error depends on nothing else of
//! the crate, and the rest of the photo pipeline (which writes through the store) sits
//! above `store`.

use std::path::{Path, PathBuf};

/// The device crate's layers, bottom first. A file belongs to the longest entry its
/// module path starts with; every file must belong to one.
const CORE: &[&str] = &[
    // The model's modules, re-exported by lib.rs: not this crate's code, usable anywhere.
    "checklist",
    "protocol",
    "model",
    // This crate, bottom up.
    "photo::error",
    "error",
    "signer",
    "store",
    "photo",
    "evidence",
    "device",
    "profile",
    "reference",
    "outbox",
    "hazard",
    "inspection",
    "sync",
];

/// The model's layers, bottom first (the hazard module has layers of its own).
const MODEL: &[&str] = &[
    "time",
    "checklist",
    "error",
    "evidence",
    "profile",
    "org",
    "inspection",
    "hazard::hlc",
    "hazard::event",
    "hazard::refusal",
    "hazard::state",
    "hazard::rules",
    "hazard::fold",
    "hazard::deadline",
    "hazard::skew",
    "hazard::report",
    "hazard",
    "provenance",
    "photo_record",
    "signing",
    "protocol",
    "bundle",
    "compact",
    "wire",
];

/// The sync server's layers, bottom first.
const SERVER: &[&str] = &[
    "config", "storage", "migrate", "proofs", "export", "kinds", "report", "error", "state",
    "auth", "scope", "api", "admin", "console", "server",
];

/// A `crate::` path that points upwards.
#[derive(Debug, PartialEq)]
struct Violation {
    line: usize,
    from: &'static str,
    to: &'static str,
    text: String,
}

#[test]
fn every_module_of_the_device_crate_uses_only_modules_below_it() {
    check_crate("core", CORE);
}

#[test]
fn every_module_of_the_model_uses_only_modules_below_it() {
    check_crate("model", MODEL);
}

#[test]
fn every_module_of_the_server_uses_only_modules_below_it() {
    check_crate("sync-server", SERVER);
}

/// Checks every file of the crate in folder `krate` against `layers`.
fn check_crate(krate: &str, layers: &'static [&'static str]) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 5,
        "found only {} files under {src:?}",
        files.len()
    );
    let mut report = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let Some(module) = module_of(relative) else {
            continue; // lib.rs, main.rs: the crate roots declare the modules.
        };
        let source = std::fs::read_to_string(file).unwrap();
        match violations(layers, &module, &source) {
            Ok(found) => {
                for v in found {
                    report.push(format!(
                        "{krate}/src/{}:{}: `{}` uses `{}`, which is not below it: {}",
                        relative.display(),
                        v.line,
                        v.from,
                        v.to,
                        v.text.trim()
                    ));
                }
            }
            Err(e) => report.push(format!("{krate}/src/{}: {e}", relative.display())),
        }
    }
    assert!(
        report.is_empty(),
        "module layering of {krate} broken (layers, bottom first: {layers:?}):\n{}",
        report.join("\n")
    );
}

#[test]
fn the_check_catches_an_upward_path_and_ignores_tests_comments_and_strings() {
    let source = r#"
        use crate::error::Result;
        use crate::store::{Store, settings};
        // crate::sync is mentioned in a comment only
        /// and in docs: [`crate::inspection::Inspection`]
        const TEXT: &str = "crate::hazard::Event";
        fn up() { crate::sync::sync_now(); }
        use crate::{error::CoreError, hazard::{Event, store::record_local}};
        #[cfg(test)]
        #[allow(clippy::unwrap_used)]
        mod tests {
            use crate::sync::SyncOptions;
            fn f() { let s = "}"; let c = '}'; }
        }
        fn after_tests() -> crate::inspection::Inspection { todo!() }
    "#;
    let found = violations(CORE, &["reference".to_string()], source).unwrap();
    let to: Vec<(&str, usize)> = found.iter().map(|v| (v.to, v.line)).collect();
    assert_eq!(
        to,
        vec![
            ("sync", 7),
            ("hazard", 8),
            ("hazard", 8),
            ("inspection", 15)
        ]
    );
    assert!(found.iter().all(|v| v.from == "reference"));

    // `super::` that climbs out of a top-level module is a crate path too.
    let found = violations(CORE, &["store".to_string()], "use super::sync::X;\n").unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].to, "sync");
    // ... but inside a module folder it stays in the module.
    let found = violations(
        CORE,
        &["hazard".into(), "store".into()],
        "use super::clock;\n",
    )
    .unwrap();
    assert!(found.is_empty());

    // The photo pipeline's error stays below `error`; the rest of the pipeline does not.
    let error = violations(
        CORE,
        &["error".into()],
        "use crate::photo::error::PhotoError;",
    )
    .unwrap();
    assert!(error.is_empty(), "{error:?}");
    let error = violations(CORE, &["error".into()], "use crate::photo::PhotoError;").unwrap();
    assert_eq!(error.len(), 1);
    assert!(violations(CORE, &["nowhere".into()], "").is_err());
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file relative to `src/` (`photo/error.rs` → `photo::error`,
/// `store/mod.rs` → `store`); `None` for the crate root.
fn module_of(relative: &Path) -> Option<Vec<String>> {
    let mut segments: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if segments.last().is_some_and(|s| s == "mod") {
        segments.pop();
    }
    if segments == ["lib"] || segments == ["main"] || segments.is_empty() {
        return None;
    }
    Some(segments)
}

/// The layer (index into `layers`) of a module path: its longest listed prefix.
fn layer_of(layers: &[&str], path: &[String]) -> Option<usize> {
    layers
        .iter()
        .enumerate()
        .filter(|(_, layer)| {
            let layer: Vec<&str> = layer.split("::").collect();
            layer.len() <= path.len() && layer.iter().zip(path).all(|(a, b)| a == b)
        })
        .max_by_key(|(_, layer)| layer.split("::").count())
        .map(|(i, _)| i)
}

/// The upward `crate::` paths in `source`, a file of module `module`.
fn violations(
    layers: &'static [&'static str],
    module: &[String],
    source: &str,
) -> Result<Vec<Violation>, String> {
    let from = layer_of(layers, module).ok_or_else(|| {
        format!(
            "module `{}` is in no layer; add it to its crate's layers in tests/tests/module_layers.rs",
            module.join("::")
        )
    })?;
    let code = without_test_items(&blank_comments_and_literals(source));
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let Some((start, rest)) = next_path_start(&code, at, module) else {
            break;
        };
        let (paths, end) = parse_tree(&code, rest, Vec::new());
        for path in paths {
            let to = layer_of(layers, &path).ok_or_else(|| {
                format!(
                    "line {}: `crate::{}` names no module in the layers",
                    line_of(&code, start),
                    path.join("::")
                )
            })?;
            if to > from {
                let line = line_of(&code, start);
                found.push(Violation {
                    line,
                    from: layers[from],
                    to: layers[to],
                    text: source.lines().nth(line - 1).unwrap_or_default().to_string(),
                });
            }
        }
        at = end.max(start + 1);
    }
    Ok(found)
}

fn line_of(code: &str, at: usize) -> usize {
    code[..at].bytes().filter(|&b| b == b'\n').count() + 1
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The next path that starts at the crate root from `at`: `crate::…`, or `super::…`
/// climbing above the file's top-level module. Returns where it starts and where its
/// first segment after the root begins.
fn next_path_start(code: &str, at: usize, module: &[String]) -> Option<(usize, usize)> {
    let bytes = code.as_bytes();
    let mut i = at;
    while i < bytes.len() {
        let boundary =
            i == 0 || !(is_ident(bytes[i - 1]) || bytes[i - 1] == b'$' || bytes[i - 1] == b':');
        if boundary && code[i..].starts_with("crate::") {
            return Some((i, i + "crate::".len()));
        }
        if boundary && code[i..].starts_with("super::") {
            let mut j = i;
            let mut climbs = 0;
            while code[j..].starts_with("super::") {
                climbs += 1;
                j += "super::".len();
            }
            // A module folder's `mod.rs` is its module; a file's `super` is its parent.
            if climbs >= module.len() {
                return Some((i, j));
            }
            i = j;
            continue;
        }
        i += 1;
    }
    None
}

/// Parses a path or use tree starting at `at` (after `crate::`), returning every full
/// path it names and where it ends: `a::b::{c, d::{e}}` gives `a::b::c` and `a::b::d::e`.
fn parse_tree(code: &str, at: usize, prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    let bytes = code.as_bytes();
    let mut i = skip_space(bytes, at);
    let mut path = prefix;
    loop {
        if i < bytes.len() && bytes[i] == b'{' {
            let mut paths = Vec::new();
            i += 1;
            loop {
                i = skip_space(bytes, i);
                if i >= bytes.len() {
                    return (paths, i);
                }
                if bytes[i] == b'}' {
                    return (paths, i + 1);
                }
                if bytes[i] == b',' {
                    i += 1;
                    continue;
                }
                let (sub, end) = parse_tree(code, i, path.clone());
                paths.extend(sub);
                i = end;
                // Skip `as name` and anything else up to the next entry.
                while i < bytes.len() && bytes[i] != b',' && bytes[i] != b'}' {
                    i += 1;
                }
            }
        }
        let start = i;
        while i < bytes.len() && is_ident(bytes[i]) {
            i += 1;
        }
        if start == i {
            // `*` or nothing: the path so far.
            return (vec![path], i);
        }
        path.push(code[start..i].to_string());
        let next = skip_space(bytes, i);
        if code[next..].starts_with("::") {
            i = skip_space(bytes, next + 2);
        } else {
            return (vec![path], i);
        }
    }
}

fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// `source` with comments, string literals and character literals replaced by spaces
/// (newlines kept, so line numbers stay right).
fn blank_comments_and_literals(source: &str) -> String {
    let bytes = source.as_bytes();
    let mut out = bytes.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for b in &mut out[from..to.min(bytes.len())] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        let rest = &source[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').map_or(bytes.len(), |n| i + n);
            blank(&mut out, i, end);
            i = end;
        } else if rest.starts_with("/*") {
            // Block comments nest in Rust.
            let mut depth = 0;
            let mut j = i;
            while j < bytes.len() {
                if source[j..].starts_with("/*") {
                    depth += 1;
                    j += 2;
                } else if source[j..].starts_with("*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if let Some(hashes) =
            raw_string_hashes(rest).filter(|_| i == 0 || !is_ident(bytes[i - 1]))
        {
            let open = 1 + hashes + 1 + usize::from(rest.starts_with("br"));
            let close = format!("\"{}", "#".repeat(hashes));
            let end = source[i + open..]
                .find(&close)
                .map_or(bytes.len(), |n| i + open + n + close.len());
            blank(&mut out, i, end);
            i = end;
        } else if bytes[i] == b'"' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            blank(&mut out, i, j + 1);
            i = j + 1;
        } else if bytes[i] == b'\'' {
            // A character literal ('x', '\n', '\u{..}') or a lifetime ('a): only the
            // literal has a closing quote right after its one character or escape.
            let literal_end = if bytes.get(i + 1) == Some(&b'\\') {
                source[i + 2..].find('\'').map(|n| i + 2 + n + 1)
            } else {
                source[i + 1..]
                    .chars()
                    .next()
                    .map(|c| i + 1 + c.len_utf8())
                    .filter(|&j| bytes.get(j) == Some(&b'\''))
                    .map(|j| j + 1)
            };
            match literal_end {
                Some(end) => {
                    blank(&mut out, i, end);
                    i = end;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The number of `#` of a raw string literal starting `source` (`r"`, `r#"`, `br"`).
fn raw_string_hashes(source: &str) -> Option<usize> {
    let rest = source
        .strip_prefix("br")
        .or_else(|| source.strip_prefix('r'))?;
    let hashes = rest.bytes().take_while(|&b| b == b'#').count();
    (rest.as_bytes().get(hashes) == Some(&b'"')).then_some(hashes)
}

/// `code` (already without comments and literals) with every `#[cfg(test)]` item
/// blanked: the attribute, any attributes after it, and the item up to its closing
/// brace (or semicolon).
fn without_test_items(code: &str) -> String {
    let bytes = code.as_bytes();
    let mut out = bytes.to_vec();
    let mut search = 0;
    while let Some(found) = code[search..].find("#[cfg(test)]") {
        let start = search + found;
        let mut i = start + "#[cfg(test)]".len();
        // Further attributes on the same item.
        loop {
            i = skip_space(bytes, i);
            if code[i..].starts_with("#[") {
                let mut depth = 0;
                while i < bytes.len() {
                    match bytes[i] {
                        b'[' => depth += 1,
                        b']' => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            } else {
                break;
            }
        }
        let mut depth = 0;
        let mut end = bytes.len();
        while i < bytes.len() {
            match bytes[i] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                b';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        for b in &mut out[start..end] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        search = end;
    }
    String::from_utf8(out).unwrap()
}
