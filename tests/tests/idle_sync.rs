//! A sync with nothing new costs almost nothing: one `/v2` exchange, no reference body, none of
//! the device's own records; and a reference that changed still reaches the device with
//! the next sync. Counted on the wire by the proxy, HTTP headers included.

use gridwalk_core::inspection::InspectionKind;
use gridwalk_e2e::*;

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");

async fn enrolled(server: &Server, url: &str, name: &str, role: &str, unit: &str) -> Device {
    let device = Device::new(name);
    device
        .enroll(url, &server.person(name, role, unit, None))
        .await;
    device
}

fn pulls_only(traffic: &Traffic) -> bool {
    traffic
        .requests
        .iter()
        .all(|line| line.starts_with("GET /v2/sync"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_sync_is_one_pull_without_reference_or_own_records() {
    let server = Server::start(BIN);
    let proxy = Proxy::start(server.addr).await;
    let worker = enrolled(&server, &proxy.url(), "Li Na", "grid-worker", "g-xinhua-1").await;
    worker.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-02", vec![jpeg(1, 64, 48)])],
    );

    // The sync that pushes gets none of what it pushed back.
    let first = worker.sync().await.unwrap();
    // The inspection, its photo's record and its case.
    assert_eq!((first.accepted, first.pulled), (3, 0), "{first:?}");
    assert!(worker.nothing_to_send());

    proxy.reset_traffic();
    let idle = worker.sync().await.unwrap();
    let traffic = proxy.traffic();
    assert_eq!((idle.pushed, idle.pulled), (0, 0), "{idle:?}");
    assert!(idle.errors.is_empty(), "{idle:?}");
    assert_eq!(traffic.requests.len(), 1, "{traffic:?}");
    assert!(pulls_only(&traffic), "{traffic:?}");
    assert_eq!(traffic.answers, ["HTTP/1.1 200 OK"], "{traffic:?}");
    println!(
        "idle sync: {} B in {} request ({} up, {} down)",
        traffic.total(),
        traffic.requests.len(),
        traffic.up,
        traffic.down
    );
    // No reference body (it alone is kilobytes) and no record (hundreds of bytes each)
    // came down: the request and answer headers and an empty page (issue 13's target).
    assert!(traffic.total() <= 300, "{traffic:?}");

    // The others still get the worker's records, and the worker still gets theirs.
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
    assert_eq!(worker.record_ids(), street.record_ids());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_client_without_if_none_match_gets_everything_as_before() {
    let server = Server::start(BIN);
    let worker = enrolled(&server, &server.url(), "Li Na", "grid-worker", "g-xinhua-1").await;
    worker.inspect("site-a", InspectionKind::Routine, &[]);
    worker.sync_until_clean(3).await;
    let http = reqwest::Client::new();
    let token = worker.token();
    let get = |path: &str| {
        http.get(format!("{}{path}", server.url()))
            .bearer_auth(&token)
    };

    // The whole reference, with its tag; asked again with the tag: 304, no body.
    let full = get("/v1/reference").send().await.unwrap();
    assert_eq!(full.status(), 200);
    let tag = full.headers()["etag"].to_str().unwrap().to_string();
    let body: serde_json::Value = full.json().await.unwrap();
    assert!(
        body["sites"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == "site-a"),
        "{body}"
    );
    assert!(!body["templates"].as_array().unwrap().is_empty());
    let again = get("/v1/reference")
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), tag);
    assert!(again.bytes().await.unwrap().is_empty());
    let stale = get("/v1/reference")
        .header("if-none-match", "\"0000000000000000\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);

    // A pull as a /v1 client makes it still returns the device's own records; with
    // `skip_own=true` it does not, and the cursor moves past them either way.
    let old: serde_json::Value = get("/v1/pull").send().await.unwrap().json().await.unwrap();
    assert_eq!(old["items"].as_array().unwrap().len(), 1, "{old}");
    let new: serde_json::Value = get("/v1/pull?skip_own=true")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(new["items"].as_array().unwrap().len(), 0, "{new}");
    assert_eq!(new["next_cursor"], old["next_cursor"]);

    // A pull naming the held tag has no `Reference-ETag`; naming another, it has the
    // current one.
    let bare = tag.trim_matches('"');
    let same = get(&format!("/v1/pull?skip_own=true&reference={bare}"))
        .send()
        .await
        .unwrap();
    assert!(same.headers().get("reference-etag").is_none());
    let other = get("/v1/pull?skip_own=true&reference=")
        .send()
        .await
        .unwrap();
    assert_eq!(other.headers()["reference-etag"].to_str().unwrap(), tag);
    let bad = get("/v1/pull?skip_own=yes").send().await.unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_reference_reaches_the_device_with_the_next_sync() {
    let server = Server::start(BIN);
    let proxy = Proxy::start(server.addr).await;
    let worker = enrolled(&server, &proxy.url(), "Li Na", "grid-worker", "g-xinhua-1").await;
    worker.sync_until_clean(3).await;
    assert!(worker.store().site("site-new").is_err());

    // The district office imports a new site in the worker's grid.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("sites.csv");
    std::fs::write(
        &csv,
        "id,name,kind,unit,address,lat,lon\nsite-new,New Flats,residential,g-xinhua-1,5 Xinhua Rd,,\n",
    )
    .unwrap();
    gridwalk_server::admin::import_sites(server.admin_store().as_ref(), &csv).unwrap();

    proxy.reset_traffic();
    let report = worker.sync().await.unwrap();
    let traffic = proxy.traffic();
    assert!(report.errors.is_empty(), "{report:?}");
    assert_eq!(worker.store().site("site-new").unwrap().name, "New Flats");
    assert_eq!(traffic.requests.len(), 2, "{traffic:?}");
    assert!(
        traffic.requests[0].starts_with("GET /v2/sync?"),
        "{traffic:?}"
    );
    assert!(
        traffic.requests[1].starts_with("GET /v1/reference "),
        "{traffic:?}"
    );
    assert_eq!(traffic.answers, ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"]);

    // Picked up once: the sync after it is idle again.
    proxy.reset_traffic();
    worker.sync().await.unwrap();
    let traffic = proxy.traffic();
    assert_eq!(traffic.requests.len(), 1, "{traffic:?}");
    assert!(pulls_only(&traffic), "{traffic:?}");
}
