//! Ingest with signature verification against without (issue 12): a real server on
//! 127.0.0.1 with a real SQLite store (the test harness's in-process server) takes
//! pushes of 100 submitted inspections at a time from two grid workers of the same grid:
//! one device enrolled with a public key, whose records are signed and chained (the
//! server verifies each signature and checks the chain link), and one enrolled without,
//! whose identical records go up unsigned (the peer: nothing to verify). Batches
//! alternate between the two so both see the same load and the same growing store.
//! Signing happens before the clock starts. Prints p50 and p90 per batch, the cost per
//! record and the ratio.
//!
//! Run: `cargo bench -p gridwalk-server --bench ingest_verify`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{TestServer, routine};
use gridwalk_model::signing::{GENESIS, link, signed_bytes, to_hex};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};

const BATCHES: usize = 30;
const BATCH: usize = 100;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Signs `item` after `prev`, adding its proof; returns its link.
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

#[tokio::main]
async fn main() {
    let server = TestServer::start().await;
    let key = SigningKey::from_slice(&[7; 32]).unwrap();
    let public = to_hex(key.verifying_key().to_encoded_point(false).as_bytes());
    let signing = server
        .enrol_with_key(
            &server.person("Signer", "grid-worker", "g-xinhua-1", None),
            &public,
        )
        .await;
    let plain = server
        .device("Plain", "grid-worker", "g-xinhua-1", None)
        .await;

    let mut prev = GENESIS.to_string();
    let mut signed_batches = Vec::with_capacity(BATCHES);
    let mut plain_batches = Vec::with_capacity(BATCHES);
    for _ in 0..BATCHES {
        let mut batch: Vec<Value> = (0..BATCH).map(|_| routine("site-a")).collect();
        for item in &mut batch {
            prev = sign(&key, item, &prev);
        }
        signed_batches.push(batch);
        plain_batches.push((0..BATCH).map(|_| routine("site-a")).collect::<Vec<_>>());
    }

    let (mut with, mut without) = (Vec::new(), Vec::new());
    for (signed, unsigned) in signed_batches.iter().zip(&plain_batches) {
        let started = Instant::now();
        let results = server.push(&plain, unsigned).await;
        without.push(started.elapsed());
        assert!(
            results.iter().all(|r| r["status"] == "accepted"),
            "{results:?}"
        );

        let started = Instant::now();
        let results = server.push(&signing, signed).await;
        with.push(started.elapsed());
        assert!(
            results.iter().all(|r| r["status"] == "accepted"),
            "{results:?}"
        );
    }

    let (w50, w90) = (percentile(&mut with, 0.5), percentile(&mut with, 0.9));
    let (n50, n90) = (percentile(&mut without, 0.5), percentile(&mut without, 0.9));
    println!(
        "server ingest: {BATCHES} pushes of {BATCH} submitted inspections each way, alternating"
    );
    println!(
        "  {:<34} {:>10} {:>10} {:>14}",
        "", "p50 ms", "p90 ms", "per record µs"
    );
    println!(
        "  {:<34} {:>10.1} {:>10.1} {:>14.0}",
        "unsigned, nothing to verify (peer)",
        ms(n50),
        ms(n90),
        ms(n50) * 1e3 / BATCH as f64
    );
    println!(
        "  {:<34} {:>10.1} {:>10.1} {:>14.0}",
        "signed, verified and chained",
        ms(w50),
        ms(w90),
        ms(w50) * 1e3 / BATCH as f64
    );
    println!(
        "  ratio verified/unsigned            {:>10.2} {:>10.2}",
        ms(w50) / ms(n50),
        ms(w90) / ms(n90)
    );
    println!(
        "  verification per record (p50 difference) {:>7.0} µs",
        (ms(w50) - ms(n50)) * 1e3 / BATCH as f64
    );
    server.stop().await;
}
