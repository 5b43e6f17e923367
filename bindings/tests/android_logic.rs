//! The Android shell's logic (`android/core-logic`, plain Kotlin with no `android.*`
//! import) compiled with the real generated bindings and run on the JVM against the real
//! debug cdylib: its own tests (`android/core-logic/src/test/kotlin`) open real stores,
//! ingest real JPEGs and word every error from the app's real string tables. The tools
//! come from `scripts/install-test-tools`, as for `kotlin_jvm.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use common::{files, generate, library, profile_dir, workspace_root};

fn found(env: &str, default: PathBuf) -> PathBuf {
    let path = std::env::var(env).map_or(default, PathBuf::from);
    assert!(
        path.exists(),
        "{} not found; run scripts/install-test-tools",
        path.display()
    );
    path
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{cmd:?} failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    stdout
}

fn kotlin_files(dir: &Path) -> Vec<PathBuf> {
    files(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "kt"))
        .collect()
}

/// The plain module must stay plain: anything from the Android SDK would compile in the
/// app and fail here, so the check names it first.
#[test]
fn core_logic_imports_nothing_from_android() {
    let main = workspace_root().join("android/core-logic/src/main/kotlin");
    let sources = kotlin_files(&main);
    assert!(sources.len() >= 5, "core-logic sources not found");
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines() {
            let line = line.trim();
            assert!(
                !(line.starts_with("import android") || line.starts_with("import androidx")),
                "{}: `{line}`: core-logic runs on the plain JVM",
                path.display()
            );
        }
    }
}

/// Compiles the module and its tests with the JVM flavour of the bindings and runs them.
#[test]
fn core_logic_tests_pass_on_the_jvm_with_the_real_bindings() {
    library();
    let work = tempfile::tempdir().unwrap();
    let generated = work.path().join("generated");
    generate(
        uniffi::TargetLanguage::Kotlin,
        &generated,
        Some("bindings/uniffi-jvm.toml"),
    );
    let root = workspace_root();
    let kotlinc = found(
        "KOTLINC",
        root.join(".tools/kotlin/node_modules/kotlin-compiler/bin/kotlinc"),
    );
    let home = kotlinc.parent().and_then(Path::parent).unwrap();
    let jna = found("JNA_JAR", PathBuf::from("/usr/share/java/jna.jar"));
    let coroutines = home.join("lib/kotlinx-coroutines-core-jvm.jar");

    let mut sources = files(&generated);
    sources.extend(kotlin_files(
        &root.join("android/core-logic/src/main/kotlin"),
    ));
    sources.extend(kotlin_files(
        &root.join("android/core-logic/src/test/kotlin"),
    ));
    let jar = work.path().join("logic.jar");
    run(Command::new(&kotlinc)
        .args(&sources)
        .arg("-classpath")
        .arg(format!("{}:{}", jna.display(), coroutines.display()))
        .arg("-nowarn")
        .arg("-d")
        .arg(&jar)
        .env("JAVA_OPTS", "-Xss4m"));

    let classpath = [jar, jna, coroutines, home.join("lib/kotlin-stdlib.jar")]
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    let stdout = run(Command::new("java")
        .arg(format!("-Djna.library.path={}", profile_dir().display()))
        .arg("-Djava.awt.headless=true")
        .arg("-cp")
        .arg(&classpath)
        .arg("org.gridwalk.logic.LogicTestKt")
        .arg(work.path().join("data"))
        .arg(&root));
    println!("{stdout}");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}
