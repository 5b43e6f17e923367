//! Signed photo records end to end (issue 12 item 2, photo part): the core's real sync
//! client against the real server binary on 127.0.0.1. A photo attached to a submitted
//! inspection is attested by a photo record (the evidence file's and the camera
//! original's SHA-256, the EXIF capture time and GPS, the device's ingest times), signed
//! and chained like every record; the server verifies and stores it and serves it to
//! whoever may read the photo; and a photo record edited in the device's store file is
//! refused `bad_signature`.

use gridwalk_core::inspection::InspectionKind;
use gridwalk_e2e::*;
use gridwalk_server::proofs::verify_store;
use gridwalk_server::storage::files::FileBlobStore;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");

/// The server's photo records: `(id, body, chain, signed)`.
fn photo_records(server: &Server) -> Vec<(String, Value, String, bool)> {
    server
        .query(
            "SELECT id, body, chain,
                    CASE WHEN proof_signature IS NOT NULL THEN 'signed' ELSE '' END
             FROM records WHERE kind = 'photo' ORDER BY seq",
            &[],
        )
        .into_iter()
        .map(|row| {
            (
                row[0].clone(),
                serde_json::from_str(&row[1]).unwrap(),
                row[2].clone(),
                row[3] == "signed",
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_record_arrives_signed_and_verified_and_reaches_who_may_see_the_photo() {
    let server = Server::start(BIN);
    let phone = Device::new("phone");
    phone
        .enroll(
            &server.url(),
            &server.person("Li Na", "grid-worker", "g-xinhua-1", None),
        )
        .await;
    let colleague = Device::new("colleague");
    colleague
        .enroll(
            &server.url(),
            &server.person("Wang Fang", "grid-worker", "g-xinhua-1", None),
        )
        .await;
    let outsider = Device::new("outsider");
    outsider
        .enroll(
            &server.url(),
            &server.person("Zhao Lei", "grid-worker", "g-dongguang-1", None),
        )
        .await;

    let original = jpeg_with_exif(7, "2026:05:04 09:30:00", "+08:00", 30.6601, 104.0801);
    phone.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-02", vec![original.clone()])],
    );
    let evidence = phone.photos().into_iter().next().unwrap();
    phone.sync_until_clean(3).await;

    let records = photo_records(&server);
    assert_eq!(records.len(), 1, "{records:?}");
    let (id, body, chain, signed) = &records[0];
    assert_eq!(id, &format!("photo-{evidence}"));
    // Chained, and sealed by the report after it in the same push (ADR 12).
    assert_eq!((chain.as_str(), *signed), ("linked", false));
    assert_eq!(body["sha256"], evidence.as_str());
    // The original as it arrived, not the re-encoded evidence file.
    assert_eq!(body["original_sha256"], sha256(&original).as_str());
    assert_ne!(body["original_sha256"], body["sha256"]);
    assert_eq!(body["taken_at"], "2026-05-04T09:30:00+08:00");
    let lat = body["lat_e7"].as_i64().unwrap();
    let lon = body["lon_e7"].as_i64().unwrap();
    assert!((lat - 306_601_000).abs() <= 2, "{lat}");
    assert!((lon - 1_040_801_000).abs() <= 2, "{lon}");
    assert!(body["ingested_ms"].as_i64().unwrap() > 1_700_000_000_000);
    assert!(body["hlc"]["ms"].as_i64().unwrap() > 0);

    // The server's whole-store check re-verifies it with the other two records.
    let blobs = FileBlobStore::open(&server.data_path().join("blobs")).unwrap();
    let report = verify_store(server.admin_store().as_ref(), &blobs).unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!((report.signed, report.sealed, report.unsigned), (1, 2, 0));

    // Served with the photo's own rule: a colleague of the area, not another area.
    let seen = |view: Vec<(String, String, Value)>| {
        view.into_iter()
            .filter(|(_, kind, _)| kind == "photo")
            .map(|(id, _, _)| id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        seen(server_view(&server.url(), &colleague.token()).await),
        vec![id.clone()]
    );
    assert!(seen(server_view(&server.url(), &outsider.token()).await).is_empty());
    // The colleague's device pulls it without complaint and converges.
    colleague.sync_until_clean(3).await;
    assert_converged(&server, &[&phone, &colleague]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_record_edited_in_the_store_file_is_refused_bad_signature() {
    let server = Server::start(BIN);
    let phone = Device::new("phone");
    phone
        .enroll(
            &server.url(),
            &server.person("Li Na", "grid-worker", "g-xinhua-1", None),
        )
        .await;
    let original = jpeg_with_exif(8, "2026:05:04 09:30:00", "+08:00", 30.7, 104.08);
    phone.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-02", vec![original])],
    );
    let evidence = phone.photos().into_iter().next().unwrap();
    let id = format!("photo-{evidence}");

    // The photo was taken 4.4 km away; its GPS is moved onto the site by hand.
    let db = phone.connection();
    let changed = db
        .execute(
            "UPDATE record_proofs SET body = json_set(body, '$.lat_e7', 306600000)
             WHERE outbox_seq = (SELECT seq FROM outbox WHERE record_id = ?1)",
            [&id],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(db);
    let sync = phone.sync().await.unwrap();
    let refused: Vec<(&str, &str)> = sync
        .rejected
        .iter()
        .map(|r| (r.id.as_str(), r.code.as_str()))
        .collect();
    assert_eq!(refused, vec![(id.as_str(), "bad_signature")], "{sync:?}");
    assert!(photo_records(&server).is_empty());
}
