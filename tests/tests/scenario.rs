//! The scenario end to end over real HTTP on 127.0.0.1, every device driven
//! through the core's sync client: two grid workers, a street officer, a department
//! officer and a supervisor with a spot check, from a hazard found on the round to a
//! verified, closed case. After it, every device holds exactly what the server lets it
//! see, and the server holds everything every device recorded.

use gridwalk_core::hazard::{Level, Payload, Status};
use gridwalk_core::inspection::InspectionKind;
use gridwalk_core::photo::IngestOptions;
use gridwalk_e2e::*;

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_a_street_a_department_and_a_spot_check_through_the_core_client() {
    let server = Server::start(BIN);
    let url = server.url();
    let worker_a = Device::new("worker A");
    let worker_b = Device::new("worker B");
    let street = Device::new("street");
    let fire = Device::new("fire");
    let supervisor = Device::new("supervisor");
    for (device, name, role, unit, dept) in [
        (&worker_a, "Li Na", "grid-worker", "g-xinhua-1", None),
        (&worker_b, "Zhao Lei", "grid-worker", "g-xinhua-2", None),
        (&street, "Chen Gang", "street-officer", "s-hehua", None),
        (
            &fire,
            "Captain Wu",
            "department-officer",
            "jinjiang",
            Some("fire-rescue"),
        ),
        (&supervisor, "Inspector Ma", "supervisor", "jinjiang", None),
    ] {
        device
            .enroll(&url, &server.person(name, role, unit, dept))
            .await;
        // Enrolment made the person the local profile and brought the sites.
        let store = device.store();
        assert_eq!(store.require_profile().unwrap().name, name);
        assert!(!store.list_sites().unwrap().is_empty(), "{}", device.name);
    }

    // Worker A finds a blocked exit, with two photos; worker B finds nothing.
    let inspection_a = worker_a.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-03", vec![jpeg(1, 320, 240), jpeg(2, 320, 240)])],
    );
    let inspection_b = worker_b.inspect("site-b", InspectionKind::Routine, &[]);
    let report_a = worker_a.sync().await.unwrap();
    assert_eq!(report_a.uploaded_blobs, 2);
    assert!(report_a.uploaded_bytes > 0);
    // The inspection, its two photos' records and its case.
    assert_eq!(report_a.accepted, 4, "{report_a:?}");
    assert!(report_a.rejected.is_empty());
    let report_b = worker_b.sync().await.unwrap();
    assert_eq!(report_b.accepted, 1);
    let case = worker_a.store().list_cases(&Default::default()).unwrap()[0]
        .case_id
        .clone();

    // The street office sees its street, calls the case in and assigns the fire brigade.
    let report = street.sync().await.unwrap();
    assert_eq!(report.pulled_new, 3, "{report:?}");
    assert_eq!(report.downloaded_blobs, 2);
    {
        let mut s = street.store();
        // The worker's inspection arrived whole: every answer, note and photo link.
        assert_eq!(
            s.inspection(&inspection_a).unwrap(),
            worker_a.store().inspection(&inspection_a).unwrap()
        );
        assert!(s.inspection(&inspection_b).is_ok());
        s.act(
            &case,
            Payload::CalledIn {
                level: Level::Street,
                note: "fire brigade please".into(),
            },
        )
        .unwrap();
        s.act(
            &case,
            Payload::Assigned {
                department: "fire-rescue".into(),
                note: "clear the exit".into(),
            },
        )
        .unwrap();
    }
    assert_eq!(street.sync().await.unwrap().accepted, 2);

    // The fire brigade gets the case with its history and photos, fixes it.
    let report = fire.sync().await.unwrap();
    assert_eq!(report.pulled_new, 3, "{report:?}");
    {
        let mut s = fire.store();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("fixed.jpg");
        std::fs::write(&file, jpeg(3, 320, 240)).unwrap();
        let fixed = s.ingest_photo(&file, &IngestOptions::default()).unwrap();
        s.act(
            &case,
            Payload::Accepted {
                note: "on it".into(),
            },
        )
        .unwrap();
        s.act(
            &case,
            Payload::Rectified {
                photos: vec![fixed.sha256],
                note: "bikes moved".into(),
            },
        )
        .unwrap();
    }
    let report = fire.sync().await.unwrap();
    // Two events and the record of the photo the brigade took.
    assert_eq!(
        (report.accepted, report.uploaded_blobs),
        (3, 1),
        "{report:?}"
    );

    // The supervisor's unannounced spot check of site A, then the verification.
    supervisor.sync().await.unwrap();
    let spot = supervisor.inspect("site-a", InspectionKind::SpotCheck, &[]);
    {
        let mut s = supervisor.store();
        s.act(
            &case,
            Payload::Verified {
                passed: true,
                inspection_id: Some(spot.clone()),
                note: "exit clear".into(),
            },
        )
        .unwrap();
        s.act(
            &case,
            Payload::Closed {
                note: "done".into(),
            },
        )
        .unwrap();
    }
    let report = supervisor.sync().await.unwrap();
    assert_eq!(report.accepted, 3, "{report:?}");

    // Everyone syncs once more; then every device agrees with the server.
    let all = [&worker_a, &worker_b, &street, &fire, &supervisor];
    for device in all {
        device.sync_until_clean(3).await;
    }
    for device in [&worker_a, &street, &fire, &supervisor] {
        let state = device.store().case_state(&case).unwrap();
        assert_eq!(state.status, Status::Closed, "{}", device.name);
    }
    // Worker B's grid has nothing of the case; the supervisor's spot check reached A.
    assert!(worker_b.store().case_state(&case).is_err());
    assert!(worker_a.store().inspection(&spot).is_ok());
    // A second sync with nothing new sends and receives nothing new.
    let quiet = worker_a.sync().await.unwrap();
    assert_eq!(
        (quiet.pushed, quiet.pulled_new, quiet.uploaded_blobs),
        (0, 0, 0)
    );
    assert_converged(&server, &all).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_record_is_kept_reported_and_held_back_not_retried_forever() {
    let server = Server::start(BIN);
    let worker = Device::new("worker");
    worker
        .enroll(
            &server.url(),
            &server.person("Li Na", "grid-worker", "g-xinhua-1", None),
        )
        .await;
    // A site this device knows but the server does not: the server refuses the record.
    worker
        .store()
        .upsert_sites(&[gridwalk_core::reference::Site {
            id: "site-local".into(),
            name: "Local only".into(),
            kind: "market".into(),
            unit: "g-xinhua-1".into(),
            address: String::new(),
            lat: None,
            lon: None,
        }])
        .unwrap();
    let id = worker.inspect("site-local", InspectionKind::Routine, &[]);
    for round in 1..=3u32 {
        let report = worker.sync().await.unwrap();
        assert_eq!(report.rejected.len(), 1, "round {round}: {report:?}");
        assert_eq!(report.rejected[0].id, id);
        assert_eq!(report.rejected[0].code, "invalid");
        assert!(report.rejected[0].reason.contains("unknown site"));
        assert_eq!(report.rejected[0].times_refused, round);
    }
    // Held back now: not offered again, still on the device, listed every time.
    let report = worker.sync().await.unwrap();
    assert!(report.rejected.is_empty());
    assert_eq!(report.pushed, 0);
    assert_eq!(report.held_back.len(), 1);
    assert_eq!(report.held_back[0].id, id);
    assert!(worker.store().inspection(&id).is_ok());
    assert_eq!(worker.store().pending_outbox(10).unwrap().len(), 1);
}

#[tokio::test]
async fn a_used_enrolment_code_and_a_revoked_token_are_typed_errors() {
    let server = Server::start(BIN);
    let code = server.person("Li Na", "grid-worker", "g-xinhua-1", None);
    let first = Device::new("first");
    first.enroll(&server.url(), &code).await;
    let second = Device::new("second");
    let err =
        gridwalk_core::sync::enroll_with(&second.shared(), &server.url(), &code, &test_options())
            .await
            .unwrap_err();
    assert_eq!(err.code(), "unauthorised", "{err}");
    // A device whose token the server does not know.
    first.store().set_setting("sync.token", "forged").unwrap();
    let err = first.sync().await.unwrap_err();
    assert_eq!(err.code(), "unauthorised", "{err}");
}
