//! A case's row keeps the fold of its events and each new event is applied to it; an
//! event that arrives out of HLC order makes a full refold. Whatever the arrival order,
//! the stored row is after every push exactly what a full refold of the stored events
//! gives, and its kept state is the model's fold.

use crate::common;

use std::collections::BTreeSet;

use common::*;
use gridwalk_model::hazard::{CaseState, FoldPosition, Level, Payload, fold};
use gridwalk_server::kinds::{self, CaseFold};
use gridwalk_server::storage::CaseRow;
use serde_json::Value;

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The case's row as stored.
fn stored_row(server: &TestServer, case: &str) -> Option<CaseRow> {
    let store = server.state.store.as_ref();
    Some(CaseRow {
        scope: store.case_scope(case).unwrap()?,
        fold: store.case_fold(case).unwrap()?,
        columns: store.case_columns(case).unwrap()?,
    })
}

/// Checks the stored row against a full refold and the model's fold; returns the
/// kept fold.
fn assert_row_is_a_full_refold(server: &TestServer, case: &str, after: &str) -> CaseFold {
    let store = server.state.store.as_ref();
    let register = store.register().unwrap();
    let stored = stored_row(server, case).expect("the case has a row with its fold");
    let refolded = kinds::refold_case(store, case, &register).unwrap().unwrap();
    assert_eq!(stored, refolded, "after {after}");
    let kept: CaseFold = serde_json::from_str(&stored.fold).unwrap();
    let mut truth: CaseState = fold(case, &kinds::case_events(store, case).unwrap());
    // What depends on the whole set of events rather than their order is not kept.
    truth.history.clear();
    truth.heads.clear();
    truth.conflicts.clear();
    truth.contested = false;
    assert_eq!(kept.folding.state, truth, "after {after}");
    assert_eq!(stored.scope.department, truth.department);
    kept
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kept_row_equals_a_full_refold_after_every_event_in_any_order() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let staff = server
        .device("Wang Fang", "community-staff", "c-xinhua", None)
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
    let housing = server
        .device(
            "Officer Sun",
            "department-officer",
            "jinjiang",
            Some("housing"),
        )
        .await;
    let admin = server.device("Root", "admin", "jinjiang", None).await;

    let case = new_id();
    let report = hazard_event(
        &case,
        &staff,
        5_000,
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
    let first = server.push(&staff, std::slice::from_ref(&report)).await;
    assert_eq!(first[0]["status"], "accepted", "{first:?}");
    assert_row_is_a_full_refold(&server, &case, "the report");

    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let photo = sha256(b"the fixed exit");
    let (mut in_order, mut out_of_order, mut accepted) = (0, 0, 0);
    let mut statuses = BTreeSet::new();
    let mut departments = BTreeSet::new();
    let (mut last, mut last_by): (Value, &Device) = (report.clone(), &staff);
    for n in 0..160 {
        let text = || format!("step {n}");
        let (device, payload) = match dice.below(12) {
            0 => (
                &staff,
                Payload::CalledIn {
                    level: Level::Street,
                    note: text(),
                },
            ),
            1 => (
                &street,
                Payload::CalledIn {
                    level: Level::District,
                    note: text(),
                },
            ),
            2 => (
                &street,
                Payload::Assigned {
                    department: "fire-rescue".into(),
                    note: text(),
                },
            ),
            3 => (
                &admin,
                Payload::Assigned {
                    department: "housing".into(),
                    note: text(),
                },
            ),
            4 => (&fire, Payload::Accepted { note: text() }),
            5 => (&housing, Payload::Accepted { note: text() }),
            6 => (
                &admin,
                Payload::Rectified {
                    photos: vec![photo.clone()],
                    note: text(),
                },
            ),
            7 => (
                &staff,
                Payload::Verified {
                    passed: dice.below(2) == 0,
                    inspection_id: None,
                    note: text(),
                },
            ),
            8 => (&street, Payload::Reopened { reason: text() }),
            9 => (&admin, Payload::Closed { note: text() }),
            10 => (&worker, Payload::Comment { text: text() }),
            _ => (&street, Payload::Progress { note: text() }),
        };
        // Mostly later than anything so far, often earlier: a device that was offline.
        let ms = if dice.below(3) == 0 {
            4_000 + dice.below(2_000 + 100 * n) as i64
        } else {
            6_000 + 100 * n as i64 + dice.below(50) as i64
        };
        let event = hazard_event(&case, device, ms, &[&last], payload);
        let body: gridwalk_model::hazard::Event =
            serde_json::from_value(event["body"].clone()).unwrap();
        let kept_before: CaseFold =
            serde_json::from_str(&stored_row(&server, &case).unwrap().fold).unwrap();
        let result = server.push(device, std::slice::from_ref(&event)).await;
        if result[0]["status"] == "accepted" {
            accepted += 1;
            (last, last_by) = (event, device);
            if Some(FoldPosition::of(&body)) > kept_before.folding.last {
                in_order += 1;
            } else {
                out_of_order += 1;
            }
        } else {
            // Refused at push (a department the case is not assigned to): no change.
            assert_eq!(result[0]["code"], "forbidden", "{result:?}");
        }
        let kept = assert_row_is_a_full_refold(&server, &case, &format!("event {n}"));
        if result[0]["status"] != "accepted" {
            assert_eq!(kept, kept_before, "a refused event changes nothing");
        }
        statuses.insert(kept.folding.state.status);
        departments.insert(kept.folding.state.department.clone());
    }
    // Both ways of keeping the row were taken, and the case went somewhere.
    assert!(
        in_order >= 20 && out_of_order >= 20,
        "{in_order} in order, {out_of_order} not"
    );
    assert!(accepted >= 100, "{accepted} accepted");
    assert!(statuses.len() >= 4, "{statuses:?}");
    assert!(departments.len() >= 2, "{departments:?}");

    // Pushing an event again changes nothing.
    let before = stored_row(&server, &case);
    let again = server.push(last_by, std::slice::from_ref(&last)).await;
    assert_eq!(again[0]["status"], "duplicate", "{again:?}");
    assert_eq!(stored_row(&server, &case), before);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_written_before_folds_were_kept_is_refolded_by_its_next_event() {
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
    let called = hazard_event(
        &case,
        &street,
        2_000,
        &[&report],
        Payload::CalledIn {
            level: Level::Street,
            note: "brigade".into(),
        },
    );
    let results = server.push(&worker, std::slice::from_ref(&report)).await;
    assert_eq!(results[0]["status"], "accepted");
    let results = server.push(&street, std::slice::from_ref(&called)).await;
    assert_eq!(results[0]["status"], "accepted");

    // As a server before schema version 4 left it: the row without its fold.
    server.sql("UPDATE cases SET fold = NULL WHERE case_id = ?1", &[&case]);
    assert_eq!(server.state.store.case_fold(&case).unwrap(), None);

    let assigned = hazard_event(
        &case,
        &street,
        3_000,
        &[&called],
        Payload::Assigned {
            department: "fire-rescue".into(),
            note: String::new(),
        },
    );
    let results = server.push(&street, std::slice::from_ref(&assigned)).await;
    assert_eq!(results[0]["status"], "accepted");
    let kept = assert_row_is_a_full_refold(&server, &case, "the assignment");
    assert_eq!(kept.folding.state.event_count, 3);
    assert_eq!(
        kept.folding.state.department.as_deref(),
        Some("fire-rescue")
    );
    server.stop().await;
}
