//! A day's work over a village's 2G link (issue 13 item 4): the real server on
//! 127.0.0.1 behind the counting proxy emulating 64 kbit/s each way, 250 ms each way
//! and a seeded drop of every connection every 30–60 s, on a clock 25 times faster
//! than real time. 20 inspections and 60 photos from a 12 MP camera-like JPEG reach the
//! server as records plus thumbnails within 4 emulated minutes, and completely
//! afterwards, with no byte of any upload sent more than twice. Prints the timeline.

use gridwalk_e2e::village::{HAZARDS, INSPECTIONS, camera_jpegs, village_day};
use gridwalk_e2e::*;

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_days_work_reaches_the_server_records_and_thumbnails_first_over_a_2g_link() {
    let started = std::time::Instant::now();
    let photos = camera_jpegs(INSPECTIONS * HAZARDS.len());
    println!(
        "{} camera files of {} bytes made in {:.1} s",
        photos.len(),
        photos[0].len(),
        started.elapsed().as_secs_f64()
    );
    let server = Server::start(BIN);
    let proxy = Proxy::start_shaped(server.addr, LinkShape::village(13)).await;
    let day = village_day(&server, &proxy, &photos).await;
    for line in day.lines() {
        println!("{line}");
    }
    assert!(
        !day.drops.is_empty(),
        "the link must have dropped at least once: {:?}",
        day.drops
    );
    assert!(day.records_done <= day.thumbnails_done);
    // The 4-minute target is the link's (issue 13 item 4), measured on the embedded
    // server. On the city pass the server's own time (every chunk a LIST and a PUT to
    // the object store, on the same 2 cores) is stretched 25× by the emulated clock
    // too, so there the test checks what arrives and how often, not the time.
    if server.is_city() {
        println!(
            "city backend: records and thumbnails took {:.1} emulated s; the 240 s target \
             is checked on the embedded pass",
            day.thumbnails_done
        );
    } else {
        assert!(
            day.thumbnails_done <= 240.0,
            "records and thumbnails took {:.1} emulated seconds",
            day.thumbnails_done
        );
    }
    assert_eq!(
        day.photos_done.len(),
        photos.len(),
        "every full photo arrived"
    );
    assert!(
        day.photos_done.iter().all(|(_, t)| *t >= day.records_done),
        "no full photo before the records"
    );
    assert!(
        day.max_sends_of_a_byte <= 2,
        "a byte range was sent {} times",
        day.max_sends_of_a_byte
    );
    // Everything stored is what the device holds, byte for byte.
    for (sha, _) in &day.photos_done {
        assert_eq!(&sha256(&server.blob(sha).unwrap()), sha);
    }
}
