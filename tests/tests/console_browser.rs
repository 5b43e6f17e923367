//! The desk console's end-to-end story in a real browser (issue 15 item 9): a grid
//! worker's device (the core's sync client) syncs a hazard with a photo; in Debian's
//! chromium, driven by playwright-core (`tests/console/story.cjs`), community staff
//! call it in to the street, the street officer assigns it to the police, the police
//! officer accepts it and rectifies it with a photo, the community staff verifies it,
//! and the dashboard's numbers move — and equal the campaign report that
//! `gridwalk-server report --json` prints. Back on the grid worker's phone the case
//! arrives as the desk left it. The supervisor plans a spot check of a seeded sample in
//! the grid worker's grid, which her phone's sync does not reveal. Screenshots of each
//! page, at 1366×768 and 360 px wide, go to `target/console-shots/`.
//!
//! Needs `node`, `.tools/playwright` and `/usr/bin/chromium`, which
//! `scripts/install-test-tools` installs.

use std::path::{Path, PathBuf};
use std::process::Command;

use gridwalk_core::hazard::Status;
use gridwalk_core::inspection::InspectionKind;
use gridwalk_e2e::*;
use gridwalk_server::admin;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");
const CHROMIUM: &str = "/usr/bin/chromium";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where screenshots go: the workspace's target folder (or `CARGO_TARGET_DIR`).
fn shots_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace().join("target"), PathBuf::from)
        .join("console-shots")
}

/// The dashboard's cells (`row.col` → text) for a report row.
fn expected_cells(row: &Value, key: &str) -> Vec<(String, String)> {
    [
        "found",
        "open",
        "overdue",
        "rectified",
        "verified",
        "closed",
        "solved_community",
        "solved_street",
        "solved_district",
    ]
    .iter()
    .map(|col| (format!("{key}.{col}"), row[col].to_string()))
    .chain(std::iter::once((
        format!("{key}.median_days_to_fix"),
        row["median_days_to_fix"]
            .as_f64()
            .map(|m| format!("{m:.2}"))
            .unwrap_or_default(),
    )))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hazard_walks_from_a_phone_through_four_desks_in_a_real_browser() {
    let playwright = workspace().join(".tools/playwright/node_modules");
    assert!(
        playwright.join("playwright-core").is_dir() && Path::new(CHROMIUM).exists(),
        "run scripts/install-test-tools first: it installs playwright-core into .tools/ \
         and Debian's chromium"
    );
    let server = Server::start(BIN);
    let url = server.url();

    // The grid worker's phone finds a blocked passage with a photo and syncs it.
    let worker = Device::new("worker");
    worker
        .enroll(
            &url,
            &server.person("Li Na 李娜", "grid-worker", "g-xinhua-1", None),
        )
        .await;
    worker.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-03", vec![jpeg(7, 320, 240)])],
    );
    let report = worker.sync().await.unwrap();
    // The inspection, its photo's record and its case.
    assert_eq!(report.accepted, 3, "{report:?}");
    let case_id = worker.store().list_cases(&Default::default()).unwrap()[0]
        .case_id
        .clone();

    // The desk people, each with the one-time code an admin would hand them.
    let people = json!({
        "staff": {"code": server.person("Zhao Min 赵敏", "community-staff", "c-xinhua", None), "login": "zhao.min"},
        "street": {"code": server.person("Chen Jie 陈杰", "street-officer", "s-hehua", None), "login": "chen.jie"},
        "police": {"code": server.person("He Tao 何涛", "department-officer", "jinjiang", Some("police")), "login": "he.tao"},
        "supervisor": {"code": server.person("Ma Li 马丽", "supervisor", "jinjiang", None), "login": "ma.li"},
        "outsider": {"code": server.person("Sun Yu 孙雨", "community-staff", "c-dongguang", None), "login": "sun.yu"},
    });
    let work = tempfile::tempdir().unwrap();
    let photo = work.path().join("fixed.jpg");
    std::fs::write(&photo, jpeg(8, 640, 480)).unwrap();
    let out = work.path().join("out.json");
    let config = work.path().join("config.json");
    std::fs::write(
        &config,
        json!({
            "base": url,
            "shots": shots_dir(),
            "out": out,
            "caseId": case_id,
            "photo": photo,
            "people": people,
            "chromium": CHROMIUM,
        })
        .to_string(),
    )
    .unwrap();

    let story = workspace().join("tests/console/story.cjs");
    let run = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(story)
            .arg(&config)
            .env("NODE_PATH", playwright)
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    assert!(
        run.status.success(),
        "the browser story failed:\n{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let cells: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();

    // Before: one case found and open. After: verified, solved at street level.
    let before = &cells["before"];
    assert_eq!(before["all.found"], "1", "{before}");
    assert_eq!(before["all.open"], "1");
    assert_eq!(before["all.verified"], "0");
    let after = &cells["after"];
    assert_eq!(after["all.found"], "1", "{after}");
    assert_eq!(after["all.open"], "0");
    assert_eq!(after["all.rectified"], "1");
    assert_eq!(after["all.verified"], "1");
    assert_eq!(after["all.solved_street"], "1");

    // Every number the dashboard showed is the report's (`report --json`).
    let report = admin::campaign_report(
        server.admin_store().as_ref(),
        chrono::Utc::now().timestamp_millis(),
    )
    .unwrap();
    let report = serde_json::to_value(&report).unwrap();
    let mut expected = expected_cells(&report["total"], "all");
    for row in report["by_category"].as_array().unwrap() {
        expected.extend(expected_cells(row, row["key"].as_str().unwrap()));
    }
    let jinjiang = report["by_unit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["key"] == "jinjiang");
    for row in jinjiang {
        expected.extend(expected_cells(row, row["key"].as_str().unwrap()));
    }
    for (cell, value) in &expected {
        assert_eq!(
            after[cell].as_str(),
            Some(value.as_str()),
            "dashboard cell {cell}"
        );
    }

    // The supervisor's planned visit is site A, in Li Na's own grid: stored as a
    // draft spot check, and her phone's sync does not reveal it.
    assert_eq!(cells["spotCheckSite"], "site-a", "{cells}");
    let plans: Vec<_> = server
        .admin_store()
        .records_of_kind(gridwalk_core::protocol::RecordKind::Inspection)
        .unwrap()
        .into_iter()
        .filter(|r| r.draft)
        .collect();
    assert_eq!(plans.len(), 1);

    // The desk's events are ordinary synced events: the phone folds them the same.
    worker.sync().await.unwrap();
    assert!(
        worker.store().inspection(&plans[0].id).is_err(),
        "the grid worker's sync must not reveal the planned spot check"
    );
    let case = worker.store().hazard_case(&case_id).unwrap();
    assert_eq!(case.state.status, Status::Verified);
    assert_eq!(case.state.department.as_deref(), Some("police"));
    assert_eq!(case.state.rectification_photos.len(), 1);

    for shot in [
        "01-password",
        "03-queue",
        "05-case-reported",
        "07-case-rectified",
        "09-dashboard-after",
        "12-spot-check-sample",
        "13-spot-check-planned",
        "14-discrepancies",
    ] {
        for size in ["1366", "360"] {
            let file = shots_dir().join(format!("{shot}-{size}.png"));
            assert!(
                std::fs::metadata(&file).is_ok_and(|m| m.len() > 1000),
                "{file:?}"
            );
        }
    }
}
