//! `gridwalk photo ingest` and `gridwalk inspect answer --photo`: the real binary on real
//! camera-like JPEGs in a fresh data folder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[path = "../../core/tests/support/mod.rs"]
mod support;

use std::path::Path;

use common::{gridwalk, json_err, json_ok};
use serde_json::Value;
use support::{Meta, jpeg, textured};

fn camera_file(dir: &Path, name: &str, seed: u32, meta: &Meta) -> String {
    let path = dir.join(name);
    std::fs::write(&path, jpeg(&textured(400, 300, seed), 90, meta)).unwrap();
    path.to_str().unwrap().to_string()
}

/// Files (not folders) under the data folder's photo store.
fn photo_files(data: &Path) -> Vec<String> {
    support::files_under(&data.join("photos"))
        .into_iter()
        .filter(|f| !f.ends_with('/'))
        .collect()
}

#[test]
fn photo_ingest_prints_hash_size_paths_and_camera_fields() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let meta = Meta {
        orientation: Some(6),
        taken: Some("2026:03:01 09:15:00"),
        gps: Some((30.65, 104.08)),
        make: Some("HUAWEI"),
        model: Some("nova 5"),
        ..Meta::default()
    };
    let file = camera_file(dir.path(), "IMG_1.jpg", 1, &meta);
    let v = json_ok(&data, &["photo", "ingest", &file]);
    let sha = v["sha256"].as_str().unwrap();
    assert_eq!(sha.len(), 64);
    // Orientation 6 turns the 400x300 sensor image upright.
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(300), Some(400))
    );
    let path = Path::new(v["path"].as_str().unwrap());
    assert_eq!(
        std::fs::metadata(path).unwrap().len(),
        v["bytes"].as_u64().unwrap()
    );
    assert!(path.starts_with(&data));
    assert!(Path::new(v["thumbnail_path"].as_str().unwrap()).is_file());
    assert_eq!(v["taken_at"], "2026-03-01T09:15:00");
    assert!((v["lat"].as_f64().unwrap() - 30.65).abs() < 1e-4);
    assert!((v["lon"].as_f64().unwrap() - 104.08).abs() < 1e-4);
    assert_eq!(v["camera"], "HUAWEI nova 5");

    // Same file again: same hash, still one evidence file and one thumbnail.
    let again = json_ok(&data, &["photo", "ingest", &file]);
    assert_eq!(again["sha256"], sha);
    assert_eq!(photo_files(&data).len(), 2);

    // Options: a smaller long edge and quality give another (smaller) file.
    let small = json_ok(
        &data,
        &[
            "photo",
            "ingest",
            &file,
            "--long-edge",
            "200",
            "--quality",
            "60",
        ],
    );
    assert_eq!(
        (small["width"].as_u64(), small["height"].as_u64()),
        (Some(150), Some(200))
    );
    assert!(small["bytes"].as_u64() < v["bytes"].as_u64());

    // Text mode prints the hash first.
    let out = gridwalk(&data, &["photo", "ingest", &file]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(sha));
}

#[test]
fn unknown_camera_fields_are_left_out_of_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = camera_file(dir.path(), "plain.jpg", 2, &Meta::default());
    let v = json_ok(&data, &["photo", "ingest", &file]);
    for key in ["taken_at", "lat", "lon", "camera"] {
        assert!(v.get(key).is_none(), "{key} should be absent: {v}");
    }
}

#[test]
fn bad_photo_files_get_typed_errors_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let text = dir.path().join("IMG_2.jpg");
    std::fs::write(&text, "not a photo").unwrap();
    let err = json_err(&data, &["photo", "ingest", text.to_str().unwrap()]);
    assert_eq!(err["kind"], "photo-misleading-extension");
    let heic = dir.path().join("IMG_3.HEIC");
    std::fs::write(&heic, b"\0\0\0\x18ftypheic\0\0\0\0mif1heic").unwrap();
    let err = json_err(&data, &["photo", "ingest", heic.to_str().unwrap()]);
    assert_eq!(err["kind"], "photo-unsupported-format");
    assert!(err["message"].as_str().unwrap().contains("HEIC"));
    let err = json_err(&data, &["photo", "ingest", "/nonexistent/IMG_4.jpg"]);
    assert_eq!(err["kind"], "photo-unreadable");
    let ok = camera_file(dir.path(), "ok.jpg", 3, &Meta::default());
    let err = json_err(&data, &["photo", "ingest", &ok, "--quality", "0"]);
    assert_eq!(err["kind"], "photo-invalid-options");
    assert!(photo_files(&data).is_empty());
}

#[test]
fn answer_with_photos_attaches_them_and_a_bad_photo_refuses_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let csv = data.join("sites.csv");
    std::fs::write(
        &csv,
        "id,name,kind,unit,address,lat,lon\nS1,Jinjiang Garden,residential,G1,12 Hongxing Rd,30.65,104.08\n",
    )
    .unwrap();
    json_ok(&data, &["sites", "import", csv.to_str().unwrap()]);
    common::set_profile(&data);
    let id = json_ok(&data, &["inspect", "start", "--site", "S1"])["id"]
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
    let codes: Vec<String> = entries
        .iter()
        .map(|e| e["item"]["code"].as_str().unwrap().to_string())
        .collect();
    let hazard = entries
        .iter()
        .find(|e| e["item"]["photo_required"] == true)
        .map(|e| e["item"]["code"].as_str().unwrap().to_string())
        .unwrap();
    for code in codes.iter().filter(|c| **c != hazard) {
        json_ok(&data, &["inspect", "answer", &id, code, "ok"]);
    }

    // A bad photo refuses the whole answer: no answer, no photo.
    let text = dir.path().join("bad.jpg");
    std::fs::write(&text, "oops").unwrap();
    let good = camera_file(dir.path(), "good.jpg", 4, &Meta::default());
    let err = json_err(
        &data,
        &[
            "inspect",
            "answer",
            &id,
            &hazard,
            "hazard",
            "--photo",
            &good,
            "--photo",
            text.to_str().unwrap(),
        ],
    );
    assert_eq!(err["kind"], "photo-misleading-extension");
    let shown = json_ok(&data, &["inspect", "show", &id]);
    assert!(
        shown["answers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["item"] != hazard.as_str())
    );
    assert!(photo_files(&data).is_empty(), "{:?}", photo_files(&data));

    // A hazard without its required photo cannot be submitted.
    json_ok(&data, &["inspect", "answer", &id, &hazard, "hazard"]);
    let err = json_err(&data, &["inspect", "submit", &id]);
    assert_eq!(err["kind"], "incomplete-inspection");
    assert_eq!(err["missing_photos"][0], hazard.as_str());

    // Two photos attached with the answer; then it submits.
    let second = camera_file(dir.path(), "second.jpg", 5, &Meta::default());
    let v = json_ok(
        &data,
        &[
            "inspect", "answer", &id, &hazard, "hazard", "--note", "wires", "--photo", &good,
            "--photo", &second,
        ],
    );
    assert_eq!(v["photos"].as_array().unwrap().len(), 2);
    let shown = json_ok(&data, &["inspect", "show", &id]);
    let answer = shown["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["item"] == hazard.as_str())
        .unwrap()
        .clone();
    assert_eq!(answer["photos"].as_array().unwrap().len(), 2);
    assert_eq!(photo_files(&data).len(), 4);
    let submitted = json_ok(&data, &["inspect", "submit", &id]);
    assert_eq!(submitted["status"], "submitted");
}
