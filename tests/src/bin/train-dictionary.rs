//! Trains the `/v2` compression dictionary (`model/dict/records-<id>.zdict`) on what a
//! real deployment sends: a server on 127.0.0.1, grid workers enrolled with the core's
//! client, inspections of every site kind recorded and signed by real stores (hazards
//! with notes and photos, cases with remarks), and from them the compact `/v2` push
//! batches and pull answers a sync would carry.
//!
//! `cargo run -p gridwalk-e2e --bin train-dictionary -- <out-file> [bytes]`. A released
//! dictionary never changes: train a new one under a new id (`gridwalk_model::wire`).
// A developer's tool run by hand: any failure stops it, saying which step failed.
#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};

use gridwalk_core::SharedStore;
use gridwalk_core::Store;
use gridwalk_core::checklist::Template;
use gridwalk_core::hazard::Payload;
use gridwalk_core::inspection::{InspectionKind, NewInspection, Outcome};
use gridwalk_core::model::wire::{self, Outcome as Result_, SyncRequest, SyncResponse};
use gridwalk_core::photo::IngestOptions;
use gridwalk_core::protocol::{ItemStatus, PulledItem, PushItem};
use gridwalk_core::sync;
use gridwalk_server::admin;
use gridwalk_server::config::{DataDir, Limits};
use gridwalk_server::server::{open_state, serve_on};

const GRIDS: usize = 6;
const INSPECTIONS_PER_WORKER: usize = 40;
const KINDS: [&str; 8] = [
    "village",
    "residential",
    "market",
    "school",
    "enterprise",
    "small-venue",
    "office-building",
    "care-institution",
];
const NOTES: [&str; 8] = [
    "found on the round, see photos",
    "楼道堆放杂物，堵塞消防通道",
    "电动车在楼道内充电",
    "灭火器过期未更换",
    "电线私拉乱接",
    "燃气软管老化",
    "护栏松动",
    "已要求整改",
];

/// splitmix64: spread, not secrecy.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn write_district(dir: &Path) -> (PathBuf, PathBuf) {
    let mut units = String::from(
        "id,name,level,parent\nd,District,district,\ns,Street,street,d\nc,Community,community,s\n",
    );
    let mut sites = String::from("id,name,kind,unit,address,lat,lon\n");
    for g in 0..GRIDS {
        units.push_str(&format!("g{g},Grid {g},grid,c\n"));
        for (k, kind) in KINDS.iter().enumerate() {
            sites.push_str(&format!("s{g}-{k},Site {g}-{k},{kind},g{g},Lane {k},,\n"));
        }
    }
    let (u, s) = (dir.join("units.csv"), dir.join("sites.csv"));
    std::fs::write(&u, units).expect("write units");
    std::fs::write(&s, sites).expect("write sites");
    (u, s)
}

fn record(store: &mut Store, site: &str, dir: &Path, mix: &mut Mix) {
    let inspector = store.require_profile().expect("profile").name;
    let id = store
        .start_inspection(&NewInspection {
            site_id: site.into(),
            template_id: None,
            template_version: None,
            kind: InspectionKind::Routine,
            inspector,
        })
        .expect("start");
    let items: Vec<String> = store
        .checklist(&id)
        .expect("checklist")
        .categories
        .iter()
        .flat_map(|c| c.entries.iter().map(|e| e.item.code.clone()))
        .collect();
    for item in &items {
        match mix.below(10) {
            0 => {
                let photos: Vec<PathBuf> = (0..1 + mix.below(3))
                    .map(|p| {
                        let f = dir.join(format!("{item}-{p}.jpg"));
                        let bytes = gridwalk_e2e::jpeg(mix.next(), 32, 24);
                        std::fs::write(&f, bytes).expect("photo");
                        f
                    })
                    .collect();
                let note = NOTES[mix.below(NOTES.len())];
                store
                    .answer_with_photos(
                        &id,
                        item,
                        Outcome::Hazard,
                        Some(note),
                        &photos,
                        &IngestOptions::default(),
                    )
                    .expect("hazard");
            }
            1 => store
                .answer(&id, item, Outcome::NotApplicable, Some(NOTES[7]))
                .expect("na"),
            _ => store.answer(&id, item, Outcome::Ok, None).expect("ok"),
        }
    }
    store.submit(&id).expect("submit");
}

