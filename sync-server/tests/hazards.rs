//! Hazard-case events over real HTTP on 127.0.0.1: departments see only the cases
//! assigned to them (with the history from before the assignment), events must name
//! their caller as actor, personal cases are redacted, and the server-wide campaign
//! report is the model's.

use crate::common;

use common::*;
use gridwalk_model::hazard::{Level, Payload};
use serde_json::Value;

fn accepted(results: &[Value]) -> bool {
    results.iter().all(|r| r["status"] == "accepted")
}

fn has(items: &[Value], event: &Value) -> bool {
    ids(items).contains(&event["id"].as_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn departments_see_only_the_cases_assigned_to_them() {
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
    let police = server
        .device(
            "Officer Zhou",
            "department-officer",
            "jinjiang",
            Some("police"),
        )
        .await;
    let case = new_id();

    let report = hazard_event(
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
            vec![],
        ),
    );
    assert!(accepted(
        &server.push(&worker_a, std::slice::from_ref(&report)).await
    ));
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
    let assigned = hazard_event(
        &case,
        &street,
        3_000,
        &[&called],
        Payload::Assigned {
            department: "fire-rescue".into(),
            note: "clear it".into(),
        },
    );
    assert!(accepted(
        &server
            .push(&street, &[called.clone(), assigned.clone()])
            .await
    ));

    // Nothing for the police; the fire brigade gets the case with its history.
    let (police_items, police_cursor) = server.pull_all_from(&police, "").await;
    assert!(police_items.is_empty(), "{police_items:?}");
    let (fire_items, fire_cursor) = server.pull_all_from(&fire, "").await;
    assert!(has(&fire_items, &report) && has(&fire_items, &called) && has(&fire_items, &assigned));
    assert_eq!(fire_items.len(), 3);

    // The fire brigade writes on its case; the police may not.
    let accepted_event = hazard_event(
        &case,
        &fire,
        4_000,
        &[&assigned],
        Payload::Accepted {
            note: "on our way".into(),
        },
    );
    assert!(accepted(
        &server
            .push(&fire, std::slice::from_ref(&accepted_event))
            .await
    ));
    let meddling = hazard_event(
        &case,
        &police,
        4_500,
        &[&assigned],
        Payload::Comment {
            text: "we could help".into(),
        },
    );
    let results = server.push(&police, &[meddling]).await;
    assert_eq!(results[0]["code"], "forbidden", "{results:?}");

    // Areas as for inspections.
    let a = server.pull_all(&worker_a).await;
    assert!(has(&a, &report) && has(&a, &accepted_event));
    assert!(server.pull_all(&worker_b).await.is_empty());
    assert_eq!(server.pull_all(&street).await.len(), 4);

    // Reassigned to the police: the police now get the whole case from their old
    // cursor, the fire brigade gets nothing new.
    let reassigned = hazard_event(
        &case,
        &street,
        5_000,
        &[&accepted_event],
        Payload::Assigned {
            department: "police".into(),
            note: "it is an order problem".into(),
        },
    );
    assert!(accepted(
        &server
            .push(&street, std::slice::from_ref(&reassigned))
            .await
    ));
    let (police_items, _) = server.pull_all_from(&police, &police_cursor).await;
    for event in [&report, &called, &assigned, &accepted_event, &reassigned] {
        assert!(has(&police_items, event), "police must get {}", event["id"]);
    }
    let (fire_new, _) = server.pull_all_from(&fire, &fire_cursor).await;
    assert!(
        !has(&fire_new, &reassigned),
        "no longer the fire brigade's case"
    );

    // The server-wide campaign report is the model's fold of the stored events.
    let report =
        gridwalk_server::admin::campaign_report(server.state.store.as_ref(), 10_000).unwrap();
    assert_eq!(report.total.found, 1);
    assert_eq!(report.total.open, 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_must_name_its_caller_and_follow_its_case() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let street = server
        .device("Chen Gang", "street-officer", "s-hehua", None)
        .await;
    let case = new_id();

    // A worker pretending to be the street officer.
    let forged = hazard_event(
        &case,
        &street,
        1_000,
        &[],
        reported("fire", "fire-01", "site-a", "g-xinhua-1", "x", vec![]),
    );
    let results = server.push(&worker, &[forged]).await;
    assert_eq!(results[0]["code"], "forbidden");
    assert!(results[0]["reason"].as_str().unwrap().contains("author"));

    // An event of a case the server has not seen reported.
    let orphan = hazard_event(
        &new_id(),
        &worker,
        1_000,
        &[],
        Payload::Comment { text: "?".into() },
    );
    let results = server.push(&worker, &[orphan]).await;
    assert_eq!(results[0]["code"], "invalid");
    assert!(
        results[0]["reason"]
            .as_str()
            .unwrap()
            .contains("unknown case")
    );

    // A case in another grid.
    let elsewhere = hazard_event(
        &case,
        &worker,
        1_000,
        &[],
        reported("fire", "fire-01", "site-b", "g-xinhua-2", "x", vec![]),
    );
    assert_eq!(
        server.push(&worker, &[elsewhere]).await[0]["code"],
        "forbidden"
    );

    // Pushed twice: stored once.
    let ok = hazard_event(
        &case,
        &worker,
        1_000,
        &[],
        reported("fire", "fire-01", "site-a", "g-xinhua-1", "x", vec![]),
    );
    assert!(accepted(
        &server.push(&worker, std::slice::from_ref(&ok)).await
    ));
    assert_eq!(
        server.push(&worker, std::slice::from_ref(&ok)).await[0]["status"],
        "duplicate"
    );
    assert_eq!(server.pull_all(&worker).await.len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_cases_are_redacted_for_roles_that_do_not_need_them() {
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
    let street = server
        .device("Chen Gang", "street-officer", "s-hehua", None)
        .await;
    let supervisor = server
        .device("Inspector Ma", "supervisor", "jinjiang", None)
        .await;
    let mediation = server
        .device(
            "Mediator He",
            "department-officer",
            "jinjiang",
            Some("justice"),
        )
        .await;
    let photo = b"photo of the flat door".to_vec();
    let sha = sha256(&photo);
    upload(&server, &worker, &photo).await;
    let case = new_id();
    let secret = "Mrs Zhang in 5-1-302 and her landlord, unpaid rent";
    let report = hazard_event(
        &case,
        &worker,
        1_000,
        &[],
        reported(
            "disputes",
            "disputes-01",
            "site-a",
            "g-xinhua-1",
            secret,
            vec![sha.clone()],
        ),
    );
    let called = hazard_event(
        &case,
        &street,
        2_000,
        &[&report],
        Payload::CalledIn {
            level: Level::Street,
            note: "mediation".into(),
        },
    );
    let assigned = hazard_event(
        &case,
        &street,
        3_000,
        &[&called],
        Payload::Assigned {
            department: "justice".into(),
            note: "talk to Mrs Zhang".into(),
        },
    );
    assert!(accepted(
        &server.push(&worker, std::slice::from_ref(&report)).await
    ));
    assert!(accepted(&server.push(&street, &[called, assigned]).await));

    for (who, device) in [
        ("author", &worker),
        ("community", &community),
        ("street", &street),
        ("assigned department", &mediation),
    ] {
        let text = serde_json::to_string(&server.pull_all(device).await).unwrap();
        assert!(text.contains(secret), "{who} needs the details");
    }
    for (who, device) in [
        ("other grid worker", &colleague),
        ("supervisor", &supervisor),
    ] {
        let items = server.pull_all(device).await;
        assert_eq!(items.len(), 3, "{who} sees the case");
        assert!(items.iter().all(|i| i["redacted"] == true));
        let text = serde_json::to_string(&items).unwrap();
        assert!(
            !text.contains("Zhang") && !text.contains(&sha),
            "{who}: no trace"
        );
        let get = server.get_blob(device, &sha).await;
        assert_eq!(get.status(), 404, "{who} must not get the photo");
    }
    let get = server.get_blob(&mediation, &sha).await;
    assert_eq!(get.status(), 200, "the assigned department gets the photo");
    server.stop().await;
}
