//! Who may fetch a photo (issue 10), over real HTTP on 127.0.0.1: its uploader, and
//! whoever may read a record that the uploader attached it to. Naming someone else's
//! photo in one's own record grants nothing, and a photo of personal details stays
//! withheld from the roles that get those details redacted.

use crate::common;

use common::*;
use gridwalk_model::inspection::{Inspection, InspectionKind, InspectionStatus};
use serde_json::Value;

fn accepted(results: &[Value]) -> bool {
    results.iter().all(|r| r["status"] == "accepted")
}

/// A complete submitted inspection at `site` whose fire hazard shows `photo`.
fn inspection_with(site: &str, photo: &str) -> Inspection {
    inspection(
        &new_id(),
        site,
        InspectionKind::Routine,
        InspectionStatus::Submitted,
        Some(photo),
        None,
    )
}

/// `HEAD /v1/blobs/{sha}` as `device`: the status.
async fn head_blob(server: &TestServer, device: &Device, sha: &str) -> u16 {
    server
        .client
        .head(server.url(&format!("/v1/blobs/{sha}")))
        .bearer_auth(&device.token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn naming_someone_elses_photo_in_ones_own_record_grants_nothing() {
    let server = TestServer::start().await;
    let worker_a = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let worker_b = server
        .device("Zhao Lei", "grid-worker", "g-xinhua-2", None)
        .await;
    let far_worker = server
        .device("Zhou Bo", "grid-worker", "g-dongguang-1", None)
        .await;
    let community = server
        .device("Wang Fang", "community-staff", "c-xinhua", None)
        .await;
    let photo = b"\xff\xd8\xff\xe0 the stairwell of compound 3".to_vec();
    let sha = sha256(&photo);
    upload(&server, &worker_a, &photo).await;
    assert!(accepted(
        &server
            .push(&worker_a, &[item(&inspection_with("site-a", &sha))])
            .await
    ));

    // B (another grid) and a worker of another street name A's photo in their own
    // inspection and in their own hazard report: both records are stored...
    assert!(accepted(
        &server
            .push(&worker_b, &[item(&inspection_with("site-b", &sha))])
            .await
    ));
    let report = hazard_event(
        &new_id(),
        &far_worker,
        1_000,
        &[],
        reported(
            "fire",
            "fire-03",
            "site-c",
            "g-dongguang-1",
            "x",
            vec![sha.clone()],
        ),
    );
    assert!(accepted(&server.push(&far_worker, &[report]).await));
    // ...but the photo stays A's: absent for them, exactly like a photo that is not.
    for device in [&worker_b, &far_worker] {
        let get = server.get_blob(device, &sha).await;
        assert_eq!(get.status(), 404, "{} must not get it", device.name);
        let body: Value = get.json().await.unwrap();
        assert_eq!(body["error"], "not_found");
        assert_eq!(head_blob(&server, device, &sha).await, 404);
    }
    let missing = sha256(b"a photo nobody uploaded");
    let body: Value = server
        .get_blob(&worker_b, &missing)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["error"], "not_found");

    // Those who may read A's record still get it, and A does.
    for device in [&worker_a, &community] {
        assert_eq!(server.get_blob(device, &sha).await.status(), 200);
        assert_eq!(head_blob(&server, device, &sha).await, 200);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_of_personal_details_stays_withheld_from_redacted_roles() {
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
    let portrait = b"\xff\xd8\xff\xe0 Mr Wang at his door".to_vec();
    let sha = sha256(&portrait);
    upload(&server, &worker, &portrait).await;
    let mut visit = inspection(
        &new_id(),
        "site-a",
        InspectionKind::Routine,
        InspectionStatus::Submitted,
        None,
        Some("Mr Wang, released last month"),
    );
    visit.answers[1].photos = vec![sha.clone()];
    assert!(accepted(&server.push(&worker, &[item(&visit)]).await));

    // The supervisor and a colleague get key-groups details redacted; attaching the
    // photo to a fire hazard of their own does not unlock it.
    let mut spot = inspection_with("site-a", &sha);
    spot.kind = InspectionKind::SpotCheck;
    assert!(accepted(&server.push(&supervisor, &[item(&spot)]).await));
    assert!(accepted(
        &server
            .push(&colleague, &[item(&inspection_with("site-a", &sha))])
            .await
    ));
    for device in [&supervisor, &colleague] {
        assert_eq!(
            server.get_blob(device, &sha).await.status(),
            404,
            "{} gets key-groups details redacted",
            device.name
        );
        assert_eq!(head_blob(&server, device, &sha).await, 404);
    }
    // The community staff act on key-groups cases: they get it, as does its uploader.
    for device in [&community, &worker] {
        let get = server.get_blob(device, &sha).await;
        assert_eq!(get.status(), 200, "{}", device.name);
        assert_eq!(get.bytes().await.unwrap().to_vec(), portrait);
    }
    server.stop().await;
}
