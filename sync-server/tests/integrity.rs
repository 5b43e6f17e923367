//! The record is the server's, not the pusher's (issue 10), over real HTTP on
//! 127.0.0.1: a case is reported once and keeps its site, unit and category; a report
//! names its site's unit; a submitted inspection is complete and answers only what
//! applies at its site; and every record names its caller, and the caller's device, as
//! its author.

use crate::common;

use common::*;
use gridwalk_model::checklist::Severity;
use gridwalk_model::hazard::{HazardReport, Payload, ReportSource};
use gridwalk_model::inspection::{InspectionKind, InspectionStatus, Outcome};
use serde_json::Value;

fn accepted(results: &[Value]) -> bool {
    results.iter().all(|r| r["status"] == "accepted")
}

fn reason(result: &Value) -> String {
    result["reason"].as_str().unwrap_or_default().to_string()
}

/// Whether the pulled items hold `event`.
fn has(items: &[Value], event: &Value) -> bool {
    ids(items).contains(&event["id"].as_str().unwrap().to_string())
}

/// The campaign report's row for `unit`.
fn unit_row(report: &gridwalk_model::hazard::CampaignReport, unit: &str) -> (u32, u32) {
    let row = report.by_unit.iter().find(|r| r.key == unit).unwrap();
    (row.found, row.open)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_report_cannot_take_a_case_over() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let colleague = server
        .device("Sun Mei", "grid-worker", "g-xinhua-1", None)
        .await;
    let community = server
        .device("Wang Fang", "community-staff", "c-xinhua", None)
        .await;
    let supervisor = server
        .device("Inspector Ma", "supervisor", "jinjiang", None)
        .await;
    let far_worker = server
        .device("Zhou Bo", "grid-worker", "g-dongguang-1", None)
        .await;
    let far_street = server
        .device("Liu Yang", "street-officer", "s-niushi", None)
        .await;
    let case = new_id();
    let report = hazard_event(
        &case,
        &worker,
        10_000,
        &[],
        reported(
            "key-groups",
            "key-groups-01",
            "site-a",
            "g-xinhua-1",
            "Mr Wang, released last month",
            vec![],
        ),
    );
    assert!(accepted(
        &server.push(&worker, std::slice::from_ref(&report)).await
    ));

    // A colleague with write access to the case reports it again, backdated by a day,
    // at a site of another street and as a fire: refused, whatever its clock.
    for (hlc, payload) in [
        (
            10_000 - 86_400_000,
            reported("fire", "fire-01", "site-c", "g-dongguang-1", "x", vec![]),
        ),
        (
            20_000,
            reported("fire", "fire-01", "site-a", "g-xinhua-1", "x", vec![]),
        ),
    ] {
        let takeover = hazard_event(&case, &colleague, hlc, &[], payload);
        let results = server.push(&colleague, &[takeover]).await;
        assert_eq!(results[0]["status"], "rejected", "{results:?}");
        assert_eq!(results[0]["code"], "conflict", "{results:?}");
        assert!(
            reason(&results[0]).contains("already reported"),
            "{results:?}"
        );
    }
    // The same person reporting it again is refused too; the original re-pushed is a
    // duplicate, as ever.
    let again = hazard_event(
        &case,
        &worker,
        30_000,
        &[&report],
        reported("fire", "fire-02", "site-a", "g-xinhua-1", "x", vec![]),
    );
    assert_eq!(server.push(&worker, &[again]).await[0]["code"], "conflict");
    assert_eq!(
        server.push(&worker, std::slice::from_ref(&report)).await[0]["status"],
        "duplicate"
    );

    // The case is where it was: its community works on it, the far street does not.
    let note = hazard_event(
        &case,
        &community,
        40_000,
        &[&report],
        Payload::Comment {
            text: "visited Mr Wang at 3-2-401".into(),
        },
    );
    assert!(accepted(
        &server.push(&community, std::slice::from_ref(&note)).await
    ));
    let meddling = hazard_event(
        &case,
        &far_worker,
        41_000,
        &[&note],
        Payload::Comment { text: "?".into() },
    );
    assert_eq!(
        server.push(&far_worker, &[meddling]).await[0]["code"],
        "forbidden"
    );
    assert!(!has(&server.pull_all(&far_street).await, &report));
    assert!(!has(&server.pull_all(&far_worker).await, &report));
    // Still a key-groups case: the later personal note stays redacted for supervisors.
    let seen = server.pull_all(&supervisor).await;
    let text = serde_json::to_string(&seen).unwrap();
    assert!(has(&seen, &note) && !text.contains("3-2-401"), "{text}");

    // The campaign report counts it once, in its grid, as key-groups.
    let counted =
        gridwalk_server::admin::campaign_report(server.state.store.as_ref(), 50_000).unwrap();
    assert_eq!(counted.total.found, 1);
    assert_eq!(unit_row(&counted, "g-xinhua-1"), (1, 1));
    assert_eq!(unit_row(&counted, "g-dongguang-1"), (0, 0));
    let key_groups = counted
        .by_category
        .iter()
        .find(|r| r.key == "key-groups")
        .unwrap();
    assert_eq!(key_groups.found, 1);
    server.stop().await;
}

