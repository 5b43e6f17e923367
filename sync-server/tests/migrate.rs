//! `gridwalk-server migrate` (issue 14 item 6) against a real PostgreSQL: a district
//! made through the real server's HTTP API on the embedded store (pushes, photos,
//! a thumbnail, hazard cases) is moved with the binary, killed midway and run again;
//! the verification it prints matches table by table and photo by photo, and a server
//! on the PostgreSQL copy answers the same pulls, photos and report as the embedded
//! one did; one grid worker's records are chained and sealed once per push (ADR 12), and
//! `verify` on the copy finds them sealed as on the source. Without `GRIDWALK_TEST_DATABASE` (which `scripts/test` provides) the test
//! says so and passes.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use gridwalk_model::inspection::{InspectionKind, InspectionStatus};
use gridwalk_model::signing::{GENESIS, chained_link_of, seal_message, to_hex};
use gridwalk_server::config::{DataDir, Limits};
use gridwalk_server::migrate::{Migration, Progress};
use gridwalk_server::server::{open_state_on, serve_on};
use gridwalk_server::storage::Database;
use gridwalk_server::storage::files::FileBlobStore;
use gridwalk_server::storage::postgres::scratch::{ScratchDatabase, TEST_DATABASE_VAR};
use gridwalk_server::storage::sqlite::SqliteStore;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_gridwalk-server");

/// A fixed report time, so both reports are computed as of the same moment.
const AS_OF_MS: &str = "1900000000000";

/// A JPEG-like photo of its own for each label.
fn photo(label: &str) -> Vec<u8> {
    let mut bytes = b"\xff\xd8\xff\xe0".to_vec();
    bytes.extend(format!("photo of {label} ").repeat(200).as_bytes());
    bytes
}

