//! tus uploads that cannot wedge or fill the disk, against a real server on 127.0.0.1:
//! a newer PATCH takes over from one stalled on a half-open connection, a body that
//! stalls ends with 408, unfinished uploads expire and are removed, and each device has
//! a cap on open uploads and on the bytes they declare.

use crate::common;

use std::time::{Duration, Instant};

use base64::Engine;
use common::*;
use gridwalk_server::config::Limits;
use gridwalk_server::storage::Blobs;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn photo(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn checksum(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!(
        "sha256 {}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes))
    )
}

async fn create(server: &TestServer, device: &Device, bytes: &[u8]) -> reqwest::Response {
    server
        .client
        .post(server.url("/v1/blobs"))
        .bearer_auth(&device.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", bytes.len().to_string())
        .header("Upload-Metadata", tus_metadata(&sha256(bytes)))
        .send()
        .await
        .unwrap()
}

async fn created(server: &TestServer, device: &Device, bytes: &[u8]) -> String {
    let response = create(server, device, bytes).await;
    assert_eq!(response.status(), 201);
    response.headers()["location"].to_str().unwrap().to_string()
}

async fn head_offset(server: &TestServer, device: &Device, path: &str) -> reqwest::Response {
    server
        .client
        .head(server.url(path))
        .bearer_auth(&device.token)
        .header("Tus-Resumable", "1.0.0")
        .timeout(Duration::from_secs(3))
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

/// Opens a PATCH on a raw connection and sends its headers and `sent` of `bytes`,
/// then leaves it hanging, as a phone that switched networks mid-chunk does.
async fn half_sent_patch(
    server: &TestServer,
    device: &Device,
    path: &str,
    bytes: &[u8],
    sent: usize,
    with_checksum: bool,
) -> tokio::net::TcpStream {
    let address = server.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let checksum_line = if with_checksum {
        format!("Upload-Checksum: {}\r\n", checksum(bytes))
    } else {
        String::new()
    };
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n{checksum_line}\
         Content-Type: application/offset+octet-stream\r\nContent-Length: {}\r\n\r\n",
        device.token,
        bytes.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&bytes[..sent]).await.unwrap();
    socket.flush().await.unwrap();
    socket
}

/// Reads what the server says on a raw connection until it closes it (bounded).
async fn answer_then_close(socket: &mut tokio::net::TcpStream, within: Duration) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(within, socket.read_to_end(&mut answer))
        .await
        .expect("the server kept the connection open")
        .ok();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_patch_takes_over_from_one_stalled_on_a_half_open_connection() {
    // The body read timeout is far away: the takeover, not the timeout, frees the upload.
    let server = TestServer::with_limits(Limits {
        body_read_timeout: Duration::from_secs(120),
        ..Limits::default()
    })
    .await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let bytes = photo(300_000);
    let path = created(&server, &worker, &bytes).await;
    let mut stalled = half_sent_patch(&server, &worker, &path, &bytes, 150_000, true).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    // HEAD answers at once, with what is on disk: nothing of the unverified chunk.
    let head = head_offset(&server, &worker, &path).await;
    assert_eq!(head.status(), 200);
    assert_eq!(offset_of(&head), 0);
    assert!(head.headers().contains_key("upload-expires"));

    // The same upload, resumed on a new connection, finishes.
    let resumed = server
        .client
        .patch(server.url(&path))
        .bearer_auth(&worker.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Upload-Checksum", checksum(&bytes))
        .header("Content-Type", "application/offset+octet-stream")
        .timeout(Duration::from_secs(5))
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resumed.status(), 204);
    assert_eq!(offset_of(&resumed), bytes.len() as u64);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "resumed in {:?}",
        started.elapsed()
    );
    let blob = server.get_blob(&worker, &sha256(&bytes)).await;
    assert_eq!(blob.status(), 200);
    assert_eq!(sha256(&blob.bytes().await.unwrap()), sha256(&bytes));

    // The stalled request was dropped, not waited on: told so and closed.
    let answer = answer_then_close(&mut stalled, Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 409"), "{answer}");
    assert!(answer.contains("took over"), "{answer}");
    // Whatever it still sends changes nothing.
    let _ = stalled.write_all(&bytes[150_000..]).await;
    let head = head_offset(&server, &worker, &path).await;
    assert_eq!(offset_of(&head), bytes.len() as u64);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_takeover_without_checksums_drops_the_stalled_bytes_and_the_upload_finishes() {
    let server = TestServer::with_limits(Limits {
        body_read_timeout: Duration::from_secs(120),
        ..Limits::default()
    })
    .await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let bytes = photo(100_000);
    let path = created(&server, &worker, &bytes).await;
    let mut stalled = half_sent_patch(&server, &worker, &path, &bytes, 40_000, false).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    // A second PATCH at the stored offset sends half; a third finishes.
    let send = |offset: usize, end: usize| {
        server
            .client
            .patch(server.url(&path))
            .bearer_auth(&worker.token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .timeout(Duration::from_secs(5))
            .body(bytes[offset..end].to_vec())
            .send()
    };
    let first = send(0, 60_000).await.unwrap();
    assert_eq!(first.status(), 204);
    assert_eq!(offset_of(&first), 60_000);
    let last = send(60_000, bytes.len()).await.unwrap();
    assert_eq!(last.status(), 204);
    assert_eq!(offset_of(&last), bytes.len() as u64);
    let answer = answer_then_close(&mut stalled, Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 409"), "{answer}");
    let blob = server.get_blob(&worker, &sha256(&bytes)).await;
    assert_eq!(blob.bytes().await.unwrap().to_vec(), bytes);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_that_stalls_ends_with_408_and_keeps_what_arrived() {
    let server = TestServer::with_limits(Limits {
        body_read_timeout: Duration::from_millis(800),
        ..Limits::default()
    })
    .await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let bytes = photo(50_000);
    let path = created(&server, &worker, &bytes).await;
    let started = Instant::now();
    let mut stalled = half_sent_patch(&server, &worker, &path, &bytes, 20_000, false).await;
    let answer = answer_then_close(&mut stalled, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_timeout"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(4));
    // Without a checksum, what arrived is kept: the client resumes from there.
    let head = head_offset(&server, &worker, &path).await;
    assert_eq!(offset_of(&head), 20_000);

    // With a checksum, nothing of a stalled chunk is kept.
    let other = photo(30_000);
    let path = created(&server, &worker, &other).await;
    let mut stalled = half_sent_patch(&server, &worker, &path, &other, 10_000, true).await;
    let answer = answer_then_close(&mut stalled, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(offset_of(&head_offset(&server, &worker, &path).await), 0);

    // A JSON body that stalls ends the same way.
    let address = server.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /v1/push HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"items\": [",
        worker.token
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let answer = answer_then_close(&mut socket, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_uploads_expire_and_are_removed_with_their_bytes() {
    let server = TestServer::with_limits(Limits {
        upload_expiry: Duration::from_millis(1500),
        ..Limits::default()
    })
    .await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let bytes = photo(10_000);
    let response = create(&server, &worker, &bytes).await;
    assert_eq!(response.status(), 201);
    assert!(response.headers().contains_key("upload-expires"));
    let path = response.headers()["location"].to_str().unwrap().to_string();
    let id = path.rsplit('/').next().unwrap().to_string();
    let patched = server
        .client
        .patch(server.url(&path))
        .bearer_auth(&worker.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes[..4_000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 204);
    let expires = patched.headers()["upload-expires"].to_str().unwrap();
    assert!(expires.ends_with(" GMT"), "{expires}");
    assert_eq!(server.state.blobs.upload_offset(&id).unwrap(), Some(4_000));

    // A finished upload never expires.
    let done = photo(2_000);
    let done_path = created(&server, &worker, &done).await;
    let finished = server
        .client
        .patch(server.url(&done_path))
        .bearer_auth(&worker.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(done.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(finished.status(), 204);

    // Within a few sweeps the unfinished one is gone: row, bytes, and for the client.
    let deadline = Instant::now() + Duration::from_secs(6);
    loop {
        let row = server.state.store.upload(&id).unwrap();
        if row.is_none() && server.state.blobs.upload_offset(&id).unwrap().is_none() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the expired upload is still there"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(head_offset(&server, &worker, &path).await.status(), 404);
    let done_id = done_path.rsplit('/').next().unwrap();
    assert!(server.state.store.upload(done_id).unwrap().unwrap().done);
    let blob = server.get_blob(&worker, &sha256(&done)).await;
    assert_eq!(blob.status(), 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_over_its_upload_cap_is_refused_with_upload_limit() {
    let server = TestServer::with_limits(Limits {
        max_open_uploads_per_device: 3,
        max_upload_bytes_per_device: 100_000,
        ..Limits::default()
    })
    .await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let colleague = server
        .device("Wang Fang", "grid-worker", "g-xinhua-1", None)
        .await;
    let photos: Vec<Vec<u8>> = (0..4).map(|i| photo(1_000 + i)).collect();
    let mut paths = Vec::new();
    for p in &photos[..3] {
        paths.push(created(&server, &worker, p).await);
    }

    // The fourth open upload is refused, clearly, and stores nothing.
    let refused = create(&server, &worker, &photos[3]).await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert_eq!(refused.headers()["tus-resumable"], "1.0.0");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "upload_limit");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("3 unfinished uploads") && message.contains("limit is 3"),
        "{message}"
    );
    if let Blobs::Folder(folder) = &server.blobs {
        let files = std::fs::read_dir(folder.join("uploads")).unwrap().count();
        assert_eq!(files, 3, "a refused upload leaves no file");
    }

    // Another device is not held to this one's cap.
    assert_eq!(create(&server, &colleague, &photos[3]).await.status(), 201);

    // Finishing one frees its place.
    let finished = server
        .client
        .patch(server.url(&paths[0]))
        .bearer_auth(&worker.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(photos[0].clone())
        .send()
        .await
        .unwrap();
    assert_eq!(finished.status(), 204);
    assert_eq!(create(&server, &worker, &photos[3]).await.status(), 201);

    // The cap on declared bytes holds too: 4 KB open, 97 KB more would pass 100 KB.
    let big = photo(97_000);
    let colleague_first = created(&server, &colleague, &big).await;
    assert!(!colleague_first.is_empty());
    let over = create(&server, &colleague, &photo(3_000)).await;
    assert_eq!(over.status(), 429);
    let body: Value = over.json().await.unwrap();
    assert_eq!(body["error"], "upload_limit");
    assert!(body["message"].as_str().unwrap().contains("100000 bytes"));

    // A photo larger than the whole allowance could never fit: 413, not a wait.
    let never = create(&server, &worker, &photo(100_001)).await;
    assert_eq!(never.status(), 413);
    let body: Value = never.json().await.unwrap();
    assert_eq!(body["error"], "too_large");
    server.stop().await;
}
