//! A device over the server's cap on unfinished uploads is not stuck: the real core
//! client reports the refusal (`429 upload_limit`), still pushes and pulls its records,
//! and once the stale upload expires on the server the photo goes up in a later sync.

use std::time::{Duration, Instant};

use gridwalk_core::inspection::InspectionKind;
use gridwalk_e2e::*;
use gridwalk_server::admin;
use gridwalk_server::config::{DataDir, Limits};
use gridwalk_server::server::{open_state_on, serve_on};
use gridwalk_server::storage::{Upload, UploadCap};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_at_its_upload_cap_reports_it_syncs_records_and_uploads_after_expiry() {
    let data = tempfile::tempdir().unwrap();
    let limits = Limits {
        max_open_uploads_per_device: 1,
        upload_expiry: Duration::from_secs(2),
        ..Limits::default()
    };
    let (database, _scratch) = test_database(data.path());
    let state = open_state_on(
        &database,
        &DataDir {
            root: data.path().to_path_buf(),
        },
        limits,
    )
    .unwrap();
    admin::import_units(state.store.as_ref(), &fixture("units.csv")).unwrap();
    admin::import_sites(state.store.as_ref(), &fixture("sites.csv")).unwrap();
    let code = admin::add_person(
        state.store.as_ref(),
        "Li Na",
        "grid-worker",
        "g-xinhua-1",
        None,
    )
    .unwrap()
    .enrolment_code;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(serve_on(listener, state.clone(), async move {
        let _ = stopped.await;
    }));

    let worker = Device::new("Li Na");
    worker.enroll(&url, &code).await;
    // An upload this device opened and forgot (its phone lost the location): it takes
    // the device's one place until it expires.
    let enrolled = state
        .store
        .device_summaries(None, chrono::Utc::now())
        .unwrap();
    assert_eq!(enrolled.len(), 1);
    let (device_id, person) = (enrolled[0].id.clone(), enrolled[0].person.clone());
    let forgotten = Upload {
        id: "0190a000-0000-7000-8000-000000000001".into(),
        sha256: sha256(b"a forgotten photo"),
        length: 17,
        device: device_id,
        person,
        done: false,
        thumbnail_of: None,
        created_at: chrono::Utc::now(),
    };
    state.blobs.start_upload(&forgotten.id).unwrap();
    state
        .store
        .create_upload(&forgotten, &UploadCap::UNLIMITED)
        .unwrap();

    let inspection = worker.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-03", vec![jpeg(7, 320, 240)])],
    );
    let report = worker
        .sync()
        .await
        .expect("the sync must not fail on the cap");
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.contains("upload_limit") || e.contains("unfinished uploads")),
        "{:?}",
        report.errors
    );
    assert_eq!(report.uploaded_blobs, 0);
    // The records went up all the same.
    assert!(worker.store().pending_outbox(1).unwrap().is_empty());
    let on_server: Vec<String> = server_view(&url, &worker.token())
        .await
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    assert!(on_server.contains(&inspection), "{on_server:?}");
    assert!(!worker.nothing_to_send(), "the photo is still to send");

    // Once the forgotten upload expires, a later sync sends the photo.
    let deadline = Instant::now() + Duration::from_secs(10);
    while state.store.upload(&forgotten.id).unwrap().is_some() {
        assert!(
            Instant::now() < deadline,
            "the forgotten upload never expired"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let report = worker.sync().await.unwrap();
    assert_eq!(report.uploaded_blobs, 1, "{:?}", report.errors);
    assert!(worker.nothing_to_send());
    let _ = stop.send(());
    served.await.unwrap().unwrap();
}
