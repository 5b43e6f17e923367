//! The phone shells speak Chinese first and English on request (issue 11): every text
//! a person sees in `android/` and `ios/` comes from the string resources, which hold
//! the same keys with the same placeholders in Simplified Chinese and English. This
//! test reads the resource files and the Kotlin and Swift sources (nothing here can
//! compile them) and fails when
//!
//! - a key is missing from one language, or is a plural in one and not the other;
//! - a text's placeholders differ between languages, are unreadable, or are several
//!   without positions (`%1$s`); a plural lacks a form its language needs;
//! - a "Chinese" text is English, or an Android text holds a bare `'` or `"`;
//! - code uses a key (`R.string.x`, `R.plurals.x`, `localized("x")`,
//!   `NSLocalizedString("x", …)`, `Text("x")`) the resources do not have, or formats it
//!   with a different number of arguments than it has placeholders;
//! - a resource is used nowhere (dead text goes stale untranslated);
//! - a string literal in the code reads as prose (`Text("Cancel")`, `"level ${x}"`),
//!   outside calls whose text is a developer's crash report (`error(…)`, `fatalError(…)`);
//! - a template's Chinese or English title (or a department's name) is shown other than
//!   through the one function that picks it by the app's language;
//! - an iOS permission prompt is not translated, or the development language is not
//!   Chinese.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod android;
mod catalog;
mod format;
mod ios;
mod lexer;
mod prose;
mod xml;

use std::path::{Path, PathBuf};

use catalog::Language;
use lexer::{Lang, Lexed};

/// The record fields holding a template's text in both languages.
const BILINGUAL_FIELDS: &[&str] = &[".titleZh", ".titleEn", ".nameZh", ".nameEn"];

