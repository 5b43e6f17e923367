//! Photos attached only to a draft stay on the device until the draft is submitted
//! (issue 10 item 7): the inspector may still take them back, and no record on the
//! server could name them yet. Once submitted, the next sync uploads them.

use gridwalk_core::inspection::{InspectionKind, NewInspection, Outcome};
use gridwalk_core::photo::IngestOptions;
use gridwalk_e2e::*;

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drafts_photos_wait_for_its_submit() {
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
    let file = dir.path().join("exit.jpg");
    let bytes = jpeg(7, 320, 240);
    std::fs::write(&file, &bytes).unwrap();
    store
        .answer_with_photos(
            &id,
            "fire-02",
            Outcome::Hazard,
            Some("exit blocked"),
            &[file],
            &IngestOptions::default(),
        )
        .unwrap();
    let photo = store.inspection(&id).unwrap().answers[0].photos[0].clone();
    assert_eq!(store.pending_sync().unwrap().photos, 0);
    drop(store);

    // A sync while the inspection is a draft sends neither the record nor the photo.
    let report = phone.sync().await.unwrap();
    assert!(report.errors.is_empty(), "{report:?}");
    assert!(
        server.blob(&photo).is_none(),
        "a draft's photo was uploaded"
    );
    assert!(phone.store().has_photo(&photo).unwrap());

    // Finish and submit: the next sync uploads it.
    let mut store = phone.store();
    let items: Vec<String> = store
        .checklist(&id)
        .unwrap()
        .categories
        .iter()
        .flat_map(|c| c.entries.iter().map(|e| e.item.code.clone()))
        .filter(|code| code != "fire-02")
        .collect();
    for item in items {
        store.answer(&id, &item, Outcome::Ok, None).unwrap();
    }
    store.submit(&id).unwrap();
    assert_eq!(store.pending_sync().unwrap().photos, 1);
    drop(store);
    phone.sync_until_clean(3).await;
    assert_eq!(
        server.blob(&photo).unwrap(),
        std::fs::read(phone.store().photo_path(&photo).unwrap()).unwrap()
    );
    assert!(phone.nothing_to_send());
}
