//! Records and thumbnails before full photos (issue 13 item 3), against a real server on
//! 127.0.0.1 through the counting proxy: a sync sends the records, then each photo's
//! thumbnail naming its photo, then the full photos; another device gets the record
//! with its photo link kept, shows the thumbnail as pending, and gets the full photo
//! after the next sync. A thumbnail is served only through its uploader's records: a
//! stranger cannot read it, and a thumbnail someone claims for a photo they never
//! attached grants nothing.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use gridwalk_core::inspection::InspectionKind;
use gridwalk_core::sync;
use gridwalk_e2e::*;

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");

/// `GET /v1/blobs/{sha}/thumbnail` as `token`: the status, `Photo-State` and bytes.
async fn get_thumbnail(url: &str, token: &str, sha: &str) -> (u16, Option<String>, Vec<u8>) {
    let response = reqwest::Client::new()
        .get(format!("{url}/v1/blobs/{sha}/thumbnail"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let state = response
        .headers()
        .get("photo-state")
        .map(|v| v.to_str().unwrap().to_string());
    (status, state, response.bytes().await.unwrap().to_vec())
}

/// `GET /v1/blobs/{sha}` as `token`: the status.
async fn get_photo(url: &str, token: &str, sha: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{url}/v1/blobs/{sha}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Uploads `bytes` over raw tus as `token`, claiming they are a thumbnail of `photo`;
/// returns the final PATCH's status.
async fn upload_claimed_thumbnail(url: &str, token: &str, photo: &str, bytes: &[u8]) -> u16 {
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{url}/v1/blobs"))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", bytes.len().to_string())
        .header(
            "Upload-Metadata",
            format!(
                "sha256 {},thumbnail-of {}",
                STANDARD.encode(sha256(bytes)),
                STANDARD.encode(photo)
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_string();
    client
        .patch(format!("{url}{location}"))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_and_thumbnails_arrive_before_full_photos_and_only_for_those_who_may_see_them() {
    let server = Server::start(BIN);
    let proxy = Proxy::start(server.addr).await;
    let url = proxy.url();
    let author = server
        .enrolled_device(&url, "Li Na", "grid-worker", "g-xinhua-1")
        .await;
    let colleague = server
        .enrolled_device(&url, "Wang Fang", "community-staff", "c-xinhua")
        .await;
    let stranger = server
        .enrolled_device(&url, "Zhao Lei", "grid-worker", "g-dongguang-1")
        .await;
    let inspection = author.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-03", vec![jpeg(41, 1600, 1200)])],
    );
    let sha = author.photos().into_iter().next().unwrap();
    let (evidence, thumbnail) = {
        let s = author.store();
        let layout = s.photo_layout();
        (
            std::fs::read(layout.evidence_path(&sha)).unwrap(),
            std::fs::read(layout.thumbnail_path(&sha)).unwrap(),
        )
    };

    // Before the author syncs, the stranger claims a thumbnail of that photo. Their
    // link is older than the author's, and must still grant nothing.
    let fake = jpeg(99, 64, 48);
    assert_eq!(
        upload_claimed_thumbnail(&server.url(), &stranger.token(), &sha, &fake).await,
        204
    );

    // The link carries records and thumbnails, but every full photo upload is cut.
    proxy.reset_traffic();
    proxy.set_faults(Faults {
        cut_after_bytes: Some(0),
        only: Some(format!("upload-length: {}", evidence.len())),
        budget: 1_000,
        ..Faults::default()
    });
    assert!(author.sync().await.is_err(), "the full photo cannot go up");
    let requests = proxy.traffic().requests;
    let first_upload = requests
        .iter()
        .position(|r| r.starts_with("POST /v1/blobs"))
        .expect("an upload");
    assert!(
        requests[..first_upload]
            .iter()
            .any(|r| r.starts_with("POST /v2/sync")),
        "records go before any upload: {requests:?}"
    );
    assert!(
        server.blob(&sha256(&thumbnail)).is_some(),
        "the thumbnail is up"
    );
    assert!(server.blob(&sha).is_none(), "the full photo is not");
    assert!(author.store().pending_outbox(1).unwrap().is_empty());

    // Another device of the area: the record, its photo link kept, the thumbnail
    // shown as pending.
    colleague.sync().await.unwrap();
    let s = colleague.store();
    assert!(s.checklist(&inspection).is_ok());
    let pending = s.pending_photos().unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0].sha256, sha);
    assert!(pending[0].thumbnail);
    assert!(!s.has_photo(&sha).unwrap(), "pending is not held");
    assert_eq!(
        std::fs::read(s.photo_layout().thumbnail_path(&sha)).unwrap(),
        thumbnail,
        "the author's thumbnail, not the stranger's"
    );
    let links: i64 = colleague
        .connection()
        .query_row(
            "SELECT count(*) FROM answer_photos WHERE inspection_id = ?1 AND sha256 = ?2",
            [&inspection, &sha],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(links, 1, "the pulled link to the photo is kept");
    drop(s);

    // The server's view: pending for the colleague; nothing for the stranger, whose
    // claimed link gives them neither the photo nor anyone's thumbnail but their own.
    let (status, state, bytes) = get_thumbnail(&server.url(), &colleague.token(), &sha).await;
    assert_eq!((status, state.as_deref()), (200, Some("pending")));
    assert_eq!(bytes, thumbnail);
    let (status, _, bytes) = get_thumbnail(&server.url(), &stranger.token(), &sha).await;
    assert_eq!(
        (status, bytes.as_slice()),
        (200, fake.as_slice()),
        "only their own claim"
    );
    let other = server
        .enrolled_device(&url, "Sun Li", "grid-worker", "g-dongguang-1")
        .await;
    let (status, _, _) = get_thumbnail(&server.url(), &other.token(), &sha).await;
    assert_eq!(status, 404, "another unit cannot read the thumbnail");

    // The link heals: the full photo goes up, and reaches the colleague next sync.
    proxy.set_faults(Faults::default());
    author.sync_until_clean(3).await;
    assert_eq!(server.blob(&sha).as_deref(), Some(evidence.as_slice()));
    assert_eq!(get_photo(&server.url(), &stranger.token(), &sha).await, 404);
    let (status, state, _) = get_thumbnail(&server.url(), &colleague.token(), &sha).await;
    assert_eq!((status, state.as_deref()), (200, Some("stored")));
    let report = colleague.sync().await.unwrap();
    assert_eq!(report.downloaded_blobs, 1);
    let s = colleague.store();
    assert!(s.pending_photos().unwrap().is_empty());
    assert_eq!(
        std::fs::read(s.photo_path(&sha).unwrap()).unwrap(),
        evidence
    );
    assert!(colleague.photos().contains(&sha));

    // A later sync sends neither thumbnail nor photo again.
    proxy.reset_traffic();
    sync::sync_with(&author.shared(), &test_options(), None)
        .await
        .unwrap();
    assert!(
        !proxy
            .traffic()
            .requests
            .iter()
            .any(|r| r.contains("/v1/blobs")),
        "nothing re-sent"
    );
}
