//! The crates stay in their layers (issue 9): the model is pure (no storage, network,
//! async runtime, images or FFI), and the sync server stands on the model, not on the
//! device crate, so it carries no image library and no HTTP client of its own — its one
//! HTTP client is the S3 blob store's (`object_store`, issue 14), which talks to the
//! object store and nothing else.
//!
//! Each check asks `cargo tree` for the crate's normal (non-dev) dependencies, offline
//! and against the committed lock file, and compares every package name exactly. A
//! failure names the offending package and how it is pulled in.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Image and photo crates: the device's photo pipeline, nobody else's.
const IMAGE_CRATES: &[&str] = &[
    "image",
    "jpeg-decoder",
    "mozjpeg",
    "mozjpeg-sys",
    "jpeg-encoder",
    "png",
    "fast_image_resize",
    "kamadak-exif",
];

/// HTTP clients and their TLS stacks: the device's sync client, nobody else's. (The
/// server serves plain HTTP; should it ever terminate TLS itself, allow `rustls` for
/// it here on purpose.)
const HTTP_CLIENT_CRATES: &[&str] = &["reqwest", "hyper-rustls", "rustls", "hyper-tls", "ureq"];

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cargo(args: &[&str]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(&cargo)
        .args(args)
        .current_dir(workspace_root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cargo:?} {args:?}: {e}"))
}

/// Every package `krate` depends on in normal builds (itself included), as
/// `(name, version)`, each once; what only `pruned` packages pull in is left out.
fn normal_dependencies(krate: &str, pruned: &[&str]) -> Vec<(String, String)> {
    let mut args = vec![
        "tree",
        "-p",
        krate,
        "-e",
        "normal",
        "--prefix",
        "none",
        "--locked",
        "--offline",
    ];
    for package in pruned {
        args.extend(["--prune", package]);
    }
    let output = cargo(&args);
    assert!(
        output.status.success(),
        "cargo {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut deps: Vec<(String, String)> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            let version = words.next().unwrap_or_default().trim_start_matches('v');
            Some((name.to_string(), version.to_string()))
        })
        .collect();
    deps.sort();
    deps.dedup();
    deps
}

/// How `krate` comes to depend on `offender` (`name@version`): the inverted tree from
/// the offender up.
fn chain(krate: &str, offender: &str) -> String {
    let output = cargo(&[
        "tree",
        "-p",
        krate,
        "-e",
        "normal",
        "-i",
        offender,
        "--locked",
        "--offline",
    ]);
    let text = if output.status.success() {
        output.stdout
    } else {
        output.stderr
    };
    String::from_utf8_lossy(&text).into_owned()
}

/// Fails naming every forbidden package `krate` depends on other than through a
/// `pruned` package, each with its chain.
fn assert_free_of(krate: &str, forbidden: &[&str], pruned: &[&str]) {
    let deps = normal_dependencies(krate, pruned);
    assert!(
        deps.iter().any(|(name, _)| name == krate),
        "cargo tree did not list {krate} itself; is the package name right? got {deps:?}"
    );
    let report: Vec<String> = deps
        .iter()
        .filter(|(name, _)| forbidden.contains(&name.as_str()))
        .map(|(name, version)| {
            let offender = format!("{name}@{version}");
            format!(
                "{krate} depends on `{offender}`:\n{}",
                chain(krate, &offender)
            )
        })
        .collect();
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn the_model_has_no_storage_network_runtime_images_or_ffi() {
    let mut forbidden = vec![
        "gridwalk-core",
        "gridwalk-migrate",
        "rusqlite",
        "tokio",
        "uniffi",
    ];
    forbidden.extend(IMAGE_CRATES);
    forbidden.extend(HTTP_CLIENT_CRATES);
    assert_free_of("gridwalk-model", &forbidden, &[]);
}

#[test]
fn the_server_stands_on_the_model_not_on_the_device_crate() {
    let mut forbidden = vec!["gridwalk-core", "uniffi"];
    forbidden.extend(IMAGE_CRATES);
    assert_free_of("gridwalk-server", &forbidden, &[]);
    // The S3 blob store's client may bring an HTTP client; nothing else may.
    assert_free_of("gridwalk-server", HTTP_CLIENT_CRATES, &["object_store"]);
}

#[test]
fn the_check_sees_what_the_device_crate_pulls_in() {
    // The device crate does carry the photo pipeline and the HTTP client, so a check
    // that found nothing there would be checking nothing.
    let deps = normal_dependencies("gridwalk-core", &[]);
    for expected in ["rusqlite", "reqwest", "kamadak-exif", "gridwalk-model"] {
        assert!(
            deps.iter().any(|(name, _)| name == expected),
            "gridwalk-core should depend on {expected}"
        );
    }
}
