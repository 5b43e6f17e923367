//! Shutting people and devices out, over real HTTP on 127.0.0.1: a disabled person's
//! devices are refused from the next request and work again once enabled; a revoked
//! device is refused while the person's other device keeps working; a reissued code
//! replaces the unused one; a token unused for its lifetime expires while a used one
//! is renewed; enrolment attempts are rate-limited per client address.

use crate::common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use gridwalk_server::admin;
use gridwalk_server::api::router;
use gridwalk_server::config::Limits;
use gridwalk_server::server::open_state_on;
use gridwalk_server::storage::EnrolAttempt;
use serde_json::{Value, json};

/// `(status, error body)` of a push of one routine inspection.
async fn push_status(server: &TestServer, device: &Device) -> (u16, Value) {
    let response = server
        .client
        .post(server.url("/v1/push"))
        .bearer_auth(&device.token)
        .json(&json!({ "items": [routine("site-a")] }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// `(status, body)` of a first pull page.
async fn pull_status(server: &TestServer, device: &Device) -> (u16, Value) {
    let response = server
        .client
        .get(server.url("/v1/pull"))
        .bearer_auth(&device.token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Asserts both a push and a pull are refused with `401` and a message containing
/// `reason`.
async fn assert_refused(server: &TestServer, device: &Device, reason: &str) {
    for (what, (status, body)) in [
        ("push", push_status(server, device).await),
        ("pull", pull_status(server, device).await),
    ] {
        assert_eq!(status, 401, "{what}: {body}");
        assert_eq!(body["error"], "unauthorized", "{what}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(reason),
            "{what}: expected `{reason}` in {body}"
        );
    }
}

/// Asserts both a push and a pull work.
async fn assert_works(server: &TestServer, device: &Device) {
    let (status, body) = push_status(server, device).await;
    assert_eq!(status, 200, "push: {body}");
    assert_eq!(body["results"][0]["status"], "accepted", "{body}");
    let (status, body) = pull_status(server, device).await;
    assert_eq!(status, 200, "pull: {body}");
}

/// The device id the server knows a token by.
async fn device_id(server: &TestServer, device: &Device) -> String {
    let reference: Value = server
        .client
        .get(server.url("/v1/reference"))
        .bearer_auth(&device.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reference["device_id"].as_str().unwrap().to_string()
}

/// A person with two enrolled devices (the second from a reissued code).
async fn person_with_two_devices(server: &TestServer) -> (Device, Device) {
    let first = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let code = admin::reissue_code(server.state.store.as_ref(), &first.person, Utc::now())
        .unwrap()
        .enrolment_code;
    let second = server.enrol(&code).await;
    assert_eq!(second.person, first.person);
    (first, second)
}

/// `POST /v1/enrol` with `code`; the whole response.
async fn try_enrol(server: &TestServer, code: &str) -> reqwest::Response {
    server
        .client
        .post(server.url("/v1/enrol"))
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_persons_devices_are_refused_until_they_are_enabled() {
    let server = TestServer::start().await;
    let (phone, tablet) = person_with_two_devices(&server).await;
    let colleague = server
        .device("Zhao Lei", "grid-worker", "g-xinhua-1", None)
        .await;
    assert_works(&server, &phone).await;
    // An unused code of theirs, to try after they are disabled.
    let store = server.state.store.as_ref();
    let spare = admin::reissue_code(store, &phone.person, Utc::now())
        .unwrap()
        .enrolment_code;

    // Disabled by an unambiguous prefix of the id, with the server running.
    let prefix = &phone.person[..phone.person.len() - 4];
    let change = admin::set_person_disabled(store, prefix, true, Utc::now()).unwrap();
    assert!(change.changed);
    assert!(change.person.disabled);
    assert_eq!(change.person.person.id, phone.person);
    for device in [&phone, &tablet] {
        assert_refused(&server, device, "this person is disabled").await;
    }
    assert_works(&server, &colleague).await;
    // Their unused code does not enrol a new device, and is not used up by trying.
    let response = try_enrol(&server, &spare).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("disabled"),
        "{body}"
    );
    // Disabling twice changes nothing; a new code is refused while disabled.
    assert!(
        !admin::set_person_disabled(store, &phone.person, true, Utc::now())
            .unwrap()
            .changed
    );
    let e = admin::reissue_code(store, &phone.person, Utc::now()).unwrap_err();
    assert!(e.to_string().contains("is disabled"), "{e}");

    // Enabled again: both devices work from the next request, and the spare code too.
    let change = admin::set_person_disabled(store, &phone.person, false, Utc::now()).unwrap();
    assert!(change.changed && !change.person.disabled);
    assert_eq!(change.person.active_devices, 2);
    assert_works(&server, &phone).await;
    assert_works(&server, &tablet).await;
    let third = server.enrol(&spare).await;
    assert_eq!(third.person, phone.person);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_is_refused_and_the_persons_other_device_still_works() {
    let server = TestServer::start().await;
    let (lost, kept) = person_with_two_devices(&server).await;
    assert_works(&server, &lost).await;
    let lost_id = device_id(&server, &lost).await;
    let store = server.state.store.as_ref();

    let change = admin::revoke_device(store, &lost_id[..lost_id.len() - 3], Utc::now()).unwrap();
    assert!(change.changed);
    assert_eq!(change.device.id, lost_id);
    assert!(change.device.revoked && change.device.revoked_at.is_some());

    assert_refused(&server, &lost, "this device was revoked").await;
    // Every protected route, tus included.
    let upload = server
        .client
        .post(server.url("/v1/blobs"))
        .bearer_auth(&lost.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "7")
        .header("Upload-Metadata", tus_metadata(&sha256(b"a photo")))
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 401);
    assert_works(&server, &kept).await;

    // The lists say so; revoking again changes nothing.
    let devices = admin::list_devices(store, Some(&lost.person), Utc::now()).unwrap();
    let statuses: Vec<(&str, &str)> = devices
        .devices
        .iter()
        .map(|d| (d.id.as_str(), admin::device_status(d)))
        .collect();
    let kept_id = device_id(&server, &kept).await;
    assert_eq!(
        statuses,
        [(lost_id.as_str(), "revoked"), (kept_id.as_str(), "active")]
    );
    let people = admin::list_people(store, Utc::now()).unwrap();
    let person = people
        .people
        .iter()
        .find(|p| p.person.id == lost.person)
        .unwrap();
    assert_eq!(person.active_devices, 1);
    assert!(
        !admin::revoke_device(store, &lost_id, Utc::now())
            .unwrap()
            .changed
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reissued_code_replaces_the_unused_one() {
    let server = TestServer::start().await;
    let old = server.person("Li Na", "grid-worker", "g-xinhua-1", None);
    let store = server.state.store.as_ref();
    let person = admin::list_people(store, Utc::now()).unwrap().people[0]
        .person
        .id
        .clone();
    let reissued = admin::reissue_code(store, &person, Utc::now()).unwrap();
    assert_eq!(reissued.replaced_codes, 1);
    assert_ne!(reissued.enrolment_code, old);

    let response = try_enrol(&server, &old).await;
    assert_eq!(response.status(), 401, "the replaced code is refused");
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("unknown"),
        "{body}"
    );
    let device = server.enrol(&reissued.enrolment_code).await;
    assert_eq!(device.person, person);
    assert_works(&server, &device).await;
    // Reissuing after the code was used replaces nothing; unknown ids are named.
    let again = admin::reissue_code(store, &person, Utc::now()).unwrap();
    assert_eq!(again.replaced_codes, 0);
    let e = admin::reissue_code(store, "no-such-person", Utc::now()).unwrap_err();
    assert!(
        matches!(&e, admin::AdminError::NotFound { .. }) && e.to_string().contains("people list"),
        "{e}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unused_token_expires_and_a_used_one_is_renewed() {
    let lifetime = Duration::from_secs(4);
    let server = TestServer::with_limits(Limits {
        token_lifetime: lifetime,
        ..Limits::default()
    })
    .await;
    let used = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let idle = server
        .device("Zhao Lei", "grid-worker", "g-xinhua-1", None)
        .await;
    let store = server.state.store.as_ref();
    let expiry = |device: &Device| {
        let list = admin::list_devices(store, Some(&device.person), Utc::now()).unwrap();
        list.devices[0].clone()
    };
    let enrolled = expiry(&used);
    assert_eq!(
        enrolled.last_seen_at.as_deref(),
        Some(&*enrolled.enrolled_at)
    );

    // Halfway through its lifetime, a pull renews the used device's token.
    tokio::time::sleep(lifetime / 2).await;
    assert_eq!(pull_status(&server, &used).await.0, 200);
    let renewed = expiry(&used);
    assert!(
        renewed.expires_at > enrolled.expires_at,
        "{renewed:?} after {enrolled:?}"
    );
    assert!(renewed.last_seen_at.as_deref() > Some(&*enrolled.enrolled_at));
    assert!(renewed.expires_at > expiry(&idle).expires_at);

    // Past the idle token's expiry: it is refused, the renewed one is not.
    let idle_expires = chrono::DateTime::parse_from_rfc3339(&expiry(&idle).expires_at).unwrap();
    let wait = (idle_expires.with_timezone(&Utc) - Utc::now())
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(300)).await;
    assert_refused(&server, &idle, "this token expired").await;
    assert!(expiry(&idle).expired);
    assert_eq!(
        pull_status(&server, &used).await.0,
        200,
        "renewed at {renewed:?}"
    );
    let people = admin::list_people(store, Utc::now()).unwrap();
    let active: Vec<u32> = [&used, &idle]
        .iter()
        .map(|d| {
            people
                .people
                .iter()
                .find(|p| p.person.id == d.person)
                .unwrap()
                .active_devices
        })
        .collect();
    assert_eq!(active, [1, 0]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_eleventh_failed_enrolment_in_a_minute_gets_429_with_retry_after() {
    let server = TestServer::start().await;
    // Devices that enrol are not counted: an office behind one address enrols at once.
    for i in 0..12 {
        server
            .device(&format!("Worker {i}"), "grid-worker", "g-xinhua-1", None)
            .await;
    }
    let code = server.person("Late", "grid-worker", "g-xinhua-1", None);
    for attempt in 1..=10 {
        let response = try_enrol(&server, "WRNG-CODE-GUES-S000").await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
    }
    let response = try_enrol(&server, "WRNG-CODE-GUES-S000").await;
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    assert!(
        body["message"].as_str().unwrap().contains("127.0.0.1"),
        "{body}"
    );
    // A good code from the same address waits too, and is not used up.
    assert_eq!(try_enrol(&server, &code).await.status(), 429);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_window_slides_and_is_kept_in_the_database() {
    let limits = Limits {
        enrol_attempts: 3,
        enrol_window: Duration::from_secs(1),
        ..Limits::default()
    };
    let server = TestServer::with_limits(limits.clone()).await;
    let code = server.person("Li Na", "grid-worker", "g-xinhua-1", None);
    for _ in 0..3 {
        assert_eq!(try_enrol(&server, "nope").await.status(), 401);
    }
    assert_eq!(try_enrol(&server, &code).await.status(), 429);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(try_enrol(&server, &code).await.status(), 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_router_served_without_connect_info_still_limits_enrolment_in_the_database() {
    // Served as a plain router (no client addresses): every client shares one bucket.
    let data = tempfile::tempdir().unwrap();
    let dir = gridwalk_server::config::DataDir {
        root: data.path().to_path_buf(),
    };
    let (database, _scratch) = test_database(&dir);
    let state = open_state_on(
        &database,
        &dir,
        Limits {
            enrol_attempts: 2,
            ..Limits::default()
        },
    )
    .unwrap();
    admin::import_units(state.store.as_ref(), &fixture("units.csv")).unwrap();
    let code = admin::add_person(
        state.store.as_ref(),
        "Li Na",
        "grid-worker",
        "g-xinhua-1",
        None,
    )
    .unwrap()
    .enrolment_code;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router(state))
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    let client = reqwest::Client::new();
    let enrol = |code: String| {
        client
            .post(format!("{base}/v1/enrol"))
            .json(&json!({ "code": code }))
            .send()
    };
    assert_eq!(enrol(code).await.unwrap().status(), 200);
    for _ in 0..2 {
        assert_eq!(enrol("nope".into()).await.unwrap().status(), 401);
    }
    let refused = enrol("nope".into()).await.unwrap();
    assert_eq!(refused.status(), 429);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("unknown"),
        "{body}"
    );
    // The count lives in the database: another server on the same database (a
    // replica) refuses the same client too.
    let replica = database.open().unwrap();
    let attempt = replica
        .note_enrol_attempt("unknown", Utc::now().timestamp_millis(), 60_000, 2)
        .unwrap();
    assert!(
        matches!(attempt, EnrolAttempt::Refused { .. }),
        "{attempt:?}"
    );
    let _ = stop.send(());
    task.await.unwrap().unwrap();
}

#[test]
fn openapi_documents_the_refusals_and_the_rate_limit() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    let spec: Value = serde_norway::from_str(&text).unwrap();
    let mut limited = &spec["paths"]["/v1/enrol"]["post"]["responses"]["429"];
    if let Some(reference) = limited["$ref"].as_str() {
        limited = reference
            .trim_start_matches("#/")
            .split('/')
            .fold(&spec, |v, key| &v[key]);
    }
    assert!(limited["headers"]["Retry-After"].is_object(), "{limited}");
    assert!(
        limited["content"]["application/json"].is_object(),
        "{limited}"
    );
    let unauthorised = spec["components"]["responses"]["Error401"]["description"]
        .as_str()
        .unwrap();
    for reason in ["revoked", "disabled", "expired"] {
        assert!(unauthorised.contains(reason), "{unauthorised}");
    }
}
