//! `gridwalk sync` against a real gridwalk-server on 127.0.0.1 (in this test process):
//! when the server refuses a record the sync exits with its own status, says what and
//! why, and `hazards show`/`list` mark the refused event on its case.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, gridwalk, json_ok};

/// Exit status of a sync that left refused records (`gridwalk sync --help`).
const REFUSED: i32 = 3;

#[test]
fn a_sync_with_refused_records_exits_3_and_the_case_shows_why() {
    let work = tempfile::tempdir().unwrap();
    let server = TestServer::start(work.path(), "Zhou Ping", "community-staff", "JJ-CX-HX");
    let data = work.path().join("phone");

    // A case opened before enrolment names a device the server never enrolled.
    json_ok(
        &data,
        &[
            "profile",
            "set",
            "--name",
            "Zhou Ping",
            "--role",
            "community-staff",
            "--unit",
            "JJ-CX-HX",
        ],
    );
    let opened = json_ok(
        &data,
        &[
            "hazards",
            "open",
            "--source",
            "hotline",
            "--category",
            "fire",
            "--severity",
            "high",
            "--unit",
            "JJ-CX-HX-G1",
            "--description",
            "blocked stairwell",
        ],
    );
    let case_id = opened["case_id"].as_str().unwrap().to_string();
    json_ok(
        &data,
        &["enroll", "--server", &server.url, "--code", &server.code],
    );

    let out = gridwalk(&data, &["sync"]);
    assert_eq!(out.status.code(), Some(REFUSED), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("1 refused"), "{text}");
    assert!(text.contains("never enrolled"), "the reason: {text}");

    // Offered again and refused again: still status 3, the report in JSON.
    let out = gridwalk(&data, &["--json", "sync"]);
    assert_eq!(out.status.code(), Some(REFUSED), "{out:?}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["rejected"][0]["id"], opened["id"]);
    assert_eq!(report["rejected"][0]["code"], "forbidden");
    assert_eq!(report["rejected"][0]["times_refused"], 2);

    let show = gridwalk(&data, &["hazards", "show", &case_id]);
    assert!(show.status.success());
    let text = String::from_utf8(show.stdout).unwrap();
    assert!(
        text.contains("REFUSED by the server (forbidden, 2 time(s))"),
        "{text}"
    );
    assert!(text.contains("never enrolled"), "{text}");
    let view = json_ok(&data, &["hazards", "show", &case_id]);
    assert_eq!(view["refused"][0]["event"], opened["id"]);
    assert_eq!(view["refused"][0]["code"], "forbidden");
    assert!(
        view["state"]["report"].is_null(),
        "the report does not count"
    );
    let list = json_ok(&data, &["hazards", "list"]);
    assert_eq!(list[0]["refused_events"], 1);
    let list = gridwalk(&data, &["hazards", "list"]);
    let text = String::from_utf8(list.stdout).unwrap();
    assert!(text.contains("[1 REFUSED BY THE SERVER]"), "{text}");

    let help = gridwalk(&data, &["sync", "--help"]);
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(
        text.contains("3  synced, but the server refused records"),
        "{text}"
    );
}
