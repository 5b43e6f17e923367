//! Signed, chained records end to end (issue 12): the core's real sync client against
//! the real server binary on 127.0.0.1. A device enrols with its public key, chains
//! every record it queues and signs once per push (ADR 12), and the server stores them
//! verified and linked; a record changed by hand in the device's store file is refused
//! `bad_signature` while the records before it still go up; and a
//! cloned store, recording on both copies, shows as a fork in the device's chain.

use gridwalk_core::hazard::{CaseFilter, Payload};
use gridwalk_core::inspection::InspectionKind;
use gridwalk_e2e::*;
use gridwalk_server::proofs::verify_store;

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");

/// `(records, signed, linked)` on the server.
fn chain_counts(server: &Server) -> (i64, i64, i64) {
    let rows = server.query(
        "SELECT CAST(count(*) AS TEXT), CAST(count(proof_signature) AS TEXT),
           CAST(count(*) FILTER (WHERE chain = 'linked') AS TEXT)
         FROM records",
        &[],
    );
    let n = |i: usize| rows[0][i].parse::<i64>().unwrap();
    (n(0), n(1), n(2))
}

/// The server's `verify` over its whole store.
fn verify(server: &Server) -> gridwalk_server::proofs::VerifyReport {
    let blobs = server.blob_store();
    verify_store(server.admin_store().as_ref(), blobs.as_ref()).unwrap()
}

/// The id of the first case on `device`.
fn first_case(device: &Device) -> String {
    device.store().list_cases(&CaseFilter::default()).unwrap()[0]
        .case_id
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_devices_records_arrive_signed_and_linked_and_a_hand_edit_is_refused() {
    let server = Server::start(BIN);
    let code = server.person("Li Na", "grid-worker", "g-xinhua-1", None);
    let phone = Device::new("phone");
    phone.enroll(&server.url(), &code).await;
    let key = phone.store().signing_public_key().unwrap();
    let registered = server.query("SELECT public_key FROM devices", &[])[0][0].clone();
    assert_eq!(registered, key);

    phone.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-02", vec![jpeg(1, 320, 240)])],
    );
    phone.sync_until_clean(3).await;
    // The inspection, its photo's record and the report of its hazard: chained one
    // after the other, and one signature, on the last, seals the three.
    assert_eq!(chain_counts(&server), (3, 1, 3));
    let report = verify(&server);
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(
        (report.signed, report.sealed, report.unsigned, report.blobs),
        (1, 2, 0, 1)
    );

    // A comment is queued, then its text changed by hand in the store file.
    let case_id = first_case(&phone);
    let comment = phone
        .store()
        .act(
            &case_id,
            Payload::Comment {
                text: "extinguisher replaced".into(),
            },
        )
        .unwrap();
    let db = phone.connection();
    let changed = db
        .execute(
            "UPDATE record_proofs SET body = replace(body, 'extinguisher replaced', 'all fine')
             WHERE outbox_seq = (SELECT seq FROM outbox WHERE record_id = ?1)",
            [&comment.id],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(db);
    let sync = phone.sync().await.unwrap();
    assert_eq!(sync.rejected.len(), 1, "{sync:?}");
    assert_eq!(
        (sync.rejected[0].id.as_str(), sync.rejected[0].code.as_str()),
        (comment.id.as_str(), "bad_signature")
    );
    assert_eq!(chain_counts(&server), (3, 1, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloned_store_recording_on_both_copies_is_a_fork() {
    let server = Server::start(BIN);
    let code = server.person("Li Na", "grid-worker", "g-xinhua-1", None);
    let phone = Device::new("phone");
    phone.enroll(&server.url(), &code).await;
    phone.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-02", vec![jpeg(2, 320, 240)])],
    );
    phone.sync_until_clean(3).await;
    let case_id = first_case(&phone);

    // The store file is copied to a second phone (every connection closed, so the
    // file holds everything).
    let clone = Device::new("clone");
    std::fs::copy(&phone.path, &clone.path).unwrap();
    // The copy is encrypted: its key goes with it, as a restored backup's would.
    let key_file = gridwalk_core::store::key_file::KEY_FILE;
    std::fs::copy(
        phone.path.with_file_name(key_file),
        clone.path.with_file_name(key_file),
    )
    .unwrap();
    let on_phone = phone
        .store()
        .act(&case_id, Payload::Comment { text: "a".into() })
        .unwrap();
    let on_clone = clone
        .store()
        .act(&case_id, Payload::Comment { text: "b".into() })
        .unwrap();
    phone.sync_until_clean(3).await;
    clone.sync_until_clean(3).await;

    // Both accepted; the second to arrive follows the same record as the first.
    let chain = |id: &str| -> String {
        server.query("SELECT chain FROM records WHERE id = ?1", &[id])[0][0].clone()
    };
    assert_eq!(
        (chain(&on_phone.id), chain(&on_clone.id)),
        ("linked".to_string(), "fork".to_string())
    );
    let report = verify(&server);
    let mut forks: Vec<(String, String)> = report
        .problems
        .iter()
        .map(|p| (p.record.clone(), p.problem.clone()))
        .collect();
    forks.sort();
    let mut expected = vec![
        (on_phone.id.clone(), "fork".to_string()),
        (on_clone.id.clone(), "fork".to_string()),
    ];
    expected.sort();
    assert_eq!(forks, expected, "{report:?}");

    // Another device of the area pulls the case: the server's verdict travels with each
    // pulled event, and the case shows the fork on the clone's event.
    let colleague = Device::new("colleague");
    colleague
        .enroll(
            &server.url(),
            &server.person("Wang Fang", "grid-worker", "g-xinhua-1", None),
        )
        .await;
    colleague.sync_until_clean(3).await;
    let view = colleague.store().hazard_case(&case_id).unwrap();
    let mark = |id: &str| {
        view.chain
            .iter()
            .find(|m| m.record == id)
            .map(|m| m.chain.clone())
    };
    assert_eq!(
        (mark(&on_phone.id), mark(&on_clone.id)),
        (Some("linked".to_string()), Some("fork".to_string())),
        "{:?}",
        view.chain
    );
    // Every pulled event of the case carries a mark (all are signed).
    assert_eq!(view.chain.len(), view.events.len(), "{:?}", view.chain);
}
