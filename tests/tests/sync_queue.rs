//! What the phone shows of its sync queue (issue 13 item 5): each photo and record
//! still to send, what it is, bytes left and the server's last refusal; and the storage
//! guard, which refuses a new photo when the store's file system has less free space
//! than the floor, changing and deleting nothing.

use gridwalk_core::CoreError;
use gridwalk_core::hazard::{CaseFilter, Payload};
use gridwalk_core::inspection::{InspectionKind, NewInspection, Outcome};
use gridwalk_core::photo::IngestOptions;
use gridwalk_core::profile::{Profile, Role};
use gridwalk_core::sync::QueueItemKind;
use gridwalk_e2e::*;

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_lists_photos_then_records_with_bytes_left_and_refusals() {
    let server = Server::start(BIN);
    let phone = Device::new("phone");
    phone
        .enroll(
            &server.url(),
            &server.person("Li Na", "grid-worker", "g-xinhua-1", None),
        )
        .await;
    let photo = jpeg(1, 320, 240);
    let inspection = phone.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-02", vec![photo])],
    );

    let queue = phone.store().sync_queue().unwrap();
    let kinds: Vec<_> = queue.iter().map(|q| q.kind).collect();
    assert_eq!(
        kinds,
        [
            QueueItemKind::Photo,
            QueueItemKind::Inspection,
            QueueItemKind::PhotoRecord,
            QueueItemKind::HazardEvent
        ],
        "{queue:?}"
    );
    let held = phone.photos();
    assert!(held.contains(&queue[0].id), "{queue:?}");
    let stored = std::fs::metadata(phone.store().photo_layout().evidence_path(&queue[0].id))
        .unwrap()
        .len();
    assert_eq!(queue[0].bytes_left, stored);
    assert_eq!(
        (queue[1].id.as_str(), queue[1].subject.as_str()),
        (inspection.as_str(), "site-a")
    );
    let case = phone.store().list_cases(&CaseFilter::default()).unwrap()[0]
        .case_id
        .clone();
    // The photo's record (what the device attests about it) names the photo.
    assert_eq!(queue[2].subject, queue[0].id);
    assert_eq!(queue[3].subject, case);
    assert!(
        queue[1].bytes_left > 1000 && queue[2].bytes_left > 200 && queue[3].bytes_left > 200,
        "{queue:?}"
    );
    assert!(queue.iter().all(|q| q.last_error.is_none() && !q.held_back));

    phone.sync_until_clean(3).await;
    assert!(phone.store().sync_queue().unwrap().is_empty());

    // A close the server refuses stays queued, with the server's reason.
    let mut store = phone.store();
    let worker = store.require_profile().unwrap();
    store
        .set_profile(&Profile {
            role: Role::Supervisor,
            unit: "s-hehua".into(),
            ..worker
        })
        .unwrap();
    let close = store
        .act(
            &case,
            Payload::Closed {
                note: "closed".into(),
            },
        )
        .unwrap();
    drop(store);
    let report = phone.sync().await.unwrap();
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    let queue = phone.store().sync_queue().unwrap();
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(queue[0].id, close.id);
    assert!(
        queue[0]
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("forbidden: "),
        "{queue:?}"
    );
    assert!(!queue[0].held_back);
    phone.sync().await.unwrap();
    phone.sync().await.unwrap();
    let queue = phone.store().sync_queue().unwrap();
    assert!(queue[0].held_back, "{queue:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_photo_is_refused_below_the_free_space_floor_and_nothing_is_deleted() {
    let server = Server::start(BIN);
    let phone = Device::new("phone");
    phone
        .enroll(
            &server.url(),
            &server.person("Li Na", "grid-worker", "g-xinhua-1", None),
        )
        .await;
    // One unsent photo is held already.
    phone.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-02", vec![jpeg(1, 64, 48)])],
    );
    let before = phone.photos();
    let queued = phone.store().sync_queue().unwrap();

    let mut store = phone.store();
    let free = store.free_bytes().unwrap();
    assert!(free > 0);
    assert_eq!(store.min_free_bytes().unwrap(), 200 * 1024 * 1024);
    // A floor above what is really free: every new photo is refused.
    store
        .set_min_free_bytes(free.saturating_mul(2).max(1 << 40))
        .unwrap();
    let id = store
        .start_inspection(&NewInspection {
            site_id: "site-a".into(),
            template_id: None,
            template_version: None,
            kind: InspectionKind::Routine,
            inspector: "Li Na".into(),
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cam.jpg");
    std::fs::write(&file, jpeg(2, 64, 48)).unwrap();
    let refused = store.answer_with_photos(
        &id,
        "fire-02",
        Outcome::Hazard,
        Some("wires"),
        std::slice::from_ref(&file),
        &IngestOptions::default(),
    );
    match refused {
        Err(CoreError::LowStorage {
            free_bytes,
            floor_bytes,
        }) => {
            assert!(free_bytes < floor_bytes);
        }
        other => panic!("expected LowStorage, got {other:?}"),
    }
    assert!(matches!(
        store.ingest_photo(&file, &IngestOptions::default()),
        Err(CoreError::LowStorage { .. })
    ));
    // Nothing of the refused answer, and everything unsent still there.
    assert!(store.inspection(&id).unwrap().answers.is_empty());
    drop(store);
    assert_eq!(phone.photos(), before);
    assert_eq!(phone.store().sync_queue().unwrap(), queued);

    // Back under the floor (0: never refused), the same photo goes in.
    let mut store = phone.store();
    store.set_min_free_bytes(0).unwrap();
    store
        .answer_with_photos(
            &id,
            "fire-02",
            Outcome::Hazard,
            Some("wires"),
            std::slice::from_ref(&file),
            &IngestOptions::default(),
        )
        .unwrap();
}