fn main() {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .expect("usage: train-dictionary <out-file> [bytes]"),
    );
    let size: usize = args.next().map_or(16 * 1024, |s| s.parse().expect("bytes"));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let samples = runtime.block_on(samples());
    let total: usize = samples.iter().map(Vec::len).sum();
    let dictionary = zstd::dict::from_samples(&samples, size).expect("train");
    std::fs::write(&out, &dictionary).expect("write the dictionary");
    println!(
        "{} samples, {total} bytes -> {} byte dictionary in {}",
        samples.len(),
        dictionary.len(),
        out.display()
    );
}

async fn samples() -> Vec<Vec<u8>> {
    let work = tempfile::tempdir().expect("tmp");
    let (units, sites) = write_district(work.path());
    let data = DataDir {
        root: work.path().join("server"),
    };
    let state = open_state(&data, Limits::default()).expect("server");
    admin::import_units(state.store.as_ref(), &units).expect("units");
    admin::import_sites(state.store.as_ref(), &sites).expect("sites");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(serve_on(listener, state.clone(), std::future::pending()));
    let templates = Template::builtin_cached().expect("templates");
    let mut mix = Mix(13);
    let mut samples = Vec::new();
    let mut seq = 1i64;
    for g in 0..GRIDS {
        let dir = work.path().join(format!("g{g}"));
        std::fs::create_dir_all(&dir).expect("dir");
        let person = admin::add_person(
            state.store.as_ref(),
            &format!("网格员{g}"),
            "grid-worker",
            &format!("g{g}"),
            None,
        )
        .expect("person");
        let db = dir.join("gridwalk.db");
        sync::enroll(
            &SharedStore::open(&db).expect("store"),
            &base,
            &person.enrolment_code,
        )
        .await
        .expect("enrol");
        let mut store = Store::open(&db).expect("store");
        for i in 0..INSPECTIONS_PER_WORKER {
            record(
                &mut store,
                &format!("s{g}-{}", i % KINDS.len()),
                &dir,
                &mut mix,
            );
        }
        let cases: Vec<String> = store
            .all_hazard_events()
            .expect("events")
            .into_iter()
            .map(|e| e.case_id)
            .collect();
        for case in cases.iter().step_by(3) {
            store
                .act(
                    case,
                    Payload::Comment {
                        text: NOTES[mix.below(NOTES.len())].into(),
                    },
                )
                .expect("remark");
        }
        let items: Vec<PushItem> = store
            .pending_outbox(100_000)
            .expect("outbox")
            .into_iter()
            .map(|e| {
                let (body, proof) = store.signed_record(e.seq).expect("read").expect("signed");
                PushItem {
                    id: e.record_id,
                    kind: e.kind,
                    body,
                    proof: Some(proof),
                }
            })
            .collect();
        // Batches of 1 to 6 records, as pushes; the same records as another device's
        // pull answer, with the results of a push.
        let mut rest = items.as_slice();
        while !rest.is_empty() {
            let n = (1 + mix.below(6)).min(rest.len());
            let (batch, after) = rest.split_at(n);
            rest = after;
            let request = SyncRequest {
                items: wire::compact_items(batch.to_vec(), templates),
            };
            samples.push(serde_json::to_vec(&request).expect("json"));
            let answer = SyncResponse {
                results: batch
                    .iter()
                    .map(|_| {
                        seq += 1;
                        Result_ {
                            status: ItemStatus::Accepted,
                            seq: Some(seq),
                            code: None,
                            reason: None,
                        }
                    })
                    .collect(),
                items: batch
                    .iter()
                    .map(|item| {
                        wire::compact_pulled(
                            PulledItem {
                                seq,
                                id: item.id.clone(),
                                kind: item.kind.clone(),
                                body: item.body.clone(),
                                redacted: false,
                                author: person.person.id.clone(),
                                received_at: chrono::Utc::now().to_rfc3339(),
                                chain: None,
                            },
                            templates,
                        )
                    })
                    .collect(),
                cursor: seq.to_string(),
                has_more: false,
                reference: None,
            };
            samples.push(serde_json::to_vec(&answer).expect("json"));
        }
    }
    samples
}