/// The binary's campaign report (JSON) on `args`' store.
fn report(args: &[&str]) -> Value {
    let out = Command::new(BIN)
        .args(args)
        .args(["--json", "report", "--as-of-ms", AS_OF_MS])
        .env_remove("GRIDWALK_DATABASE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `gridwalk-server verify --json` on `args`' store: (exit code, report).
fn verify(args: &[&str]) -> (i32, Value) {
    let out = Command::new(BIN)
        .args(args)
        .args(["--json", "verify"])
        .env_remove("GRIDWALK_DATABASE")
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "verify printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), report)
}

/// Chains `item` after `prev` unsigned (ADR 12), sealed with `seal` when given; returns
/// its link.
fn chain(item: &mut Value, prev: &str, seal: Option<&SigningKey>) -> String {
    let own = chained_link_of(
        item["kind"].as_str().unwrap(),
        item["id"].as_str().unwrap(),
        &item["body"],
        prev,
    )
    .unwrap();
    item["proof"] = json!({ "prev": prev, "chained": true });
    if let Some(key) = seal {
        let signature: Signature = key.sign(&seal_message(&own));
        item["proof"]["signature"] = json!(to_hex(signature.to_der().as_bytes()));
    }
    own
}

/// `migrate` from `source` into `url`, photos into `target`'s data folder.
fn migrate_command(source: &Path, target: &Path, url: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(["--data", target.to_str().unwrap(), "--json", "migrate"])
        .args(["--from", source.to_str().unwrap(), "--to", url])
        .env_remove("GRIDWALK_DATABASE");
    command
}

/// Runs `migrate` to the end; its stderr progress lines and parsed verification.
fn migrate_to_end(source: &Path, target: &Path, url: &str) -> (Vec<String>, Value) {
    let out = migrate_command(source, target, url).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "migrate failed: {stderr}");
    let verification: Value = serde_json::from_slice(&out.stdout).unwrap();
    (stderr.lines().map(str::to_string).collect(), verification)
}

/// Every table in a verification matched, and every photo hashed to its name.
fn assert_verified(verification: &Value, photos: usize) {
    for table in verification["tables"].as_array().unwrap() {
        assert_eq!(table["source_rows"], table["target_rows"], "{table}");
        assert_eq!(table["same_rows"], true, "{table}");
    }
    assert_eq!(verification["blobs"]["source_blobs"], photos);
    assert_eq!(verification["blobs"]["verified"], photos);
    assert_eq!(verification["blobs"]["bad"], serde_json::json!([]));
}

/// A district made over HTTP on the embedded store: three people's devices, twelve
/// inspections with their photos uploaded, a thumbnail, four hazard cases. The first
/// grid worker's device has a key: its inspections are each sealed alone, its four
/// reports chained and sealed by the last in one push. Returns the server, the devices
/// (two grid workers, then community staff) and every blob's name.
async fn district() -> (TestServer, [Device; 3], Vec<String>) {
    let server = TestServer::embedded().await;
    let key = SigningKey::from_slice(&[31; 32]).unwrap();
    let worker_a = server
        .enrol_with_key(
            &server.person("Li Na", "grid-worker", "g-xinhua-1", None),
            &to_hex(key.verifying_key().to_encoded_point(false).as_bytes()),
        )
        .await;
    let mut prev = GENESIS.to_string();
    let worker_b = server
        .device("Zhao Lei", "grid-worker", "g-xinhua-2", None)
        .await;
    let community = server
        .device("Wang Fang", "community-staff", "c-xinhua", None)
        .await;
    let mut photos = Vec::new();
    for (n, (device, site)) in [(&worker_a, "site-a"), (&worker_b, "site-b")]
        .into_iter()
        .cycle()
        .take(12)
        .enumerate()
    {
        let bytes = photo(&format!("inspection {n}"));
        let sha = sha256(&bytes);
        upload(&server, device, &bytes).await;
        let inspection = inspection(
            &new_id(),
            site,
            InspectionKind::Routine,
            InspectionStatus::Submitted,
            Some(&sha),
            None,
        );
        let mut pushed = item(&inspection);
        if device.device_id == worker_a.device_id {
            prev = chain(&mut pushed, &prev, Some(&key));
        }
        let results = server.push(device, &[pushed]).await;
        assert_eq!(results[0]["status"], "accepted", "{results:?}");
        photos.push(sha);
    }
    let thumbnail = photo("a thumbnail");
    upload_thumbnail(&server, &worker_a, &thumbnail, &photos[0]).await;
    photos.push(sha256(&thumbnail));
    let mut events = Vec::new();
    for n in 0..4 {
        let case = new_id();
        let mut event = hazard_event(
            &case,
            &worker_a,
            1_000 + n,
            &[],
            reported(
                "fire",
                "fire-03",
                "site-a",
                "g-xinhua-1",
                "blocked exit",
                vec![photos[0].clone()],
            ),
        );
        prev = chain(&mut event, &prev, (n == 3).then_some(&key));
        events.push(event);
    }
    let results = server.push(&worker_a, &events).await;
    assert!(
        results.iter().all(|r| r["status"] == "accepted"),
        "{results:?}"
    );
    (server, [worker_a, worker_b, community], photos)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_district_moves_to_postgresql_through_a_kill_and_serves_the_same() {
    let Some(pg) = ScratchDatabase::server_from_env() else {
        eprintln!("skipped: {TEST_DATABASE_VAR} is not set (scripts/test starts a PostgreSQL)");
        return;
    };

    let (server, [worker_a, worker_b, community], photos) = district().await;
    // A photo never uploaded is missing on the city server too.
    let never_uploaded = sha256(b"never uploaded");
    let devices = [worker_a.clone(), worker_b.clone(), community.clone()];
    let embedded = Http {
        base: server.base.clone(),
        client: server.client.clone(),
    };
    let before = embedded.seen(&devices, &photos).await;
    let source = server.data_path().to_path_buf();
    let source_report = report(&["--data", source.to_str().unwrap()]);
    let records = server.pull_all(&community).await.len();
    assert!(records >= 16, "the district holds {records} records");

    // Moved with the binary, killed once it is copying records.
    let target_dir = tempfile::tempdir().unwrap();
    let target = target_dir.path().join("city");
    let database = ScratchDatabase::create(&pg).unwrap();
    let mut child = migrate_command(&source, &target, database.url())
        .args(["--page-rows", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut copied_before_kill = 0;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.contains("rows of records") {
            copied_before_kill += 1;
            if copied_before_kill == 3 {
                break;
            }
        }
    }
    child.kill().unwrap();
    let killed = child.wait().unwrap();
    assert!(!killed.success(), "migrate finished before it was killed");
    assert_eq!(copied_before_kill, 3);

    // Run again: it continues and ends verified; once more, nothing is copied again.
    let (progress, verification) = migrate_to_end(&source, &target, database.url());
    assert_verified(&verification, photos.len());
    assert!(
        progress.iter().any(|l| l.contains("rows of records")),
        "the re-run copied the rest of the records: {progress:?}"
    );
    let (progress, verification) = migrate_to_end(&source, &target, database.url());
    assert_verified(&verification, photos.len());
    assert!(
        !progress
            .iter()
            .any(|l| l.contains("copied ") && !l.contains("already")),
        "a finished migration copies nothing again: {progress:?}"
    );
    let left: Vec<&str> = verification["left_behind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| pair[0].as_str().unwrap())
        .collect();
    assert!(left.contains(&"console_sessions"), "{left:?}");

    // A server on the PostgreSQL copy serves the same to the same tokens.
    let dir = DataDir {
        root: target.clone(),
    };
    let state = open_state_on(
        &Database::Postgres(database.url().to_string()),
        &dir,
        Limits::default(),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve_on(listener, state.clone(), async move {
        let _ = stopped.await;
    }));
    let city = Http {
        base,
        client: reqwest::Client::new(),
    };
    let after = city.seen(&devices, &photos).await;
    assert_eq!(
        after, before,
        "the city server answers as the district's did"
    );
    let missing = city.get_blob(&worker_a, &never_uploaded).await;
    assert_eq!(missing, 404);
    let city_report = report(&[
        "--data",
        target.to_str().unwrap(),
        "--database",
        database.url(),
    ]);
    assert_eq!(city_report, source_report);
    // The chained records keep their form: verify on the copy finds the three reports
    // sealed by the fourth, as on the source, and nothing broken.
    let (source_code, source_verified) = verify(&["--data", source.to_str().unwrap()]);
    let (city_code, city_verified) = verify(&[
        "--data",
        target.to_str().unwrap(),
        "--database",
        database.url(),
    ]);
    assert_eq!((source_code, city_code), (0, 0), "{city_verified}");
    assert_eq!(city_verified["sealed"], json!(3), "{city_verified}");
    assert_eq!(city_verified["signed"], json!(7), "{city_verified}");
    assert_eq!(city_verified, source_verified);
    // New records continue the pull cursor after the copied ones.
    let pushed = city.push_routine(&worker_b).await;
    assert_eq!(pushed, "accepted");
    let pulled = city.pull_all(&community).await;
    assert_eq!(pulled.len(), records + 1);
    let _ = stop.send(());
    task.await.unwrap().unwrap();

    // A row changed behind migrate's back is found: the verification names the table
    // and the command exits non-zero.
    let (client, connection) = tokio_postgres::connect(database.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    let connection = tokio::spawn(connection);
    client
        .execute(
            "UPDATE people SET name = name || ' (changed)' WHERE id = $1",
            &[&worker_a.person],
        )
        .await
        .unwrap();
    drop(client);
    let _ = connection.await;
    let out = migrate_command(&source, &target, database.url())
        .output()
        .unwrap();
    assert!(!out.status.success(), "a changed row must fail the check");
    let verification: Value = serde_json::from_slice(&out.stdout).unwrap();
    let people = verification["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "people")
        .unwrap();
    assert_eq!(people["same_rows"], false, "{people}");
    assert_eq!(people["source_rows"], people["target_rows"]);
    // The embedded server (and with it the source folder) goes last.
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_copy_is_generic_over_the_stores_embedded_to_embedded() {
    // The same copy between two embedded stores runs everywhere, PostgreSQL or not:
    // the copier knows only `TableRows` and `BlobStore`.
    let (server, _, photos) = district().await;
    let source = DataDir {
        root: server.data_path().to_path_buf(),
    };
    let target_dir = tempfile::tempdir().unwrap();
    let target = DataDir {
        root: target_dir.path().to_path_buf(),
    };
    let from = SqliteStore::open(&source.database()).unwrap();
    let to = SqliteStore::open(&target.database()).unwrap();
    let from_blobs = FileBlobStore::open(&source.blobs()).unwrap();
    let to_blobs = FileBlobStore::open(&target.blobs()).unwrap();
    let migration = Migration {
        from: &from,
        to: &to,
        from_blobs: &from_blobs,
        to_blobs: &to_blobs,
        page_rows: 3,
    };
    let mut steps = Vec::new();
    migration.copy(&mut |step| steps.push(step)).unwrap();
    let verification = migration.verify().unwrap();
    assert!(verification.ok(), "{verification}");
    assert_eq!(verification.blobs.verified, photos.len() as u64);
    let records = verification
        .tables
        .iter()
        .find(|t| t.table == "records")
        .unwrap();
    assert!(records.target_rows >= 16, "{verification}");
    // Every table holding rows was copied in pages of at most three.
    assert!(steps.iter().all(|s| match s {
        Progress::Rows { rows, .. } => (1..=3).contains(rows),
        Progress::Blob { copied, .. } => *copied,
    }));

    // Run again: nothing is copied twice.
    let mut again = Vec::new();
    migration.copy(&mut |step| again.push(step)).unwrap();
    assert!(
        again
            .iter()
            .all(|s| matches!(s, Progress::Blob { copied: false, .. })),
        "{again:?}"
    );
    assert!(migration.verify().unwrap().ok());
    server.stop().await;
}

/// The requests the test makes of both servers (the one on PostgreSQL runs on the data
/// folder `migrate` filled, not one [`TestServer`] makes).
struct Http {
    base: String,
    client: reqwest::Client,
}

impl Http {
    async fn pull_all(&self, device: &Device) -> Vec<Value> {
        let mut cursor = String::new();
        let mut items = Vec::new();
        for _ in 0..100 {
            let page: Value = self
                .client
                .get(format!("{}/v1/pull", self.base))
                .query(&[("cursor", cursor.as_str()), ("limit", "50")])
                .bearer_auth(&device.token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            cursor = page["next_cursor"].as_str().unwrap().to_string();
            if !page["has_more"].as_bool().unwrap() {
                return items;
            }
        }
        panic!("pull did not finish in 100 pages");
    }

    async fn get_blob(&self, device: &Device, sha: &str) -> u16 {
        self.blob(device, sha).await.0
    }

    async fn blob(&self, device: &Device, sha: &str) -> (u16, String) {
        let response = self
            .client
            .get(format!("{}/v1/blobs/{sha}", self.base))
            .bearer_auth(&device.token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, sha256(&response.bytes().await.unwrap()))
    }

    /// What the district's people see: every device's whole pull and, for every photo,
    /// the status and body hash each device gets.
    async fn seen(&self, devices: &[Device], photos: &[String]) -> Vec<Value> {
        let mut out = Vec::new();
        for device in devices {
            let pulled = self.pull_all(device).await;
            let mut fetched = Vec::new();
            for sha in photos {
                let (status, body_sha) = self.blob(device, sha).await;
                fetched.push(serde_json::json!({
                    "sha": sha, "status": status, "body_sha": body_sha,
                }));
            }
            out.push(serde_json::json!({
                "device": device.device_id, "pulled": pulled, "fetched": fetched,
            }));
        }
        out
    }

    async fn push_routine(&self, device: &Device) -> String {
        let body: Value = self
            .client
            .post(format!("{}/v1/push", self.base))
            .bearer_auth(&device.token)
            .json(&serde_json::json!({ "items": [routine("site-b")] }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["results"][0]["status"].as_str().unwrap().to_string()
    }
}
