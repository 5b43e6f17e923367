//! A sync server that answers what the protocol does not allow — a body that is not
//! JSON, JSON of the wrong shape, a record that does not parse or is malformed, an
//! invalid person — is `CoreError::Protocol` ("protocol"), never invalid input or a
//! network failure, and nothing from the bad answer is stored.
//!
//! The server is a real HTTP/1.1 listener on 127.0.0.1 that answers fixed bodies by
//! path, so each test can break the protocol in exactly one place.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use gridwalk_core::checklist::Severity;
use gridwalk_core::hazard::{HazardReport, ReportSource};
use gridwalk_core::profile::{Profile, Role};
use gridwalk_core::protocol::{
    EnrolResponse, Person, PullResponse, PulledItem, ReferenceResponse, paths,
};
use gridwalk_core::sync::{self, CURSOR_KEY, RetryPolicy, SyncOptions};
use gridwalk_core::{CoreError, SharedStore, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Starts a server answering `200 OK` with the body given for each path (the query
/// is ignored) and `404` elsewhere; returns its base URL.
async fn serve(routes: HashMap<&'static str, String>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let routes = routes.clone();
            tokio::spawn(async move { answer(stream, &routes).await });
        }
    });
    base
}

/// Reads one request (head and `Content-Length` body) and answers it.
async fn answer(mut stream: TcpStream, routes: &HashMap<&'static str, String>) {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut buf).await.unwrap();
        if n == 0 {
            return;
        }
        request.extend_from_slice(&buf[..n]);
        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).to_string();
    let body_len: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().unwrap())
        })
        .unwrap_or(0);
    while request.len() < head_end + body_len {
        let n = stream.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let target = head.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap_or(target);
    let (status, body) = match routes.get(path) {
        Some(body) => ("200 OK", body.clone()),
        None => (
            "404 Not Found",
            r#"{"error":"not_found","message":"no such path"}"#.to_string(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await.unwrap();
    stream.shutdown().await.ok();
}

fn options() -> SyncOptions {
    SyncOptions {
        retry: RetryPolicy {
            attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        },
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(10),
        ..SyncOptions::default()
    }
}

fn person() -> Person {
    Person {
        id: "p1".into(),
        name: "Li Wei".into(),
        role: Role::GridWorker,
        unit: "G1".into(),
        department: None,
    }
}

fn enrolment() -> String {
    serde_json::to_string(&EnrolResponse {
        device_id: "d1".into(),
        token: "token-1".into(),
        person: person(),
    })
    .unwrap()
}

fn reference(me: Person) -> String {
    serde_json::to_string(&ReferenceResponse {
        me,
        device_id: "d1".into(),
        units: Vec::new(),
        sites: Vec::new(),
        people: Vec::new(),
        templates: Vec::new(),
    })
    .unwrap()
}

fn pull_of(items: Vec<PulledItem>) -> String {
    serde_json::to_string(&PullResponse {
        items,
        next_cursor: "after-page-1".into(),
        has_more: false,
    })
    .unwrap()
}

fn pulled_event(id: &str, body: serde_json::Value) -> PulledItem {
    PulledItem {
        seq: 1,
        id: id.into(),
        kind: "hazard-event".into(),
        body,
        redacted: false,
        author: "p2".into(),
        received_at: "2025-01-01T00:00:00.000Z".into(),
        chain: None,
    }
}

/// The message of a `Protocol` error, after checking its stable code.
fn protocol_message<T>(result: Result<T, CoreError>) -> String {
    match result.map(|_| "a value") {
        Err(e @ CoreError::Protocol(_)) => {
            assert_eq!(e.code(), "protocol");
            e.to_string()
        }
        other => panic!("expected Protocol, got {other:?}"),
    }
}

/// The store at `path`, shared as the sync client takes it.
fn shared(path: &Path) -> SharedStore {
    SharedStore::open(path).unwrap()
}

/// Enrols the store at `path` with `server`, whose enrolment answer is well formed.
async fn enrolled(path: &Path, server: &str) {
    sync::enroll_with(&shared(path), server, "CODE-1", &options())
        .await
        .unwrap();
}

#[tokio::test]
async fn an_enrolment_answer_that_is_not_json_is_a_protocol_error_and_enrols_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let server = serve(HashMap::from([(
        paths::ENROL,
        "<html><body>Welcome to the captive portal</body></html>".to_string(),
    )]))
    .await;

    let message =
        protocol_message(sync::enroll_with(&shared(&path), &server, "CODE-1", &options()).await);
    assert!(message.contains(paths::ENROL), "names the URL: {message}");
    assert_eq!(sync::enrolled_server(&shared(&path)).unwrap(), None);
}

#[tokio::test]
async fn an_enrolment_answer_of_the_wrong_shape_is_a_protocol_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let server = serve(HashMap::from([(
        paths::ENROL,
        r#"{"device_id": 7, "token": ["not", "a", "string"]}"#.to_string(),
    )]))
    .await;

    let message =
        protocol_message(sync::enroll_with(&shared(&path), &server, "CODE-1", &options()).await);
    assert!(message.contains("unexpected JSON"), "{message}");
    assert_eq!(sync::enrolled_server(&shared(&path)).unwrap(), None);
}

