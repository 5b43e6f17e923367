//! `/v1` stays served beside `/v2` (issue 13): phones in the field are not all updated
//! at once. A client that syncs over `/v1` only (the core's `/v1` push and pull, kept
//! as they were) and a `/v2` client share one server and get each other's records; the
//! new client against a server that does not serve `/v2` (its real `404` for an unknown
//! route) syncs over `/v1`.

use gridwalk_core::inspection::InspectionKind;
use gridwalk_core::sync::{self, Protocol, SyncOptions};
use gridwalk_e2e::*;

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");

fn v1_options() -> SyncOptions {
    SyncOptions {
        protocol: Protocol::V1,
        ..test_options()
    }
}

async fn enrolled(server: &Server, url: &str, name: &str, role: &str, unit: &str) -> Device {
    let device = Device::new(name);
    device
        .enroll(url, &server.person(name, role, unit, None))
        .await;
    device
}

fn routes(traffic: &Traffic) -> Vec<String> {
    traffic
        .requests
        .iter()
        .map(|l| l.split(['?', ' ']).take(2).collect::<Vec<_>>().join(" "))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_v1_client_and_a_v2_client_share_one_server() {
    let server = Server::start(BIN);
    let proxy = Proxy::start(server.addr).await;
    let old = enrolled(&server, &proxy.url(), "Li Na", "grid-worker", "g-xinhua-1").await;
    let new = enrolled(
        &server,
        &server.url(),
        "Zhao Lei",
        "grid-worker",
        "g-xinhua-1",
    )
    .await;
    old.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-02", vec![jpeg(1, 64, 48)])],
    );
    new.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-03", vec![jpeg(2, 64, 48)])],
    );

    proxy.reset_traffic();
    let report = sync::sync_with(&old.shared(), &v1_options(), None)
        .await
        .unwrap();
    // The inspection, its photo's record and its case.
    assert_eq!(report.accepted, 3, "{report:?}");
    assert!(
        report.rejected.is_empty() && report.errors.is_empty(),
        "{report:?}"
    );
    let seen = routes(&proxy.traffic());
    assert!(seen.iter().all(|r| !r.contains("/v2/")), "{seen:?}");
    assert!(seen.contains(&"POST /v1/push".to_string()), "{seen:?}");
    assert!(seen.contains(&"GET /v1/pull".to_string()), "{seen:?}");

    // The new client's records (signed, compact, dictionary-compressed) reach the old
    // one over /v1, and the old one's reach the new one over /v2.
    let report = new.sync().await.unwrap();
    // Its inspection, its photo's record and its case go up.
    assert_eq!((report.accepted, report.pulled_new), (3, 2), "{report:?}");
    let report = sync::sync_with(&old.shared(), &v1_options(), None)
        .await
        .unwrap();
    assert_eq!(report.pulled_new, 2, "{report:?}");
    assert_eq!(old.record_ids(), new.record_ids());
    assert_eq!(old.photos(), new.photos());
    assert_converged(&server, &[&old, &new]).await;

    // Every stored signature verifies, whichever route brought it.
    let blobs = server.blob_store();
    let report =
        gridwalk_server::proofs::verify_store(server.admin_store().as_ref(), blobs.as_ref())
            .unwrap();
    assert!(report.is_clean(), "{report:?}");
    // Each client's inspection, photo record and case, chained, each push sealed by one
    // signature (ADR 12).
    assert_eq!(
        (report.records, report.signed, report.sealed),
        (6, 2, 4),
        "{report:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_client_syncs_over_v1_with_a_server_that_does_not_serve_v2() {
    let server = Server::start(BIN);
    let proxy = Proxy::start(server.addr).await;
    proxy.set_faults(Faults {
        unserved: Some("/v2/".into()),
        ..Faults::default()
    });
    let worker = enrolled(&server, &proxy.url(), "Li Na", "grid-worker", "g-xinhua-1").await;
    worker.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-02", vec![jpeg(1, 64, 48)])],
    );
    proxy.reset_traffic();
    let report = worker.sync().await.unwrap();
    // The inspection, its photo's record and its case.
    assert_eq!(report.accepted, 3, "{report:?}");
    assert!(worker.nothing_to_send());
    let traffic = proxy.traffic();
    let seen = routes(&traffic);
    let asked = seen.iter().position(|r| r.ends_with(" /xxxsync"));
    assert!(asked.is_some(), "{seen:?}");
    assert!(
        traffic
            .answers
            .iter()
            .any(|a| a.starts_with("HTTP/1.1 404")),
        "{traffic:?}"
    );
    assert!(seen.contains(&"POST /v1/push".to_string()), "{seen:?}");
    assert!(seen.contains(&"GET /v1/pull".to_string()), "{seen:?}");

    let street = enrolled(
        &server,
        &server.url(),
        "Wang Fang",
        "street-officer",
        "s-hehua",
    )
    .await;
    let pulled = street.sync().await.unwrap();
    assert_eq!(pulled.pulled_new, 2, "{pulled:?}");
}
