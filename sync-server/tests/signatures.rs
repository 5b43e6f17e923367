//! Signed, chained records (issue 12) over real HTTP on 127.0.0.1: a record whose
//! signature does not verify with the pushing device's key is refused `bad_signature`;
//! a fork or gap in a device's chain is accepted and flagged; and `gridwalk-server
//! verify` (the binary) re-checks the store and names a record edited by hand in the
//! SQLite file, and a photo whose bytes were changed. Chained records (ADR 12) are
//! stored only when their push seals them, and one edited after sealing is named.

use crate::common;

use std::process::Command;

use common::*;
use gridwalk_model::inspection::{InspectionKind, InspectionStatus};
use gridwalk_model::signing::{GENESIS, chained_link_of, link, seal_message, signed_bytes, to_hex};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_gridwalk-server");

/// A device key from a fixed seed (tests only).
fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn public_hex(key: &SigningKey) -> String {
    to_hex(key.verifying_key().to_encoded_point(false).as_bytes())
}

/// Signs `item` after `prev` with `key`, adding its `proof`; returns its link.
fn sign(key: &SigningKey, item: &mut Value, prev: &str) -> String {
    let signed = signed_bytes(
        item["kind"].as_str().unwrap(),
        item["id"].as_str().unwrap(),
        &item["body"],
        prev,
    )
    .unwrap();
    let signature: Signature = key.sign(&signed);
    let der = signature.to_der();
    item["proof"] = json!({ "prev": prev, "signature": to_hex(der.as_bytes()) });
    link(&signed, der.as_bytes())
}

fn status(result: &Value) -> (&str, &str) {
    (
        result["status"].as_str().unwrap(),
        result["code"].as_str().unwrap_or(""),
    )
}

/// A report of a new case at the demo district's first site, by `device`.
fn report(device: &Device, ms: i64, description: &str, photos: Vec<String>) -> Value {
    hazard_event(
        &new_id(),
        device,
        ms,
        &[],
        reported(
            "fire",
            "fire-01",
            "site-a",
            "g-xinhua-1",
            description,
            photos,
        ),
    )
}

