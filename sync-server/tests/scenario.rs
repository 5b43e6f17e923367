//! The end-to-end scenario over real HTTP on 127.0.0.1: two grid workers, a
//! street officer, a department officer and a supervisor with an unannounced spot
//! check, from inspection to a verified, closed case and the campaign report. After it,
//! every device holds exactly what its role and area allow.

use crate::common;

use std::collections::BTreeSet;

use common::*;
use gridwalk_model::hazard::{Level, Payload};
use gridwalk_model::inspection::{InspectionKind, InspectionStatus};
use serde_json::Value;

fn id_set(items: &[Value]) -> BTreeSet<String> {
    ids(items).into_iter().collect()
}

fn set(values: &[&Value]) -> BTreeSet<String> {
    values
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

async fn push_ok(server: &TestServer, device: &Device, items: &[Value]) {
    let results = server.push(device, items).await;
    assert!(
        results.iter().all(|r| r["status"] == "accepted"),
        "{}: {results:?}",
        device.name
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_a_street_a_department_and_a_spot_check_end_to_end() {
    let server = TestServer::start().await;
    let worker_a = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let worker_b = server
        .device("Zhao Lei", "grid-worker", "g-xinhua-2", None)
        .await;
    let street = server
        .device("Chen Gang", "street-officer", "s-hehua", None)
        .await;
    let fire = server
        .device(
            "Captain Wu",
            "department-officer",
            "jinjiang",
            Some("fire-rescue"),
        )
        .await;
    let supervisor = server
        .device("Inspector Ma", "supervisor", "jinjiang", None)
        .await;

    // Worker A finds a blocked exit: photo over tus, the inspection, the case.
    let evidence = b"\xff\xd8 blocked emergency exit".to_vec();
    let evidence_sha = sha256(&evidence);
    upload(&server, &worker_a, &evidence).await;
    let inspection_a = item(&inspection(
        &new_id(),
        "site-a",
        InspectionKind::Routine,
        InspectionStatus::Submitted,
        Some(&evidence_sha),
        None,
    ));
    let case = new_id();
    let reported_event = hazard_event(
        &case,
        &worker_a,
        1_000,
        &[],
        reported(
            "fire",
            "fire-03",
            "site-a",
            "g-xinhua-1",
            "exit blocked by bikes",
            vec![evidence_sha.clone()],
        ),
    );
    push_ok(
        &server,
        &worker_a,
        &[inspection_a.clone(), reported_event.clone()],
    )
    .await;

    // Worker B inspects the market: nothing found.
    let inspection_b = routine("site-b");
    push_ok(&server, &worker_b, std::slice::from_ref(&inspection_b)).await;

    // The supervisor plans an unannounced visit to site A.
    let spot_id = new_id();
    let planned = item(&inspection(
        &spot_id,
        "site-a",
        InspectionKind::SpotCheck,
        InspectionStatus::Draft,
        None,
        None,
    ));
    push_ok(&server, &supervisor, std::slice::from_ref(&planned)).await;

    // The street office sees its street, calls the case in and assigns the fire brigade.
    let street_view = server.pull_all(&street).await;
    assert_eq!(
        id_set(&street_view),
        set(&[&inspection_a, &reported_event, &inspection_b])
    );
    let called = hazard_event(
        &case,
        &street,
        2_000,
        &[&reported_event],
        Payload::CalledIn {
            level: Level::Street,
            note: "fire brigade please".into(),
        },
    );
    let assigned = hazard_event(
        &case,
        &street,
        3_000,
        &[&called],
        Payload::Assigned {
            department: "fire-rescue".into(),
            note: "clear the exit".into(),
        },
    );
    push_ok(&server, &street, &[called.clone(), assigned.clone()]).await;

    // The fire brigade gets the case and its photo, accepts it and fixes it.
    let fire_view = server.pull_all(&fire).await;
    assert_eq!(
        id_set(&fire_view),
        set(&[&reported_event, &called, &assigned])
    );
    assert_eq!(server.get_blob(&fire, &evidence_sha).await.status(), 200);
    let fixed = b"\xff\xd8 exit cleared".to_vec();
    let fixed_sha = sha256(&fixed);
    upload(&server, &fire, &fixed).await;
    let accepted = hazard_event(
        &case,
        &fire,
        4_000,
        &[&assigned],
        Payload::Accepted {
            note: "on it".into(),
        },
    );
    let rectified = hazard_event(
        &case,
        &fire,
        5_000,
        &[&accepted],
        Payload::Rectified {
            photos: vec![fixed_sha.clone()],
            note: "bikes moved, sign up".into(),
        },
    );
    push_ok(&server, &fire, &[accepted.clone(), rectified.clone()]).await;

    // The spot check happens, is submitted, and verifies the fix; the case is closed.
    let done = item(&inspection(
        &spot_id,
        "site-a",
        InspectionKind::SpotCheck,
        InspectionStatus::Submitted,
        None,
        None,
    ));
    let verified = hazard_event(
        &case,
        &supervisor,
        6_000,
        &[&rectified],
        Payload::Verified {
            passed: true,
            inspection_id: Some(spot_id.clone()),
            note: "exit clear".into(),
        },
    );
    let closed = hazard_event(
        &case,
        &supervisor,
        7_000,
        &[&verified],
        Payload::Closed {
            note: "done".into(),
        },
    );
    push_ok(
        &server,
        &supervisor,
        &[done.clone(), verified.clone(), closed.clone()],
    )
    .await;

    // Every device holds exactly what it may: compared by id.
    let case_events = [
        &reported_event,
        &called,
        &assigned,
        &accepted,
        &rectified,
        &verified,
        &closed,
    ];
    let mut a_expected: Vec<&Value> = case_events.to_vec();
    a_expected.extend([&inspection_a, &done]);
    assert_eq!(id_set(&server.pull_all(&worker_a).await), set(&a_expected));
    assert_eq!(
        id_set(&server.pull_all(&worker_b).await),
        set(&[&inspection_b])
    );
    let mut street_expected = a_expected.clone();
    street_expected.push(&inspection_b);
    assert_eq!(
        id_set(&server.pull_all(&street).await),
        set(&street_expected)
    );
    assert_eq!(id_set(&server.pull_all(&fire).await), set(&case_events));
    assert_eq!(
        id_set(&server.pull_all(&supervisor).await),
        set(&street_expected)
    );
    // The spot check arrived once, as submitted.
    let a_items = server.pull_all(&worker_a).await;
    let spot: Vec<&Value> = a_items
        .iter()
        .filter(|i| i["id"] == spot_id.as_str())
        .collect();
    assert_eq!(spot.len(), 1);
    assert_eq!(spot[0]["body"]["status"], "submitted");
    // Photos: both reach the inspected grid; neither reaches the other grid.
    assert_eq!(server.get_blob(&worker_a, &fixed_sha).await.status(), 200);
    assert_eq!(
        server.get_blob(&worker_b, &evidence_sha).await.status(),
        404
    );
    assert_eq!(server.get_blob(&worker_b, &fixed_sha).await.status(), 404);

    // The campaign report: one hazard, solved at street level, closed.
    let report =
        gridwalk_server::admin::campaign_report(server.state.store.as_ref(), 10_000).unwrap();
    assert_eq!(report.total.found, 1);
    assert_eq!(report.total.solved_street, 1);
    assert_eq!(report.total.closed, 1);
    server.stop().await;
}
