//! Upload chunks sized to the link (issue 13 item 3), against a real server through the
//! counting proxy on 127.0.0.1: on a fast link they grow from the smallest chunk to the
//! ceiling, so a photo takes few PATCHes; after a cut connection they start small again,
//! and the photo still arrives byte for byte.

use std::time::Duration;

use gridwalk_core::inspection::InspectionKind;
use gridwalk_core::sync::{self, SyncOptions};
use gridwalk_e2e::*;

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");
const MIN: usize = 8 * 1024;
const MAX: usize = 128 * 1024;

fn options() -> SyncOptions {
    SyncOptions {
        min_chunk_bytes: MIN,
        chunk_bytes: MAX,
        // Loopback confirms a chunk in milliseconds: far under half of this.
        chunk_target: Duration::from_secs(2),
        ..test_options()
    }
}

/// A device with one submitted inspection whose hazard has one phone-sized photo;
/// returns the photo's evidence bytes as stored on the device.
async fn device_with_a_photo(server: &Server, url: &str, seed: u64) -> (Device, Vec<u8>) {
    let device = Device::new("Li Na");
    device
        .enroll(
            url,
            &server.person("Li Na", "grid-worker", "g-xinhua-1", None),
        )
        .await;
    device.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-03", vec![jpeg(seed, 1600, 1200)])],
    );
    let sha = device.photos().into_iter().next().unwrap();
    // Only the photo's chunks are counted here: its thumbnail (which goes first, and
    // teaches the same sizer) is marked as already on the server.
    device.mark_thumbnails_sent();
    let store = device.store();
    let evidence = std::fs::read(store.photo_layout().evidence_path(&sha)).unwrap();
    (device, evidence)
}

fn patches(traffic: &Traffic) -> usize {
    traffic
        .requests
        .iter()
        .filter(|r| r.starts_with("PATCH /v1/blobs/uploads/"))
        .count()
}

/// PATCHes a clean upload of `len` bytes takes when chunks double from MIN to MAX.
fn growing_patches(len: usize) -> usize {
    let (mut size, mut sent, mut n) = (MIN, 0, 0);
    while sent < len {
        sent += size;
        size = (size * 2).min(MAX);
        n += 1;
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunks_grow_on_a_fast_link_so_a_photo_takes_few_round_trips() {
    let server = Server::start(BIN);
    let proxy = Proxy::start(server.addr).await;
    let (device, evidence) = device_with_a_photo(&server, &proxy.url(), 7).await;
    assert!(
        evidence.len() > 4 * MAX,
        "the photo must span several full chunks: {} bytes",
        evidence.len()
    );
    proxy.reset_traffic();
    sync::sync_with(&device.shared(), &options(), None)
        .await
        .unwrap();
    assert!(device.nothing_to_send());
    let sha = sha256(&evidence);
    assert_eq!(server.blob(&sha).as_deref(), Some(evidence.as_slice()));

    let sent = patches(&proxy.traffic());
    let fixed_small = evidence.len().div_ceil(MIN);
    eprintln!(
        "{} bytes in {sent} PATCHes (fixed {MIN}-byte chunks: {fixed_small})",
        evidence.len()
    );
    assert_eq!(sent, growing_patches(evidence.len()));
    assert!(sent * 4 < fixed_small);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_cut_chunks_start_small_again_and_the_photo_arrives_whole() {
    let server = Server::start(BIN);
    let proxy = Proxy::start(server.addr).await;
    let (device, evidence) = device_with_a_photo(&server, &proxy.url(), 8).await;
    proxy.reset_traffic();
    // Every fourth PATCH is cut 3 000 bytes in, three times; then the link heals.
    proxy.set_faults(Faults {
        cut_after_bytes: Some(3_000),
        only: Some("PATCH /v1/blobs".into()),
        every: 4,
        budget: 3,
        ..Faults::default()
    });
    let mut attempts = 0;
    while !device.nothing_to_send() {
        attempts += 1;
        assert!(attempts <= 10, "the upload did not finish in 10 syncs");
        let _ = sync::sync_with(&device.shared(), &options(), None).await;
    }
    assert_eq!(proxy.faults_injected(), 3);
    let sha = sha256(&evidence);
    assert_eq!(server.blob(&sha).as_deref(), Some(evidence.as_slice()));

    // Each cut costs the cut chunk again plus the regrowth from the smallest chunk:
    // at most one PATCH per doubling from MIN to MAX, and the re-sent one.
    let sent = patches(&proxy.traffic());
    let doublings = (MAX / MIN).ilog2() as usize;
    let clean = growing_patches(evidence.len());
    eprintln!(
        "{} bytes in {sent} PATCHes with 3 cuts (clean: {clean})",
        evidence.len()
    );
    assert!(sent > clean, "the cut chunks were sent again");
    assert!(
        sent <= clean + 3 * (doublings + 1),
        "{sent} PATCHes: more than a restart from the smallest chunk per cut explains"
    );
}