/// A `reported` payload of a hazard seen outside any site (no site named).
fn reported_without_site(unit: &str) -> Payload {
    Payload::Reported(HazardReport {
        source: ReportSource::Inspection {
            inspection_id: new_id(),
            item: "traffic-01".into(),
        },
        category: "traffic".into(),
        item: Some("traffic-01".into()),
        severity: Severity::Medium,
        unit: unit.into(),
        site_id: None,
        description: "crossing lights out".into(),
        photos: vec![],
        suggested_department: None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_names_its_sites_unit_or_one_in_the_callers_area() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;

    // A case at site A (grid 1) counted for grid 2, or for another street: refused.
    for unit in ["g-xinhua-2", "g-dongguang-1"] {
        let padded = hazard_event(
            &new_id(),
            &worker,
            1_000,
            &[],
            reported("fire", "fire-03", "site-a", unit, "x", vec![]),
        );
        let results = server.push(&worker, &[padded]).await;
        assert_eq!(results[0]["code"], "invalid", "{results:?}");
        let why = reason(&results[0]);
        assert!(why.contains(unit) && why.contains("g-xinhua-1"), "{why}");
    }
    // Without a site: a unit in the caller's area, never outside it, never unknown.
    let outside = hazard_event(
        &new_id(),
        &worker,
        1_000,
        &[],
        reported_without_site("g-xinhua-2"),
    );
    assert_eq!(
        server.push(&worker, &[outside]).await[0]["code"],
        "forbidden"
    );
    let unknown = hazard_event(
        &new_id(),
        &worker,
        1_000,
        &[],
        reported_without_site("g-nowhere"),
    );
    assert_eq!(server.push(&worker, &[unknown]).await[0]["code"], "invalid");
    let street_corner = hazard_event(
        &new_id(),
        &worker,
        1_000,
        &[],
        reported_without_site("g-xinhua-1"),
    );
    let honest = hazard_event(
        &new_id(),
        &worker,
        1_000,
        &[],
        reported("fire", "fire-03", "site-a", "g-xinhua-1", "x", vec![]),
    );
    assert!(accepted(
        &server.push(&worker, &[street_corner, honest]).await
    ));

    let counted =
        gridwalk_server::admin::campaign_report(server.state.store.as_ref(), 10_000).unwrap();
    assert_eq!(counted.total.found, 2);
    assert_eq!(unit_row(&counted, "g-xinhua-1"), (2, 2));
    assert_eq!(unit_row(&counted, "g-xinhua-2"), (0, 0));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submitted_inspection_is_complete_and_answers_only_what_applies() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let supervisor = server
        .device("Inspector Ma", "supervisor", "jinjiang", None)
        .await;
    let complete = || {
        inspection(
            &new_id(),
            "site-a",
            InspectionKind::Routine,
            InspectionStatus::Submitted,
            None,
            None,
        )
    };

    // Only the first answer: every other applicable item is named as unanswered.
    let mut partial = complete();
    partial.answers.truncate(1);
    // A hazard whose item requires a photo, without one.
    let mut no_photo = complete();
    no_photo.answers[0].photos.clear();
    // An item that does not apply at a residential compound (school canteens).
    let mut misplaced = complete();
    let mut canteen = misplaced.answers[0].clone();
    canteen.item = "food-01".into();
    canteen.outcome = Outcome::Ok;
    canteen.photos.clear();
    misplaced.answers.push(canteen);
    let results = server
        .push(
            &worker,
            &[item(&partial), item(&no_photo), item(&misplaced)],
        )
        .await;
    assert!(
        results.iter().all(|r| r["code"] == "invalid"),
        "{results:?}"
    );
    let partial_reason = reason(&results[0]);
    assert!(
        partial_reason.contains("unanswered") && partial_reason.contains("fire-02"),
        "{partial_reason}"
    );
    assert!(
        reason(&results[1]).contains("photo") && reason(&results[1]).contains("fire-01"),
        "{results:?}"
    );
    assert!(
        reason(&results[2]).contains("food-01") && reason(&results[2]).contains("residential"),
        "{results:?}"
    );
    // Nothing of them was stored.
    assert!(server.pull_all(&worker).await.is_empty());

    // A planned spot check (a draft) need not be complete; its submitted version must.
    let plan_id = new_id();
    let mut plan = inspection(
        &plan_id,
        "site-a",
        InspectionKind::SpotCheck,
        InspectionStatus::Draft,
        None,
        None,
    );
    plan.answers.clear();
    assert!(accepted(&server.push(&supervisor, &[item(&plan)]).await));
    let mut early = plan.clone();
    early.status = InspectionStatus::Submitted;
    early.submitted_at = Some(early.started_at.clone());
    assert_eq!(
        server.push(&supervisor, &[item(&early)]).await[0]["code"],
        "invalid"
    );
    assert!(accepted(&server.push(&worker, &[item(&complete())]).await));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_posts_as_a_colleague_or_from_a_colleagues_device() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let colleague = server
        .device("Sun Mei", "grid-worker", "g-xinhua-1", None)
        .await;
    let case = new_id();
    let report = hazard_event(
        &case,
        &worker,
        1_000,
        &[],
        reported("fire", "fire-03", "site-a", "g-xinhua-1", "x", vec![]),
    );
    assert!(accepted(
        &server.push(&worker, std::slice::from_ref(&report)).await
    ));

    // Same role and grid, so only the name and the device tell the colleague apart.
    let as_colleague = hazard_event(
        &case,
        &colleague,
        2_000,
        &[&report],
        Payload::Comment {
            text: "all fine here".into(),
        },
    );
    let mut from_colleagues_device = hazard_event(
        &case,
        &worker,
        2_000,
        &[&report],
        Payload::Comment {
            text: "all fine here".into(),
        },
    );
    from_colleagues_device["body"]["device"] = colleague.device_id.clone().into();
    let mut from_nowhere = hazard_event(
        &case,
        &worker,
        2_000,
        &[&report],
        Payload::Comment {
            text: "all fine here".into(),
        },
    );
    from_nowhere["body"]["device"] = "a-device-never-enrolled".into();
    let results = server
        .push(
            &worker,
            &[as_colleague, from_colleagues_device, from_nowhere],
        )
        .await;
    assert!(
        results.iter().all(|r| r["code"] == "forbidden"),
        "{results:?}"
    );
    assert!(reason(&results[0]).contains("Sun Mei"), "{results:?}");
    assert!(
        reason(&results[1]).contains(&colleague.device_id),
        "{results:?}"
    );
    assert!(
        reason(&results[2]).contains("a-device-never-enrolled"),
        "{results:?}"
    );

    // An inspection naming the colleague as its inspector is refused; one naming the
    // caller is stored.
    let mut theirs = inspection(
        &new_id(),
        "site-a",
        InspectionKind::Routine,
        InspectionStatus::Submitted,
        None,
        None,
    );
    theirs.inspector = "Sun Mei".into();
    let mut mine = theirs.clone();
    mine.id = new_id();
    mine.inspector = "Li Na".into();
    let results = server.push(&worker, &[item(&theirs), item(&mine)]).await;
    assert_eq!(results[0]["code"], "forbidden", "{results:?}");
    assert!(reason(&results[0]).contains("Sun Mei"), "{results:?}");
    assert_eq!(results[1]["status"], "accepted", "{results:?}");
    let pulled = server.pull_all(&worker).await;
    assert_eq!(
        pulled.len(),
        2,
        "the report and the worker's own inspection"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_enrolled_again_still_sends_what_it_recorded_before() {
    let server = TestServer::start().await;
    let first = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    // A new one-time code for the same person (what `people reissue` hands out).
    let code = "REISSUED-CODE-0001";
    server.sql(
        "INSERT INTO enrolment_codes(code_hash, person) VALUES (?1, ?2)",
        &[
            &gridwalk_server::auth::enrolment_code_hash(code),
            &first.person,
        ],
    );
    let second = server.enrol(code).await;
    assert_eq!(second.person, first.person);
    assert_ne!(second.device_id, first.device_id);

    // Events recorded under the first enrolment, sent with the second token.
    let case = new_id();
    let report = hazard_event(
        &case,
        &first,
        1_000,
        &[],
        reported("fire", "fire-03", "site-a", "g-xinhua-1", "x", vec![]),
    );
    let later = hazard_event(
        &case,
        &second,
        2_000,
        &[&report],
        Payload::Comment {
            text: "still blocked".into(),
        },
    );
    assert!(accepted(&server.push(&second, &[report, later]).await));
    server.stop().await;
}
