//! City load benchmark (issue 14 item 7), for `docs/BENCHMARKS.md`: the embedded backend
//! (one `gridwalk-server` process, SQLite + files) and the city backend (two replicas on
//! one PostgreSQL and one SeaweedFS bucket) measured in the same run, each device with
//! its own enrolled token and signing key:
//!
//! 1. inspections per second accepted with 1, 8, 32 and 128 concurrent devices, and the
//!    p50/p99 latency of a push: one real `POST /v2/sync` carrying one signed 29-item
//!    inspection with 3 hazards (the inspection, its 3 `reported` events and its 3 photo
//!    records, as the core recorded and signed them, compacted and zstd-compressed with
//!    the model's wire code as the client sends them); on the city backend every
//!    device alternates between the two replicas request by request;
//! 2. hazard workflow events per second pushed by desk devices (community staff), a
//!    case of 20 events per request;
//! 3. 300 devices syncing a day's work with photos at once through the core's client
//!    (records, then real JPEG thumbnails and full photos over tus), half on each
//!    replica: wall time, errors (must be 0), and the peak RSS of each server process
//!    (`VmHWM`, over the whole run).
//!
//! The peer named in the table is ODK Central's published 41 submissions/s; city is
//! also compared with embedded, and with its database floor: PostgreSQL alone storing
//! the same inspections on the server's schema, with nothing of the server around it
//! (`city_load/database_floor.rs`), at the same devices and pushes. The load generator runs in this process on the same
//! machine (2 cores), so every figure includes its share of the CPU.
//!
//! Run it under `scripts/with-test-postgres scripts/with-test-seaweedfs` for both
//! backends; without `GRIDWALK_TEST_DATABASE` and `GRIDWALK_TEST_BLOBS` it measures the
//! embedded backend only and says so:
//!
//! `scripts/with-test-postgres scripts/with-test-seaweedfs cargo bench -p gridwalk-e2e --bench city_load`
//!
//! Sizes: `CITY_LOAD_SCALE` (default 1.0) scales the pushes per level and the desk
//! cases; `CITY_LOAD_DAY_DEVICES` (300) and `CITY_LOAD_DAY_INSPECTIONS` (20) size the
//! day's-work phase. A smoke run: `CITY_LOAD_SCALE=0.05 CITY_LOAD_DAY_DEVICES=4
//! CITY_LOAD_DAY_INSPECTIONS=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gridwalk_core::hazard::{HazardReport, Payload, ReportSource};
use gridwalk_core::inspection::InspectionKind;
use gridwalk_core::model::protocol::{ItemStatus, PushItem};
use gridwalk_core::model::signing;
use gridwalk_core::model::wire::{self, SyncRequest, SyncResponse, codec};
use gridwalk_core::sync::{self, SyncOptions};
use gridwalk_core::{SharedStore, Store};
use gridwalk_e2e::{Backend, Server, inspect_on, jpeg};
use gridwalk_server::admin;
use gridwalk_server::storage::{Database, RecordStore};

#[path = "city_load/database_floor.rs"]
mod database_floor;

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");
/// The hazards of every inspection (one photo each).
const HAZARDS: [&str; 3] = ["fire-02", "facilities-01", "traffic-01"];
/// Concurrent devices of the push levels.
const LEVELS: [usize; 4] = [1, 8, 32, 128];
/// Pushes per device at each level, at scale 1.
const PUSHES_PER_DEVICE: [usize; 4] = [200, 50, 20, 16];
/// Records of one pushed inspection: itself, 3 `reported` events, 3 photo records.
const RECORDS_PER_PUSH: usize = 7;
/// Desk devices recording workflow events at once.
const DESKS: usize = 8;
/// Cases per desk device at scale 1.
const CASES_PER_DESK: usize = 40;
/// Events per case (a report and 19 remarks), all pushed in one request.
const EVENTS_PER_CASE: usize = 20;
/// ODK Central's published sustained submission rate (issue 14).
const ODK_CENTRAL_PER_S: f64 = 41.0;

/// The run's sizes, from the environment.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    pushes: [usize; 4],
    cases_per_desk: usize,
    day_devices: usize,
    day_inspections: usize,
}

impl Sizes {
    fn from_env() -> Sizes {
        let var = |name: &str| std::env::var(name).ok();
        let scale: f64 = var("CITY_LOAD_SCALE")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1.0);
        let scaled = |n: usize| ((n as f64 * scale).round() as usize).max(2);
        Sizes {
            pushes: PUSHES_PER_DEVICE.map(scaled),
            cases_per_desk: scaled(CASES_PER_DESK),
            day_devices: var("CITY_LOAD_DAY_DEVICES")
                .and_then(|v| v.parse().ok())
                .unwrap_or(300),
            day_inspections: var("CITY_LOAD_DAY_INSPECTIONS")
                .and_then(|v| v.parse().ok())
                .unwrap_or(20),
        }
    }

    /// Grids (one site each): one per push device, then one per day device.
    fn grids(&self) -> usize {
        LEVELS[3] + self.day_devices
    }
}

