//! The phone shells' project files, read as text (no Swift toolchain or Android SDK runs
//! here), checked for the mistakes that break a build or a phone without any compiler
//! seeing them (issue 16):
//!
//! - iOS: the app target and the Swift package must have different module names (an app
//!   importing a module of its own name gets nothing from it, so every binding type is
//!   unresolved); the app depends on a product the package declares; every app file
//!   imports the package by its name; every generated binding file (`.swift`, `.h`,
//!   `.modulemap`) is put into the package by `build-xcframework.sh`, into the folder of
//!   the package's Swift target, and the binary target is the xcframework it writes.
//! - Android: every ABI cargo-ndk builds is linked for 16 KB pages (Android 15), and the
//!   store, its photos and the pending camera files are kept out of cloud backup and
//!   device-to-device transfer (a copied store is a cloned device).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(repo().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// The string arguments `name: "…"` of every `call(` in a Package.swift, e.g. all
/// `.target(name: "X"` → X.
fn swift_names(package: &str, call: &str) -> Vec<String> {
    package
        .split(call)
        .skip(1)
        .filter_map(|rest| {
            let rest = rest.trim_start().strip_prefix("name:")?.trim_start();
            let rest = rest.strip_prefix('"')?;
            Some(rest.split('"').next()?.to_string())
        })
        .collect()
}

/// The value of `key: "…"` (or unquoted) right after the first occurrence of `call(`
/// whose name is `name`.
fn swift_argument(package: &str, call: &str, name: &str, key: &str) -> Option<String> {
    let start = package.find(&format!("{call}(name: \"{name}\""))?;
    let rest = &package[start..];
    let end = rest.find(')').unwrap_or(rest.len());
    let args = &rest[..end];
    let at = args.find(&format!("{key}:"))?;
    let value = args[at + key.len() + 1..].trim_start().strip_prefix('"')?;
    Some(value.split('"').next()?.to_string())
}

/// The XcodeGen targets of project.yml (the keys under `targets:`), with each one's
/// explicit `PRODUCT_MODULE_NAME` or, when none, its name, and the package products it
/// depends on.
struct AppTarget {
    name: String,
    module: String,
    products: Vec<String>,
}

fn xcodegen_targets(project: &str) -> Vec<AppTarget> {
    let mut targets = Vec::new();
    let mut in_targets = false;
    for line in project.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if indent == 0 {
            in_targets = line.trim_end() == "targets:";
            continue;
        }
        if !in_targets {
            continue;
        }
        let text = line.trim();
        if indent == 2 && text.ends_with(':') {
            let name = text.trim_end_matches(':').trim_matches('"').to_string();
            targets.push(AppTarget {
                module: name.clone(),
                name,
                products: Vec::new(),
            });
        } else if let Some(target) = targets.last_mut() {
            if let Some(module) = text.strip_prefix("PRODUCT_MODULE_NAME:") {
                target.module = module.trim().trim_matches('"').to_string();
            } else if let Some(product) = text.strip_prefix("product:") {
                target
                    .products
                    .push(product.trim().trim_matches('"').to_string());
            }
        }
    }
    targets
}

