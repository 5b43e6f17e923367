//! Authorisation, case by case, over real HTTP on 127.0.0.1: who may write where, who
//! sees what, spot checks hidden until submitted, personal details redacted, photos
//! only for those who may see them, and no token reaching another device's data.

use crate::common;

use common::*;
use gridwalk_model::inspection::{InspectionKind, InspectionStatus};
use serde_json::Value;

struct Cast {
    worker_a: Device,     // grid g-xinhua-1 (site-a)
    worker_b: Device,     // grid g-xinhua-2 (site-b)
    worker_b2: Device,    // also g-xinhua-2
    community: Device,    // c-xinhua (both grids above)
    street: Device,       // s-hehua (c-xinhua and its grids)
    other_street: Device, // s-niushi (site-c)
    department: Device,   // police, district-wide
    supervisor: Device,   // district-wide supervision group
    admin: Device,
}

async fn cast(server: &TestServer) -> Cast {
    Cast {
        worker_a: server
            .device("Li Na", "grid-worker", "g-xinhua-1", None)
            .await,
        worker_b: server
            .device("Zhao Lei", "grid-worker", "g-xinhua-2", None)
            .await,
        worker_b2: server
            .device("Sun Mei", "grid-worker", "g-xinhua-2", None)
            .await,
        community: server
            .device("Wang Fang", "community-staff", "c-xinhua", None)
            .await,
        street: server
            .device("Chen Gang", "street-officer", "s-hehua", None)
            .await,
        other_street: server
            .device("Liu Yang", "street-officer", "s-niushi", None)
            .await,
        department: server
            .device(
                "Officer Zhou",
                "department-officer",
                "jinjiang",
                Some("police"),
            )
            .await,
        supervisor: server
            .device("Inspector Ma", "supervisor", "jinjiang", None)
            .await,
        admin: server.device("Admin", "admin", "jinjiang", None).await,
    }
}

