//! A hazard event and its case's row are written in one transaction, and a store
//! orphaned by the old two-step write (a `reported` event whose case row is missing,
//! left by a crash between the steps) is repaired when the device pushes the event
//! again: the row is rebuilt and later events on the case are accepted.

use crate::common;

use common::*;
use gridwalk_model::hazard::{Level, Payload};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repushed_report_rebuilds_a_missing_case_row() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let street = server
        .device("Chen Gang", "street-officer", "s-hehua", None)
        .await;
    let case = new_id();
    let report = hazard_event(
        &case,
        &worker,
        1_000,
        &[],
        reported(
            "fire",
            "fire-03",
            "site-a",
            "g-xinhua-1",
            "exit blocked",
            vec![],
        ),
    );
    let first = server.push(&worker, std::slice::from_ref(&report)).await;
    assert_eq!(first[0]["status"], "accepted", "{first:?}");
    let store = server.state.store.clone();
    let scope = store
        .case_scope(&case)
        .unwrap()
        .expect("the row is written with the event");
    assert_eq!(scope.unit, "g-xinhua-1");

    // The old crash: the event stored, the case's row not, in the real data file.
    assert_eq!(
        server.sql("DELETE FROM cases WHERE case_id = ?1", &[&case]),
        SqlOutcome::Changed(1)
    );
    assert!(store.case_scope(&case).unwrap().is_none());
    let called = hazard_event(
        &case,
        &street,
        2_000,
        &[&report],
        Payload::CalledIn {
            level: Level::Street,
            note: "needs the fire brigade".into(),
        },
    );
    let orphaned = server.push(&street, std::slice::from_ref(&called)).await;
    assert_eq!(
        orphaned[0]["status"], "rejected",
        "the orphan refuses events"
    );

    // The device pushes its report again: a duplicate, and the row is back.
    let again = server.push(&worker, std::slice::from_ref(&report)).await;
    assert_eq!(again[0]["status"], "duplicate", "{again:?}");
    assert_eq!(again[0]["seq"], first[0]["seq"]);
    assert_eq!(store.case_scope(&case).unwrap(), Some(scope));
    let later = server.push(&street, &[called]).await;
    assert_eq!(later[0]["status"], "accepted", "{later:?}");
    let street_items = server.pull_all(&street).await;
    assert_eq!(
        ids(&street_items).len(),
        2,
        "the street sees the case again"
    );
    server.stop().await;
}
