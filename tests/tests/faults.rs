//! Fault scenarios on 127.0.0.1: a link that cuts connections mid-request, delays, and
//! loses answers after the server committed; the server SIGKILLed mid-sync and
//! restarted; two devices pushing to the same case at once. Each ends with the same
//! convergence check: nothing lost, nothing duplicated, compared by id and hash.

use std::time::Duration;

use gridwalk_core::hazard::{Payload, Status};
use gridwalk_core::inspection::InspectionKind;
use gridwalk_e2e::*;

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");

/// A worker's day in miniature: `n` inspections, one hazard with two photos each.
fn a_day(device: &Device, n: u64, seed: u64) {
    for i in 0..n {
        device.inspect(
            "site-a",
            InspectionKind::Routine,
            &[(
                "fire-03",
                vec![
                    jpeg(seed + 2 * i, 400, 300),
                    jpeg(seed + 2 * i + 1, 400, 300),
                ],
            )],
        );
    }
}

async fn enrolled(server: &Server, url: &str, name: &str, role: &str, unit: &str) -> Device {
    let device = Device::new(name);
    device
        .enroll(url, &server.person(name, role, unit, None))
        .await;
    device
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_cut_after_n_bytes_and_delayed_converge() {
    let server = Server::start(BIN);
    let proxy = Proxy::start(server.addr).await;
    let worker = enrolled(&server, &proxy.url(), "Li Na", "grid-worker", "g-xinhua-1").await;
    let street = enrolled(
        &server,
        &proxy.url(),
        "Chen Gang",
        "street-officer",
        "s-hehua",
    )
    .await;
    a_day(&worker, 4, 100);
    // Every third tus chunk is cut 3 000 bytes in, every chunk of everything is
    // delayed; twelve cuts, then the link heals.
    proxy.set_faults(Faults {
        cut_after_bytes: Some(3_000),
        delay: Duration::from_millis(1),
        only: Some("PATCH /v1/blobs".into()),
        every: 3,
        budget: 12,
        ..Faults::default()
    });
    let attempts = worker.sync_until_clean(30).await;
    assert_eq!(proxy.faults_injected(), 12);
    // Then push bodies are cut (a /v2 exchange with records), and pulls (one without).
    a_day(&worker, 2, 150);
    // A /v2 GET is ~150 bytes in all: cut inside its headers.
    for (only, cut) in [("POST /v2/sync", 200), ("GET /v2/sync", 60)] {
        proxy.set_faults(Faults {
            cut_after_bytes: Some(cut),
            only: Some(only.into()),
            every: 1,
            budget: 3,
            ..Faults::default()
        });
        worker.sync_until_clean(30).await;
        street.sync_until_clean(30).await;
    }
    assert_eq!(proxy.faults_injected(), 18);
    street.sync_until_clean(30).await;
    worker.sync_until_clean(3).await;
    eprintln!(
        "cut: {} faults, worker attempts {}",
        proxy.faults_injected(),
        attempts.len()
    );
    assert_converged(&server, &[&worker, &street]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_lost_after_the_server_committed_store_nothing_twice() {
    let server = Server::start(BIN);
    let proxy = Proxy::start(server.addr).await;
    let worker = enrolled(&server, &proxy.url(), "Li Na", "grid-worker", "g-xinhua-1").await;
    let community = enrolled(
        &server,
        &proxy.url(),
        "Zhao Min",
        "community-staff",
        "c-xinhua",
    )
    .await;
    a_day(&worker, 3, 200);
    // Every second request of any kind: it goes through, the answer is lost. Then
    // push answers, tus chunk answers and pull answers in particular.
    proxy.set_faults(Faults {
        drop_responses: true,
        every: 2,
        budget: 10,
        ..Faults::default()
    });
    let mut attempts = worker.sync_until_clean(30).await;
    for (only, seed) in [
        ("POST /v2/sync", 250),
        ("PATCH /v1/blobs", 260),
        ("GET /v2/sync", 270),
    ] {
        a_day(&worker, 1, seed);
        proxy.set_faults(Faults {
            drop_responses: true,
            only: Some(only.into()),
            every: 1,
            budget: 2,
            ..Faults::default()
        });
        attempts.extend(worker.sync_until_clean(30).await);
    }
    community.sync_until_clean(30).await;
    eprintln!(
        "dropped answers: {} faults, worker attempts {}",
        proxy.faults_injected(),
        attempts.len()
    );
    assert!(proxy.faults_injected() > 0);
    // Records whose answers were lost came back as duplicates on the retry.
    let duplicates: u32 = attempts
        .iter()
        .filter_map(|a| a.as_ref().ok())
        .map(|r| r.duplicates)
        .sum();
    eprintln!("duplicates recognised by the server: {duplicates}");
    assert!(
        duplicates > 0,
        "a lost push answer must come back as duplicates"
    );
    assert_converged(&server, &[&worker, &community]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_sigkilled_and_restarted_mid_sync_converges() {
    let mut server = Server::start(BIN);
    let proxy = Proxy::start(server.addr).await;
    let worker = enrolled(&server, &proxy.url(), "Li Na", "grid-worker", "g-xinhua-1").await;
    let street = enrolled(
        &server,
        &proxy.url(),
        "Chen Gang",
        "street-officer",
        "s-hehua",
    )
    .await;
    a_day(&worker, 5, 300);
    // Slow the link so the kill lands inside the sync, not after it.
    proxy.set_faults(Faults {
        delay: Duration::from_millis(3),
        ..Faults::default()
    });
    let store = worker.shared();
    let sync =
        tokio::spawn(
            async move { gridwalk_core::sync::sync_with(&store, &test_options(), None).await },
        );
    tokio::time::sleep(Duration::from_millis(150)).await;
    server.kill();
    // Some requests fail against the dead server; the sync gives up or finishes.
    let interrupted = sync.await.unwrap();
    eprintln!(
        "interrupted sync: {:?}",
        interrupted.as_ref().map(|r| r.accepted)
    );
    server.restart();
    proxy.set_upstream(server.addr);
    proxy.set_faults(Faults::default());
    worker.sync_until_clean(10).await;
    street.sync_until_clean(10).await;
    // Kill again while the street officer pulls (cursor saved per page).
    let extra = enrolled(
        &server,
        &proxy.url(),
        "Zhao Lei",
        "grid-worker",
        "g-xinhua-1",
    )
    .await;
    a_day(&extra, 2, 400);
    extra.sync_until_clean(10).await;
    let store = street.shared();
    let pulling =
        tokio::spawn(
            async move { gridwalk_core::sync::sync_with(&store, &test_options(), None).await },
        );
    tokio::time::sleep(Duration::from_millis(20)).await;
    server.restart();
    proxy.set_upstream(server.addr);
    let _ = pulling.await.unwrap();
    street.sync_until_clean(10).await;
    worker.sync_until_clean(10).await;
    assert_converged(&server, &[&worker, &street, &extra]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_pushing_to_the_same_case_at_once_converge_on_one_state() {
    let server = Server::start(BIN);
    let url = server.url();
    let worker = enrolled(&server, &url, "Li Na", "grid-worker", "g-xinhua-1").await;
    let staff = enrolled(&server, &url, "Zhao Min", "community-staff", "c-xinhua").await;
    let street = enrolled(&server, &url, "Chen Gang", "street-officer", "s-hehua").await;
    worker.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-03", vec![jpeg(500, 320, 240)])],
    );
    worker.sync_until_clean(3).await;
    staff.sync_until_clean(3).await;
    street.sync_until_clean(3).await;
    let case = staff.store().list_cases(&Default::default()).unwrap()[0]
        .case_id
        .clone();
    // Offline, both act on the case: both call it in (incompatible, concurrent), and
    // both comment, several times.
    for (device, note) in [(&staff, "staff"), (&street, "street")] {
        let mut s = device.store();
        s.act(
            &case,
            Payload::CalledIn {
                level: gridwalk_core::hazard::Level::Street,
                note: format!("{note} calls it in"),
            },
        )
        .unwrap();
        for i in 0..5 {
            s.act(
                &case,
                Payload::Comment {
                    text: format!("{note} {i}"),
                },
            )
            .unwrap();
        }
    }
    // Both sync at the same moment.
    let (a, b) = tokio::join!(staff.sync(), street.sync());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.accepted + b.accepted, 12, "{a:?} {b:?}");
    for device in [&staff, &street, &worker] {
        device.sync_until_clean(3).await;
    }
    let states: Vec<_> = [&staff, &street, &worker]
        .iter()
        .map(|d| d.store().case_state(&case).unwrap())
        .collect();
    assert_eq!(states[0], states[1]);
    assert_eq!(states[0], states[2]);
    assert_eq!(states[0].event_count, 13);
    assert_ne!(states[0].status, Status::Closed);
    assert_converged(&server, &[&worker, &staff, &street]).await;
}

/// Rows of the device's upload bookkeeping: unfinished uploads in `photo_uploads`, and
/// any upload location left among the settings (where older builds kept them).
fn upload_progress(device: &Device) -> (i64, i64) {
    let conn = device.connection();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    (
        count("SELECT COUNT(*) FROM photo_uploads"),
        count("SELECT COUNT(*) FROM settings WHERE key LIKE 'sync.upload.%'"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_upload_is_kept_in_its_table_and_gone_after_the_sync_that_finishes_it() {
    let server = Server::start(BIN);
    let proxy = Proxy::start(server.addr).await;
    let worker = enrolled(&server, &proxy.url(), "Li Na", "grid-worker", "g-xinhua-1").await;
    worker.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-03", vec![jpeg(900, 800, 600)])],
    );
    // This is about the photo's own upload: its thumbnail is taken as already sent.
    worker.mark_thumbnails_sent();
    let photo = worker.store().all_photos_to_upload().unwrap();
    assert_eq!(photo.len(), 1);
    // Every chunk of the photo is cut, as many times as the client retries: the sync
    // gives up after creating the upload on the server.
    proxy.set_faults(Faults {
        cut_after_bytes: Some(200),
        only: Some("PATCH /v1/blobs".into()),
        every: 1,
        budget: test_options().retry.attempts,
        ..Faults::default()
    });
    let failed = worker.sync().await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(proxy.faults_injected(), test_options().retry.attempts);
    assert_eq!(
        upload_progress(&worker),
        (1, 0),
        "the upload's location is kept for the next sync, in its own table"
    );
    // The link heals: the next sync finishes the upload and forgets where it stood.
    let report = worker.sync().await.unwrap();
    assert_eq!(report.uploaded_blobs, 1, "{report:?}");
    assert!(worker.nothing_to_send());
    assert_eq!(
        upload_progress(&worker),
        (0, 0),
        "nothing of the upload is left"
    );
    let bytes = server.blob(&photo[0]).expect("the server holds the photo");
    assert_eq!(sha256(&bytes), photo[0]);
    // A sync with nothing to upload leaves nothing either.
    worker.sync().await.unwrap();
    assert_eq!(upload_progress(&worker), (0, 0));
}