/// A district of `grids` grids under one community, a residential site in each.
fn write_district(dir: &Path, grids: usize) -> (PathBuf, PathBuf) {
    let units = dir.join("units.csv");
    let sites = dir.join("sites.csv");
    let mut u = String::from(
        "id,name,level,parent\nd,District,district,\ns,Street,street,d\nc,Community,community,s\n",
    );
    let mut s = String::from("id,name,kind,unit,address,lat,lon\n");
    for g in 0..grids {
        u.push_str(&format!("g{g},Grid {g},grid,c\n"));
        s.push_str(&format!("v{g},Compound {g},residential,g{g},Lane {g},,\n"));
    }
    std::fs::write(&units, u).unwrap();
    std::fs::write(&sites, s).unwrap();
    (units, sites)
}

/// One backend's server processes; replicas are dropped before the first, which owns
/// the scratch database.
struct Stack {
    name: &'static str,
    replicas: Vec<Server>,
    first: Server,
}

impl Stack {
    fn start(backend: Backend, units: &Path, sites: &Path) -> Stack {
        let first = Server::start_district(BIN, backend, units, sites);
        let (name, replicas) = if first.is_city() {
            (
                "city: 2 replicas, PostgreSQL + SeaweedFS",
                vec![first.replica()],
            )
        } else {
            ("embedded: 1 process, SQLite + files", Vec::new())
        };
        Stack {
            name,
            replicas,
            first,
        }
    }

    fn servers(&self) -> impl Iterator<Item = &Server> {
        std::iter::once(&self.first).chain(&self.replicas)
    }

    /// Every process's URL; devices go round them.
    fn urls(&self) -> Vec<String> {
        self.servers().map(Server::url).collect()
    }

    /// Each process's peak resident set so far, in MiB (`VmHWM`).
    fn peak_rss_mib(&self) -> Vec<f64> {
        self.servers()
            .map(|s| {
                let status =
                    std::fs::read_to_string(format!("/proc/{}/status", s.pid().unwrap())).unwrap();
                let kib: f64 = status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                    .unwrap();
                kib / 1024.0
            })
            .collect()
    }
}

/// A device's enrolment: a new person, enrolled through the core's client.
fn enrol(
    admin_store: &dyn RecordStore,
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    url: &str,
    name: &str,
    role: &str,
    unit: &str,
) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let db = dir.join("gridwalk.db");
    let code = admin::add_person(admin_store, name, role, unit, None)
        .unwrap()
        .enrolment_code;
    rt.block_on(sync::enroll(&SharedStore::open(&db).unwrap(), url, &code))
        .unwrap();
    db
}

/// Records one submitted inspection at `site`: every item `ok` but the three hazards,
/// each with one of `photos`.
fn record_inspection(store: &mut Store, site: &str, photos: &[PathBuf]) {
    let hazards: Vec<(&str, Vec<PathBuf>)> = HAZARDS
        .iter()
        .zip(photos)
        .map(|(item, photo)| (*item, vec![photo.clone()]))
        .collect();
    inspect_on(store, site, InspectionKind::Routine, &hazards);
}

/// A `/v2/sync` body of `items`, as the core's client encodes it.
fn sync_body(items: Vec<PushItem>, store: &Store) -> Vec<u8> {
    let json = sync_json(items, store);
    codec::compress(&json, wire::CURRENT_DICTIONARY, codec::Effort::Thorough).unwrap()
}

/// The JSON of a `/v2/sync` body of `items`, before compression.
fn sync_json(items: Vec<PushItem>, store: &Store) -> Vec<u8> {
    let templates = store.all_templates().unwrap();
    let request = SyncRequest {
        items: wire::compact_items(items, &templates),
    };
    serde_json::to_vec(&request).unwrap()
}

/// What compressing one body costs at one [`codec::Effort`].
struct EffortCost {
    /// Which bodies: one inspection's push, or 16 inspections' (the size of a busy
    /// answer page).
    bodies: &'static str,
    json_bytes: usize,
    thorough: (usize, Duration),
    quick: (usize, Duration),
}

/// Compressed bytes and time per body at each effort, in this process, over the device
/// `db`'s recorded inspections: each one's 7 records alone, and 16 at a time. Answers
/// carry the same compact records, so the second row stands for a busy answer page.
fn compression_effort(db: &Path) -> Vec<EffortCost> {
    let mut store = Store::open(db).unwrap();
    let (items, _) = outbox_after(&mut store, 0);
    let bodies = |per: usize| -> Vec<Vec<u8>> {
        items
            .chunks(RECORDS_PER_PUSH * per)
            .filter(|c| c.len() == RECORDS_PER_PUSH * per)
            .map(|c| sync_json(c.to_vec(), &store))
            .collect()
    };
    let cost = |bodies: &[Vec<u8>], effort| {
        let started = Instant::now();
        let bytes: usize = bodies
            .iter()
            .map(|b| {
                codec::compress(b, wire::CURRENT_DICTIONARY, effort)
                    .unwrap()
                    .len()
            })
            .sum();
        let n = bodies.len().max(1);
        (bytes / n, started.elapsed() / n as u32)
    };
    [("one inspection", 1), ("16 inspections", 16)]
        .into_iter()
        .map(|(name, per)| {
            let bodies = bodies(per);
            // Once untimed, so each effort's dictionary is prepared before the clock.
            cost(&bodies[..1.min(bodies.len())], codec::Effort::Thorough);
            cost(&bodies[..1.min(bodies.len())], codec::Effort::Quick);
            EffortCost {
                bodies: name,
                json_bytes: bodies.iter().map(Vec::len).sum::<usize>() / bodies.len().max(1),
                thorough: cost(&bodies, codec::Effort::Thorough),
                quick: cost(&bodies, codec::Effort::Quick),
            }
        })
        .collect()
}

