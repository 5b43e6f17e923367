//! A village inspector's day over the emulated 2G link (issue 13 item 4), for
//! `docs/BENCHMARKS.md`: the link-emulation test's scenario (20 inspections, 60 photos
//! from a 12 MP camera-like JPEG, 64 kbit/s each way, 500 ms round trip, seeded drops
//! every 30–60 s) with its timeline printed beside the physical limit, the bytes that
//! had to cross divided by 8 KB/s, and the ratio of the two.
//!
//! `cargo bench -p gridwalk-e2e --bench village_link [-- SEED]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gridwalk_e2e::village::{HAZARDS, INSPECTIONS, camera_jpegs, village_day};
use gridwalk_e2e::{LinkShape, Proxy, Server};

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");
/// 64 kbit/s.
const BYTES_PER_SEC: f64 = 8_000.0;

fn main() {
    let seed: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(13);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let photos = camera_jpegs(INSPECTIONS * HAZARDS.len());
    let day = runtime.block_on(async {
        let server = Server::start(BIN);
        let proxy = Proxy::start_shaped(server.addr, LinkShape::village(seed)).await;
        village_day(&server, &proxy, &photos).await
    });
    println!("village link, seed {seed}: timeline (emulated seconds after the first sync)");
    for line in day.lines() {
        println!("  {line}");
    }
    let first = day.thumbnail_bytes as f64 / BYTES_PER_SEC;
    let all = (day.thumbnail_bytes + day.photo_bytes) as f64 / BYTES_PER_SEC;
    let wire = day.wire_up as f64 / BYTES_PER_SEC;
    println!("| phase | gridwalk | physical limit (bytes ÷ 8 KB/s) | ratio |\n|---|---|---|---|");
    println!(
        "| records | {:.0} s | — ({} records) | — |",
        day.records_done, day.records
    );
    println!(
        "| records + thumbnails | {:.0} s | {first:.0} s ({} B of thumbnails) | {:.1}× |",
        day.thumbnails_done,
        day.thumbnail_bytes,
        day.thumbnails_done / first
    );
    println!(
        "| everything | {:.0} s | {all:.0} s ({} B of thumbnails and photos; {} B up on the wire = {wire:.0} s) | {:.2}× |",
        day.complete(),
        day.thumbnail_bytes + day.photo_bytes,
        day.wire_up,
        day.complete() / all
    );
}
