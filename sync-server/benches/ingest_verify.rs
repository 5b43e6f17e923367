//! Ingest with signature verification against without (issues 12 and 13): a real server
//! on 127.0.0.1 with a real SQLite store (the test harness's in-process server) takes
//! pushes of 100 submitted inspections at a time from three grid workers of the same
//! grid: one device enrolled with a public key whose records are each signed and chained
//! (what clients before ADR 12 send: the server verifies every signature), one whose
//! records are chained unsigned and sealed once per push (ADR 12: the server recomputes
//! every link and verifies one seal), and one enrolled without a key, whose identical
//! records go up unsigned (the peer: nothing to verify). Batches rotate between the three
//! so all see the same load and the same growing store. Signing happens before the clock
//! starts. Prints p50 and p90 per batch, the cost per record and the ratios.
//!
//! Run: `cargo bench -p gridwalk-server --bench ingest_verify`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{TestServer, routine};
use gridwalk_model::signing::{GENESIS, chained_link_of, link, seal_message, signed_bytes, to_hex};
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

/// Chains `item` after `prev` unsigned, adding its proof, and seals it with `seal`'s key
/// when given (the last record of a push); returns its link.
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

/// Prints one row of the table: p50, p90 and the p50 cost per record.
fn row(label: &str, p50: Duration, p90: Duration) {
    println!(
        "  {label:<38} {:>10.1} {:>10.1} {:>14.0}",
        ms(p50),
        ms(p90),
        ms(p50) * 1e3 / BATCH as f64
    );
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
    let seal_key = SigningKey::from_slice(&[8; 32]).unwrap();
    let sealing = server
        .enrol_with_key(
            &server.person("Sealer", "grid-worker", "g-xinhua-1", None),
            &to_hex(seal_key.verifying_key().to_encoded_point(false).as_bytes()),
        )
        .await;

    let mut prev = GENESIS.to_string();
    let mut chain_prev = GENESIS.to_string();
    let mut signed_batches = Vec::with_capacity(BATCHES);
    let mut sealed_batches = Vec::with_capacity(BATCHES);
    let mut plain_batches = Vec::with_capacity(BATCHES);
    for _ in 0..BATCHES {
        let mut batch: Vec<Value> = (0..BATCH).map(|_| routine("site-a")).collect();
        for item in &mut batch {
            prev = sign(&key, item, &prev);
        }
        signed_batches.push(batch);
        let mut batch: Vec<Value> = (0..BATCH).map(|_| routine("site-a")).collect();
        let last = batch.len() - 1;
        for (i, item) in batch.iter_mut().enumerate() {
            chain_prev = chain(item, &chain_prev, (i == last).then_some(&seal_key));
        }
        sealed_batches.push(batch);
        plain_batches.push((0..BATCH).map(|_| routine("site-a")).collect::<Vec<_>>());
    }

    let (mut with, mut without, mut sealed) = (Vec::new(), Vec::new(), Vec::new());
    for ((signed, unsigned), chained) in signed_batches
        .iter()
        .zip(&plain_batches)
        .zip(&sealed_batches)
    {
        let started = Instant::now();
        let results = server.push(&sealing, chained).await;
        sealed.push(started.elapsed());
        assert!(
            results.iter().all(|r| r["status"] == "accepted"),
            "{results:?}"
        );

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
    let (s50, s90) = (percentile(&mut sealed, 0.5), percentile(&mut sealed, 0.9));
    println!(
        "server ingest: {BATCHES} pushes of {BATCH} submitted inspections each of three ways, rotating"
    );
    println!(
        "  {:<38} {:>10} {:>10} {:>14}",
        "", "p50 ms", "p90 ms", "per record µs"
    );
    row("unsigned, nothing to verify (peer)", n50, n90);
    row("each signed, verified and chained", w50, w90);
    row("chained, one seal per push (ADR 12)", s50, s90);
    println!(
        "  ratio each-signed/unsigned                 {:>10.2} {:>10.2}",
        ms(w50) / ms(n50),
        ms(w90) / ms(n90)
    );
    println!(
        "  ratio sealed/unsigned                      {:>10.2} {:>10.2}",
        ms(s50) / ms(n50),
        ms(s90) / ms(n90)
    );
    println!(
        "  ratio sealed/each-signed                   {:>10.2} {:>10.2}",
        ms(s50) / ms(w50),
        ms(s90) / ms(w90)
    );
    println!(
        "  verification per record (p50 difference to unsigned): each signed {:.0} µs, sealed {:.0} µs",
        (ms(w50) - ms(n50)) * 1e3 / BATCH as f64,
        (ms(s50) - ms(n50)) * 1e3 / BATCH as f64
    );
    server.stop().await;
}
