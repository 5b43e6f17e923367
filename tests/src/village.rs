//! A village inspector's day over the emulated 2G link (issue 13 item 4), shared by the
//! link-emulation test and its benchmark: 20 submitted inspections with 3 hazards each,
//! every hazard photographed with a 12 MP camera-like JPEG (60 photos, ingested as on
//! the phone), synced through [`crate::Proxy::start_shaped`] until nothing is left to
//! send, while the server's database is watched for when the records, the thumbnails
//! and each full photo arrived.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gridwalk_core::inspection::InspectionKind;
use gridwalk_core::sync::{self, SyncOptions};

use crate::{DbReader, Device, Proxy, Server, TusRange, test_options};

/// Inspections in the day's work.
pub const INSPECTIONS: usize = 20;
/// Hazards (each with one photo) per inspection.
pub const HAZARDS: [&str; 3] = ["fire-01", "fire-02", "fire-03"];

/// When each part of the day's work reached the server, in emulated seconds after the
/// first sync started, and what it cost.
#[derive(Debug, Clone)]
pub struct DayTimeline {
    /// Every record (inspections and hazard reports) stored on the server.
    pub records_done: f64,
    /// Every photo's thumbnail stored and linked.
    pub thumbnails_done: f64,
    /// Each full photo stored, in the order they arrived: `(sha256, seconds)`.
    pub photos_done: Vec<(String, f64)>,
    /// Records on the server.
    pub records: usize,
    /// Bytes of the thumbnails sent.
    pub thumbnail_bytes: u64,
    /// Bytes of the evidence files sent.
    pub photo_bytes: u64,
    /// Bytes that crossed the link, up and down, HTTP headers included.
    pub wire_up: u64,
    /// Bytes down.
    pub wire_down: u64,
    /// When the link dropped every connection (emulated seconds since the first sync).
    pub drops: Vec<f64>,
    /// Syncs run (failed ones included).
    pub syncs: u32,
    /// The most times any byte of any blob crossed the link.
    pub max_sends_of_a_byte: u32,
    /// Real time the syncs took.
    pub wall: Duration,
}

impl DayTimeline {
    /// When the last full photo arrived.
    pub fn complete(&self) -> f64 {
        self.photos_done.iter().map(|(_, t)| *t).fold(0.0, f64::max)
    }

    /// The timeline, one line per event, for the test's and the benchmark's output.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![
            format!(
                "{:>8.1} s  records done ({} records)",
                self.records_done, self.records
            ),
            format!(
                "{:>8.1} s  thumbnails done ({} thumbnails, {} bytes)",
                self.thumbnails_done,
                self.photos_done.len(),
                self.thumbnail_bytes
            ),
        ];
        for (i, (sha, t)) in self.photos_done.iter().enumerate() {
            out.push(format!(
                "{t:>8.1} s  photo {:>2} done ({})",
                i + 1,
                &sha[..12]
            ));
        }
        out.push(format!(
            "drops at {:?} s; {} syncs; {} bytes up, {} down; no byte sent more than {}×; {:.1} s wall",
            self.drops.iter().map(|d| d.round() as i64).collect::<Vec<_>>(),
            self.syncs,
            self.wire_up,
            self.wire_down,
            self.max_sends_of_a_byte,
            self.wall.as_secs_f64()
        ));
        out
    }
}