/// The outbox records after `after`, sealed as the client seals one push (ADR 12: the
/// last record signs the chain before it), as the client pushes them; and the last
/// outbox sequence number.
fn outbox_after(store: &mut Store, after: i64) -> (Vec<PushItem>, i64) {
    let entries = store.outbox_batch(after, u32::MAX, 3).unwrap();
    let last = entries.last().map_or(after, |e| e.seq);
    let seqs: Vec<i64> = entries.iter().map(|e| e.seq).collect();
    store.seal_push(&seqs).unwrap();
    let items = entries
        .into_iter()
        .map(|e| {
            let (body, proof) = store.signed_record(e.seq).unwrap().unwrap();
            PushItem {
                id: e.record_id,
                kind: e.kind,
                body,
                proof: Some(proof),
            }
        })
        .collect();
    (items, last)
}

/// A device of the push or events phase: its token, its prepared request bodies (each
/// with its record count) in recording order, and its pull cursor.
struct Pusher {
    token: String,
    bodies: VecDeque<(Vec<u8>, usize)>,
    cursor: String,
    /// Which server this device starts on.
    first_server: usize,
}

/// Records `n` inspections on the grid worker's device `db` at `site`, one body each.
fn prepare_inspections(db: &Path, site: &str, n: usize, seed: u64) -> VecDeque<(Vec<u8>, usize)> {
    let dir = db.parent().unwrap().join("camera");
    std::fs::create_dir_all(&dir).unwrap();
    let mut store = Store::open(db).unwrap();
    let (_, mut after) = outbox_after(&mut store, 0);
    let mut bodies = VecDeque::with_capacity(n);
    for k in 0..n {
        let photos: Vec<PathBuf> = (0..HAZARDS.len())
            .map(|p| {
                let f = dir.join(format!("p{k}-{p}.jpg"));
                let seed = seed * 1_000_000 + (k * HAZARDS.len() + p) as u64;
                std::fs::write(&f, jpeg(seed, 64, 48)).unwrap();
                f
            })
            .collect();
        record_inspection(&mut store, site, &photos);
        let (items, last) = outbox_after(&mut store, after);
        after = last;
        assert_eq!(items.len(), RECORDS_PER_PUSH, "one inspection's records");
        bodies.push_back((sync_body(items, &store), RECORDS_PER_PUSH));
    }
    bodies
}

/// Records `cases` cases of [`EVENTS_PER_CASE`] events on the desk device `db`, in
/// grids from `grid` on; one body per case.
fn prepare_cases(db: &Path, grid: usize, cases: usize) -> VecDeque<(Vec<u8>, usize)> {
    let mut store = Store::open(db).unwrap();
    let (_, mut after) = outbox_after(&mut store, 0);
    let mut bodies = VecDeque::with_capacity(cases);
    for k in 0..cases {
        let g = grid + k % 8;
        let opened = store
            .open_case(HazardReport {
                source: ReportSource::Hotline,
                category: "fire".into(),
                item: Some("fire-01".into()),
                severity: gridwalk_core::checklist::Severity::Medium,
                unit: format!("g{g}"),
                site_id: Some(format!("v{g}")),
                description: "reported by a resident on the hotline".into(),
                photos: vec![],
                suggested_department: None,
            })
            .unwrap();
        for i in 1..EVENTS_PER_CASE {
            store
                .act(
                    &opened.case_id,
                    Payload::Comment {
                        text: format!("progress remark {i} from the community office"),
                    },
                )
                .unwrap();
        }
        let (items, last) = outbox_after(&mut store, after);
        after = last;
        assert_eq!(items.len(), EVENTS_PER_CASE, "one case's events");
        bodies.push_back((sync_body(items, &store), EVENTS_PER_CASE));
    }
    bodies
}

/// How long the server's seal check takes per push, in this process: each record's
/// chained link recomputed from its body (`gridwalk_model::signing`, what
/// `proofs::seal_request` runs) and the one ECDSA P-256 verification of the seal (ADR 12),
/// over one recorded inspection's 7 records on the device `db`, repeated.
fn signature_check_cost(db: &Path) -> Duration {
    let mut store = Store::open(db).unwrap();
    let key = store.signing_public_key().unwrap();
    let (items, _) = outbox_after(&mut store, 0);
    let items = &items[..RECORDS_PER_PUSH];
    const ROUNDS: u32 = 100;
    let started = Instant::now();
    for _ in 0..ROUNDS {
        let mut link = String::new();
        for item in items {
            let proof = item.proof.as_ref().unwrap();
            link = signing::chained_link_of(&item.kind, &item.id, &item.body, &proof.prev).unwrap();
        }
        let seal = items[RECORDS_PER_PUSH - 1].proof.as_ref().unwrap();
        let signature = seal
            .signature
            .as_deref()
            .expect("the push's last record is sealed");
        signing::verify(&key, &signing::seal_message(&link), signature).unwrap();
    }
    started.elapsed() / ROUNDS
}

/// Runs `work` over `jobs` on both cores; results in the jobs' order.
fn in_parallel<J: Sync, R: Send>(jobs: &[J], work: impl Fn(&J) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<R>>> =
        jobs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(job) = jobs.get(i) else { break };
                    *results[i].lock().unwrap() = Some(work(job));
                }
            });
        }
    });
    results
        .into_iter()
        .map(|r| r.into_inner().unwrap().unwrap())
        .collect()
}

