//! Photo uploads on the city backend (PostgreSQL records, S3 blobs on a real SeaweedFS)
//! through two server processes on one database and one bucket: an upload begun on
//! one replica is finished on the other; a replica SIGKILLed mid-chunk loses nothing
//! acknowledged and the device (the real core client) resumes on the other; a wrong
//! or short upload never becomes a readable blob, and a blob changed in the bucket
//! behind the server's back is never served.
//!
//! They need the city pass of `scripts/test` (`GRIDWALK_TEST_DATABASE` and
//! `GRIDWALK_TEST_BLOBS`, from `scripts/with-test-postgres` and
//! `scripts/with-test-seaweedfs`); on the embedded stores two processes are two
//! separate servers, so each test says it was skipped and returns.

use std::time::Duration;

use base64::Engine;
use gridwalk_core::inspection::InspectionKind;
use gridwalk_e2e::*;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");

/// The city servers, or `None` (and a line saying so) on the embedded stores.
fn city_server(test: &str) -> Option<Server> {
    let server = Server::start(BIN);
    if server.is_city() {
        Some(server)
    } else {
        eprintln!("{test}: skipped, needs GRIDWALK_TEST_DATABASE and GRIDWALK_TEST_BLOBS");
        None
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Enrols a grid worker on `server`; returns the token.
async fn enrol(server: &Server, url: &str) -> String {
    let code = server.person("Li Na", "grid-worker", "g-xinhua-1", None);
    let response = client()
        .post(format!("{url}/v1/enrol"))
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_string()
}

/// Creates an upload of `length` bytes named `sha`; returns its path.
async fn create(url: &str, token: &str, length: usize, sha: &str) -> String {
    let metadata = format!(
        "sha256 {}",
        base64::engine::general_purpose::STANDARD.encode(sha)
    );
    let response = client()
        .post(format!("{url}/v1/blobs"))
        .bearer_auth(token)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", length.to_string())
        .header("upload-metadata", metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.headers()["location"].to_str().unwrap().to_string()
}

/// PATCHes `chunk` at `offset`; returns the status and the new offset, if told.
async fn patch(url: &str, token: &str, offset: usize, chunk: &[u8]) -> (u16, Option<usize>) {
    let response = client()
        .patch(url)
        .bearer_auth(token)
        .header("tus-resumable", "1.0.0")
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", offset.to_string())
        .body(chunk.to_vec())
        .send()
        .await
        .unwrap();
    let at = response
        .headers()
        .get("upload-offset")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (response.status().as_u16(), at)
}

/// The stored offset of an upload, as HEAD reports it.
async fn head(url: &str, token: &str) -> usize {
    let response = client()
        .head(url)
        .bearer_auth(token)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.headers()["upload-offset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// The photo as `GET /v1/blobs/{sha}` serves it: status and bytes.
async fn download(url: &str, token: &str, sha: &str) -> (u16, Vec<u8>) {
    let response = client()
        .get(format!("{url}/v1/blobs/{sha}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_begun_on_one_replica_is_finished_on_the_other() {
    let Some(a) = city_server("replica upload") else {
        return;
    };
    let b = a.replica();
    let token = enrol(&a, &a.url()).await;
    let photo = jpeg(7, 640, 480);
    let sha = sha256(&photo);
    let third = photo.len() / 3;
    let path = create(&a.url(), &token, photo.len(), &sha).await;
    let (on_a, on_b) = (format!("{}{path}", a.url()), format!("{}{path}", b.url()));

    assert_eq!(
        patch(&on_a, &token, 0, &photo[..third]).await,
        (204, Some(third))
    );
    // B knows what A stored: the offset lives in the shared bucket, not in A.
    assert_eq!(head(&on_b, &token).await, third);
    assert_eq!(
        patch(&on_b, &token, third, &photo[third..2 * third]).await,
        (204, Some(2 * third))
    );
    // A stale chunk (an answer the device never got) is refused on either replica.
    assert_eq!(patch(&on_a, &token, 0, &photo[..third]).await.0, 409);
    assert_eq!(head(&on_a, &token).await, 2 * third);
    assert_eq!(
        patch(&on_a, &token, 2 * third, &photo[2 * third..]).await,
        (204, Some(photo.len()))
    );
    for url in [a.url(), b.url()] {
        let (status, bytes) = download(&url, &token, &sha).await;
        assert_eq!(status, 200, "{url}");
        assert!(bytes == photo, "{url} served other bytes");
        assert_eq!(head(&format!("{url}{path}"), &token).await, photo.len());
    }
    // Finished means stored once, under its name, with no parts left behind.
    let blobs = a.blob_store();
    assert!(blobs.has_blob(&sha).unwrap());
    let id = path.rsplit('/').next().unwrap();
    assert_eq!(blobs.upload_offset(id).unwrap(), None);
    drop(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_chunk_loses_nothing_acknowledged() {
    let Some(mut a) = city_server("replica killed mid-chunk") else {
        return;
    };
    let b = a.replica();
    let token = enrol(&a, &a.url()).await;
    let photo = jpeg(8, 800, 600);
    let sha = sha256(&photo);
    let half = photo.len() / 2;
    let path = create(&a.url(), &token, photo.len(), &sha).await;
    let on_a = format!("{}{path}", a.url());
    assert_eq!(
        patch(&on_a, &token, 0, &photo[..half]).await,
        (204, Some(half))
    );

    // A second chunk is on its way to A when A is SIGKILLed: half its bytes sent.
    let mut stream = tokio::net::TcpStream::connect(a.addr).await.unwrap();
    let rest = &photo[half..];
    let request = format!(
        "PATCH {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n\
         Upload-Offset: {half}\r\nContent-Length: {}\r\n\r\n",
        a.addr,
        rest.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(&rest[..rest.len() / 2]).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.kill();
    drop(stream);

    // B has every acknowledged byte; the device resumes there and finishes.
    let on_b = format!("{}{path}", b.url());
    let at = head(&on_b, &token).await;
    assert_eq!(
        at, half,
        "the acknowledged chunk, and nothing unacknowledged"
    );
    assert_eq!(
        patch(&on_b, &token, at, &photo[at..]).await,
        (204, Some(photo.len()))
    );
    let (status, bytes) = download(&b.url(), &token, &sha).await;
    assert_eq!(status, 200);
    assert!(bytes == photo);
    drop(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_resumes_its_photos_on_the_other_replica_when_one_is_killed() {
    let Some(mut a) = city_server("device resumes on the other replica") else {
        return;
    };
    let b = a.replica();
    let proxy = Proxy::start(a.addr).await;
    let worker = Device::new("Li Na");
    worker
        .enroll(
            &proxy.url(),
            &a.person("Li Na", "grid-worker", "g-xinhua-1", None),
        )
        .await;
    // Slow the link so the kill lands inside the uploads.
    proxy.set_faults(Faults {
        delay: Duration::from_millis(5),
        ..Faults::default()
    });
    worker.inspect(
        "site-a",
        InspectionKind::Routine,
        &[(
            "fire-03",
            vec![
                jpeg(21, 1024, 768),
                jpeg(22, 1024, 768),
                jpeg(23, 1024, 768),
            ],
        )],
    );
    let store = worker.shared();
    let sync =
        tokio::spawn(
            async move { gridwalk_core::sync::sync_with(&store, &test_options(), None).await },
        );
    tokio::time::sleep(Duration::from_millis(700)).await;
    a.kill();
    // The load balancer sends the device to the replica still up.
    proxy.set_upstream(b.addr);
    let _ = sync.await.unwrap();
    proxy.set_faults(Faults::default());
    worker.sync_until_clean(10).await;

    let photos = worker.photos();
    assert_eq!(photos.len(), 3);
    let blobs = b.blob_store();
    for sha in &photos {
        let bytes = blobs
            .read_blob(sha)
            .unwrap()
            .unwrap_or_else(|| panic!("photo {sha} was lost"));
        assert_eq!(&sha256(&bytes), sha);
    }
    drop(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_short_upload_never_becomes_a_readable_blob() {
    let Some(a) = city_server("wrong or short upload") else {
        return;
    };
    let b = a.replica();
    let token = enrol(&a, &a.url()).await;
    let photo = jpeg(9, 320, 240);
    let sha = sha256(&photo);

    // Other bytes under the photo's name: refused at the last chunk, on either replica.
    let mut forged = photo.clone();
    forged[100] ^= 0xff;
    let path = create(&a.url(), &token, forged.len(), &sha).await;
    let half = forged.len() / 2;
    assert_eq!(
        patch(&format!("{}{path}", a.url()), &token, 0, &forged[..half])
            .await
            .0,
        204
    );
    assert_eq!(
        patch(&format!("{}{path}", b.url()), &token, half, &forged[half..])
            .await
            .0,
        422
    );
    // A short upload: half the bytes, never finished.
    let short = create(&b.url(), &token, photo.len(), &sha).await;
    assert_eq!(
        patch(&format!("{}{short}", b.url()), &token, 0, &photo[..half])
            .await
            .0,
        204
    );
    let blobs = a.blob_store();
    assert!(!blobs.has_blob(&sha).unwrap());
    for url in [a.url(), b.url()] {
        assert_eq!(download(&url, &token, &sha).await.0, 404, "{url}");
    }

    // Finished properly, then changed in the bucket behind the server's back (anyone
    // holding the bucket's keys could): the server refuses to serve it.
    let path = create(&a.url(), &token, photo.len(), &sha).await;
    assert_eq!(
        patch(&format!("{}{path}", a.url()), &token, 0, &photo)
            .await
            .0,
        204
    );
    assert!(download(&b.url(), &token, &sha).await.1 == photo);
    let location = a.s3_location().unwrap();
    overwrite_object(&location, &format!("sha256/{sha}"), &forged).await;
    assert!(blobs.read_blob(&sha).is_err());
    let (status, bytes) = download(&b.url(), &token, &sha).await;
    assert_ne!(status, 200);
    assert!(bytes != forged);
    drop(b);
}

/// Writes `bytes` to `key` in the server's bucket directly, as someone holding the
/// bucket's keys could, past the server.
async fn overwrite_object(
    location: &gridwalk_server::storage::s3::S3Location,
    key: &str,
    bytes: &[u8],
) {
    use object_store::ObjectStoreExt;
    let endpoint = location.endpoint.clone().unwrap();
    let s3 = object_store::aws::AmazonS3Builder::from_env()
        .with_bucket_name(&location.bucket)
        .with_region(&location.region)
        .with_allow_http(endpoint.starts_with("http://"))
        .with_endpoint(endpoint)
        .build()
        .unwrap();
    let key = match location.prefix.as_str() {
        "" => key.to_string(),
        prefix => format!("{prefix}/{key}"),
    };
    s3.put(
        &object_store::path::Path::from(key),
        object_store::PutPayload::from(bytes.to_vec()),
    )
    .await
    .unwrap();
}