/// Problems with the iOS app and package, from the texts of project.yml, Package.swift,
/// build-xcframework.sh, the generated binding file names and the app's Swift files.
fn ios_problems(
    project: &str,
    package: &str,
    script: &str,
    generated: &[String],
    app_sources: &[(String, String)],
) -> Vec<String> {
    let mut problems = Vec::new();
    let targets = xcodegen_targets(project);
    if targets.is_empty() {
        problems.push("project.yml: no targets found".into());
    }
    let swift_targets = swift_names(package, ".target(");
    let products = swift_names(package, ".library(");
    let binaries = swift_names(package, ".binaryTarget(");
    let modules: BTreeSet<&String> = swift_targets.iter().chain(&binaries).collect();
    if swift_targets.len() != 1 {
        problems.push(format!(
            "Package.swift: expected one Swift target (uniffi's files for several crates must be one module), found {swift_targets:?}"
        ));
    }
    for target in &targets {
        if modules.contains(&target.module) || products.contains(&target.module) {
            problems.push(format!(
                "module name clash: the app target `{}` and the package both define `{}`",
                target.name, target.module
            ));
        }
        for product in &target.products {
            if !products.contains(product) {
                problems.push(format!(
                    "project.yml: target `{}` depends on product `{product}`, which Package.swift does not declare ({products:?})",
                    target.name
                ));
            }
        }
    }
    // The app must import the package's module, and nothing named like itself.
    let app_modules: BTreeSet<&String> = targets.iter().map(|t| &t.module).collect();
    for (path, text) in app_sources {
        for line in text.lines() {
            let Some(module) = line.trim().strip_prefix("import ") else {
                continue;
            };
            let module = module.trim().to_string();
            if app_modules.contains(&module) {
                problems.push(format!("{path}: imports `{module}`, the app's own module"));
            }
        }
    }
    let Some(target) = swift_targets.first() else {
        return problems;
    };
    if !app_sources.iter().any(|(_, t)| {
        t.lines()
            .any(|l| l.trim() == format!("import {target}").as_str())
    }) {
        problems.push(format!(
            "no app file imports the package's module `{target}`"
        ));
    }
    // Every generated binding file reaches the package.
    let path = swift_argument(package, ".target", target, "path")
        .unwrap_or_else(|| format!("Sources/{target}"));
    let destination = format!("$kit/{path}/Generated");
    if !script.contains(&destination) {
        problems.push(format!(
            "build-xcframework.sh does not copy the Swift bindings into {destination} (the package's target folder)"
        ));
    }
    for file in generated {
        if !script.contains(&format!("$generated/{file}")) {
            problems.push(format!(
                "bindings/generated/swift/{file} is not put into the package by build-xcframework.sh"
            ));
        }
    }
    for binary in &binaries {
        let Some(path) = swift_argument(package, ".binaryTarget", binary, "path") else {
            problems.push(format!("Package.swift: binary target {binary} has no path"));
            continue;
        };
        if !script.contains(&format!("-output \"$kit/{path}\"")) {
            problems.push(format!(
                "Package.swift: binary target {binary} is {path}, which build-xcframework.sh does not write"
            ));
        }
    }
    problems
}

