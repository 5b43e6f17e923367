//! Running the real `gridwalk` binary on a data folder, shared by the CLI tests.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// Runs `gridwalk --data DATA ARGS…` (ignoring any GRIDWALK_DATA of the caller).
pub fn gridwalk(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridwalk"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("GRIDWALK_DATA")
        .env_remove("GRIDWALK_STORE_KEY")
        .output()
        .expect("run gridwalk")
}

/// Runs a command with `--json` that must succeed; returns its stdout as JSON.
pub fn json_ok(data: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = gridwalk(data, &all);
    assert!(
        out.status.success(),
        "gridwalk {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// Runs a command with `--json` that must fail; returns the `error` object of stderr.
pub fn json_err(data: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = gridwalk(data, &all);
    assert!(!out.status.success(), "gridwalk {args:?} should fail");
    assert!(out.stdout.is_empty(), "errors go to stderr only");
    serde_json::from_slice::<Value>(&out.stderr).expect("stderr is JSON")["error"].clone()
}

/// Sets a grid worker's profile, which starting an inspection needs.
pub fn set_profile(data: &Path) {
    json_ok(
        data,
        &[
            "profile",
            "set",
            "--name",
            "Wang Fang",
            "--role",
            "grid-worker",
            "--unit",
            "G1",
        ],
    );
}
