//! Photos of personal-detail answers (issue 12 item 6): on an encrypted device store, a
//! key-groups answer's photo is sealed on disk (its file holds none of the JPEG's
//! bytes, and there is no plain copy), while a fire-safety photo stays plain; the sync
//! uploads the plaintext JPEG, which the server accepts under the same SHA-256, the
//! thumbnail first; another device keeps what it pulls of such a photo sealed too.

use gridwalk_core::CoreError;
use gridwalk_core::evidence::{PhotoSize, PhotoState, PhotoView};
use gridwalk_core::inspection::{InspectionKind, NewInspection, Outcome};
use gridwalk_core::photo::IngestOptions;
use gridwalk_e2e::*;

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_groups_photo_is_sealed_on_disk_and_uploaded_as_the_plain_jpeg() {
    let server = Server::start(BIN);
    let phone = server
        .enrolled_device(&server.url(), "Li Na", "grid-worker", "g-xinhua-1")
        .await;

    let mut store = phone.store();
    let inspector = store.require_profile().unwrap().name;
    let id = store
        .start_inspection(&NewInspection {
            site_id: "site-a".into(),
            template_id: None,
            template_version: None,
            kind: InspectionKind::Routine,
            inspector,
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (visit, exit) = (dir.path().join("visit.jpg"), dir.path().join("exit.jpg"));
    std::fs::write(&visit, jpeg(11, 640, 480)).unwrap();
    std::fs::write(&exit, jpeg(12, 640, 480)).unwrap();
    let personal = store
        .answer_with_photos(
            &id,
            "key-groups-03",
            Outcome::Hazard,
            Some("elderly resident alone, stove left on"),
            &[visit],
            &IngestOptions::default(),
        )
        .unwrap()
        .remove(0);
    let public = store
        .answer_with_photos(
            &id,
            "fire-02",
            Outcome::Hazard,
            Some("e-bikes charging in the hall"),
            &[exit],
            &IngestOptions::default(),
        )
        .unwrap()
        .remove(0);

    // On disk: the personal photo only sealed, its thumbnail too; the other one plain.
    let layout = store.photo_layout();
    let sha = &personal.sha256;
    let evidence = store.photo_bytes(sha, PhotoSize::Full).unwrap();
    assert_eq!(
        &sha256(&evidence),
        sha,
        "the address is the plaintext's SHA-256"
    );
    assert!(evidence.starts_with(&[0xff, 0xd8]), "a JPEG");
    assert!(
        !layout.evidence_path(sha).exists(),
        "a plain copy is on disk"
    );
    assert!(
        !layout.thumbnail_path(sha).exists(),
        "a plain thumbnail is on disk"
    );
    assert!(layout.sealed_thumbnail_path(sha).exists());
    let on_disk = std::fs::read(layout.sealed_path(sha)).unwrap();
    assert!(!on_disk.starts_with(&[0xff, 0xd8]));
    for window in evidence.chunks(64).skip(1).take(50) {
        if window.len() == 64 {
            assert!(!contains(&on_disk, window), "JPEG bytes in the sealed file");
        }
    }
    // The test can see the JPEG's bytes where they are plain.
    let plain = std::fs::read(layout.evidence_path(&public.sha256)).unwrap();
    assert_eq!(sha256(&plain), public.sha256);
    assert!(!layout.sealed_path(&public.sha256).exists());

    // Submitted and synced: the server holds the plaintext JPEG under the same hash.
    let items: Vec<String> = store
        .checklist(&id)
        .unwrap()
        .categories
        .iter()
        .flat_map(|c| c.entries.iter().map(|e| e.item.code.clone()))
        .filter(|code| code != "fire-02" && code != "key-groups-03")
        .collect();
    for item in items {
        store.answer(&id, &item, Outcome::Ok, None).unwrap();
    }
    store.submit(&id).unwrap();
    assert_eq!(store.pending_sync().unwrap().photos, 2);
    drop(store);
    phone.sync_until_clean(3).await;
    let uploaded = server.blob(sha).expect("the sealed photo was not uploaded");
    assert_eq!(uploaded, evidence, "the plaintext JPEG went up");
    assert_eq!(&sha256(&uploaded), sha);
    assert_eq!(server.blob(&public.sha256).unwrap(), plain);
    assert_eq!(phone.photos().len(), 2);
}

/// Issue 12 item 6 with issue 13 item 3: a key-groups photo's sealed thumbnail is opened
/// and sent first, plain, like any other (the full photo's upload is cut here); another
/// device of the area keeps what it pulls of that photo sealed on disk too — the
/// thumbnail first, shown as "full photo pending", then the photo — and reads both back
/// as the JPEGs through the store. A fire-safety photo pulled beside it stays plain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_groups_photo_goes_up_thumbnail_first_and_is_pulled_sealed() {
    let server = Server::start(BIN);
    let proxy = Proxy::start(server.addr).await;
    let url = proxy.url();
    let author = server
        .enrolled_device(&url, "Li Na", "grid-worker", "g-xinhua-1")
        .await;
    let colleague = server
        .enrolled_device(&url, "Wang Fang", "community-staff", "c-xinhua")
        .await;
    let inspection = author.inspect(
        "site-a",
        InspectionKind::Routine,
        &[
            ("key-groups-03", vec![jpeg(21, 1600, 1200)]),
            ("fire-02", vec![jpeg(22, 1600, 1200)]),
        ],
    );
    let (personal, public) = {
        let s = author.store();
        let entries: Vec<_> = s
            .checklist(&inspection)
            .unwrap()
            .categories
            .into_iter()
            .flat_map(|c| c.entries)
            .collect();
        let photo_of = |item: &str| {
            entries.iter().find(|e| e.item.code == item).unwrap().photos[0]
                .sha256
                .clone()
        };
        (photo_of("key-groups-03"), photo_of("fire-02"))
    };
    let (evidence, thumbnail) = {
        let s = author.store();
        let layout = s.photo_layout();
        assert!(layout.sealed_thumbnail_path(&personal).exists());
        assert!(!layout.thumbnail_path(&personal).exists());
        (
            s.photo_bytes(&personal, PhotoSize::Full).unwrap(),
            s.photo_bytes(&personal, PhotoSize::Thumbnail).unwrap(),
        )
    };
    assert!(thumbnail.starts_with(&[0xff, 0xd8]) && thumbnail.len() < evidence.len());

    // Every full photo's upload is cut: records and thumbnails still go up.
    proxy.set_faults(Faults {
        cut_after_bytes: Some(0),
        only: Some(format!("upload-length: {}", evidence.len())),
        budget: 1_000,
        ..Faults::default()
    });
    assert!(author.sync().await.is_err(), "the full photo cannot go up");
    assert_eq!(
        server.blob(&sha256(&thumbnail)).as_deref(),
        Some(thumbnail.as_slice()),
        "the sealed photo's thumbnail went up first, as the plain JPEG"
    );
    assert!(server.blob(&personal).is_none(), "the full photo is not up");

    // The colleague pulls the record and the thumbnail: sealed on disk, pending.
    colleague.sync().await.unwrap();
    {
        let s = colleague.store();
        let layout = s.photo_layout();
        assert_eq!(s.photo_state(&personal).unwrap(), PhotoState::ThumbnailOnly);
        assert!(
            !layout.thumbnail_path(&personal).exists(),
            "a plain thumbnail"
        );
        let on_disk = std::fs::read(layout.sealed_thumbnail_path(&personal)).unwrap();
        assert!(
            !on_disk.starts_with(&[0xff, 0xd8]),
            "the thumbnail is a JPEG on disk"
        );
        assert!(!contains(&on_disk, &thumbnail[thumbnail.len() / 2..][..64]));
        assert_eq!(
            s.photo_bytes(&personal, PhotoSize::Thumbnail).unwrap(),
            thumbnail
        );
        assert!(matches!(
            s.photo_bytes(&personal, PhotoSize::Full),
            Err(CoreError::PhotoNotHeld { sha256 }) if sha256 == personal
        ));
        // The records the screens show say so, per photo.
        let entry = s
            .checklist(&inspection)
            .unwrap()
            .categories
            .into_iter()
            .flat_map(|c| c.entries)
            .find(|e| e.item.code == "key-groups-03")
            .unwrap();
        assert_eq!(
            entry.photos,
            vec![PhotoView {
                sha256: personal.clone(),
                state: PhotoState::ThumbnailOnly
            }]
        );
        let case = s
            .list_cases(&Default::default())
            .unwrap()
            .into_iter()
            .find(|c| c.category == "key-groups")
            .unwrap();
        let view = s.hazard_case(&case.case_id).unwrap();
        assert_eq!(view.photos[0].sha256, personal);
        assert_eq!(view.photos[0].state, PhotoState::ThumbnailOnly);
    }

    // The link heals: the full photos go up and reach the colleague, sealed or plain
    // by what names them.
    proxy.set_faults(Faults::default());
    author.sync_until_clean(3).await;
    colleague.sync().await.unwrap();
    let s = colleague.store();
    let layout = s.photo_layout();
    assert_eq!(s.photo_state(&personal).unwrap(), PhotoState::Held);
    assert!(!layout.evidence_path(&personal).exists(), "a plain copy");
    assert!(
        !layout.thumbnail_path(&personal).exists(),
        "a plain thumbnail"
    );
    let on_disk = std::fs::read(layout.sealed_path(&personal)).unwrap();
    assert!(!on_disk.starts_with(&[0xff, 0xd8]));
    for window in evidence.chunks(64).skip(1).take(50) {
        if window.len() == 64 {
            assert!(!contains(&on_disk, window), "JPEG bytes in the sealed file");
        }
    }
    assert_eq!(s.photo_bytes(&personal, PhotoSize::Full).unwrap(), evidence);
    let shown = s.photo_bytes(&personal, PhotoSize::Thumbnail).unwrap();
    assert!(shown.starts_with(&[0xff, 0xd8]));
    // The fire-safety photo is plain on both devices.
    let plain = std::fs::read(layout.evidence_path(&public)).unwrap();
    assert_eq!(sha256(&plain), public);
    assert!(!layout.sealed_path(&public).exists());
    assert_eq!(s.photo_bytes(&public, PhotoSize::Full).unwrap(), plain);
}