/// What one request brought back.
enum Answer {
    /// Records accepted of those sent; the cursor after the page; whether more waits.
    Ok {
        accepted: usize,
        cursor: String,
        more: bool,
    },
    /// A transport error, a status other than 200, an unreadable answer.
    Failed(String),
}

/// One `/v2/sync` request: `body` pushed (if any), the page after `cursor` pulled.
async fn exchange(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    cursor: &str,
    body: Option<&[u8]>,
) -> Answer {
    let target = format!("{url}{}", wire::SYNC);
    let mut request = match body {
        Some(b) => http.post(&target).body(b.to_vec()),
        None => http.get(&target),
    };
    if !cursor.is_empty() {
        request = request.query(&[(wire::CURSOR, cursor)]);
    }
    let response = match request
        .header(wire::DICTIONARY_HEADER, wire::CURRENT_DICTIONARY)
        .bearer_auth(token)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => return Answer::Failed(format!("transport: {e}")),
    };
    let status = response.status();
    let compressed = response.headers().contains_key(wire::DICTIONARY_HEADER);
    let bytes = match response.bytes().await {
        Ok(b) => b,
        Err(e) => return Answer::Failed(format!("answer: {e}")),
    };
    if status != 200 {
        return Answer::Failed(format!("{status}: {}", String::from_utf8_lossy(&bytes)));
    }
    let json = if compressed {
        match codec::decompress(&bytes, wire::CURRENT_DICTIONARY, 64 * 1024 * 1024) {
            Ok(j) => j,
            Err(e) => return Answer::Failed(format!("zstd: {e}")),
        }
    } else {
        bytes.to_vec()
    };
    match serde_json::from_slice::<SyncResponse>(&json) {
        Ok(answer) => {
            let accepted = answer
                .results
                .iter()
                .filter(|r| r.status == ItemStatus::Accepted)
                .count();
            if let Some(refused) = answer
                .results
                .iter()
                .find(|r| r.status != ItemStatus::Accepted)
            {
                return Answer::Failed(format!("not accepted: {refused:?}"));
            }
            Answer::Ok {
                accepted,
                cursor: answer.cursor,
                more: answer.has_more,
            }
        }
        Err(e) => Answer::Failed(format!("json: {e}")),
    }
}

/// A device's HTTP client: its own connections, as a phone has.
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// Pulls until the device's cursor is at the end of what it may read (not measured).
async fn catch_up(pusher: &mut Pusher, urls: &[String]) {
    let http = http();
    for _ in 0..10_000 {
        match exchange(
            &http,
            &urls[pusher.first_server],
            &pusher.token,
            &pusher.cursor,
            None,
        )
        .await
        {
            Answer::Ok { cursor, more, .. } => {
                pusher.cursor = cursor;
                if !more {
                    return;
                }
            }
            Answer::Failed(e) => panic!("catching up: {e}"),
        }
    }
    panic!("catching up did not end");
}

/// One measured phase: requests, latencies, records accepted, errors, wall time, and
/// the CPU the machine spent on it.
#[derive(Default)]
struct Phase {
    latencies: Vec<Duration>,
    records: usize,
    requests: usize,
    errors: Vec<String>,
    wall: Duration,
    cpu: CpuSplit,
}

/// CPU seconds spent, split by who spent them: this process (the load generator), the
/// `gridwalk-server` processes, and everything else on the machine (PostgreSQL,
/// SeaweedFS, the kernel's share not charged to a process). Read from `/proc` in clock
/// ticks, which Linux reports at a fixed 100 per second to user space (`USER_HZ`).
#[derive(Default, Clone, Copy, Debug)]
struct CpuSplit {
    load_generator: f64,
    servers: f64,
    rest: f64,
}

/// Fixed by Linux for `/proc/stat` and `/proc/PID/stat`.
const USER_HZ: f64 = 100.0;

/// utime + stime of `/proc/{pid}/stat`, in seconds.
fn process_cpu(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name may hold spaces; the fields after its closing parenthesis are
    // space separated, utime and stime being the 12th and 13th of them.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (tick(11) + tick(12)) / USER_HZ
}

/// Busy CPU seconds of the whole machine so far (every field of `/proc/stat`'s `cpu`
/// line but idle and iowait).
fn machine_busy_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: f64 = ticks.iter().take(8).sum();
    let idle = ticks.get(3).copied().unwrap_or(0.0) + ticks.get(4).copied().unwrap_or(0.0);
    (total - idle) / USER_HZ
}

/// A reading of the three CPU counters, to subtract from a later one.
#[derive(Clone, Copy)]
struct CpuMark {
    machine: f64,
    load_generator: f64,
    servers: f64,
}

impl CpuMark {
    fn now(stack: &Stack) -> CpuMark {
        CpuMark {
            machine: machine_busy_cpu(),
            load_generator: process_cpu("self"),
            servers: stack
                .servers()
                .map(|s| process_cpu(&s.pid().unwrap().to_string()))
                .sum(),
        }
    }

    fn since(self, start: CpuMark) -> CpuSplit {
        let load_generator = self.load_generator - start.load_generator;
        let servers = self.servers - start.servers;
        CpuSplit {
            load_generator,
            servers,
            rest: (self.machine - start.machine - load_generator - servers).max(0.0),
        }
    }
}

