//! Schemathesis (from PyPI), a schema-driven fuzzer, against the real server on
//! 127.0.0.1 with `openapi.yaml`: thousands of generated requests, valid and invalid,
//! as an enrolled grid worker whose store holds records, a photo and uploads, checking
//! every answer for a server error (5xx) and for its status code, content type, body
//! schema and headers against the document. Any finding fails the test, with
//! schemathesis's report printed.
//!
//! Needs schemathesis in `.tools/schemathesis-venv` (installed by
//! `scripts/install-test-tools`) or a `schemathesis` command named by
//! `GRIDWALK_SCHEMATHESIS`. Without it the test fails and says so, rather than
//! passing silently. `GRIDWALK_SCHEMATHESIS_SEED` runs it with another seed than the
//! fixed one, to explore.
//!
//! `tests/schemathesis/hooks.py` makes the generated requests reach the handlers'
//! logic: tus chunks as raw bytes, the seeded photo and uploads among the path
//! parameters, well-formed `Upload-Metadata` and offset-0 chunks among the headers.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use gridwalk_model::inspection::{InspectionKind, InspectionStatus};
use gridwalk_server::config::Limits;
use serde_json::Value;

/// The checks of the brief: no 5xx, and status, content type, body and headers as
/// documented.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_schema_conformance,response_headers_conformance";

/// Generated cases per operation and phase: enough to reach every documented answer,
/// few enough that the run takes seconds.
const MAX_EXAMPLES: &str = "30";

/// The longest the whole run may take before it is stopped and the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(240);

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn schemathesis_command() -> PathBuf {
    if let Some(command) = std::env::var_os("GRIDWALK_SCHEMATHESIS") {
        return PathBuf::from(command);
    }
    manifest_dir().join("../.tools/schemathesis-venv/bin/schemathesis")
}

