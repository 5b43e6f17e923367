//! tus 1.0 over real HTTP on 127.0.0.1: capabilities, creation, HEAD/resume, offsets,
//! checksums, the final hash check, limits, and a chunk cut off mid-way.

use crate::common;

use std::time::Duration;

use base64::Engine;
use common::*;
use gridwalk_server::config::Limits;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn photo(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

async fn create(server: &TestServer, device: &Device, len: usize, sha: &str) -> reqwest::Response {
    server
        .client
        .post(server.url("/v1/blobs"))
        .bearer_auth(&device.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", len.to_string())
        .header("Upload-Metadata", tus_metadata(sha))
        .send()
        .await
        .unwrap()
}

async fn patch(
    server: &TestServer,
    device: &Device,
    url: &str,
    offset: usize,
    bytes: &[u8],
    checksum: Option<&[u8]>,
) -> reqwest::Response {
    let mut request = server
        .client
        .patch(url)
        .bearer_auth(&device.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes.to_vec());
    if let Some(sum) = checksum {
        request = request.header(
            "Upload-Checksum",
            format!(
                "sha256 {}",
                base64::engine::general_purpose::STANDARD.encode(sum)
            ),
        );
    }
    request.send().await.unwrap()
}

async fn head_offset(server: &TestServer, device: &Device, url: &str) -> reqwest::Response {
    server
        .client
        .head(url)
        .bearer_auth(&device.token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap()
}

fn offset_of(response: &reqwest::Response) -> u64 {
    response.headers()["upload-offset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn digest(bytes: &[u8]) -> Vec<u8> {
    hex_decode(&sha256(bytes))
}

fn hex_decode(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_tells_the_capabilities() {
    let server = TestServer::start().await;
    let response = server
        .client
        .request(reqwest::Method::OPTIONS, server.url("/v1/blobs"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let h = response.headers();
    assert_eq!(h["tus-resumable"], "1.0.0");
    assert_eq!(h["tus-version"], "1.0.0");
    assert_eq!(h["tus-extension"], "creation,checksum");
    assert_eq!(h["tus-checksum-algorithm"], "sha256");
    assert_eq!(h["tus-max-size"], (20 * 1024 * 1024).to_string().as_str());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_patch_resume_and_download() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let bytes = photo(300_000);
    let sha = sha256(&bytes);

    let created = create(&server, &worker, bytes.len(), &sha).await;
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["tus-resumable"], "1.0.0");
    let url = server.url(created.headers()["location"].to_str().unwrap());

    let head = head_offset(&server, &worker, &url).await;
    assert_eq!(head.status(), 200);
    assert_eq!(offset_of(&head), 0);
    assert_eq!(head.headers()["upload-length"], "300000");
    assert_eq!(head.headers()["cache-control"], "no-store");

    // First chunk with a checksum.
    let first = &bytes[..100_000];
    let response = patch(&server, &worker, &url, 0, first, Some(&digest(first))).await;
    assert_eq!(response.status(), 204);
    assert_eq!(offset_of(&response), 100_000);

    // "The connection dropped": the client asks where to resume.
    let head = head_offset(&server, &worker, &url).await;
    assert_eq!(offset_of(&head), 100_000);

    // A stale offset is refused.
    let response = patch(&server, &worker, &url, 0, first, None).await;
    assert_eq!(response.status(), 409);

    // A chunk that does not match its checksum is not stored.
    let second = &bytes[100_000..200_000];
    let response = patch(
        &server,
        &worker,
        &url,
        100_000,
        second,
        Some(&digest(b"other")),
    )
    .await;
    assert_eq!(response.status().as_u16(), 460);
    assert_eq!(
        offset_of(&head_offset(&server, &worker, &url).await),
        100_000
    );

    let response = patch(&server, &worker, &url, 100_000, second, None).await;
    assert_eq!(response.status(), 204);
    let response = patch(&server, &worker, &url, 200_000, &bytes[200_000..], None).await;
    assert_eq!(response.status(), 204);
    assert_eq!(offset_of(&response), 300_000);
    assert_eq!(
        offset_of(&head_offset(&server, &worker, &url).await),
        300_000
    );

    let got = server.get_blob(&worker, &sha).await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().to_vec(), bytes);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_the_tus_statuses() {
    let limits = Limits {
        max_photo_bytes: 1000,
        ..Limits::default()
    };
    let server = TestServer::with_limits(limits).await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let bytes = photo(500);
    let sha = sha256(&bytes);

    // No Tus-Resumable: 412 with Tus-Version.
    let response = server
        .client
        .post(server.url("/v1/blobs"))
        .bearer_auth(&worker.token)
        .header("Upload-Length", "500")
        .header("Upload-Metadata", tus_metadata(&sha))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 412);
    assert_eq!(response.headers()["tus-version"], "1.0.0");

    // Larger than the photo limit: 413 naming it.
    let response = create(&server, &worker, 5000, &sha).await;
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("limit is 1000 bytes")
    );

    // No sha256 name: 400.
    let response = server
        .client
        .post(server.url("/v1/blobs"))
        .bearer_auth(&worker.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "500")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = create(&server, &worker, 500, "not-a-hash").await;
    assert_eq!(response.status(), 400);

    // No token: 401.
    let response = server
        .client
        .post(server.url("/v1/blobs"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "500")
        .header("Upload-Metadata", tus_metadata(&sha))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    let created = create(&server, &worker, 500, &sha).await;
    let url = server.url(created.headers()["location"].to_str().unwrap());
    // Wrong content type: 415.
    let response = server
        .client
        .patch(&url)
        .bearer_auth(&worker.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/json")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    // More than Upload-Length: 413, nothing stored.
    let response = patch(&server, &worker, &url, 0, &photo(600), None).await;
    assert_eq!(response.status(), 413);
    assert_eq!(offset_of(&head_offset(&server, &worker, &url).await), 0);
    // Unsupported checksum algorithm: 400.
    let response = server
        .client
        .patch(&url)
        .bearer_auth(&worker.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Checksum", "md5 AAAA")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    // Unknown upload: 404.
    let response = head_offset(&server, &worker, &server.url("/v1/blobs/uploads/0190-dead")).await;
    assert_eq!(response.status(), 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_that_does_not_hash_to_its_name_is_discarded() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let bytes = photo(2000);
    let claimed = sha256(b"some other photo");
    let created = create(&server, &worker, bytes.len(), &claimed).await;
    let url = server.url(created.headers()["location"].to_str().unwrap());
    let response = patch(&server, &worker, &url, 0, &bytes, None).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "hash_mismatch");
    assert!(body["message"].as_str().unwrap().contains(&sha256(&bytes)));
    assert_eq!(head_offset(&server, &worker, &url).await.status(), 404);
    let get = server.get_blob(&worker, &claimed).await;
    assert_eq!(get.status(), 404, "nothing stored under the claimed name");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_cut_off_mid_way_keeps_what_arrived_and_resumes() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let bytes = photo(50_000);
    let sha = sha256(&bytes);
    let created = create(&server, &worker, bytes.len(), &sha).await;
    let path = created.headers()["location"].to_str().unwrap().to_string();
    let url = server.url(&path);

    // Send the whole length in the header but only 20 000 bytes, then hang up.
    let address = server.base.trim_start_matches("http://").to_string();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n\
         Content-Type: application/offset+octet-stream\r\nContent-Length: 50000\r\n\r\n",
        worker.token
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&bytes[..20_000]).await.unwrap();
    socket.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(socket);

    // The server stores what arrived once it notices the drop: poll, bounded.
    let mut offset = 0;
    for _ in 0..50 {
        offset = offset_of(&head_offset(&server, &worker, &url).await);
        if offset > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(offset, 20_000, "the bytes that arrived are kept");
    let response = patch(&server, &worker, &url, 20_000, &bytes[20_000..], None).await;
    assert_eq!(response.status(), 204);
    let got = server.get_blob(&worker, &sha).await;
    assert_eq!(got.bytes().await.unwrap().to_vec(), bytes);

    // And a raw request that never completes its headers is harmless.
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    socket
        .write_all(b"PATCH /v1/blobs/uploads/x HTTP/1.1\r\n")
        .await
        .unwrap();
    drop(socket);
    let mut probe = tokio::net::TcpStream::connect(&address).await.unwrap();
    probe
        .write_all(
            format!("GET /health HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = String::new();
    probe.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"));
    server.stop().await;
}

/// A refused PATCH (here the usual one: a stale offset, after an answer was lost) is
/// answered only once its chunk has been read, so the device hears `409` and resumes
/// instead of seeing its connection reset mid-send and retrying blind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_patch_is_heard_even_with_a_big_chunk_in_flight() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let bytes = photo(6_000_000);
    let sha = sha256(&bytes);
    let created = create(&server, &worker, bytes.len(), &sha).await;
    let url = server.url(created.headers()["location"].to_str().unwrap());
    let response = patch(&server, &worker, &url, 0, &bytes[..1_000_000], None).await;
    assert_eq!(response.status(), 204);
    for _ in 0..5 {
        // `patch` unwraps the send: a reset connection fails the test here.
        let response = patch(&server, &worker, &url, 0, &bytes[..5_000_000], None).await;
        assert_eq!(response.status(), 409);
    }
    let response = patch(&server, &worker, &url, 1_000_000, &bytes[1_000_000..], None).await;
    assert_eq!(response.status(), 204);
    assert_eq!(offset_of(&response), 6_000_000);
    server.stop().await;
}
