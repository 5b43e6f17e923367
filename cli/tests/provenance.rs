//! Provenance flags on the device's case (issue 12 item 4): `gridwalk hazards show` on
//! cases opened by inspections whose hazard photos are real camera JPEGs carrying EXIF
//! GPS and capture time — a photo taken 1.1 km from the site, months before its answer,
//! and the same photo used again at another site — names each photo and the measured
//! value, in text and JSON; the limits are the command's to set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[path = "../../core/tests/support/mod.rs"]
mod support;

use std::path::Path;

use common::{gridwalk, json_ok};
use serde_json::Value;
use support::{Meta, jpeg, textured};

/// Inspects `site` answering every item ok but one photo-required hazard, with the
/// camera file `photo`; submits; returns the case it opened.
fn inspect(data: &Path, site: &str, photo: &Path) -> String {
    let id = json_ok(data, &["inspect", "start", "--site", site])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let checklist = json_ok(data, &["inspect", "checklist", &id]);
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
            json_ok(data, &["inspect", "answer", &id, code, "ok"]);
        }
    }
    json_ok(
        data,
        &[
            "inspect",
            "answer",
            &id,
            &hazard,
            "hazard",
            "--photo",
            photo.to_str().unwrap(),
        ],
    );
    json_ok(data, &["inspect", "submit", &id]);
    let cases = json_ok(data, &["hazards", "list"]);
    cases
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["site_id"] == site)
        .unwrap()["case_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `(kind, subject)` of each provenance flag of a shown case.
fn kinds(shown: &Value) -> Vec<(String, String)> {
    shown["provenance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_far_old_re_used_photo_is_flagged_on_the_case_with_what_was_measured() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let csv = data.join("sites.csv");
    std::fs::write(
        &csv,
        "id,name,kind,unit,address,lat,lon\n\
         S1,Jinjiang Garden,residential,G1,12 Hongxing Rd,30.6500,104.0800\n\
         S2,Lotus Court,residential,G1,3 Lotus St,30.6600,104.0800\n",
    )
    .unwrap();
    json_ok(&data, &["sites", "import", csv.to_str().unwrap()]);
    common::set_profile(&data);
    // Photographed at S2's coordinates (1.1 km north of S1) on 1 March.
    let camera = dir.path().join("camera.jpg");
    let meta = Meta {
        taken: Some("2026:03:01 09:15:00"),
        offset: Some("+08:00"),
        gps: Some((30.6600, 104.0800)),
        ..Meta::default()
    };
    std::fs::write(&camera, jpeg(&textured(400, 300, 11), 90, &meta)).unwrap();
    let at_s1 = inspect(&data, "S1", &camera);

    let shown = json_ok(&data, &["hazards", "show", &at_s1]);
    let found = kinds(&shown);
    let sha = found[0].1.clone();
    assert_eq!(
        found,
        [
            ("gps-far-from-site".to_string(), sha.clone()),
            ("capture-far-from-record".to_string(), sha.clone()),
            // The report's event and the inspection answer it came from: once each.
            ("capture-far-from-record".to_string(), sha.clone()),
        ]
    );
    let gps = &shown["provenance"][0];
    let distance = gps["distance_m"].as_f64().unwrap();
    assert!((1_100.0..1_125.0).contains(&distance), "{distance}");
    assert_eq!(gps["site_id"], "S1");
    assert!(
        gps["message"]
            .as_str()
            .unwrap()
            .contains("GPS 1.1 km from the site S1"),
        "{gps}"
    );
    assert!(shown["provenance"][1]["gap_ms"].as_i64().unwrap() < -24 * 3_600_000);

    // The same camera file at S2: the photo is re-used across cases and sites, and
    // there it is where it was taken.
    let at_s2 = inspect(&data, "S2", &camera);
    let shown = json_ok(&data, &["hazards", "show", &at_s2]);
    let found = kinds(&shown);
    assert!(
        !found.iter().any(|(k, _)| k == "gps-far-from-site"),
        "{found:?}"
    );
    let reused: Vec<&Value> = shown["provenance"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "photo-reused")
        .collect();
    assert_eq!(reused.len(), 1, "{shown:#}");
    assert_eq!(reused[0]["sites"], serde_json::json!(["S1", "S2"]));
    let mut cases = vec![at_s1.clone(), at_s2.clone()];
    cases.sort();
    assert_eq!(reused[0]["cases"], serde_json::json!(cases));

    // The text form says it too; wider limits raise no GPS or time flag.
    let out = gridwalk(&data, &["hazards", "show", &at_s1]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("provenance: photo") && text.contains("GPS 1.1 km from the site S1"),
        "{text}"
    );
    assert!(
        text.contains("also used in 2 case(s) and 2 site(s)"),
        "{text}"
    );
    let shown = json_ok(
        &data,
        &[
            "hazards",
            "show",
            &at_s1,
            "--max-distance-m",
            "5000",
            "--max-capture-gap-hours",
            "100000",
        ],
    );
    let found = kinds(&shown);
    assert_eq!(found, [("photo-reused".to_string(), sha)]);
}