/// `gridwalk-server verify --json` over the server's data folder: (exit code, report).
fn verify(server: &TestServer) -> (i32, Value) {
    let out = Command::new(BIN)
        .args(server.admin_args())
        .args(["--json", "verify"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "verify printed no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), report)
}

/// `(record, problem)` of every problem in a verify report.
fn problems(report: &Value) -> Vec<(String, String)> {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["record"].as_str().unwrap().to_string(),
                p["problem"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_or_missing_signature_is_refused_and_a_true_one_stored() {
    let server = TestServer::start().await;
    let device_key = key(7);
    let code = server.person("Li Na", "grid-worker", "g-xinhua-1", None);
    let device = server.enrol_with_key(&code, &public_hex(&device_key)).await;

    // Signed by another key: refused, nothing stored.
    let mut forged = report(&device, 1_000, "fire door blocked", vec![]);
    sign(&key(8), &mut forged, GENESIS);
    let results = server.push(&device, &[forged.clone()]).await;
    assert_eq!(status(&results[0]), ("rejected", "bad_signature"));
    // Signed by the device, then its note changed: refused.
    let mut edited = report(&device, 2_000, "fire door blocked", vec![]);
    sign(&device_key, &mut edited, GENESIS);
    edited["body"]["payload"]["description"] = json!("nothing wrong");
    let results = server.push(&device, &[edited]).await;
    assert_eq!(status(&results[0]), ("rejected", "bad_signature"));
    // Not signed at all, by a device that registered a key: refused.
    let unsigned = report(&device, 3_000, "fire door blocked", vec![]);
    let results = server.push(&device, &[unsigned]).await;
    assert_eq!(status(&results[0]), ("rejected", "bad_signature"));
    assert!(
        results[0]["reason"]
            .as_str()
            .unwrap()
            .contains("must be signed")
    );
    // A signature that is not DER: refused.
    let mut garbled = report(&device, 4_000, "fire door blocked", vec![]);
    sign(&device_key, &mut garbled, GENESIS);
    garbled["proof"]["signature"] = json!("3044");
    let results = server.push(&device, &[garbled]).await;
    assert_eq!(status(&results[0]), ("rejected", "bad_signature"));
    assert!(server.pull_all(&device).await.is_empty());

    // The same record truly signed is stored, and a re-push is a duplicate.
    let mut good = forged.clone();
    sign(&device_key, &mut good, GENESIS);
    let results = server.push(&device, &[good.clone()]).await;
    assert_eq!(status(&results[0]), ("accepted", ""));
    let results = server.push(&device, &[good]).await;
    assert_eq!(status(&results[0]), ("duplicate", ""));
    // A device enrolled without a key (an older client) still pushes unsigned records;
    // once updated it signs them, and the proof, which nothing can check, is ignored.
    let old = server
        .device("Wang Fang", "grid-worker", "g-xinhua-1", None)
        .await;
    let mut updated = report(&old, 6_000, "hose cracked", vec![]);
    sign(&key(12), &mut updated, GENESIS);
    let results = server
        .push(
            &old,
            &[report(&old, 5_000, "exit sign dark", vec![]), updated],
        )
        .await;
    assert_eq!(status(&results[0]), ("accepted", ""));
    assert_eq!(status(&results[1]), ("accepted", ""));

    let (code, report) = verify(&server);
    assert_eq!((code, problems(&report)), (0, vec![]), "{report}");
    assert_eq!(
        (report["records"].clone(), report["signed"].clone()),
        (json!(3), json!(1))
    );
    assert_eq!(report["unsigned"], json!(2));

    // A key that is not a P-256 point is refused at enrolment.
    let code = server.person("Zhao Lei", "grid-worker", "g-xinhua-1", None);
    let response = server
        .client
        .post(server.url("/v1/enrol"))
        .json(&json!({ "code": code, "public_key": "04abcd" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fork_or_gap_in_a_devices_chain_is_accepted_flagged_and_reported() {
    let server = TestServer::start().await;
    let device_key = key(9);
    let code = server.person("Li Na", "grid-worker", "g-xinhua-1", None);
    let device = server.enrol_with_key(&code, &public_hex(&device_key)).await;

    let mut first = report(&device, 1_000, "one", vec![]);
    let first_link = sign(&device_key, &mut first, GENESIS);
    let mut second = report(&device, 2_000, "two", vec![]);
    sign(&device_key, &mut second, &first_link);
    // A store restored from a backup taken after `first`: its next record follows
    // `first` too.
    let mut restored = report(&device, 3_000, "three", vec![]);
    sign(&device_key, &mut restored, &first_link);
    // A record whose predecessor never reached the server.
    let mut after_gap = report(&device, 4_000, "four", vec![]);
    sign(&device_key, &mut after_gap, &"ab".repeat(32));
    let results = server
        .push(
            &device,
            &[
                first.clone(),
                second.clone(),
                restored.clone(),
                after_gap.clone(),
            ],
        )
        .await;
    assert!(
        results.iter().all(|r| r["status"] == "accepted"),
        "{results:?}"
    );

    // The flags kept at push time.
    let chain = |item: &Value| -> String {
        match server.sql(
            "SELECT chain FROM records WHERE id = ?1",
            &[item["id"].as_str().unwrap()],
        ) {
            SqlOutcome::Text(chain) => chain,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        [&first, &second, &restored, &after_gap].map(chain),
        ["linked", "linked", "fork", "gap"].map(String::from)
    );

    // verify recomputes the chain and names every record involved.
    let (code, report) = verify(&server);
    assert_eq!(code, 1);
    let id = |item: &Value| item["id"].as_str().unwrap().to_string();
    let mut found = problems(&report);
    found.sort();
    let mut expected = vec![
        (id(&second), "fork".to_string()),
        (id(&restored), "fork".to_string()),
        (id(&after_gap), "gap".to_string()),
    ];
    expected.sort();
    assert_eq!(found, expected, "{report}");

    // The campaign report counts them by device, in JSON and beside the CSV.
    let (code, stdout, stderr) = admin(&server, &["--json", "report"]);
    assert_eq!(code, 0, "{stderr}");
    let campaign: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        campaign["chain_breaks"],
        json!([{"device": device.device_id, "person_name": "Li Na", "gap": 1, "fork": 1}])
    );
    let (code, stdout, stderr) = admin(&server, &["report"]);
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with("group,"),
        "the CSV stays one table: {stdout}"
    );
    assert!(
        stderr.contains(&format!(
            "device {} (Li Na): 1 record(s) after a gap, 1 on a fork",
            device.device_id
        )),
        "{stderr}"
    );

    // The case shows each event's chain status; the fork and the gap are warnings.
    let case = restored["body"]["case_id"].as_str().unwrap();
    let (code, stdout, stderr) = admin(&server, &["--json", "case", case]);
    assert_eq!(code, 0, "{stderr}");
    let view: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(view["timeline"][0]["record"], restored["id"]);
    assert_eq!(view["timeline"][0]["chain"], "fork");
    assert_eq!(view["timeline"][0]["signature"], "verified");
    assert_eq!(view["problems"], json!([]));
    let warned: Vec<(&str, &str)> = view["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["subject"].as_str().unwrap(), w["code"].as_str().unwrap()))
        .collect();
    assert!(warned.contains(&(&id(&restored), "fork")), "{warned:?}");
    assert!(warned.contains(&(&id(&after_gap), "gap")), "{warned:?}");
    let (_, text, _) = admin(&server, &["case", case]);
    assert!(text.contains("verified, chain fork"), "{text}");
    assert!(
        text.contains(&format!("warning fork {}", id(&restored))),
        "{text}"
    );
    // An unknown case is named.
    let (code, _, stderr) = admin(&server, &["case", "no-such-case"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no case `no-such-case`"), "{stderr}");

    // export-case writes the bundle the case view checked, manifest and all.
    let out = server.data_path().join("../fork-case.zip");
    let (code, stdout, stderr) = admin(
        &server,
        &[
            "--json",
            "export-case",
            case,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (summary["records"].as_u64(), summary["devices"].as_u64()),
        (Some(1), Some(1))
    );
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"), "a zip file");
    server.stop().await;
}

/// `gridwalk-server --data DATA [--database URL] ARGS…`: (exit code, stdout, stderr).
fn admin(server: &TestServer, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(server.admin_args())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_an_inspection_whose_answer_or_date_was_edited_by_hand() {
    let server = TestServer::start().await;
    let device_key = key(12);
    let code = server.person("Li Na", "grid-worker", "g-xinhua-1", None);
    let device = server.enrol_with_key(&code, &public_hex(&device_key)).await;
    let mut first = item(&inspection(
        &new_id(),
        "site-a",
        InspectionKind::Routine,
        InspectionStatus::Submitted,
        None,
        None,
    ));
    let first_link = sign(&device_key, &mut first, GENESIS);
    let mut second = item(&inspection(
        &new_id(),
        "site-a",
        InspectionKind::Routine,
        InspectionStatus::Submitted,
        None,
        None,
    ));
    let second_link = sign(&device_key, &mut second, &first_link);
    let mut event = report(&device, 5_000, "extinguisher expired", vec![]);
    sign(&device_key, &mut event, &second_link);
    let results = server
        .push(&device, &[first.clone(), second.clone(), event.clone()])
        .await;
    assert!(
        results.iter().all(|r| r["status"] == "accepted"),
        "{results:?}"
    );
    let (code, report) = verify(&server);
    assert_eq!((code, problems(&report)), (0, vec![]), "{report}");

    // Someone with the database file turns the first inspection's hazard into an ok
    // answer, moves the second's submission a week earlier, and the event's wall time.
    let edit = |sql: &str, item: &Value| {
        let changed = server.sql(sql, &[item["id"].as_str().unwrap()]);
        assert_eq!(changed, SqlOutcome::Changed(1), "{sql}");
    };
    edit(
        "UPDATE records SET body = replace(body, '\"outcome\":\"hazard\"', '\"outcome\":\"ok\"')
         WHERE id = ?1",
        &first,
    );
    edit(
        "UPDATE records SET body = replace(body, '\"submitted_at\":\"2026-04-01', '\"submitted_at\":\"2026-03-25')
         WHERE id = ?1",
        &second,
    );
    edit(
        "UPDATE records SET body = replace(body, '\"wall_ms\":5000', '\"wall_ms\":4000') WHERE id = ?1",
        &event,
    );
    let (code, report) = verify(&server);
    assert_eq!(code, 1);
    let id = |item: &Value| item["id"].as_str().unwrap().to_string();
    assert_eq!(
        problems(&report),
        vec![
            (id(&first), "bad_signature".to_string()),
            (id(&second), "bad_signature".to_string()),
            (id(&event), "bad_signature".to_string()),
        ],
        "{report}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_a_record_and_a_photo_edited_by_hand() {
    let server = TestServer::start().await;
    let device_key = key(11);
    let code = server.person("Li Na", "grid-worker", "g-xinhua-1", None);
    let device = server.enrol_with_key(&code, &public_hex(&device_key)).await;
    let photo_bytes = b"evidence photo bytes";
    upload(&server, &device, photo_bytes).await;
    let photo = sha256(photo_bytes);
    let mut first = report(&device, 1_000, "extinguisher expired", vec![photo.clone()]);
    let first_link = sign(&device_key, &mut first, GENESIS);
    let mut second = report(&device, 2_000, "exit blocked", vec![]);
    sign(&device_key, &mut second, &first_link);
    let results = server.push(&device, &[first.clone(), second.clone()]).await;
    assert!(
        results.iter().all(|r| r["status"] == "accepted"),
        "{results:?}"
    );
    let (code, report) = verify(&server);
    assert_eq!((code, problems(&report)), (0, vec![]), "{report}");
    assert_eq!(report["blobs"], json!(1));

    // Someone with the database file rewrites the second record's description.
    let changed = server.sql(
        "UPDATE records SET body = replace(body, 'exit blocked', 'exit clear') WHERE id = ?1",
        &[second["id"].as_str().unwrap()],
    );
    assert_eq!(changed, SqlOutcome::Changed(1));
    // ... and swaps a byte of the photo.
    let mut bytes = photo_bytes.to_vec();
    bytes[0] ^= 0xff;
    server.tamper_blob(&photo, &bytes).await;

    let (code, report) = verify(&server);
    assert_eq!(code, 1);
    assert_eq!(
        problems(&report),
        vec![
            (
                second["id"].as_str().unwrap().to_string(),
                "bad_signature".to_string()
            ),
            (photo.clone(), "blob_hash".to_string()),
        ],
        "{report}"
    );
    // The human form names them too.
    let out = Command::new(BIN)
        .args(server.admin_args())
        .arg("verify")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        text.contains(&format!(
            "bad_signature hazard-event {}",
            second["id"].as_str().unwrap()
        )),
        "{text}"
    );
    assert!(text.contains(&format!("blob_hash photo {photo}")), "{text}");
    server.stop().await;
}

/// Chains `item` after `prev` in the ADR 12 form, unsigned, or sealed with `seal`'s key;
/// returns its link.
fn chain(item: &mut Value, prev: &str, seal: Option<&SigningKey>) -> String {
    let own = chained_link_of(
        item["kind"].as_str().unwrap(),
        item["id"].as_str().unwrap(),
        &item["body"],
        prev,
    )
    .unwrap();
    item["proof"] = json!({ "prev": prev, "chained": true });
    if let Some(key) = seal {
        let signature: Signature = key.sign(&seal_message(&own));
        item["proof"]["signature"] = json!(to_hex(signature.to_der().as_bytes()));
    }
    own
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chained_records_are_stored_only_when_their_push_seals_them_and_an_edit_is_named() {
    let server = TestServer::start().await;
    let device_key = key(21);
    let code = server.person("Li Na", "grid-worker", "g-xinhua-1", None);
    let device = server.enrol_with_key(&code, &public_hex(&device_key)).await;
    let mut first = report(&device, 1_000, "exit blocked", vec![]);
    let first_link = chain(&mut first, GENESIS, None);
    let mut second = report(&device, 2_000, "hose cracked", vec![]);
    chain(&mut second, &first_link, Some(&device_key));

    // Unsigned records with no seal in their push: refused `unsealed`, nothing stored.
    let results = server.push(&device, &[first.clone()]).await;
    assert_eq!(status(&results[0]), ("rejected", "unsealed"));
    // A seal made with another key: the seal and what it would seal are refused.
    let mut forged = second.clone();
    chain(&mut forged, &first_link, Some(&key(8)));
    let results = server.push(&device, &[first.clone(), forged]).await;
    assert_eq!(status(&results[0]), ("rejected", "bad_signature"));
    assert_eq!(status(&results[1]), ("rejected", "bad_signature"));
    assert!(server.pull_all(&device).await.is_empty());
    // A seal by another enrolled device's key covers nothing of this device's: the
    // other device's own records, sealed with this device's key and pushed by it, are
    // refused too (a seal is checked against the caller's key only).
    let other_key = key(22);
    let other = server
        .enrol_with_key(
            &server.person("Zhao Lei", "grid-worker", "g-xinhua-1", None),
            &public_hex(&other_key),
        )
        .await;
    let mut theirs = report(&other, 1_500, "stairwell dark", vec![]);
    let their_link = chain(&mut theirs, GENESIS, None);
    let mut their_seal = report(&other, 1_600, "lamp out", vec![]);
    chain(&mut their_seal, &their_link, Some(&device_key));
    let results = server.push(&other, &[theirs, their_seal]).await;
    assert_eq!(status(&results[0]), ("rejected", "bad_signature"));
    assert_eq!(status(&results[1]), ("rejected", "bad_signature"));
    assert!(server.pull_all(&other).await.is_empty());

    // Sealed by the last record of the push: both stored, and a retry is a duplicate.
    let results = server.push(&device, &[first.clone(), second.clone()]).await;
    assert!(
        results.iter().all(|r| r["status"] == "accepted"),
        "{results:?}"
    );
    let results = server.push(&device, &[first.clone(), second.clone()]).await;
    assert!(
        results.iter().all(|r| r["status"] == "duplicate"),
        "{results:?}"
    );
    let (code, report) = verify(&server);
    assert_eq!((code, problems(&report)), (0, vec![]), "{report}");
    assert_eq!(
        (report["signed"].clone(), report["sealed"].clone()),
        (json!(1), json!(1))
    );

    // Someone with the database file rewrites the sealed, unsigned record: named.
    // (through the test store's SQL, so the city pass edits its PostgreSQL rows).
    let changed = server.sql(
        "UPDATE records SET body = replace(body, 'exit blocked', 'exit clear') WHERE id = ?1",
        &[first["id"].as_str().unwrap()],
    );
    assert_eq!(changed, SqlOutcome::Changed(1));
    let (code, report) = verify(&server);
    assert_eq!(code, 1);
    assert_eq!(
        problems(&report),
        vec![(
            first["id"].as_str().unwrap().to_string(),
            "link_mismatch".to_string()
        )],
        "{report}"
    );
    // ... and its stored link too, to hide it: the seal no longer reaches it.
    let SqlOutcome::Text(edited) = server.sql(
        "SELECT body FROM records WHERE id = ?1",
        &[first["id"].as_str().unwrap()],
    ) else {
        panic!("the edited record's body was not read back");
    };
    let forged_link = chained_link_of(
        "hazard-event",
        first["id"].as_str().unwrap(),
        &serde_json::from_str::<Value>(&edited).unwrap(),
        GENESIS,
    )
    .unwrap();
    let changed = server.sql(
        "UPDATE records SET proof_link = ?2 WHERE id = ?1",
        &[first["id"].as_str().unwrap(), &forged_link],
    );
    assert_eq!(changed, SqlOutcome::Changed(1));
    let (code, report) = verify(&server);
    assert_eq!(code, 1);
    assert!(
        problems(&report).contains(&(
            first["id"].as_str().unwrap().to_string(),
            "unsealed".to_string()
        )),
        "{report}"
    );
    server.stop().await;
}