impl Phase {
    /// Adds one device's requests, records, latencies and errors to this phase's.
    fn absorb(&mut self, device: Phase) {
        self.latencies.extend(device.latencies);
        self.records += device.records;
        self.requests += device.requests;
        self.errors.extend(device.errors);
    }

    fn pct(&self, p: usize) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        sorted[((sorted.len() * p) / 100).min(sorted.len() - 1)]
    }

    fn per_s(&self, units: usize) -> f64 {
        units as f64 / self.wall.as_secs_f64()
    }
}

/// `pushers` push `each` of their next bodies at once, one request after another,
/// alternating between `urls`.
async fn push_phase(pushers: &mut Vec<Pusher>, urls: &Arc<Vec<String>>, each: usize) -> Phase {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for mut pusher in pushers.drain(..) {
        let urls = urls.clone();
        tasks.push(tokio::spawn(async move {
            let http = http();
            let mut phase = Phase::default();
            for k in 0..each {
                let (body, records) = pusher.bodies.pop_front().expect("prepared bodies");
                let url = &urls[(pusher.first_server + k) % urls.len()];
                let t = Instant::now();
                let answer = exchange(&http, url, &pusher.token, &pusher.cursor, Some(&body)).await;
                phase.latencies.push(t.elapsed());
                phase.requests += 1;
                match answer {
                    Answer::Ok {
                        accepted, cursor, ..
                    } => {
                        if accepted != records {
                            phase
                                .errors
                                .push(format!("{accepted} of {records} accepted"));
                        }
                        phase.records += accepted;
                        pusher.cursor = cursor;
                    }
                    Answer::Failed(e) => phase.errors.push(e),
                }
            }
            (pusher, phase)
        }));
    }
    let mut all = Phase::default();
    for task in tasks {
        let (pusher, phase) = task.await.unwrap();
        pushers.push(pusher);
        all.absorb(phase);
    }
    all.wall = started.elapsed();
    all
}

/// The day phase: every device syncs its day through the core's client at once.
struct Day {
    wall: Duration,
    slowest: Duration,
    records: u64,
    photos: u64,
    bytes: u64,
    errors: Vec<String>,
    rss_mib: Vec<f64>,
}

