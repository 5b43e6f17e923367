//! tus uploads interrupted by a crash: the server keeps no upload state in memory, so
//! writing an upload's bytes through the blob store (as `PATCH` does before it
//! finishes) leaves exactly what a kill between the last chunk and the finish leaves.
//! `HEAD` and `PATCH` must then finish the upload or report an offset to resend from,
//! and never claim a complete upload whose blob does not exist.

use crate::common;

use common::*;

fn photo(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 17 % 253) as u8).collect()
}

/// Creates an upload over HTTP; returns its URL and id.
async fn create(server: &TestServer, device: &Device, bytes: &[u8]) -> (String, String) {
    let created = server
        .client
        .post(server.url("/v1/blobs"))
        .bearer_auth(&device.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", bytes.len().to_string())
        .header("Upload-Metadata", tus_metadata(&sha256(bytes)))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_string();
    let id = location.rsplit('/').next().unwrap().to_string();
    (server.url(&location), id)
}

async fn head(server: &TestServer, device: &Device, url: &str) -> reqwest::Response {
    server
        .client
        .head(url)
        .bearer_auth(&device.token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap()
}

async fn empty_patch(
    server: &TestServer,
    device: &Device,
    url: &str,
    at: usize,
) -> reqwest::Response {
    server
        .client
        .patch(url)
        .bearer_auth(&device.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", at.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .send()
        .await
        .unwrap()
}

fn offset_of(response: &reqwest::Response) -> usize {
    response.headers()["upload-offset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_bytes_left_unfinished_are_finished_by_head() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let bytes = photo(200_000);
    let (url, id) = create(&server, &worker, &bytes).await;
    // The crash point: every byte written and fsynced, the upload never finished.
    server.state.blobs.append(&id, 0, &bytes).unwrap();
    assert_eq!(
        server.get_blob(&worker, &sha256(&bytes)).await.status(),
        404
    );

    let answer = head(&server, &worker, &url).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(offset_of(&answer), bytes.len());
    // The claim is true: the blob is stored, and its uploader may read it.
    let blob = server.get_blob(&worker, &sha256(&bytes)).await;
    assert_eq!(blob.status(), 200);
    assert_eq!(blob.bytes().await.unwrap().to_vec(), bytes);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_bytes_left_unfinished_are_finished_by_an_empty_patch() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let bytes = photo(150_000);
    let (url, id) = create(&server, &worker, &bytes).await;
    server.state.blobs.append(&id, 0, &bytes).unwrap();

    let answer = empty_patch(&server, &worker, &url, bytes.len()).await;
    assert_eq!(answer.status(), 204);
    assert_eq!(offset_of(&answer), bytes.len());
    assert_eq!(answer.headers()["tus-resumable"], "1.0.0");
    assert_eq!(
        server.get_blob(&worker, &sha256(&bytes)).await.status(),
        200
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_stored_before_its_upload_was_marked_finished_is_recorded() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let bytes = photo(120_000);
    let sha = sha256(&bytes);
    let (url, id) = create(&server, &worker, &bytes).await;
    // The crash point one step later: the bytes became the blob (renamed), but the
    // upload row and the uploader were never written.
    server.state.blobs.append(&id, 0, &bytes).unwrap();
    server.state.blobs.finish(&id, &sha).unwrap();
    assert!(server.state.store.blob_uploaders(&sha).unwrap().is_empty());

    let answer = head(&server, &worker, &url).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(offset_of(&answer), bytes.len());
    assert_eq!(
        server.state.store.blob_uploaders(&sha).unwrap(),
        vec![worker.person.clone()]
    );
    assert_eq!(server.get_blob(&worker, &sha).await.status(), 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_bytes_that_do_not_hash_to_their_name_are_discarded_not_claimed() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let bytes = photo(100_000);
    let (url, id) = create(&server, &worker, &bytes).await;
    let mut damaged = bytes.clone();
    damaged[500] ^= 0xff;
    server.state.blobs.append(&id, 0, &damaged).unwrap();

    // Finishing finds the wrong hash: 422 (no body on HEAD), never 200 with the length.
    assert_eq!(head(&server, &worker, &url).await.status(), 422);
    // The upload is gone: the client creates a new one.
    assert_eq!(head(&server, &worker, &url).await.status(), 404);
    assert_eq!(
        server.get_blob(&worker, &sha256(&bytes)).await.status(),
        404
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_patch_on_a_finished_upload_answers_its_offset() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let bytes = photo(80_000);
    let url = upload(&server, &worker, &bytes).await;

    let answer = empty_patch(&server, &worker, &url, bytes.len()).await;
    assert_eq!(answer.status(), 204);
    assert_eq!(offset_of(&answer), bytes.len());
    // A stale offset is still a conflict, with the JSON error body.
    let stale = empty_patch(&server, &worker, &url, 10).await;
    assert_eq!(stale.status(), 409);
    let body: serde_json::Value = stale.json().await.unwrap();
    assert!(
        body["error"].is_string() || body["code"].is_string(),
        "{body}"
    );
    server.stop().await;
}