/// Each use of a bilingual field must sit inside a call of `picker` (the shell's function
/// that shows the Chinese or the English one by the app's language), never both at once.
pub fn check_template_titles(path: &str, lexed: &Lexed, picker: &str, problems: &mut Vec<String>) {
    let spans: Vec<(usize, usize)> = lexer::calls(lexed, picker)
        .into_iter()
        .filter_map(|c| Some((c.args.first()?.0, c.args.last()?.1)))
        .collect();
    for field in BILINGUAL_FIELDS {
        for (at, _) in lexer::references(lexed, field, (0, lexed.code.len()))
            .into_iter()
            .filter(|(_, rest)| rest.is_empty())
        {
            if !spans.iter().any(|&(a, b)| (a..b).contains(&at)) {
                problems.push(format!(
                    "{path}:{}: `{}` shown without {picker}(): the app shows one language at a time",
                    lexed.line(at),
                    field.trim_start_matches('.')
                ));
            }
        }
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every file under `dir` ending in `ext`, as (path relative to the repository, text).
fn sources(dir: &Path, ext: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == ext) {
                let name = path.strip_prefix(repo()).unwrap().display().to_string();
                found.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn report(shell: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{shell}: {} problem(s) with its strings:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// The Android shell's resource folders and their languages, the default first.
const ANDROID_LANGUAGES: &[(&str, Language)] = &[
    ("values", Language::English),
    ("values-zh-rCN", Language::SimplifiedChinese),
];

#[test]
fn android_strings_are_complete_in_chinese_and_english() {
    let main = repo().join("android/app/src/main");
    let mut problems = Vec::new();
    // Every strings.xml is one of the languages named here, so none is left unchecked.
    for entry in std::fs::read_dir(main.join("res")).unwrap() {
        let folder = entry.unwrap().file_name().to_string_lossy().to_string();
        let has_strings = main.join("res").join(&folder).join("strings.xml").exists();
        if has_strings && !ANDROID_LANGUAGES.iter().any(|(f, _)| *f == folder) {
            problems.push(format!(
                "res/{folder}/strings.xml is not a language this test knows"
            ));
        }
    }
    let catalogs: Vec<_> = ANDROID_LANGUAGES
        .iter()
        .map(|(folder, language)| {
            let path = main.join("res").join(folder).join("strings.xml");
            let name = format!("res/{folder}/strings.xml");
            let source = std::fs::read_to_string(&path).unwrap_or_else(|_| {
                problems.push(format!("{name} is missing"));
                "<resources/>".into()
            });
            android::read_strings(&name, *language, &source, &mut problems)
        })
        .collect();
    for c in &catalogs {
        catalog::check_entries(c, &mut problems);
    }
    catalog::compare(&catalogs, &mut problems);
    let kotlin = sources(&main.join("java"), "kt");
    assert!(kotlin.len() > 10, "the Kotlin sources were not found");
    android::check_sources(
        &kotlin,
        &read(&main.join("AndroidManifest.xml")),
        &catalogs,
        &mut problems,
    );
    report("android", &problems);
}

/// The iOS shell's `.lproj` folders and their languages, the development language first.
const IOS_LANGUAGES: &[(&str, Language)] = &[
    ("zh-Hans.lproj", Language::SimplifiedChinese),
    ("en.lproj", Language::English),
];

#[test]
fn ios_strings_are_complete_in_chinese_and_english() {
    let app = repo().join("ios/Gridwalk");
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&app).unwrap() {
        let folder = entry.unwrap().file_name().to_string_lossy().to_string();
        if folder.ends_with(".lproj") && !IOS_LANGUAGES.iter().any(|(f, _)| *f == folder) {
            problems.push(format!("{folder} is not a language this test knows"));
        }
    }
    let folders: Vec<ios::Lproj> = IOS_LANGUAGES
        .iter()
        .map(|(folder, language)| {
            let dir = app.join(folder);
            let optional = |file: &str| std::fs::read_to_string(dir.join(file)).ok();
            ios::Lproj {
                name: folder.to_string(),
                language: *language,
                strings: optional("Localizable.strings").unwrap_or_else(|| {
                    problems.push(format!("{folder}/Localizable.strings is missing"));
                    String::new()
                }),
                stringsdict: optional("Localizable.stringsdict"),
                info_plist_strings: optional("InfoPlist.strings"),
            }
        })
        .collect();
    let (catalogs, info) = ios::read_lproj(&folders, &mut problems);
    for c in &catalogs {
        catalog::check_entries(c, &mut problems);
    }
    catalog::compare(&catalogs, &mut problems);
    let info_plist = read(&app.join("Info.plist"));
    ios::check_info_plist(&info_plist, &info, &mut problems);
    let swift = sources(&app, "swift");
    assert!(swift.len() > 10, "the Swift sources were not found");
    ios::check_sources(&swift, &catalogs, &mut problems);

    // Chinese is the development language: what a phone in neither language gets.
    let project = read(&repo().join("ios/project.yml"));
    if !project
        .lines()
        .any(|l| l.trim() == "developmentLanguage: zh-Hans")
    {
        problems.push("ios/project.yml: options.developmentLanguage is not zh-Hans".into());
    }
    if !info_plist.contains(
        "<key>CFBundleDevelopmentRegion</key>\n\t<string>$(DEVELOPMENT_LANGUAGE)</string>",
    ) {
        problems
            .push("Info.plist: CFBundleDevelopmentRegion is not $(DEVELOPMENT_LANGUAGE)".into());
    }
    report("ios", &problems);
}

// The checker itself, on small inputs: it must find what it claims to find.

fn android_catalogs(zh: &str, en: &str) -> (Vec<catalog::Catalog>, Vec<String>) {
    let mut problems = Vec::new();
    let wrap = |body: &str| {
        format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<resources>\n{body}\n</resources>\n")
    };
    let catalogs = vec![
        android::read_strings("zh", Language::SimplifiedChinese, &wrap(zh), &mut problems),
        android::read_strings("en", Language::English, &wrap(en), &mut problems),
    ];
    for c in &catalogs {
        catalog::check_entries(c, &mut problems);
    }
    catalog::compare(&catalogs, &mut problems);
    (catalogs, problems)
}

fn kotlin_problems(source: &str, catalogs: &[catalog::Catalog]) -> Vec<String> {
    let mut problems = Vec::new();
    android::check_sources(
        &[("Screen.kt".into(), source.into())],
        "",
        catalogs,
        &mut problems,
    );
    problems
}

#[test]
fn finds_a_key_missing_from_one_language_and_placeholders_that_differ() {
    let (_, problems) = android_catalogs(
        r#"<string name="a">甲 %1$s</string><string name="b">乙</string>"#,
        r#"<string name="a">A %1$d</string><string name="c">C</string>"#,
    );
    let text = problems.join("\n");
    assert!(text.contains("`b` is in zh but missing from en"), "{text}");
    assert!(text.contains("`c` is in en but missing from zh"), "{text}");
    assert!(text.contains("`a` takes different placeholders"), "{text}");
}

#[test]
fn finds_untranslated_chinese_bare_apostrophes_and_unpositioned_placeholders() {
    let (_, problems) = android_catalogs(
        r#"<string name="a">Not translated yet</string><string name="b">%s 和 %s</string>"#,
        r#"<string name="a">It's fine</string><string name="b">%s and %s</string>"#,
    );
    let text = problems.join("\n");
    assert!(text.contains("not translated into Chinese"), "{text}");
    assert!(text.contains("apostrophe"), "{text}");
    assert!(text.contains("not all positional"), "{text}");
}

#[test]
fn finds_hard_coded_text_unknown_keys_wrong_arguments_and_unused_keys() {
    let (catalogs, problems) = android_catalogs(
        r#"<string name="due">截止 %1$s</string><string name="unused">未用</string>
           <plurals name="photos"><item quantity="other">%1$d 张</item></plurals>"#,
        r#"<string name="due">Due %1$s</string><string name="unused">Unused</string>
           <plurals name="photos"><item quantity="one">%1$d photo</item><item quantity="other">%1$d photos</item></plurals>"#,
    );
    assert!(problems.is_empty(), "{problems:?}");
    let source = r#"
        // A comment may say "Hello there" and R.string.nope.
        @Composable fun Screen(n: Int) {
            Text("Cancel")
            Text(text = "level ${n}")
            Text(stringResource(R.string.due))
            Text(stringResource(R.string.missing))
            Text(pluralStringResource(R.plurals.photos, n, n))
            Text("${stringResource(R.string.due, "Not prose? it is")} · $n")
            nav.navigate("case/$n")
            error("a developer's crash report")
        }
    "#;
    let text = kotlin_problems(source, &catalogs).join("\n");
    assert!(
        text.contains("Screen.kt:4: hard-coded text \"Cancel\""),
        "{text}"
    );
    assert!(
        text.contains("Screen.kt:5: hard-coded text \"level …\""),
        "{text}"
    );
    assert!(
        text.contains("Screen.kt:6: R.string.due has 1 placeholder(s) but is formatted with 0"),
        "{text}"
    );
    assert!(
        text.contains("Screen.kt:7: R.string.missing is not in zh"),
        "{text}"
    );
    assert!(
        text.contains("Screen.kt:9: hard-coded text \"Not prose? it is\""),
        "{text}"
    );
    assert!(text.contains("`unused` is used nowhere"), "{text}");
    for quiet in [
        "Hello there",
        "nope",
        "case/",
        "crash report",
        "Screen.kt:8",
        "R.plurals.photos",
    ] {
        assert!(!text.contains(quiet), "{quiet:?} should pass:\n{text}");
    }
}

#[test]
fn finds_swift_literals_used_as_keys_and_hard_coded_text() {
    let mut problems = Vec::new();
    let folders = [
        ios::Lproj {
            name: "zh-Hans.lproj".into(),
            language: Language::SimplifiedChinese,
            strings: "/* c */\n\"sync_now\" = \"立即同步\";\n\"due\" = \"截止 %1$@\";\n".into(),
            stringsdict: None,
            info_plist_strings: None,
        },
        ios::Lproj {
            name: "en.lproj".into(),
            language: Language::English,
            strings: "\"sync_now\" = \"Sync now\";\n\"due\" = \"Due %1$@\";\n".into(),
            stringsdict: None,
            info_plist_strings: None,
        },
    ];
    let (catalogs, _) = ios::read_lproj(&folders, &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    let source = r#"
        struct V: View {
            var body: some View {
                Button("Sync now") { }
                Text(localized("due"))
                Text(localized("sync_now"))
                Text(verbatim: "\(a) · \(b)")
                Text("sync_now")
                Text("Due \(date)")
                Text(localized("due", when))
                let _ = NSLocalizedString("gone", comment: "a note for translators")
                fatalError("never reached at all")
            }
        }
    "#;
    ios::check_sources(
        &[("V.swift".into(), source.into())],
        &catalogs,
        &mut problems,
    );
    let text = problems.join("\n");
    assert!(
        text.contains("V.swift:4: key `Sync now` is not in zh-Hans.lproj"),
        "{text}"
    );
    assert!(
        text.contains("V.swift:4: hard-coded text \"Sync now\""),
        "{text}"
    );
    assert!(
        text.contains("V.swift:5: `due` has 1 placeholder(s) but is given 0"),
        "{text}"
    );
    assert!(
        text.contains("V.swift:9: an interpolated key \"Due …\""),
        "{text}"
    );
    assert!(text.contains("V.swift:11: key `gone` is not in"), "{text}");
    for quiet in [
        "V.swift:6",
        "V.swift:7",
        "V.swift:8",
        "V.swift:10",
        "translators",
        "never reached",
    ] {
        assert!(!text.contains(quiet), "{quiet:?} should pass:\n{text}");
    }
}

#[test]
fn template_titles_are_shown_only_through_the_language_picker() {
    let source = "Text(localized(item.titleZh, item.titleEn))\nText(\"${item.titleEn} · ${item.titleZh}\")\n";
    let lexed = lexer::lex(source, Lang::Kotlin).unwrap();
    let mut problems = Vec::new();
    check_template_titles("S.kt", &lexed, "localized", &mut problems);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems.iter().all(|p| p.starts_with("S.kt:2:")),
        "{problems:?}"
    );
}

#[test]
fn the_lexer_tells_code_from_comments_and_text() {
    let kotlin = r#"val q = '"' /* a /* nested */ "comment" */
val r = """raw $x "quote" """
Text("${f("inner text", g(1))} · $n")
"#;
    let lexed = lexer::lex(kotlin, Lang::Kotlin).unwrap();
    let texts: Vec<&str> = lexed.literals.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "raw \u{FFFC} \"quote\" ",
            "\u{FFFC} · \u{FFFC}",
            "inner text"
        ]
    );
    let code = String::from_utf8(lexed.code.clone()).unwrap();
    assert!(
        !code.contains("nested") && !code.contains("comment"),
        "{code}"
    );
    // Template code stays code: the call inside is found and split.
    let calls = lexer::calls(&lexed, "f");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].args.len(), 2);

    let swift = r##"let a = #"raw "quoted" \#(x)"# // tail "x"