/// A 12 MP camera-like JPEG (4032×3024, 4:2:0, quality 92), different for every seed:
/// lit walls and floor as smooth gradients, hard-edged objects, fine texture and sensor
/// noise, so that it costs what a real photo costs to decode and shrinks to a
/// realistic evidence file.
pub fn camera_jpeg(seed: u64) -> Vec<u8> {
    const W: usize = 4032;
    const H: usize = 3024;
    let mut rng = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(0x2545_F491_4F6C_DD1D);
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    // Objects: rectangles of their own colour and texture.
    let objects: Vec<(usize, usize, usize, usize, [i32; 3], i32)> = (0..40)
        .map(|_| {
            let (x, y) = ((next() % W as u64) as usize, (next() % H as u64) as usize);
            let (w, h) = ((next() % 900 + 60) as usize, (next() % 700 + 60) as usize);
            let colour = [
                (next() % 200 + 30) as i32,
                (next() % 200 + 30) as i32,
                (next() % 200 + 30) as i32,
            ];
            (x, y, w, h, colour, (next() % 7 + 2) as i32)
        })
        .collect();
    let horizon = H * 2 / 5 + (next() % 400) as usize;
    let mut pixels = vec![0u8; W * H * 3];
    for y in 0..H {
        for x in 0..W {
            let mut c = if y < horizon {
                let v = 140 + (y * 60 / horizon) as i32;
                [v + 20, v + 10, v - 10]
            } else {
                let v = 90 + ((y - horizon) * 70 / (H - horizon)) as i32;
                [v, v - 5, v - 15]
            };
            for &(ox, oy, ow, oh, colour, stripe) in &objects {
                if x >= ox && x < ox + ow && y >= oy && y < oy + oh {
                    let t = if ((x + y) / stripe as usize).is_multiple_of(2) {
                        12
                    } else {
                        -12
                    };
                    c = [colour[0] + t, colour[1] + t, colour[2] + t];
                }
            }
            let noise = (next() % 9) as i32 - 4;
            let at = (y * W + x) * 3;
            for k in 0..3 {
                pixels[at + k] = (c[k] + noise).clamp(0, 255) as u8;
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 92);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    // One restart interval per MCU row (16 pixels), as some cameras write.
    encoder.set_restart_interval((W / 16) as u16);
    encoder
        .encode(&pixels, W as u16, H as u16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// `count` distinct camera files from two [`camera_jpeg`]s: each is the first scene
/// with one 16-pixel strip (one restart interval, an MCU row) taken from the second, so
/// every copy is a whole, valid 12 MP JPEG that decodes to its own pixels (and so to
/// its own evidence photo) at the cost of a real one. Encoding 60 12 MP JPEGs would
/// take minutes in a debug build; this takes two encodes.
pub fn camera_jpegs(count: usize) -> Vec<Vec<u8>> {
    let (a, b) = (camera_jpeg(1), camera_jpeg(2));
    let (head_a, rows_a, tail) = split_intervals(&a);
    let (head_b, rows_b, _) = split_intervals(&b);
    assert_eq!(head_a, head_b, "both scenes are encoded alike");
    assert!(count <= rows_a.len(), "one strip per copy");
    let step = rows_a.len() / count.max(1);
    (0..count)
        .map(|i| {
            let mut copy = head_a.to_vec();
            for (row, interval) in rows_a.iter().enumerate() {
                copy.extend_from_slice(if row == i * step {
                    rows_b[row]
                } else {
                    interval
                });
            }
            copy.extend_from_slice(tail);
            copy
        })
        .collect()
}

/// A baseline JPEG with restart markers split into everything up to its scan data,
/// each restart interval (with the marker that ends it), and the end marker.
fn split_intervals(jpeg: &[u8]) -> (&[u8], Vec<&[u8]>, &[u8]) {
    let sos = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xDA])
        .expect("a scan");
    let len = usize::from(jpeg[sos + 2]) << 8 | usize::from(jpeg[sos + 3]);
    let data = sos + 2 + len;
    let end = jpeg.len() - 2;
    assert_eq!(&jpeg[end..], [0xFF, 0xD9], "ends with EOI");
    let mut intervals = Vec::new();
    let mut start = data;
    let mut i = data;
    while i + 1 < end {
        // Inside scan data a 0xFF is followed by 0x00 (stuffing) or by a marker.
        if jpeg[i] == 0xFF && (0xD0..=0xD7).contains(&jpeg[i + 1]) {
            intervals.push(&jpeg[start..i + 2]);
            start = i + 2;
            i += 2;
        } else {
            i += 1;
        }
    }
    intervals.push(&jpeg[start..end]);
    (&jpeg[..data], intervals, &jpeg[end..])
}

/// The most times any byte of any one blob was delivered, from the link's tus ranges
/// (ranges of uploads whose creation was not seen count under their upload's id).
pub fn max_sends_of_a_byte(ranges: &[TusRange]) -> u32 {
    let mut by_blob: BTreeMap<String, Vec<(u64, i32)>> = BTreeMap::new();
    for r in ranges {
        let key = r.sha256.clone().unwrap_or_else(|| r.upload.clone());
        let edges = by_blob.entry(key).or_default();
        edges.push((r.offset, 1));
        edges.push((r.offset + r.len, -1));
    }
    let mut most = 0;
    for edges in by_blob.values_mut() {
        // Ends before starts at the same offset: touching ranges do not overlap.
        edges.sort();
        let mut depth = 0i32;
        for &(_, step) in edges.iter() {
            depth += step;
            most = most.max(depth);
        }
    }
    most as u32
}

/// Records the day's work on a fresh device enrolled through `proxy` (a shaped one),
/// then syncs it until nothing is left to send, watching the server. `photos` are the
/// camera files, one per hazard (`INSPECTIONS × HAZARDS.len()`).
pub async fn village_day(server: &Server, proxy: &Proxy, photos: &[Vec<u8>]) -> DayTimeline {
    assert_eq!(photos.len(), INSPECTIONS * HAZARDS.len());
    let device = Device::new("Li Na");
    device
        .enroll(
            &proxy.url(),
            &server.person("Li Na", "grid-worker", "g-xinhua-1", None),
        )
        .await;
    let recording = Instant::now();
    let mut files = photos.iter();
    for _ in 0..INSPECTIONS {
        let hazards: Vec<(&str, Vec<Vec<u8>>)> = HAZARDS
            .iter()
            .map(|item| (*item, vec![files.next().unwrap().clone()]))
            .collect();
        device.inspect("site-a", InspectionKind::Routine, &hazards);
    }
    eprintln!(
        "{INSPECTIONS} inspections with {} photos recorded in {:.1} s",
        photos.len(),
        recording.elapsed().as_secs_f64()
    );
    let shas = device.photos();
    assert_eq!(shas.len(), photos.len(), "every photo is distinct");
    let (thumbnail_bytes, photo_bytes) = {
        let store = device.store();
        let layout = store.photo_layout();
        shas.iter().fold((0, 0), |(t, p), sha| {
            let len = |path: std::path::PathBuf| std::fs::metadata(path).unwrap().len();
            (
                t + len(layout.thumbnail_path(sha)),
                p + len(layout.evidence_path(sha)),
            )
        })
    };
    let expected_records = device.recorded_ids().len();

    let clock = proxy.clock();
    // A phone's batches and chunk sizes, with the tests' quick retries.
    let options = SyncOptions {
        retry: test_options().retry,
        // Two emulated seconds per chunk, on the real clock the sizer measures.
        chunk_target: clock.real(2.0),
        ..SyncOptions::default()
    };
    proxy.reset_traffic();
    let t0 = clock.secs();
    let drops_before = proxy.drops().len();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (stop, database) = (stop.clone(), server.database());
        let shas = shas.clone();
        std::thread::spawn(move || {
            let (mut records_done, mut thumbnails_done) = (None, None);
            let mut photos_done: Vec<(String, f64)> = Vec::new();
            let mut seen = BTreeSet::new();
            let mut db = DbReader::open(&database);
            loop {
                // Read before the last look, so the last look sees the final state.
                let finished = stop.load(Ordering::SeqCst);
                let now = clock.secs() - t0;
                let mut count = |table: &str| -> usize {
                    db.query(&format!("SELECT CAST(count(*) AS TEXT) FROM {table}"), &[])
                        .first()
                        .and_then(|row| row.first())
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0)
                };
                if records_done.is_none() && count("records") >= expected_records {
                    records_done = Some(now);
                }
                if thumbnails_done.is_none() && count("thumbnails") >= shas.len() {
                    thumbnails_done = Some(now);
                }
                let stored = db.query("SELECT sha256 FROM blob_uploaders", &[]);
                for sha in stored.into_iter().flatten() {
                    if shas.contains(&sha) && seen.insert(sha.clone()) {
                        photos_done.push((sha, now));
                    }
                }
                if finished {
                    return (records_done, thumbnails_done, photos_done);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let started = Instant::now();
    let mut syncs = 0u32;
    while !device.nothing_to_send() {
        syncs += 1;
        assert!(
            syncs <= 300,
            "the day's work did not reach the server in 300 syncs"
        );
        if let Err(e) = sync::sync_with(&device.shared(), &options, None).await {
            eprintln!("{:>8.1} s  sync {syncs} ended: {e}", clock.secs() - t0);
        }
    }
    let wall = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let (records_done, thumbnails_done, photos_done) = watcher.join().unwrap();
    let traffic = proxy.traffic();
    DayTimeline {
        records_done: records_done.expect("the records arrived"),
        thumbnails_done: thumbnails_done.expect("the thumbnails arrived"),
        photos_done,
        records: expected_records,
        thumbnail_bytes,
        photo_bytes,
        wire_up: traffic.up,
        wire_down: traffic.down,
        drops: proxy.drops()[drops_before..]
            .iter()
            .map(|d| d - t0)
            .collect(),
        syncs,
        max_sends_of_a_byte: max_sends_of_a_byte(&proxy.tus_ranges()),
        wall,
    }
}
