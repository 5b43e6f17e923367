//! The server against `openapi.yaml`: every served route is documented and every
//! documented operation is served; each operation, exercised over HTTP with good and
//! bad requests, answers only with statuses the document lists, with the headers the
//! document requires, 2xx JSON bodies carry the fields the document requires, and every
//! error answer with a body is the JSON error body, including those no handler makes
//! (405, an unknown `Content-Encoding`'s 415, a path that is not UTF-8).

use crate::common;

use std::collections::{BTreeSet, HashMap};

use common::*;
use gridwalk_server::api::ROUTES;
use reqwest::Method;
use serde_json::{Value, json};

const METHODS: [&str; 7] = ["get", "post", "patch", "head", "options", "put", "delete"];

fn spec() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    serde_norway::from_str(&text).unwrap()
}

fn documented(spec: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, _) in item.as_object().unwrap() {
            if METHODS.contains(&method.as_str()) {
                out.insert((path.clone(), method.clone()));
            }
        }
    }
    out
}

/// Follows a local `$ref`.
fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .trim_start_matches("#/")
            .split('/')
            .fold(spec, |v, key| &v[key]),
        None => value,
    }
}

#[test]
fn every_route_is_documented_and_every_documented_route_is_served() {
    let spec = spec();
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .flat_map(|(path, methods)| {
            methods
                .iter()
                .map(move |m| (path.to_string(), m.to_string()))
        })
        .collect();
    assert_eq!(served, documented(&spec));
}

