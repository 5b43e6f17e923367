//! The case bundle end to end (issue 12 item 5): a grid worker's `gridwalk` inspects a
//! site with a real camera JPEG (EXIF time and GPS), syncs with a real gridwalk-server
//! on 127.0.0.1 (in this process) and comments on the case; the server writes the
//! case's bundle (`export-case`'s code); and the real `gridwalk verify-bundle` binary,
//! with no data folder, checks it: a clean bundle verifies and prints its timeline;
//! each kind of tampering — a byte of a photo, a note, a date, a removed event, a
//! re-ordered chain, a swapped public key — is named (with the manifest rewritten to
//! match, as a forger would); a case whose device chain forked (a cloned store) still
//! verifies, the fork named as a warning.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[path = "../../core/tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{TestServer, json_ok};
use gridwalk_server::export::{case_view, export_case};
use gridwalk_server::storage::files::FileBlobStore;
use gridwalk_server::storage::sqlite::SqliteStore;
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::{Meta, jpeg, textured};

/// Runs `gridwalk ARGS…` with no data folder at all: verify-bundle needs none.
fn bare(args: &[&str]) -> Output {
    let nowhere = std::env::temp_dir().join("gridwalk-no-such-folder/data");
    Command::new(env!("CARGO_BIN_EXE_gridwalk"))
        .arg("--data")
        .arg(&nowhere)
        .args(args)
        .env_remove("GRIDWALK_DATA")
        .output()
        .unwrap()
}

/// `verify-bundle FILE --json`: (exit code, report).
fn verify(file: &Path) -> (i32, Value) {
    let out = bare(&["--json", "--utc", "verify-bundle", file.to_str().unwrap()]);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), report)
}

/// `(subject, code)` of each problem (or warning) in a report.
fn findings(report: &Value, which: &str) -> Vec<(String, String)> {
    report[which]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["subject"].as_str().unwrap().to_string(),
                p["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn read_zip(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut files = BTreeMap::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        files.insert(entry.name().unwrap().to_string(), bytes);
    }
    files
}

