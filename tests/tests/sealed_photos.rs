//! Photos of personal-detail answers (issue 12 item 6): on an encrypted device store, a
//! key-groups answer's photo is sealed on disk (its file holds none of the JPEG's
//! bytes, and there is no plain copy), while a fire-safety photo stays plain; the sync
//! uploads the plaintext JPEG, which the server accepts under the same SHA-256.
#![allow(clippy::unwrap_used, clippy::expect_used)]

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
    let phone = Device::new("Li Na");
    phone
        .enroll(
            &server.url(),
            &server.person("Li Na", "grid-worker", "g-xinhua-1", None),
        )
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
    let evidence = store.photo_bytes(sha).unwrap();
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