fn accepted(results: &[Value]) -> bool {
    results.iter().all(|r| r["status"] == "accepted")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_writes_and_reads_only_its_area() {
    let server = TestServer::start().await;
    let c = cast(&server).await;
    let at_a = routine("site-a");
    let at_b = routine("site-b");
    let at_c = routine("site-c");

    // Writes: a grid worker only in their grid.
    assert!(accepted(
        &server.push(&c.worker_a, std::slice::from_ref(&at_a)).await
    ));
    let refused = server.push(&c.worker_a, &[routine("site-b")]).await;
    assert_eq!(refused[0]["code"], "forbidden", "{refused:?}");
    assert!(accepted(
        &server.push(&c.worker_b, std::slice::from_ref(&at_b)).await
    ));
    // A street officer writes anywhere in the street, not in another street.
    assert!(accepted(
        &server.push(&c.street, &[routine("site-b")]).await
    ));
    let refused = server.push(&c.street, &[routine("site-c")]).await;
    assert_eq!(refused[0]["code"], "forbidden");
    assert!(accepted(
        &server
            .push(&c.other_street, std::slice::from_ref(&at_c))
            .await
    ));

    let sees = |items: &[Value], item: &Value| {
        ids(items).contains(&item["id"].as_str().unwrap().to_string())
    };

    let a = server.pull_all(&c.worker_a).await;
    assert!(
        sees(&a, &at_a) && !sees(&a, &at_b) && !sees(&a, &at_c),
        "grid worker A: own grid only"
    );
    let b = server.pull_all(&c.worker_b).await;
    assert!(
        !sees(&b, &at_a) && sees(&b, &at_b) && !sees(&b, &at_c),
        "grid worker B: own grid only"
    );
    let community = server.pull_all(&c.community).await;
    assert!(sees(&community, &at_a) && sees(&community, &at_b) && !sees(&community, &at_c));
    let street = server.pull_all(&c.street).await;
    assert!(
        sees(&street, &at_a) && sees(&street, &at_b) && !sees(&street, &at_c),
        "street: all its grids"
    );
    let other = server.pull_all(&c.other_street).await;
    assert!(!sees(&other, &at_a) && !sees(&other, &at_b) && sees(&other, &at_c));
    // A department officer sees only cases assigned to the department: no inspections.
    assert!(server.pull_all(&c.department).await.is_empty());
    assert_eq!(server.pull_all(&c.admin).await.len(), 4);

    // Reference data follows the same areas.
    let reference: Value = server
        .client
        .get(server.url("/v1/reference"))
        .bearer_auth(&c.worker_a.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let site_ids: Vec<&str> = reference["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(site_ids, ["site-a"]);
    let unit_ids: Vec<&str> = reference["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert!(unit_ids.contains(&"g-xinhua-1") && unit_ids.contains(&"s-hehua"));
    assert!(!unit_ids.contains(&"g-xinhua-2") && !unit_ids.contains(&"s-niushi"));
    let people: Vec<&str> = reference["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        people.contains(&"Wang Fang")
            && !people.contains(&"Zhao Lei")
            && !people.contains(&"Liu Yang")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spot_checks_stay_hidden_from_the_inspected_area_until_submitted() {
    let server = TestServer::start().await;
    let c = cast(&server).await;
    let id = new_id();
    let planned = item(&inspection(
        &id,
        "site-a",
        InspectionKind::SpotCheck,
        InspectionStatus::Draft,
        None,
        None,
    ));

    // Only supervisors record spot checks.
    let refused = server
        .push(&c.worker_a, std::slice::from_ref(&planned))
        .await;
    assert_eq!(refused[0]["code"], "forbidden");
    let refused = server.push(&c.street, std::slice::from_ref(&planned)).await;
    assert_eq!(refused[0]["code"], "forbidden");

    assert!(accepted(
        &server
            .push(&c.supervisor, std::slice::from_ref(&planned))
            .await
    ));
    let (a_items, a_cursor) = server.pull_all_from(&c.worker_a, "").await;
    assert!(
        !ids(&a_items).contains(&id),
        "the grid worker must not learn of the planned visit"
    );
    for device in [&c.community, &c.street] {
        assert!(!ids(&server.pull_all(device).await).contains(&id));
    }
    let sup = server.pull_all(&c.supervisor).await;
    assert!(ids(&sup).contains(&id), "supervisors see their plans");

    // Submitted: now visible, also to a cursor that already passed the plan.
    let done = item(&inspection(
        &id,
        "site-a",
        InspectionKind::SpotCheck,
        InspectionStatus::Submitted,
        None,
        None,
    ));
    assert!(accepted(
        &server
            .push(&c.supervisor, std::slice::from_ref(&done))
            .await
    ));
    // Re-pushing the plan now changes nothing.
    assert_eq!(
        server.push(&c.supervisor, &[planned]).await[0]["status"],
        "duplicate"
    );
    let (fresh, _) = server.pull_all_from(&c.worker_a, &a_cursor).await;
    assert_eq!(ids(&fresh), vec![id.clone()]);
    assert_eq!(fresh[0]["body"]["status"], "submitted");
    assert!(ids(&server.pull_all(&c.community).await).contains(&id));
    // Still not visible outside the area.
    assert!(!ids(&server.pull_all(&c.worker_b).await).contains(&id));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_details_reach_only_the_roles_that_need_them() {
    let server = TestServer::start().await;
    let c = cast(&server).await;
    let note = "Mr Wang, 62, released last month, lives alone at 3-2-401";
    let record = item(&inspection(
        &new_id(),
        "site-b",
        InspectionKind::Routine,
        InspectionStatus::Submitted,
        None,
        Some(note),
    ));
    assert!(accepted(
        &server
            .push(&c.worker_b, std::slice::from_ref(&record))
            .await
    ));

    let note_of = |items: &[Value]| -> (bool, Value) {
        let it = items
            .iter()
            .find(|i| i["id"] == record["id"])
            .expect("visible");
        let answer = it["body"]["answers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["item"] == "key-groups-01")
            .unwrap()
            .clone();
        (it["redacted"].as_bool().unwrap(), answer["note"].clone())
    };
    for (who, device) in [
        ("author", &c.worker_b),
        ("community", &c.community),
        ("street", &c.street),
        ("admin", &c.admin),
    ] {
        let (redacted, seen) = note_of(&server.pull_all(device).await);
        assert!(!redacted, "{who} needs the details");
        assert_eq!(seen, note, "{who}");
    }
    for (who, device) in [
        ("other worker of the grid", &c.worker_b2),
        ("supervisor", &c.supervisor),
    ] {
        let items = server.pull_all(device).await;
        let (redacted, seen) = note_of(&items);
        assert!(redacted, "{who} gets it redacted");
        assert!(seen.is_null(), "{who} must not see the note");
        let text = serde_json::to_string(&items).unwrap();
        assert!(!text.contains("Mr Wang"), "{who}: no trace anywhere");
        // Non-personal answers stay.
        assert!(text.contains("extinguisher expired"));
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_reach_only_those_who_may_see_their_records() {
    let server = TestServer::start().await;
    let c = cast(&server).await;
    let photo = b"\xff\xd8\xff\xe0 a processed evidence photo of an expired extinguisher".to_vec();
    let sha = sha256(&photo);
    let location = upload(&server, &c.worker_a, &photo).await;
    let record = item(&inspection(
        &new_id(),
        "site-a",
        InspectionKind::Routine,
        InspectionStatus::Submitted,
        Some(&sha),
        None,
    ));
    assert!(accepted(&server.push(&c.worker_a, &[record]).await));

    let get = |device: &Device| {
        let request = server
            .client
            .get(server.url(&format!("/v1/blobs/{sha}")))
            .bearer_auth(&device.token);
        async move { request.send().await.unwrap() }
    };
    for device in [
        &c.worker_a,
        &c.community,
        &c.street,
        &c.supervisor,
        &c.admin,
    ] {
        let response = get(device).await;
        assert_eq!(response.status(), 200, "{}", device.name);
        assert_eq!(response.bytes().await.unwrap().to_vec(), photo);
    }
    for device in [&c.worker_b, &c.other_street, &c.department] {
        assert_eq!(
            get(device).await.status(),
            404,
            "{} must not get the photo",
            device.name
        );
    }
    let anonymous = server
        .client
        .get(server.url(&format!("/v1/blobs/{sha}")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // A photo attached to personal details: not for those who get them redacted.
    let portrait = b"\xff\xd8\xff\xe0 a photo showing a person".to_vec();
    let portrait_sha = sha256(&portrait);
    upload(&server, &c.worker_b, &portrait).await;
    let mut personal = inspection(
        &new_id(),
        "site-b",
        InspectionKind::Routine,
        InspectionStatus::Submitted,
        None,
        Some("Ms Li"),
    );
    personal.answers[1].photos = vec![portrait_sha.clone()];
    assert!(accepted(
        &server.push(&c.worker_b, &[item(&personal)]).await
    ));
    let get_portrait = |device: &Device| {
        let request = server
            .client
            .get(server.url(&format!("/v1/blobs/{portrait_sha}")))
            .bearer_auth(&device.token);
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(get_portrait(&c.community).await, 200);
    assert_eq!(get_portrait(&c.supervisor).await, 404);
    assert_eq!(get_portrait(&c.worker_b2).await, 404);

    // One device's upload is invisible to another device, even of the same area.
    let head = |device: &Device| {
        let request = server
            .client
            .head(&location)
            .bearer_auth(&device.token)
            .header("Tus-Resumable", "1.0.0");
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(head(&c.worker_a).await, 200);
    assert_eq!(head(&c.worker_b).await, 404);
    assert_eq!(head(&c.community).await, 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_device_of_another_person_gets_nothing_of_the_first() {
    let server = TestServer::start().await;
    let a = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let b = server
        .device("Zhao Lei", "grid-worker", "g-xinhua-2", None)
        .await;
    let mine = routine("site-a");
    server.push(&a, std::slice::from_ref(&mine)).await;
    assert!(server.pull_all(&b).await.is_empty());
    // B cannot overwrite or claim A's record by pushing its id.
    let mut hijack = routine("site-b");
    hijack["id"] = mine["id"].clone();
    hijack["body"]["id"] = mine["id"].clone();
    let results = server.push(&b, &[hijack]).await;
    assert_eq!(results[0]["code"], "conflict");
    let a_items = server.pull_all(&a).await;
    assert_eq!(a_items.len(), 1);
    assert_eq!(a_items[0]["body"]["site_id"], "site-a");
    server.stop().await;
}