/// Writes `files` as a zip, the manifest rewritten to match every file (a forger's
/// bundle: only signatures, links and photo names can tell).
fn write_forged(path: &Path, mut files: BTreeMap<String, Vec<u8>>) {
    let mut manifest: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    manifest["files"] = files
        .iter()
        .filter(|(p, _)| p.as_str() != "manifest.json")
        .map(|(p, b)| {
            serde_json::json!({"path": p, "sha256": hex(&Sha256::digest(b)), "bytes": b.len()})
        })
        .collect();
    files.insert(
        "manifest.json".into(),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    );
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in &files {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The JSON file of the bundle whose record has `id`, parsed, with its path.
fn record_file(files: &BTreeMap<String, Vec<u8>>, id: &str) -> (String, Value) {
    files
        .iter()
        .filter(|(p, _)| p.starts_with("records/"))
        .map(|(p, b)| (p.clone(), serde_json::from_slice::<Value>(b).unwrap()))
        .find(|(_, r)| r["id"] == id)
        .unwrap()
}

/// A grid worker's phone: enrolled, synced, one submitted inspection with a hazard
/// photographed by a camera file carrying `meta`; returns (data folder, case id).
fn inspect_and_sync(work: &Path, server: &TestServer, meta: &Meta) -> (PathBuf, String) {
    let data = work.join("phone");
    json_ok(
        &data,
        &["enrol", "--server", &server.url, "--code", &server.code],
    );
    json_ok(&data, &["sync"]);
    let id = json_ok(&data, &["inspect", "start", "--site", "HX-001"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let checklist = json_ok(&data, &["inspect", "checklist", &id]);
    let entries: Vec<Value> = checklist["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["entries"].as_array().unwrap().clone())
        .collect();
    let hazard = entries
        .iter()
        .find(|e| e["item"]["photo_required"] == true)
        .map(|e| e["item"]["code"].as_str().unwrap().to_string())
        .unwrap();
    for e in &entries {
        let code = e["item"]["code"].as_str().unwrap();
        if code != hazard {
            json_ok(&data, &["inspect", "answer", &id, code, "ok"]);
        }
    }
    let camera = work.join("camera.jpg");
    std::fs::write(&camera, jpeg(&textured(400, 300, 7), 90, meta)).unwrap();
    json_ok(
        &data,
        &[
            "inspect",
            "answer",
            &id,
            &hazard,
            "hazard",
            "--note",
            "extinguisher empty",
            "--photo",
            camera.to_str().unwrap(),
        ],
    );
    json_ok(&data, &["inspect", "submit", &id]);
    let cases = json_ok(&data, &["hazards", "list"]);
    let case_id = cases[0]["case_id"].as_str().unwrap().to_string();
    json_ok(&data, &["sync"]);
    (data, case_id)
}

/// The server's `export-case` of `case_id` into `out`.
fn export(server: &TestServer, case_id: &str, out: &Path) {
    let records = SqliteStore::open(&server.data.join("server.sqlite")).unwrap();
    let blobs = FileBlobStore::open(&server.data.join("blobs")).unwrap();
    export_case(&records, &blobs, case_id, out, chrono::Utc::now()).unwrap();
}

#[test]
fn a_clean_bundle_verifies_offline_and_every_kind_of_tampering_is_named() {
    let work = tempfile::tempdir().unwrap();
    let server = TestServer::start(work.path(), "Wang Fang", "grid-worker", "JJ-CX-HX-G1");
    let meta = Meta {
        taken: Some("2026:05:01 09:15:00"),
        gps: Some((30.6571, 104.0817)),
        ..Meta::default()
    };
    let (data, case_id) = inspect_and_sync(work.path(), &server, &meta);
    for text in ["called the property manager", "manager replaced it"] {
        json_ok(&data, &["hazards", "act", &case_id, "comment", text]);
    }
    json_ok(&data, &["sync"]);

    let bundle = work.path().join("case.zip");
    export(&server, &case_id, &bundle);

    // Clean: exit 0, five records (inspection, its photo's record, report, two
    // comments), one photo.
    let (code, report) = verify(&bundle);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(findings(&report, "problems"), vec![]);
    assert_eq!(
        (report["records"].as_u64(), report["verified"].as_u64()),
        (Some(5), Some(5))
    );
    assert_eq!(report["photos"], 1);
    let whats: Vec<&str> = report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["what"].as_str().unwrap())
        .collect();
    assert_eq!(whats, ["inspection", "reported", "comment", "comment"]);
    // The human form: the verdict and a readable timeline.
    let out = bare(&["--utc", "verify-bundle", bundle.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("VERIFIED"), "{text}");
    assert!(
        text.contains("comment by Wang Fang (grid-worker)"),
        "{text}"
    );
    assert!(text.contains("manager replaced it"), "{text}");
    assert!(text.contains("verified, chain linked"), "{text}");

    let files = read_zip(&bundle);
    let records: Vec<Value> = files
        .iter()
        .filter(|(p, _)| p.starts_with("records/"))
        .map(|(_, b)| serde_json::from_slice(b).unwrap())
        .collect();
    let inspection = records.iter().find(|r| r["kind"] == "inspection").unwrap();
    let inspection_id = inspection["id"].as_str().unwrap().to_string();
    let comments: Vec<String> = records
        .iter()
        .filter(|r| r["body"]["payload"]["kind"] == "comment")
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let photo = files
        .keys()
        .find(|p| p.starts_with("photos/"))
        .unwrap()
        .clone();
    let photo_sha = photo
        .trim_start_matches("photos/")
        .trim_end_matches(".jpg")
        .to_string();
    let forged = work.path().join("forged.zip");
    let check = |files: BTreeMap<String, Vec<u8>>, expect: &[(&str, &str)], what: &str| {
        write_forged(&forged, files);
        let (code, report) = verify(&forged);
        assert_eq!(code, 1, "{what}: {report:#}");
        let found = findings(&report, "problems");
        for (subject, problem) in expect {
            assert!(
                found.contains(&(subject.to_string(), problem.to_string())),
                "{what}: expected {problem} on {subject}, found {found:?}"
            );
        }
        // The human form names it too.
        let out = bare(&["verify-bundle", forged.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success());
        for (subject, problem) in expect {
            assert!(
                text.contains(&format!("PROBLEM {problem} {subject}")),
                "{what}: {text}"
            );
        }
    };

    // A byte of the photo.
    let mut tampered = files.clone();
    tampered.get_mut(&photo).unwrap()[500] ^= 0x01;
    check(tampered, &[(&photo_sha, "photo_hash")], "a photo byte");

    // A note: the second comment's text.
    let mut tampered = files.clone();
    let (path, mut record) = record_file(&files, &comments[1]);
    record["body"]["payload"]["text"] = "nothing was wrong".into();
    tampered.insert(path, serde_json::to_vec_pretty(&record).unwrap());
    check(tampered, &[(&comments[1], "bad_signature")], "a note");

    // A note of a record not signed itself (ADR 12): the first comment, chained and
    // sealed by the second's signature in the same push.
    let proofs: Vec<Value> = serde_json::from_slice(&files["proofs.json"]).unwrap();
    let proof_of = |id: &str| proofs.iter().find(|p| p["record"] == id).unwrap().clone();
    assert!(proof_of(&comments[0]).get("signature").is_none());
    assert!(proof_of(&comments[1])["signature"].is_string());
    let mut tampered = files.clone();
    let (path, mut record) = record_file(&files, &comments[0]);
    record["body"]["payload"]["text"] = "nothing was wrong".into();
    tampered.insert(path, serde_json::to_vec_pretty(&record).unwrap());
    check(
        tampered,
        &[(&comments[0], "bad_signature")],
        "a note sealed by a later record",
    );
    // The seal's signature forged: what it seals is named with it.
    let mut tampered = files.clone();
    let mut forged_proofs = proofs.clone();
    for p in &mut forged_proofs {
        if p["record"] == comments[1].as_str() {
            p["signature"] = "3006020101020101".into();
        }
    }
    tampered.insert(
        "proofs.json".into(),
        serde_json::to_vec(&forged_proofs).unwrap(),
    );
    check(
        tampered,
        &[
            (&comments[0], "bad_signature"),
            (&comments[1], "bad_signature"),
        ],
        "a forged seal",
    );

    // A date: the inspection's answers moved a day earlier.
    let mut tampered = files.clone();
    let (path, mut record) = record_file(&files, &inspection_id);
    for answer in record["body"]["answers"].as_array_mut().unwrap() {
        let at = answer["answered_at"]
            .as_str()
            .unwrap()
            .replacen("2026", "2025", 1);
        answer["answered_at"] = at.into();
    }
    tampered.insert(path, serde_json::to_vec_pretty(&record).unwrap());
    check(tampered, &[(&inspection_id, "bad_signature")], "a date");

    // A removed event: the first comment, its record and its proof.
    let mut tampered = files.clone();
    let (path, _) = record_file(&files, &comments[0]);
    tampered.remove(&path);
    let mut proofs: Vec<Value> = serde_json::from_slice(&files["proofs.json"]).unwrap();
    proofs.retain(|p| p["record"] != comments[0].as_str());
    tampered.insert("proofs.json".into(), serde_json::to_vec(&proofs).unwrap());
    check(
        tampered,
        &[
            (&comments[1], "chain_break"),
            (&comments[1], "missing_parent"),
        ],
        "a removed event",
    );

    // A re-ordered chain: the two comments' proofs swapped in the device's chain.
    let mut tampered = files.clone();
    let mut proofs: Vec<Value> = serde_json::from_slice(&files["proofs.json"]).unwrap();
    let a = proofs
        .iter()
        .position(|p| p["record"] == comments[0].as_str())
        .unwrap();
    let b = proofs
        .iter()
        .position(|p| p["record"] == comments[1].as_str())
        .unwrap();
    proofs.swap(a, b);
    tampered.insert("proofs.json".into(), serde_json::to_vec(&proofs).unwrap());
    check(
        tampered,
        &[(&comments[1], "chain_order")],
        "a re-ordered chain",
    );

    // A swapped public key: every record of the device fails, each named.
    let mut tampered = files.clone();
    let mut devices: Vec<Value> = serde_json::from_slice(&files["devices.json"]).unwrap();
    devices[0]["public_key"] = "04515c3d6eb9e396b904d3feca7f54fdcd0cc1e997bf375dca515ad0a6c3b4035f4536be3a50f318fbf9a5475902a221502bef0d57e08c53b2cc0a56f17d9f9354".into();
    tampered.insert("devices.json".into(), serde_json::to_vec(&devices).unwrap());
    check(
        tampered,
        &[
            (&inspection_id, "bad_signature"),
            (&comments[0], "bad_signature"),
            (&comments[1], "bad_signature"),
        ],
        "a swapped key",
    );

    // The photo byte without rewriting the manifest: the file's hash is named as well.
    let mut tampered = files.clone();
    tampered.get_mut(&photo).unwrap()[500] ^= 0x01;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&forged).unwrap());
    for (name, bytes) in &tampered {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    let (code, report) = verify(&forged);
    assert_eq!(code, 1);
    assert!(findings(&report, "problems").contains(&(photo.clone(), "file_hash".into())));

    // Not a zip at all: a typed error, exit 1.
    let junk = work.path().join("junk.zip");
    std::fs::write(&junk, "not a zip").unwrap();
    let out = bare(&["verify-bundle", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a zip bundle"));
}

#[test]
fn a_bundle_of_a_case_whose_device_chain_forked_verifies_with_the_fork_as_a_warning() {
    let work = tempfile::tempdir().unwrap();
    let server = TestServer::start(work.path(), "Wang Fang", "grid-worker", "JJ-CX-HX-G1");
    let (data, case_id) = inspect_and_sync(work.path(), &server, &Meta::default());
    // The store is copied (a backup restored on a second phone) and both copies
    // record on: their next records follow the same predecessor.
    let clone = work.path().join("clone");
    std::fs::create_dir_all(&clone).unwrap();
    for entry in std::fs::read_dir(&data).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), clone.join(entry.file_name())).unwrap();
        }
    }
    json_ok(
        &data,
        &["hazards", "act", &case_id, "comment", "on the phone"],
    );
    json_ok(
        &clone,
        &["hazards", "act", &case_id, "comment", "on the copy"],
    );
    json_ok(&data, &["sync"]);
    json_ok(&clone, &["sync"]);

    let bundle = work.path().join("forked.zip");
    export(&server, &case_id, &bundle);
    let (code, report) = verify(&bundle);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(findings(&report, "problems"), vec![]);
    let warnings = findings(&report, "warnings");
    assert_eq!(
        warnings.iter().filter(|(_, c)| c == "fork").count(),
        2,
        "{warnings:?}"
    );
    let out = bare(&["verify-bundle", bundle.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("warning fork"), "{text}");
    assert!(text.contains("chain fork"), "{text}");

    // A colleague's device pulls the case: `hazards show` names the fork the server
    // found, on the event that arrived second, in text and in JSON.
    let records = SqliteStore::open(&server.data.join("server.sqlite")).unwrap();
    let code =
        gridwalk_server::admin::add_person(&records, "Li Na", "grid-worker", "JJ-CX-HX-G1", None)
            .unwrap()
            .enrolment_code;
    let colleague = work.path().join("colleague");
    json_ok(
        &colleague,
        &["enrol", "--server", &server.url, "--code", &code],
    );
    json_ok(&colleague, &["sync"]);
    let shown = json_ok(&colleague, &["hazards", "show", &case_id]);
    let marks: Vec<(String, String)> = shown["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["record"].as_str().unwrap().to_string(),
                m["chain"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let forked: Vec<&String> = marks
        .iter()
        .filter(|(_, c)| c == "fork")
        .map(|(r, _)| r)
        .collect();
    assert_eq!(forked.len(), 1, "{marks:?}");
    assert_eq!(marks.len(), shown["events"].as_array().unwrap().len());
    let out = common::gridwalk(&colleague, &["hazards", "show", &case_id]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("chain fork on ") && text.contains("a cloned or restored store"),
        "{text}"
    );
}

#[test]
fn a_zip_whose_entry_climbs_out_of_the_bundle_is_refused_unread() {
    let work = tempfile::tempdir().unwrap();
    let evil = work.path().join("evil.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&evil).unwrap());
    zip.start_file("../outside.json", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"{}").unwrap();
    zip.finish().unwrap();
    let out = bare(&["--json", "verify-bundle", evil.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(error["error"]["kind"], "invalid-input");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`../outside.json` is not a path inside the bundle"),
        "{error}"
    );
    assert!(!work.path().join("outside.json").exists());
}

/// The provenance flags of `kind` in a report (the case view's or a bundle's).
fn flags_of(report: &Value, kind: &str) -> Vec<Value> {
    report["provenance"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .cloned()
        .collect()
}

#[test]
fn a_photo_taken_far_from_the_site_is_flagged_by_the_case_view_and_the_bundle_from_its_signed_record()
 {
    let work = tempfile::tempdir().unwrap();
    let server = TestServer::start(work.path(), "Wang Fang", "grid-worker", "JJ-CX-HX-G1");
    // HX-001 is at 30.6571, 104.0817; the camera says 30.7000: 4.8 km north.
    let meta = Meta {
        taken: Some("2026:05:01 09:15:00"),
        gps: Some((30.7, 104.0817)),
        ..Meta::default()
    };
    let (_data, case_id) = inspect_and_sync(work.path(), &server, &meta);

    // The server's case view (what `gridwalk-server case --json` prints).
    let records = SqliteStore::open(&server.data.join("server.sqlite")).unwrap();
    let blobs = FileBlobStore::open(&server.data.join("blobs")).unwrap();
    let view =
        serde_json::to_value(case_view(&records, &blobs, &case_id, chrono::Utc::now()).unwrap())
            .unwrap();
    let far = flags_of(&view, "gps-far-from-site");
    assert_eq!(far.len(), 1, "{view:#}");
    let distance = far[0].to_string();
    assert!(distance.contains("HX-001"), "{distance}");
    // The capture time (1 May) is far from the answer (today): flagged too.
    assert!(
        !flags_of(&view, "capture-far-from-record").is_empty(),
        "{view:#}"
    );

    // The bundle, checked offline by `gridwalk verify-bundle`, says the same.
    let bundle = work.path().join("case.zip");
    export(&server, &case_id, &bundle);
    let (code, report) = verify(&bundle);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        flags_of(&report, "gps-far-from-site").len(),
        1,
        "{report:#}"
    );

    // A forger moves the photo record's GPS onto the site: named bad_signature.
    let files = read_zip(&bundle);
    let photo = files.keys().find(|p| p.starts_with("photos/")).unwrap();
    let sha = photo.trim_start_matches("photos/").trim_end_matches(".jpg");
    let id = format!("photo-{sha}");
    let (path, mut record) = record_file(&files, &id);
    record["body"]["lat_e7"] = serde_json::json!(306_571_000);
    let mut forged_files = files.clone();
    forged_files.insert(path, serde_json::to_vec_pretty(&record).unwrap());
    let forged = work.path().join("forged.zip");
    write_forged(&forged, forged_files);
    let (code, report) = verify(&forged);
    assert_eq!(code, 1, "{report:#}");
    assert!(
        findings(&report, "problems").contains(&(id.clone(), "bad_signature".into())),
        "{report:#}"
    );
}