/// One backend's figures.
struct Figures {
    name: &'static str,
    load_before: String,
    levels: Vec<(usize, Phase)>,
    events: Phase,
    day: Day,
    prep: Duration,
    /// One push's seal check (7 links and one verification), measured in this process.
    signature_check: Duration,
    /// What compressing a body costs at each effort, measured in this process.
    compression: Vec<EffortCost>,
    /// One recorded inspection's records, for the database floor.
    inspection: database_floor::Inspection,
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn measure(backend: Backend, sizes: Sizes, rt: &tokio::runtime::Runtime) -> Figures {
    let work = tempfile::tempdir().unwrap();
    let (units, sites) = write_district(work.path(), sizes.grids());
    let stack = Stack::start(backend, &units, &sites);
    let urls = Arc::new(stack.urls());
    let admin_store = stack.first.admin_store();
    eprintln!("{}: enrolling and recording (not measured)", stack.name);
    let prep = Instant::now();

    // Push devices: grid worker `i` in grid `g{i}`, enough inspections for every level
    // it takes part in.
    let plans: Vec<(usize, PathBuf, usize)> = (0..LEVELS[3])
        .map(|i| {
            let n: usize = LEVELS
                .iter()
                .zip(sizes.pushes)
                .filter(|(devices, _)| i < **devices)
                .map(|(_, each)| each)
                .sum();
            let db = enrol(
                admin_store.as_ref(),
                rt,
                &work.path().join(format!("push-{i}")),
                &urls[i % urls.len()],
                &format!("Worker {i}"),
                "grid-worker",
                &format!("g{i}"),
            );
            (i, db, n)
        })
        .collect();
    let bodies = in_parallel(&plans, |(i, db, n)| {
        prepare_inspections(db, &format!("v{i}"), *n, *i as u64)
    });
    let mut pushers: Vec<Pusher> = plans
        .iter()
        .zip(bodies)
        .map(|((i, db, _), bodies)| Pusher {
            token: Store::open(db)
                .unwrap()
                .setting("sync.token")
                .unwrap()
                .unwrap(),
            bodies,
            cursor: String::new(),
            first_server: i % urls.len(),
        })
        .collect();

    // Desk devices: community staff reporting hotline cases and working them.
    let desk_plans: Vec<(usize, PathBuf)> = (0..DESKS)
        .map(|d| {
            let db = enrol(
                admin_store.as_ref(),
                rt,
                &work.path().join(format!("desk-{d}")),
                &urls[d % urls.len()],
                &format!("Desk {d}"),
                "community-staff",
                "c",
            );
            (d, db)
        })
        .collect();
    let desk_bodies = in_parallel(&desk_plans, |(d, db)| {
        prepare_cases(db, d * 8, sizes.cases_per_desk)
    });
    let mut desks: Vec<Pusher> = desk_plans
        .iter()
        .zip(desk_bodies)
        .map(|((d, db), bodies)| Pusher {
            token: Store::open(db)
                .unwrap()
                .setting("sync.token")
                .unwrap()
                .unwrap(),
            bodies,
            cursor: String::new(),
            first_server: d % urls.len(),
        })
        .collect();

    // Day devices: grid workers in the grids after the push devices', each with a
    // day's inspections and a 640x480 camera photo per hazard.
    let day_plans: Vec<(usize, PathBuf)> = (0..sizes.day_devices)
        .map(|i| {
            let g = LEVELS[3] + i;
            let db = enrol(
                admin_store.as_ref(),
                rt,
                &work.path().join(format!("day-{i}")),
                &urls[i % urls.len()],
                &format!("Day worker {i}"),
                "grid-worker",
                &format!("g{g}"),
            );
            (g, db)
        })
        .collect();
    in_parallel(&day_plans, |(g, db)| {
        let dir = db.parent().unwrap().join("camera");
        std::fs::create_dir_all(&dir).unwrap();
        let mut store = Store::open(db).unwrap();
        for k in 0..sizes.day_inspections {
            let photos: Vec<PathBuf> = (0..HAZARDS.len())
                .map(|p| {
                    let f = dir.join(format!("p{k}-{p}.jpg"));
                    let seed = 1_000_000_000 + (*g * 1_000 + k * HAZARDS.len() + p) as u64;
                    std::fs::write(&f, jpeg(seed, 640, 480)).unwrap();
                    f
                })
                .collect();
            record_inspection(&mut store, &format!("v{g}"), &photos);
            for f in photos {
                std::fs::remove_file(f).unwrap();
            }
        }
    });
    drop(admin_store);
    let prep = prep.elapsed();
    let signature_check = signature_check_cost(&plans[0].1);
    let compression = compression_effort(&plans[0].1);
    let inspection = first_inspection(&plans[0].1);

    let load_before = loadavg();
    eprintln!("{}: measuring (load average {load_before})", stack.name);
    let levels = rt.block_on(async {
        let mut levels = Vec::new();
        for (devices, each) in LEVELS.iter().zip(sizes.pushes) {
            let mut active: Vec<Pusher> = pushers.drain(..*devices).collect();
            // A phone that synced a while ago: its cursor is at the present, so the
            // page it pulls holds what came since (not measured).
            for pusher in &mut active {
                catch_up(pusher, &urls).await;
            }
            let mark = CpuMark::now(&stack);
            let mut phase = push_phase(&mut active, &urls, each).await;
            phase.cpu = CpuMark::now(&stack).since(mark);
            active.append(&mut pushers);
            pushers = active;
            levels.push((*devices, phase));
        }
        levels
    });
    let events = rt.block_on(async {
        for desk in &mut desks {
            catch_up(desk, &urls).await;
        }
        let mark = CpuMark::now(&stack);
        let mut phase = push_phase(&mut desks, &urls, sizes.cases_per_desk).await;
        phase.cpu = CpuMark::now(&stack).since(mark);
        phase
    });
    let day = rt.block_on(async {
        let started = Instant::now();
        let tasks: Vec<_> = day_plans
            .iter()
            .map(|(_, db)| {
                let db = db.clone();
                tokio::spawn(async move {
                    let store = SharedStore::open(&db).unwrap();
                    let t = Instant::now();
                    let report = sync::sync_with(&store, &SyncOptions::default(), None).await;
                    (t.elapsed(), report)
                })
            })
            .collect();
        let mut day = Day {
            wall: Duration::ZERO,
            slowest: Duration::ZERO,
            records: 0,
            photos: 0,
            bytes: 0,
            errors: Vec::new(),
            rss_mib: Vec::new(),
        };
        for task in tasks {
            let (t, report) = task.await.unwrap();
            day.slowest = day.slowest.max(t);
            match report {
                Ok(r) => {
                    day.records += u64::from(r.accepted);
                    day.photos += u64::from(r.uploaded_blobs);
                    day.bytes += r.uploaded_bytes;
                    day.errors.extend(r.errors);
                    day.errors
                        .extend(r.rejected.iter().map(|x| format!("rejected: {x:?}")));
                }
                Err(e) => day.errors.push(e.to_string()),
            }
        }
        day.wall = started.elapsed();
        day
    });
    let mut day = day;
    let expected = (sizes.day_devices * sizes.day_inspections * RECORDS_PER_PUSH) as u64;
    if day.records != expected {
        day.errors.push(format!(
            "{} records accepted of {expected} recorded",
            day.records
        ));
    }
    for (_, db) in &day_plans {
        let store = Store::open(db).unwrap();
        if !store.pending_outbox(1).unwrap().is_empty()
            || !store.all_photos_to_upload().unwrap().is_empty()
        {
            day.errors
                .push(format!("{}: something left to send", db.display()));
        }
    }
    day.rss_mib = stack.peak_rss_mib();
    Figures {
        name: stack.name,
        load_before,
        levels,
        events,
        day,
        prep,
        signature_check,
        compression,
        inspection,
    }
}

/// The records of the first inspection recorded on the device `db`, as stored.
fn first_inspection(db: &Path) -> database_floor::Inspection {
    let mut store = Store::open(db).unwrap();
    let (items, _) = outbox_after(&mut store, 0);
    let items = &items[..RECORDS_PER_PUSH];
    database_floor::Inspection {
        kinds: items.iter().map(|i| i.kind.clone()).collect(),
        bodies: items
            .iter()
            .map(|i| serde_json::to_string(&i.body).unwrap())
            .collect(),
    }
}

/// Name of the database floor's rows.
const FLOOR: &str = "database floor: PostgreSQL alone, the writes of each inspection (peer)";

/// The database floor at every level, on a scratch database of the test PostgreSQL with
/// the server's schema: `inspection` stored `each` times by each of the level's devices.
fn measure_floor(
    inspection: &database_floor::Inspection,
    sizes: Sizes,
    rt: &tokio::runtime::Runtime,
) -> Vec<(usize, Phase)> {
    let dir = tempfile::tempdir().unwrap();
    let (database, _scratch) = gridwalk_e2e::test_database(dir.path());
    // Opening it as the server does gives it the server's schema.
    drop(database.open().unwrap());
    let Database::Postgres(url) = &database else {
        panic!("the database floor needs GRIDWALK_TEST_DATABASE");
    };
    eprintln!(
        "{FLOOR}: measuring (load average {}; bodies of {} B)",
        loadavg(),
        inspection.bodies.iter().map(String::len).sum::<usize>()
    );
    LEVELS
        .iter()
        .zip(sizes.pushes)
        .map(|(devices, each)| {
            let phase = rt.block_on(database_floor::phase(url, inspection, *devices, each));
            (*devices, phase)
        })
        .collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

fn print(all: &[Figures], floor: Option<&[(usize, Phase)]>, sizes: Sizes) {
    let mut rows: Vec<(&str, &[(usize, Phase)])> =
        all.iter().map(|f| (f.name, f.levels.as_slice())).collect();
    if let Some(floor) = floor {
        rows.push((FLOOR, floor));
    }
    println!("## city load: inspections per second by concurrent devices (/v2/sync, 127.0.0.1)");
    println!(
        "one push = one request carrying one signed inspection with 3 hazards ({RECORDS_PER_PUSH} records)"
    );
    println!(
        "| backend | devices | pushes | inspections/s | vs ODK Central 41/s | p50 ms | p99 ms | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, levels) in &rows {
        for (devices, phase) in *levels {
            let per_s = phase.per_s(phase.records / RECORDS_PER_PUSH);
            println!(
                "| {name} | {devices} | {} | {per_s:.0} | {:.1}× | {:.1} | {:.1} | {} |",
                phase.requests,
                per_s / ODK_CENTRAL_PER_S,
                ms(phase.pct(50)),
                ms(phase.pct(99)),
                phase.errors.len()
            );
        }
    }
    println!();
    println!(
        "## CPU per inspection accepted, by process (from /proc; 2 cores give 2,000 ms of CPU per second, \
         so 1,000 inspections/s needs at most 2.0 ms per inspection in all)"
    );
    println!(
        "| backend | devices | load generator ms | gridwalk-server ms | PostgreSQL, SeaweedFS, kernel ms | total ms | cores busy | ceiling at 2 cores, insp/s |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, levels) in &rows {
        for (devices, phase) in *levels {
            let inspections = (phase.records / RECORDS_PER_PUSH).max(1) as f64;
            let c = phase.cpu;
            let total = c.load_generator + c.servers + c.rest;
            let per = |s: f64| s * 1_000.0 / inspections;
            let server_side = per(c.servers + c.rest);
            println!(
                "| {name} | {devices} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} |",
                per(c.load_generator),
                per(c.servers),
                per(c.rest),
                per(total),
                total / phase.wall.as_secs_f64(),
                2_000.0 / server_side.max(f64::EPSILON)
            );
        }
    }
    println!(
        "(the ceiling counts only the server side: gridwalk-server plus the rest, as if the load came from elsewhere)"
    );
    println!();
    println!(
        "## workflow events per second: {DESKS} desk devices at once, a case of {EVENTS_PER_CASE} events per request"
    );
    println!("| backend | events | events/s | p50 ms | p99 ms | errors |");
    println!("|---|---|---|---|---|---|");
    for f in all {
        let e = &f.events;
        println!(
            "| {} | {} | {:.0} | {:.1} | {:.1} | {} |",
            f.name,
            e.records,
            e.per_s(e.records),
            ms(e.pct(50)),
            ms(e.pct(99)),
            e.errors.len()
        );
    }
    println!();
    println!(
        "## {} devices sync a day's work at once ({} inspections, {} photos of 640x480 each, thumbnails and photos over tus)",
        sizes.day_devices,
        sizes.day_inspections,
        sizes.day_inspections * HAZARDS.len()
    );
    println!(
        "| backend | wall s | slowest device s | records | photos+thumbnails | MB up | peak RSS per process MiB | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for f in all {
        let d = &f.day;
        let rss: Vec<String> = d.rss_mib.iter().map(|r| format!("{r:.0}")).collect();
        println!(
            "| {} | {:.1} | {:.1} | {} | {} | {:.0} | {} | {} |",
            f.name,
            d.wall.as_secs_f64(),
            d.slowest.as_secs_f64(),
            d.records,
            d.photos,
            d.bytes as f64 / 1e6,
            rss.join(" / "),
            d.errors.len()
        );
    }
    println!();
    for f in all {
        println!(
            "{}: prepared in {:.0} s (not measured); load average before measuring {}",
            f.name,
            f.prep.as_secs_f64(),
            f.load_before
        );
        let errors = f
            .levels
            .iter()
            .flat_map(|(_, p)| &p.errors)
            .chain(&f.events.errors)
            .chain(&f.day.errors);
        if let Some((devices, top)) = f.levels.last() {
            let per_push = f.signature_check;
            let pushes_per_s = top.per_s(top.records / RECORDS_PER_PUSH);
            println!(
                "  seal check (7 links + one P-256 verify, ADR 12): {:.0} µs per record, {:.2} ms per push of {RECORDS_PER_PUSH}; \
                 at {devices} devices' {pushes_per_s:.0} pushes/s that is {:.0}% of one core, {:.1}% of the p50 push",
                f.signature_check.as_secs_f64() * 1e6 / RECORDS_PER_PUSH as f64,
                ms(per_push),
                per_push.as_secs_f64() * pushes_per_s * 100.0,
                ms(per_push) / ms(top.pct(50)) * 100.0
            );
        }
        for e in errors.take(5) {
            println!("  error: {e}");
        }
    }
    if let ([_, city], Some(floor)) = (all, floor) {
        print_floor(city, floor);
    }
    if let [embedded, city] = all {
        print_compression(&all[0].compression);
        println!("\n## city vs embedded");
        println!("| measure | embedded | city | city / embedded |");
        println!("|---|---|---|---|");
        for ((devices, e), (_, c)) in embedded.levels.iter().zip(&city.levels) {
            let (e_s, c_s) = (
                e.per_s(e.records / RECORDS_PER_PUSH),
                c.per_s(c.records / RECORDS_PER_PUSH),
            );
            println!(
                "| inspections/s, {devices} devices | {e_s:.0} | {c_s:.0} | {:.2} |",
                c_s / e_s
            );
        }
        let (e_s, c_s) = (
            embedded.events.per_s(embedded.events.records),
            city.events.per_s(city.events.records),
        );
        println!("| events/s | {e_s:.0} | {c_s:.0} | {:.2} |", c_s / e_s);
        println!(
            "| day's work, wall s | {:.1} | {:.1} | {:.2} |",
            embedded.day.wall.as_secs_f64(),
            city.day.wall.as_secs_f64(),
            city.day.wall.as_secs_f64() / embedded.day.wall.as_secs_f64()
        );
    }
}

/// The city against its database floor, level by level: how much of the city's time
/// and CPU the database's writes alone would take.
fn print_floor(city: &Figures, floor: &[(usize, Phase)]) {
    println!("\n## city vs its database floor (PostgreSQL alone storing the same inspections)");
    println!(
        "| devices | city insp/s | floor insp/s | floor / city | city CPU ms per insp | floor CPU ms per insp | floor's share of the city's CPU |"
    );
    println!("|---|---|---|---|---|---|---|");
    let cpu_per = |p: &Phase| {
        let c = p.cpu;
        (c.servers + c.rest) * 1_000.0 / (p.records / RECORDS_PER_PUSH).max(1) as f64
    };
    for ((devices, c), (_, f)) in city.levels.iter().zip(floor) {
        let (c_s, f_s) = (
            c.per_s(c.records / RECORDS_PER_PUSH),
            f.per_s(f.records / RECORDS_PER_PUSH),
        );
        let (c_cpu, f_cpu) = (cpu_per(c), cpu_per(f));
        println!(
            "| {devices} | {c_s:.0} | {f_s:.0} | {:.2} | {c_cpu:.2} | {f_cpu:.2} | {:.0}% |",
            f_s / c_s,
            f_cpu / c_cpu * 100.0
        );
    }
    println!(
        "(CPU without the load generator's: gridwalk-server and everything else for the city, PostgreSQL and the kernel for the floor)"
    );
}

/// The compression effort table (`codec::Effort`): the server's answers are `Quick`.
fn print_compression(rows: &[EffortCost]) {
    println!(
        "\n## compression effort per body (codec::Effort; devices push Thorough, the server answers Quick)"
    );
    println!(
        "| bodies | JSON B | Thorough (level 19) B | Quick (level 3) B | Thorough µs | Quick µs | Quick / Thorough bytes | Thorough / Quick time |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in rows {
        let (tb, tt) = r.thorough;
        let (qb, qt) = r.quick;
        println!(
            "| {} | {} | {tb} | {qb} | {:.0} | {:.0} | {:.2} | {:.0}× |",
            r.bodies,
            r.json_bytes,
            tt.as_secs_f64() * 1e6,
            qt.as_secs_f64() * 1e6,
            qb as f64 / tb.max(1) as f64,
            tt.as_secs_f64() / qt.as_secs_f64().max(1e-9)
        );
    }
}

fn main() {
    let sizes = Sizes::from_env();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let city = std::env::var_os("GRIDWALK_TEST_DATABASE").is_some()
        && std::env::var_os("GRIDWALK_TEST_BLOBS").is_some();
    println!("gridwalk city load benchmark; sizes {sizes:?}");
    if !city {
        println!(
            "city backend NOT measured: GRIDWALK_TEST_DATABASE and GRIDWALK_TEST_BLOBS are unset \
             (run under scripts/with-test-postgres scripts/with-test-seaweedfs)"
        );
    }
    let mut all = vec![measure(Backend::Embedded, sizes, &rt)];
    if city {
        all.push(measure(Backend::FromEnv, sizes, &rt));
    }
    let floor = city.then(|| measure_floor(&all[0].inspection, sizes, &rt));
    print(&all, floor.as_deref(), sizes);
    let errors: usize = all
        .iter()
        .map(|f| {
            f.levels.iter().map(|(_, p)| p.errors.len()).sum::<usize>()
                + f.events.errors.len()
                + f.day.errors.len()
        })
        .chain(floor.iter().flatten().map(|(_, p)| p.errors.len()))
        .sum();
    assert_eq!(errors, 0, "the load ended with errors");
}