/// Creates an upload of `length` bytes for a random name; returns its id.
async fn create_upload(server: &TestServer, device: &Device, length: usize) -> String {
    let created = server
        .client
        .post(server.url("/v1/blobs"))
        .bearer_auth(&device.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", length.to_string())
        .header(
            "Upload-Metadata",
            tus_metadata(&sha256(new_id().as_bytes())),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap();
    location.rsplit('/').next().unwrap().to_string()
}

/// A store with something to find: the caller's photo and its records, a colleague's
/// record, an upload half done and fresh ones. Returns the photo names and upload ids.
async fn seed(server: &TestServer, worker: &Device) -> (Vec<String>, Vec<String>) {
    let colleague = server
        .device("Zhao Lei", "grid-worker", "g-xinhua-1", None)
        .await;
    let photo = b"\xff\xd8\xff\xe0 a cracked gas pipe at Xinhua Compound 3".to_vec();
    let sha = sha256(&photo);
    upload(server, worker, &photo).await;
    let own = inspection(
        &new_id(),
        "site-a",
        InspectionKind::Routine,
        InspectionStatus::Submitted,
        Some(&sha),
        Some("the family on floor 2 needs a visit"),
    );
    let case = new_id();
    let report = hazard_event(
        &case,
        worker,
        1_775_000_000_000,
        &[],
        reported(
            "fire",
            "fire-01",
            "site-a",
            "g-xinhua-1",
            "gas pipe",
            vec![sha.clone()],
        ),
    );
    let results = server.push(worker, &[item(&own), report]).await;
    assert!(
        results.iter().all(|r| r["status"] == "accepted"),
        "{results:?}"
    );
    let theirs = server.push(&colleague, &[routine("site-a")]).await;
    assert_eq!(theirs[0]["status"], "accepted", "{theirs:?}");

    let half_done = create_upload(server, worker, 64).await;
    let patched = server
        .client
        .patch(server.url(&format!("/v1/blobs/uploads/{half_done}")))
        .bearer_auth(&worker.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(vec![7u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 204);
    let mut uploads = vec![half_done];
    for length in [1, 16, 64] {
        uploads.push(create_upload(server, worker, length).await);
    }
    (vec![sha], uploads)
}

/// The operation a request went to, as `METHOD /template`.
fn operation_of(method: &str, uri: &str) -> String {
    let path = uri
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or(uri);
    let path = path.split('?').next().unwrap_or(path);
    let template = if path.starts_with("/v1/blobs/uploads/") {
        "/v1/blobs/uploads/{id}"
    } else if path.starts_with("/v1/blobs/") {
        "/v1/blobs/{sha256}"
    } else {
        path
    };
    format!("{method} {template}")
}

/// Every status each operation answered in the run, from schemathesis's NDJSON report.
fn answered(report: &Path) -> BTreeMap<String, BTreeSet<u16>> {
    let mut statuses: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
    let text = std::fs::read_to_string(report).unwrap();
    for line in text.lines() {
        let event: Value = serde_json::from_str(line).unwrap();
        let Some(interactions) = event["ScenarioFinished"]["recorder"]["interactions"].as_object()
        else {
            continue;
        };
        for interaction in interactions.values() {
            let (Some(method), Some(uri), Some(status)) = (
                interaction["request"]["method"].as_str(),
                interaction["request"]["uri"].as_str(),
                interaction["response"]["status_code"].as_u64(),
            ) else {
                continue;
            };
            statuses
                .entry(operation_of(method, uri))
                .or_default()
                .insert(u16::try_from(status).unwrap());
        }
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_departure_from_openapi_yaml() {
    let command = schemathesis_command();
    let available = Command::new(&command)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        available,
        "schemathesis is not available at {}: run `scripts/install-test-tools` \
         (or set GRIDWALK_SCHEMATHESIS to a schemathesis command)",
        command.display()
    );

    // Enrolment is fuzzed as much as the rest: its rate limit (tested in access.rs)
    // would otherwise answer most generated attempts with 429 before reading them.
    let server = TestServer::with_limits(Limits {
        enrol_attempts: 1_000_000,
        ..Limits::default()
    })
    .await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let (blobs, uploads) = seed(&server, &worker).await;

    let work = tempfile::tempdir().unwrap();
    let report = work.path().join("report.ndjson");
    let seed = std::env::var("GRIDWALK_SCHEMATHESIS_SEED").unwrap_or_else(|_| "1".into());
    let mut child = Command::new(&command)
        .arg("run")
        .arg(manifest_dir().join("openapi.yaml"))
        .args(["--url", &server.base])
        .args([
            "--header",
            &format!("Authorization: Bearer {}", worker.token),
        ])
        .args(["--checks", CHECKS])
        .args(["--max-examples", MAX_EXAMPLES])
        .args(["--seed", &seed])
        // One worker: the server has the other core, and CPython 3.11 can fail to
        // parse hypothesis's lambdas from two threads at once.
        .args(["--workers", "1"])
        .args(["--request-timeout", "20"])
        .args(["--generation-database", "none"])
        .arg("--no-color")
        .args(["--report", "ndjson", "--report-ndjson-path"])
        .arg(&report)
        // Hypothesis and schemathesis write their files into the working directory.
        .current_dir(work.path())
        .env(
            "SCHEMATHESIS_HOOKS",
            manifest_dir().join("tests/schemathesis/hooks.py"),
        )
        .env("GRIDWALK_SEEDED_BLOBS", blobs.join(","))
        .env("GRIDWALK_SEEDED_UPLOADS", uploads.join(","))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Bounded wait; the server keeps serving on the runtime's threads meanwhile.
    let mut waited = Duration::ZERO;
    while child.try_wait().unwrap().is_none() {
        if waited > RUN_LIMIT {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "schemathesis did not finish in {RUN_LIMIT:?}:\n{}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        waited += Duration::from_millis(200);
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "schemathesis found problems (seed {seed}):\n{stdout}\n{stderr}"
    );

    // The token worked: every authenticated operation was exercised past 401, up to
    // its success.
    let statuses = answered(&report);
    for (operation, success) in [
        ("GET /health", 200),
        ("POST /v1/enrol", 401),
        ("POST /v1/push", 200),
        ("GET /v1/pull", 200),
        ("GET /v1/reference", 200),
        ("OPTIONS /v1/blobs", 204),
        ("POST /v1/blobs", 201),
        ("HEAD /v1/blobs/uploads/{id}", 200),
        ("PATCH /v1/blobs/uploads/{id}", 204),
        ("GET /v1/blobs/{sha256}", 200),
        ("HEAD /v1/blobs/{sha256}", 200),
    ] {
        let seen = statuses.get(operation).cloned().unwrap_or_default();
        assert!(
            seen.contains(&success),
            "{operation} never answered {success} (answered {seen:?}):\n{stdout}"
        );
    }
    eprintln!("schemathesis (seed {seed}): {statuses:?}");
    server.stop().await;
}