fn swift_files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(swift_files(&path));
        } else if path.extension().is_some_and(|e| e == "swift") {
            let name = path.strip_prefix(repo()).unwrap().display().to_string();
            out.push((name, std::fs::read_to_string(&path).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn ios_app_and_package_have_distinct_modules_and_every_binding_file() {
    let mut generated: Vec<String> = std::fs::read_dir(repo().join("bindings/generated/swift"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    generated.sort();
    assert!(
        generated.len() >= 9,
        "the generated Swift bindings were not found: {generated:?}"
    );
    let problems = ios_problems(
        &read("ios/project.yml"),
        &read("ios/GridwalkKit/Package.swift"),
        &read("ios/build-xcframework.sh"),
        &generated,
        &swift_files(&repo().join("ios/Gridwalk")),
    );
    assert!(problems.is_empty(), "ios:\n  {}", problems.join("\n  "));
}

/// The ABIs `app/build.gradle.kts` hands cargo-ndk, as Rust target triples.
fn android_triples(gradle: &str) -> Vec<&'static str> {
    [
        ("arm64-v8a", "aarch64-linux-android"),
        ("armeabi-v7a", "armv7-linux-androideabi"),
        ("x86_64", "x86_64-linux-android"),
        ("x86", "i686-linux-android"),
    ]
    .into_iter()
    .filter(|(abi, _)| gradle.contains(&format!("\"-t\", \"{abi}\"")))
    .map(|(_, triple)| triple)
    .collect()
}

#[test]
fn android_libraries_are_linked_for_16_kb_pages() {
    let gradle = read("android/app/build.gradle.kts");
    let triples = android_triples(&gradle);
    assert!(
        triples.len() >= 3,
        "cargo-ndk's ABIs not found in build.gradle.kts"
    );
    // cargo-ndk runs in android/ (the Gradle root), so android/.cargo/config.toml applies.
    assert!(
        gradle.contains("workingDir = rootProject.projectDir"),
        "cargoNdk no longer runs in android/, where .cargo/config.toml is"
    );
    let config = read("android/.cargo/config.toml");
    let mut problems = Vec::new();
    for triple in triples {
        let section = format!("[target.{triple}]");
        let Some(start) = config.find(&section) else {
            problems.push(format!("{section} missing"));
            continue;
        };
        let body = &config[start + section.len()..];
        let body = &body[..body.find("\n[").unwrap_or(body.len())];
        if !body.contains("\"-C\", \"link-arg=-Wl,-z,max-page-size=16384\"") {
            problems.push(format!(
                "{section} does not link with -z max-page-size=16384"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "android/.cargo/config.toml:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn android_store_never_leaves_the_phone_by_backup_or_transfer() {
    let manifest = read("android/app/src/main/AndroidManifest.xml");
    for attribute in [
        "android:allowBackup=\"false\"",
        "android:dataExtractionRules=\"@xml/data_extraction_rules\"",
        "android:fullBackupContent=\"@xml/backup_rules\"",
    ] {
        assert!(manifest.contains(attribute), "manifest lacks {attribute}");
    }
    let rules = read("android/app/src/main/res/xml/data_extraction_rules.xml");
    for section in ["<cloud-backup", "<device-transfer"] {
        let start = rules
            .find(section)
            .unwrap_or_else(|| panic!("data_extraction_rules.xml has no {section}"));
        let body = &rules[start..];
        let body = &body[..body.find("</").unwrap_or(body.len())];
        // Everything of the app's own domains is excluded, store, photos and keys alike.
        for domain in ["root", "file", "database", "sharedpref", "external"] {
            assert!(
                body.contains(&format!("<exclude domain=\"{domain}\" path=\".\"")),
                "{section} does not exclude the {domain} domain"
            );
        }
    }
    let legacy = read("android/app/src/main/res/xml/backup_rules.xml");
    for domain in ["root", "file", "database", "sharedpref", "external"] {
        assert!(
            legacy.contains(&format!("<exclude domain=\"{domain}\" path=\".\"")),
            "backup_rules.xml does not exclude the {domain} domain"
        );
    }
}

// The checker itself, on small inputs: it must find what it claims to find.

const CLASHING_PROJECT: &str = "name: Gridwalk\ntargets:\n  Gridwalk:\n    type: application\n    dependencies:\n      - package: GridwalkKit\n        product: Gridwalk\n";
const CLASHING_PACKAGE: &str = r#"products: [ .library(name: "Gridwalk", targets: ["Gridwalk"]) ],
targets: [
    .binaryTarget(name: "GridwalkFFIRust", path: "GridwalkFFI.xcframework"),
    .target(name: "Gridwalk", dependencies: ["GridwalkFFIRust"], path: "Sources/Gridwalk"),
]"#;

#[test]
fn finds_a_module_clash_and_a_binding_file_left_out() {
    let script = "cp \"$generated/A.swift\" \"$kit/Sources/Gridwalk/Generated/\"\n-output \"$kit/GridwalkFFI.xcframework\"";
    let sources = vec![("V.swift".to_string(), "import Gridwalk\n".to_string())];
    let problems = ios_problems(
        CLASHING_PROJECT,
        CLASHING_PACKAGE,
        script,
        &["A.swift".into(), "B.h".into()],
        &sources,
    )
    .join("\n");
    assert!(
        problems.contains("module name clash: the app target `Gridwalk`"),
        "{problems}"
    );
    assert!(
        problems.contains("V.swift: imports `Gridwalk`, the app's own module"),
        "{problems}"
    );
    assert!(
        problems.contains("bindings/generated/swift/B.h is not put into the package"),
        "{problems}"
    );
    assert!(!problems.contains("A.swift is not"), "{problems}");

    // Renamed package, same files: clean.
    let package = CLASHING_PACKAGE.replace("\"Gridwalk\"", "\"GridwalkKit\"");
    let package = package.replace("Sources/Gridwalk\"", "Sources/GridwalkKit\"");
    let project = CLASHING_PROJECT.replace("product: Gridwalk", "product: GridwalkKit");
    let script =
        script.replace("Sources/Gridwalk/", "Sources/GridwalkKit/") + "\ncp \"$generated/B.h\" x";
    let sources = vec![("V.swift".to_string(), "import GridwalkKit\n".to_string())];
    let problems = ios_problems(
        &project,
        &package,
        &script,
        &["A.swift".into(), "B.h".into()],
        &sources,
    );
    assert!(problems.is_empty(), "{problems:?}");
}
