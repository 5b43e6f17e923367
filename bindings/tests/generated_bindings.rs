//! The committed bindings in `bindings/generated/` (Kotlin for Android, Swift with its C
//! headers and modulemaps) must match what the library generates, and the C headers the
//! Swift side imports must compile. No Swift toolchain is reachable from the build
//! machines, so gcc checks the headers (with clang's nullability qualifiers defined away).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{files, generate, workspace_root};

#[test]
fn committed_kotlin_and_swift_bindings_are_current() {
    let fresh = tempfile::tempdir().unwrap();
    for (language, name) in [
        (uniffi::TargetLanguage::Kotlin, "kotlin"),
        (uniffi::TargetLanguage::Swift, "swift"),
    ] {
        let out = fresh.path().join(name);
        generate(language, &out, None);
        let committed = workspace_root().join("bindings/generated").join(name);
        let relative = |root: &Path, files: Vec<PathBuf>| -> Vec<PathBuf> {
            files
                .into_iter()
                .map(|f| f.strip_prefix(root).unwrap().to_path_buf())
                .collect()
        };
        let want = relative(&out, files(&out));
        assert_eq!(
            relative(&committed, files(&committed)),
            want,
            "{name} bindings: files differ; run scripts/generate-bindings"
        );
        for file in want {
            let a = std::fs::read_to_string(out.join(&file)).unwrap();
            let b = std::fs::read_to_string(committed.join(&file)).unwrap();
            assert!(
                a == b,
                "{} is stale; run scripts/generate-bindings",
                file.display()
            );
        }
    }
}

#[test]
fn the_swift_c_headers_compile() {
    let swift = workspace_root().join("bindings/generated/swift");
    let headers: Vec<PathBuf> = files(&swift)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "h"))
        .collect();
    assert_eq!(
        headers.len(),
        3,
        "one header per crate (ffi, core, model): {headers:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("check.c");
    let includes: String = headers
        .iter()
        .map(|h| format!("#include \"{}\"\n", h.display()))
        .collect();
    std::fs::write(&unit, includes).unwrap();
    let out = Command::new("gcc")
        .args(["-fsyntax-only", "-Wall", "-Werror", "-std=c11"])
        .args([
            "-D_Nullable=",
            "-D_Nonnull=",
            "-include",
            "stdint.h",
            "-include",
            "stdbool.h",
        ])
        .arg(&unit)
        .output()
        .expect("run gcc");
    assert!(
        out.status.success(),
        "headers do not compile:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
