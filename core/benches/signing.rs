//! Signing cost per record (a bench binary, not a timed test).
//!
//! For a submitted inspection as a device pushes it (29 answers, the body that is
//! signed): building its canonical bytes, signing them with the core's software signer
//! (ECDSA P-256, RFC 6979), and verifying the signature as the server does (key parsed
//! from hex each time, as it is read from the database), each against the SHA-256 of
//! the same bytes (the hash the chain link takes anyway) in the same run; then submitting
//! an inspection through the store, where the signature is made inside the commit, to
//! show the signature's share of a submit. Prints p50 per operation and the ratios.
//!
//! Run: `cargo bench -p gridwalk-core --bench signing`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use gridwalk_core::Store;
use gridwalk_core::inspection::{InspectionKind, NewInspection, Outcome};
use gridwalk_core::reference::Site;
use gridwalk_core::signer::{DeviceSigner, SoftwareSigner};
use gridwalk_model::signing::{GENESIS, signed_bytes, to_hex, verify};
use sha2::{Digest, Sha256};

const RUNS: usize = 2_000;
const SUBMITS: usize = 200;

fn p50(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    p50((0..runs)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(f());
            started.elapsed()
        })
        .collect())
}

fn new_inspection() -> NewInspection {
    NewInspection {
        site_id: "S1".into(),
        template_id: None,
        template_version: None,
        kind: InspectionKind::Routine,
        inspector: "bench".into(),
    }
}

/// A store with one site, and an inspection filled in and ready to submit.
fn ready_inspection(store: &mut Store) -> String {
    let id = store.start_inspection(&new_inspection()).unwrap();
    let items: Vec<String> = store
        .checklist(&id)
        .unwrap()
        .categories
        .iter()
        .flat_map(|c| c.entries.iter().map(|e| e.item.code.clone()))
        .collect();
    for item in items {
        store
            .answer(&id, &item, Outcome::Ok, Some("checked, nothing found"))
            .unwrap();
    }
    id
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("bench.db")).unwrap();
    store
        .upsert_sites(&[Site {
            id: "S1".into(),
            name: "Jinjiang Garden".into(),
            kind: "residential".into(),
            unit: "G1".into(),
            address: String::new(),
            lat: None,
            lon: None,
        }])
        .unwrap();

    // One real submitted inspection's body, as it is signed and pushed.
    let id = ready_inspection(&mut store);
    let body = serde_json::to_value(store.inspection(&id).unwrap()).unwrap();
    let signer = SoftwareSigner::generate();
    let public = to_hex(&signer.public_key().unwrap());
    let bytes = signed_bytes("inspection", &id, &body, GENESIS).unwrap();
    let signature = to_hex(&signer.sign(&bytes).unwrap());

    let encode = time(RUNS, || {
        signed_bytes("inspection", &id, &body, GENESIS).unwrap()
    });
    let hash = time(RUNS, || Sha256::digest(&bytes));
    let sign = time(RUNS, || signer.sign(&bytes).unwrap());
    let check = time(RUNS, || verify(&public, &bytes, &signature).unwrap());

    // Submits, each signing its inspection (and nothing else: no hazard) in its commit.
    let ready: Vec<String> = (0..SUBMITS).map(|_| ready_inspection(&mut store)).collect();
    let submit = p50(ready
        .iter()
        .map(|id| {
            let started = Instant::now();
            store.submit(id).unwrap();
            started.elapsed()
        })
        .collect());

    println!(
        "signing one record: a submitted inspection of 29 answers ({} canonical bytes), p50 of {RUNS}",
        bytes.len()
    );
    println!("  {:<40} {:>10}", "", "p50 µs");
    let row = |name: &str, d: Duration| println!("  {name:<40} {:>10.1}", micros(d));
    row("SHA-256 of the canonical bytes (peer)", hash);
    row("canonical bytes (JSON, sorted keys)", encode);
    row("sign (ECDSA P-256, software)", sign);
    row("verify (as the server, key from hex)", check);
    row(
        &format!("Store::submit, signature inside (p50 of {SUBMITS})"),
        submit,
    );
    println!(
        "  ratio sign/SHA-256                 {:>10.1}",
        micros(sign) / micros(hash)
    );
    println!(
        "  ratio verify/SHA-256               {:>10.1}",
        micros(check) / micros(hash)
    );
    println!(
        "  ratio verify/sign                  {:>10.2}",
        micros(check) / micros(sign)
    );
    println!(
        "  share of a submit: encode + sign    {:>9.1}%",
        100.0 * (micros(encode) + micros(sign)) / micros(submit)
    );
}