fn concrete(path: &str) -> String {
    path.replace("{id}", "0190-0000")
        .replace("{sha256}", &"a".repeat(64))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_serves_exactly_the_route_table() {
    let server = TestServer::start().await;
    for (path, methods) in ROUTES {
        for method in METHODS {
            let response = server
                .client
                .request(
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    server.url(&concrete(path)),
                )
                .send()
                .await
                .unwrap();
            let listed =
                methods.contains(&method) || (method == "head" && methods.contains(&"get"));
            if listed {
                assert_ne!(response.status(), 405, "{method} {path} must be served");
            } else {
                assert_eq!(
                    response.status(),
                    405,
                    "{method} {path} is not in the route table"
                );
            }
        }
    }
    server.stop().await;
}

struct Call {
    method: &'static str,
    template: &'static str,
    path: String,
    token: Option<String>,
    headers: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
}

fn call(method: &'static str, template: &'static str, path: String) -> Call {
    Call {
        method,
        template,
        path,
        token: None,
        headers: vec![],
        body: None,
    }
}

/// A well-formed tus PATCH of `url` at `offset` (body still to add).
fn chunk(device: &Device, url: String, offset: &str) -> Call {
    call("patch", "/v1/blobs/uploads/{id}", url)
        .auth(device)
        .tus()
        .header("upload-offset", offset)
        .header("content-type", "application/offset+octet-stream")
}

impl Call {
    fn auth(mut self, device: &Device) -> Self {
        self.token = Some(device.token.clone());
        self
    }
    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    fn json(mut self, value: Value) -> Self {
        self.body = Some(serde_json::to_vec(&value).unwrap());
        self.headers
            .push(("content-type", "application/json".into()));
        self
    }
    fn bytes(mut self, bytes: Vec<u8>) -> Self {
        self.body = Some(bytes);
        self
    }
    fn tus(self) -> Self {
        self.header("tus-resumable", "1.0.0")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_answers_with_documented_statuses() {
    let spec = spec();
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let code = server.person("Zhao Lei", "grid-worker", "g-xinhua-2", None);
    let photo = b"a photo".to_vec();
    let sha = sha256(&photo);
    let wrong = sha256(b"other");
    let upload_url =
        |response: &reqwest::Response| response.headers()["location"].to_str().unwrap().to_string();

    // Create two uploads to exercise PATCH outcomes.
    let create = |sha: String| {
        server
            .client
            .post(server.url("/v1/blobs"))
            .bearer_auth(&worker.token)
            .header("tus-resumable", "1.0.0")
            .header("upload-length", "7")
            .header("upload-metadata", tus_metadata(&sha))
            .send()
    };
    let good_upload = upload_url(&create(sha.clone()).await.unwrap());
    let bad_upload = upload_url(&create(wrong.clone()).await.unwrap());

    let blobs = "/v1/blobs".to_string();
    let uploads = "/v1/blobs/uploads/{id}";
    let blob = "/v1/blobs/{sha256}";
    let thumbnail = "/v1/blobs/{sha256}/thumbnail";
    let calls = vec![
        call("get", "/health", "/health".into()),
        call("post", "/v1/enrol", "/v1/enrol".into()).json(json!({ "code": code })),
        call("post", "/v1/enrol", "/v1/enrol".into()).json(json!({ "code": code })),
        call("post", "/v1/enrol", "/v1/enrol".into()).json(json!({ "nope": 1 })),
        call("post", "/v1/enrol", "/v1/enrol".into()).bytes(vec![b'x'; 9 * 1024 * 1024]),
        call("post", "/v1/enrol", "/v1/enrol".into())
            .header("content-encoding", "br")
            .bytes(b"{}".to_vec()),
        call("post", "/v1/push", "/v1/push".into())
            .auth(&worker)
            .json(json!({ "items": [routine("site-a"), routine("site-b")] })),
        call("post", "/v1/push", "/v1/push".into()).json(json!({ "items": [] })),
        call("post", "/v1/push", "/v1/push".into())
            .auth(&worker)
            .json(json!({ "things": [] })),
        call("get", "/v1/pull", "/v1/pull?limit=1".into()).auth(&worker),
        call("get", "/v1/pull", "/v1/pull?cursor=x".into()).auth(&worker),
        call("get", "/v1/pull", "/v1/pull".into()),
        call("get", "/v1/reference", "/v1/reference".into()).auth(&worker),
        call("get", "/v1/reference", "/v1/reference".into()),
        call("get", "/v1/reference", "/v1/reference".into())
            .auth(&worker)
            .header("if-none-match", "*"),
        call("get", "/v1/reference", "/v1/reference".into())
            .auth(&worker)
            .header("if-none-match", "\"0000000000000000\""),
        call(
            "get",
            "/v1/pull",
            "/v1/pull?skip_own=true&reference=0000000000000000".into(),
        )
        .auth(&worker),
        call("get", "/v1/pull", "/v1/pull?skip_own=maybe".into()).auth(&worker),
        call("post", "/v2/sync", "/v2/sync".into())
            .auth(&worker)
            .json(json!({ "i": [v2_item(routine("site-a")), v2_item(routine("site-b"))] })),
        call("post", "/v2/sync", "/v2/sync?c=0&r=0".into())
            .auth(&worker)
            .json(json!({ "i": [v2_item(routine("site-a"))] })),
        call("post", "/v2/sync", "/v2/sync".into())
            .auth(&worker)
            .header("gw-dict", "1")
            .bytes(zstd_with_dictionary(
                &json!({ "i": [v2_item(routine("site-a"))] }),
            )),
        call("post", "/v2/sync", "/v2/sync".into())
            .auth(&worker)
            .header("gw-dict", "1")
            .bytes(b"not a zstd frame".to_vec()),
        call("get", "/v2/sync", "/v2/sync?c=0".into())
            .auth(&worker)
            .header("gw-dict", "1"),
        call("get", "/v2/sync", "/v2/sync".into())
            .auth(&worker)
            .header("gw-dict", "9"),
        call("get", "/v2/sync", "/v2/sync?c=x".into()).auth(&worker),
        call("get", "/v2/sync", "/v2/sync".into()),
        call("options", "/v1/blobs", blobs.clone()),
        call("post", "/v1/blobs", blobs.clone())
            .auth(&worker)
            .tus()
            .header("upload-length", "7")
            .header("upload-metadata", tus_metadata(&sha)),
        call("post", "/v1/blobs", blobs.clone())
            .auth(&worker)
            .header("upload-length", "7"),
        call("post", "/v1/blobs", blobs.clone())
            .auth(&worker)
            .tus()
            .header("upload-length", "7"),
        call("post", "/v1/blobs", blobs.clone())
            .auth(&worker)
            .tus()
            .header("upload-length", "999999999")
            .header("upload-metadata", tus_metadata(&sha)),
        call("post", "/v1/blobs", blobs.clone()).tus(),
        call("head", uploads, good_upload.clone())
            .auth(&worker)
            .tus(),
        call("head", uploads, good_upload.clone()).auth(&worker),
        call("head", uploads, "/v1/blobs/uploads/0190-0000".into())
            .auth(&worker)
            .tus(),
        call("head", uploads, good_upload.clone()).tus(),
        chunk(&worker, good_upload.clone(), "0")
            .header(
                "upload-checksum",
                format!("sha256 {}", base64_of(&[0u8; 32])),
            )
            .bytes(photo.clone()),
        chunk(&worker, good_upload.clone(), "3").bytes(photo.clone()),
        call("patch", uploads, good_upload.clone())
            .auth(&worker)
            .tus()
            .header("upload-offset", "0")
            .header("content-type", "text/plain")
            .bytes(photo.clone()),
        chunk(&worker, good_upload.clone(), "0").bytes(vec![0; 8]),
        call("patch", uploads, good_upload.clone())
            .auth(&worker)
            .tus()
            .header("content-type", "application/offset+octet-stream")
            .bytes(photo.clone()),
        call("patch", uploads, good_upload.clone())
            .auth(&worker)
            .header("upload-offset", "0")
            .bytes(photo.clone()),
        call("patch", uploads, good_upload.clone())
            .tus()
            .header("upload-offset", "0")
            .bytes(photo.clone()),
        chunk(&worker, "/v1/blobs/uploads/0190-0000".into(), "0").bytes(photo.clone()),
        chunk(&worker, good_upload.clone(), "0").bytes(photo.clone()),
        chunk(&worker, bad_upload.clone(), "0").bytes(photo.clone()),
        call("get", blob, format!("/v1/blobs/{sha}")).auth(&worker),
        call("get", blob, format!("/v1/blobs/{wrong}")).auth(&worker),
        call("get", blob, format!("/v1/blobs/{sha}")),
        call("head", blob, format!("/v1/blobs/{sha}")).auth(&worker),
        call("head", blob, format!("/v1/blobs/{wrong}")).auth(&worker),
        call("head", blob, format!("/v1/blobs/{sha}")),
        // No thumbnail was linked to the photo: absent, as for anyone not allowed.
        call("get", thumbnail, format!("/v1/blobs/{sha}/thumbnail")).auth(&worker),
        call("get", thumbnail, format!("/v1/blobs/{sha}/thumbnail")),
    ];

    let mut exercised: HashMap<(String, String), BTreeSet<u16>> = HashMap::new();
    for c in calls {
        let mut request = server.client.request(
            Method::from_bytes(c.method.to_uppercase().as_bytes()).unwrap(),
            server.url(&c.path),
        );
        if let Some(token) = &c.token {
            request = request.bearer_auth(token);
        }
        for (name, value) in &c.headers {
            request = request.header(*name, value);
        }
        if let Some(body) = c.body {
            request = request.body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let operation = &spec["paths"][c.template][c.method];
        assert!(
            operation.is_object(),
            "{} {} is not documented",
            c.method,
            c.template
        );
        let documented = resolve(&spec, &operation["responses"][status.to_string()]);
        assert!(
            documented.is_object(),
            "{} {} answered {status}, which openapi.yaml does not list",
            c.method,
            c.path
        );
        let documented_headers = documented["headers"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (name, header) in &documented_headers {
            if resolve(&spec, header)["required"] == true {
                assert!(
                    response.headers().contains_key(name.as_str()),
                    "{} {} {status}: missing the documented header {name}",
                    c.method,
                    c.path
                );
            }
        }
        let is_json = response
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/json"));
        let body = response.bytes().await.unwrap();
        if status >= 400 && c.method != "head" {
            assert_error_body(is_json, &body, &format!("{} {} {status}", c.method, c.path));
        }
        if is_json && c.method != "head" {
            let value: Value = serde_json::from_slice(&body).unwrap();
            let schema = resolve(&spec, &documented["content"]["application/json"]["schema"]);
            if let Some(required) = schema["required"].as_array() {
                for field in required {
                    let field = field.as_str().unwrap();
                    assert!(
                        value.get(field).is_some(),
                        "{} {} {status}: missing `{field}` in {value}",
                        c.method,
                        c.path
                    );
                }
            }
        }
        exercised
            .entry((c.template.to_string(), c.method.to_string()))
            .or_default()
            .insert(status);
    }
    for operation in documented(&spec) {
        assert!(
            exercised.contains_key(&operation),
            "{operation:?} was not exercised"
        );
    }
    // The happy paths were among them.
    let statuses = |p: &str, m: &str| exercised[&(p.to_string(), m.to_string())].clone();
    assert!(statuses("/v1/enrol", "post").contains(&200));
    assert!(statuses("/v1/push", "post").contains(&200));
    assert!(statuses("/v1/reference", "get").is_superset(&[200, 304].into()));
    assert!(statuses(uploads, "patch").is_superset(&[204, 409, 412, 415, 422, 460].into()));
    assert!(statuses(blob, "get").contains(&200));
    server.stop().await;
}

/// Asserts that an error answer is the protocol's JSON error body.
fn assert_error_body(is_json: bool, body: &[u8], what: &str) -> Value {
    assert!(
        is_json,
        "{what}: the error answer is not JSON: {:?}",
        String::from_utf8_lossy(body)
    );
    let value: Value = serde_json::from_slice(body).unwrap();
    assert!(
        value["error"].as_str().is_some_and(|e| !e.is_empty())
            && value["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: not an error body: {value}"
    );
    value
}

/// Sends a request; returns its status, headers and JSON body (`Null` when none).
async fn answer(request: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let is_json = headers
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap().starts_with("application/json"));
    let body = response.bytes().await.unwrap();
    let value = if body.is_empty() {
        Value::Null
    } else {
        assert_error_body(is_json, &body, &format!("{status}"))
    };
    (status, headers, value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_no_handler_makes_carry_the_json_error_body() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;

    // A method the route does not serve: axum's own 405, with `Allow`.
    let (status, headers, body) = answer(server.client.put(server.url("/v1/push"))).await;
    assert_eq!(status, 405);
    assert_eq!(body["error"], "method_not_allowed");
    assert!(headers["allow"].to_str().unwrap().contains("POST"));
    let (status, headers, body) = answer(
        server
            .client
            .delete(server.url("/v1/blobs"))
            .bearer_auth(&worker.token),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (405, Some("method_not_allowed"))
    );
    assert_eq!(headers["tus-resumable"], "1.0.0");

    // An encoding the decompression layer does not know: its own 415, with the ones
    // it does in `Accept-Encoding`.
    for path in ["/v1/enrol", "/v1/push"] {
        let (status, headers, body) = answer(
            server
                .client
                .post(server.url(path))
                .bearer_auth(&worker.token)
                .header("content-encoding", "br")
                .header("content-type", "application/json")
                .body("{}"),
        )
        .await;
        assert_eq!(status, 415, "{path}");
        assert_eq!(body["error"], "unsupported_media_type");
        assert!(body["message"].as_str().unwrap().contains("gzip"), "{body}");
        assert!(
            headers["accept-encoding"]
                .to_str()
                .unwrap()
                .contains("gzip")
        );
    }
    // A body that claims gzip and is not: the JSON 400 of the handler.
    let (status, _, body) = answer(
        server
            .client
            .post(server.url("/v1/enrol"))
            .header("content-encoding", "gzip")
            .body("{}"),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_request")));

    // A path segment that is not UTF-8 once decoded: axum's plain-text 400 before.
    for (method, path) in [
        (Method::GET, "/v1/blobs/%FF"),
        (Method::PATCH, "/v1/blobs/uploads/%FF"),
    ] {
        let (status, headers, body) = answer(
            server
                .client
                .request(method.clone(), server.url(path))
                .bearer_auth(&worker.token)
                .header("tus-resumable", "1.0.0"),
        )
        .await;
        assert_eq!(status, 400, "{method} {path}");
        assert_eq!(body["error"], "bad_request");
        assert!(
            body["message"].as_str().unwrap().contains("UTF-8"),
            "{body}"
        );
        assert_eq!(headers["tus-resumable"], "1.0.0");
    }
    // A HEAD answer keeps having no body, whatever the status.
    let (status, _, body) = answer(
        server
            .client
            .head(server.url("/v1/blobs/uploads/%FF"))
            .bearer_auth(&worker.token)
            .header("tus-resumable", "1.0.0"),
    )
    .await;
    assert_eq!((status, body), (400, Value::Null));

    // An unknown route: the fallback's 404.
    let (status, _, body) = answer(server.client.get(server.url("/v2/push"))).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    server.stop().await;
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A `/v1` push item as a `/v2` one (full body, no proof: the test device has no key).
fn v2_item(item: Value) -> Value {
    json!({ "i": item["id"], "k": item["kind"], "b": item["body"] })
}

/// A JSON body as the `/v2` client sends it: one zstd frame with dictionary 1.
fn zstd_with_dictionary(body: &Value) -> Vec<u8> {
    let dict = gridwalk_model::wire::dictionary(1).unwrap();
    zstd::bulk::Compressor::with_dictionary(19, dict)
        .unwrap()
        .compress(&serde_json::to_vec(body).unwrap())
        .unwrap()
}