Text("\(a) and \(b("c"))")
"##;
    let lexed = lexer::lex(swift, Lang::Swift).unwrap();
    let texts: Vec<&str> = lexed.literals.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        texts,
        ["raw \"quoted\" \u{FFFC}", "\u{FFFC} and \u{FFFC}", "c"]
    );

    assert!(lexer::lex("val s = \"never closed\n", Lang::Kotlin).is_err());
    assert!(lexer::lex("/* never closed", Lang::Swift).is_err());
}

#[test]
fn prose_is_words_for_people_not_identifiers() {
    let hole = lexer::HOLE;
    for prose in ["Cancel", "Enrolling…", "not answered", "检查表"] {
        assert!(prose::is_prose(prose), "{prose:?}");
    }
    for prose in [
        format!("Sites · {hole}"),
        format!("Continue ({hole})"),
        format!("level {hole}"),
    ] {
        assert!(prose::is_prose(&prose), "{prose:?}");
    }
    for code in [
        "gridwalk-sync-periodic",
        "org.gridwalk.network",
        "https://",
        "atMs",
        " · ",
        "\\n",
    ] {
        assert!(!prose::is_prose(code), "{code:?}");
    }
    for code in [
        format!("case/{hole}"),
        format!("{hole} · {hole}"),
        format!("{hole}: {hole}"),
        format!("{hole}.jpg"),
    ] {
        assert!(!prose::is_prose(&code), "{code:?}");
    }
}
