//! Helpers shared by the binding tests: where the workspace, the cdylib and files are.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use camino::Utf8PathBuf;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `target/debug` (or whichever profile directory this test binary lives in).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

/// The FFI cdylib, which `cargo test` does not build by itself (scripts/test does).
pub fn library() -> PathBuf {
    let lib = profile_dir().join(format!(
        "{}gridwalk_ffi{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    assert!(
        lib.exists(),
        "{} missing: `cargo build -p gridwalk-ffi` first (scripts/test does)",
        lib.display()
    );
    lib
}

/// Every file under `dir`, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Generates bindings for `language` from the cdylib into `out`, with an optional
/// config override (the JVM tests use `bindings/uniffi-jvm.toml`).
pub fn generate(language: uniffi::TargetLanguage, out: &Path, config: Option<&str>) {
    uniffi::generate(uniffi::GenerateOptions {
        languages: vec![language],
        source: Utf8PathBuf::from_path_buf(library()).unwrap(),
        out_dir: Utf8PathBuf::from_path_buf(out.to_path_buf()).unwrap(),
        config_override: config
            .map(|c| Utf8PathBuf::from_path_buf(workspace_root().join(c)).unwrap()),
        format: false,
        crate_filter: None,
        metadata_no_deps: false,
    })
    .unwrap();
}