#[tokio::test]
async fn reference_data_naming_an_invalid_person_is_a_protocol_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let nameless = Person {
        name: "  ".into(),
        ..person()
    };
    let server = serve(HashMap::from([
        (paths::ENROL, enrolment()),
        (paths::REFERENCE, reference(nameless)),
    ]))
    .await;
    enrolled(&path, &server).await;

    let message = protocol_message(sync::sync_with(&shared(&path), &options(), None).await);
    assert!(message.contains("person"), "{message}");
    assert!(message.contains("name is empty"), "{message}");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.profile().unwrap().unwrap().name, "Li Wei", "kept");
}

#[tokio::test]
async fn a_pulled_record_that_does_not_parse_is_a_protocol_error_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let unparsable = pulled_event("e-1", serde_json::json!({ "id": 42, "case": null }));
    let server = serve(HashMap::from([
        (paths::ENROL, enrolment()),
        (paths::REFERENCE, reference(person())),
        (paths::PULL, pull_of(vec![unparsable])),
    ]))
    .await;
    enrolled(&path, &server).await;

    let message = protocol_message(sync::sync_with(&shared(&path), &options(), None).await);
    assert!(message.contains("pulled record e-1"), "{message}");
    let store = Store::open(&path).unwrap();
    assert!(store.all_hazard_events().unwrap().is_empty());
    assert_eq!(store.setting(CURSOR_KEY).unwrap().as_deref(), Some(""));
}

/// An event that parses but breaks the event rules (its id is not a UUID): the store
/// refuses it as invalid input, which from a pull means the server broke the protocol.
#[tokio::test]
async fn a_pulled_event_that_is_malformed_is_a_protocol_error_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut source = Store::open(dir.path().join("source.db")).unwrap();
    source
        .set_profile(&Profile {
            name: "Wang Fang".into(),
            role: Role::CommunityStaff,
            unit: "G1".into(),
            department: None,
        })
        .unwrap();
    let mut event = source
        .open_case(HazardReport {
            source: ReportSource::Hotline,
            category: "fire".into(),
            item: None,
            severity: Severity::High,
            unit: "G1".into(),
            site_id: None,
            description: "blocked fire exit".into(),
            photos: Vec::new(),
            suggested_department: None,
        })
        .unwrap();
    event.id = "not-a-uuid".into();
    let malformed = pulled_event(&event.id, serde_json::to_value(&event).unwrap());

    let path = dir.path().join("s.db");
    let server = serve(HashMap::from([
        (paths::ENROL, enrolment()),
        (paths::REFERENCE, reference(person())),
        (paths::PULL, pull_of(vec![malformed])),
    ]))
    .await;
    enrolled(&path, &server).await;

    let message = protocol_message(sync::sync_with(&shared(&path), &options(), None).await);
    assert!(message.contains("a pulled hazard event"), "{message}");
    let store = Store::open(&path).unwrap();
    assert!(store.all_hazard_events().unwrap().is_empty());
    assert_eq!(store.setting(CURSOR_KEY).unwrap().as_deref(), Some(""));
}
