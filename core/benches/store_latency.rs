//! Store latency benchmark (a bench binary, not a timed test).
//!
//! 1. Answering an item through `Store::answer` against bare rusqlite inserts of the same
//!    rows into the same table shape with the same pragmas: p50 and p99, and the ratio;
//!    and the same answers on a store encrypted with SQLCipher against the plain store.
//! 2. In a store holding 100,000 submitted inspections: listing one worker's drafts and
//!    the checklist of one inspection, against the bare SQL that reads the same rows.
//!
//! Run: `cargo bench -p gridwalk-core --bench store_latency`
//! (set `GRIDWALK_BENCH_INSPECTIONS` to change the 100,000).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use gridwalk_core::Store;
use gridwalk_core::inspection::{
    InspectionFilter, InspectionKind, InspectionStatus, NewInspection, Outcome,
};
use gridwalk_core::reference::Site;
use gridwalk_core::store::{OpenOptions, StoreKey};
use rusqlite::{Connection, params};

const ANSWERS: usize = 2_000;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn site(id: &str) -> Site {
    Site {
        id: id.into(),
        name: format!("site {id}"),
        kind: "residential".into(),
        unit: "G1".into(),
        address: String::new(),
        lat: None,
        lon: None,
    }
}

fn new_inspection(site: &str, inspector: &str) -> NewInspection {
    NewInspection {
        site_id: site.into(),
        template_id: None,
        template_version: None,
        kind: InspectionKind::Routine,
        inspector: inspector.into(),
    }
}

fn items(store: &Store, id: &str) -> Vec<String> {
    store
        .checklist(id)
        .unwrap()
        .categories
        .iter()
        .flat_map(|c| c.entries.iter().map(|e| e.item.code.clone()))
        .collect()
}

/// The answer path through the core on a plain store and on a SQLCipher store (one
/// answer on each in turn, so both see the same machine load), and the same rows written
/// with bare rusqlite.
fn answer_latency(dir: &std::path::Path) {
    let mut store = Store::open(dir.join("core.db")).unwrap();
    let encrypted_options = OpenOptions {
        key: Some(StoreKey::generate()),
        signer: None,
    };
    let mut encrypted = Store::open_with(dir.join("cipher.db"), encrypted_options).unwrap();
    store.upsert_sites(&[site("S1")]).unwrap();
    encrypted.upsert_sites(&[site("S1")]).unwrap();
    let mut core_samples = Vec::with_capacity(ANSWERS);
    let mut cipher_samples = Vec::with_capacity(ANSWERS);
    let mut rows = Vec::with_capacity(ANSWERS);
    while core_samples.len() < ANSWERS {
        let id = store
            .start_inspection(&new_inspection("S1", "bench"))
            .unwrap();
        let encrypted_id = encrypted
            .start_inspection(&new_inspection("S1", "bench"))
            .unwrap();
        for item in items(&store, &id) {
            if core_samples.len() == ANSWERS {
                break;
            }
            let started = Instant::now();
            store
                .answer(&id, &item, Outcome::Ok, Some("checked"))
                .unwrap();
            core_samples.push(started.elapsed());
            let started = Instant::now();
            encrypted
                .answer(&encrypted_id, &item, Outcome::Ok, Some("checked"))
                .unwrap();
            cipher_samples.push(started.elapsed());
            rows.push((id.clone(), item));
        }
    }

    let peer = Connection::open(dir.join("peer.db")).unwrap();
    peer.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .unwrap();
    peer.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
         CREATE TABLE answers (inspection_id TEXT NOT NULL, item_code TEXT NOT NULL,
           outcome TEXT NOT NULL, note TEXT, answered_at TEXT NOT NULL,
           PRIMARY KEY (inspection_id, item_code)) STRICT, WITHOUT ROWID;",
    )
    .unwrap();
    let mut peer_samples = Vec::with_capacity(ANSWERS);
    for (id, item) in &rows {
        let started = Instant::now();
        peer.execute(
            "INSERT INTO answers VALUES (?1, ?2, 'ok', 'checked', ?3)
             ON CONFLICT(inspection_id, item_code) DO UPDATE SET outcome = excluded.outcome",
            params![id, item, "2026-11-26T09:00:00.000Z"],
        )
        .unwrap();
        peer_samples.push(started.elapsed());
    }

    let (c50, c99) = (
        percentile(&mut core_samples, 0.5),
        percentile(&mut core_samples, 0.99),
    );
    let (p50, p99) = (
        percentile(&mut peer_samples, 0.5),
        percentile(&mut peer_samples, 0.99),
    );
    let (e50, e99) = (
        percentile(&mut cipher_samples, 0.5),
        percentile(&mut cipher_samples, 0.99),
    );
    println!("answer an item ({ANSWERS} answers, WAL, synchronous=FULL)");
    println!("  {:<28} {:>10} {:>10}", "", "p50 µs", "p99 µs");
    println!(
        "  {:<28} {:>10.1} {:>10.1}",
        "gridwalk Store::answer",
        micros(c50),
        micros(c99)
    );
    println!(
        "  {:<28} {:>10.1} {:>10.1}",
        "Store::answer, SQLCipher",
        micros(e50),
        micros(e99)
    );
    println!(
        "  {:<28} {:>10.1} {:>10.1}",
        "bare rusqlite insert",
        micros(p50),
        micros(p99)
    );
    println!(
        "  ratio core/bare            {:>10.2} {:>10.2}",
        micros(c50) / micros(p50),
        micros(c99) / micros(p99)
    );
    println!(
        "  ratio SQLCipher/plain      {:>10.2} {:>10.2}   (goal: p50 <= 1.30)",
        micros(e50) / micros(c50),
        micros(e99) / micros(c99)
    );
}

/// Fills the store with `n` submitted inspections by 50 workers (about 20 answers each)
/// through one bulk SQL transaction: the API's one-commit-per-answer would take hours.
fn populate(path: &std::path::Path, n: usize) -> (String, String) {
    let mut store = Store::open(path).unwrap();
    let sites: Vec<Site> = (0..500).map(|i| site(&format!("S{i}"))).collect();
    store.upsert_sites(&sites).unwrap();
    let probe = store
        .start_inspection(&new_inspection("S0", "worker-7"))
        .unwrap();
    let codes = items(&store, &probe);
    drop(store);

    let mut conn = Connection::open(path).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut inspection = tx
            .prepare(
                "INSERT INTO inspections(id, site_id, template_id, template_version, kind, status,
                   inspector, started_at) VALUES (?1, ?2, 'safe-community', 1, 'routine', 'draft', ?3, ?4)",
            )
            .unwrap();
        let mut answer = tx
            .prepare("INSERT INTO answers VALUES (?1, ?2, 'ok', NULL, ?3)")
            .unwrap();
        let mut submit = tx
            .prepare("UPDATE inspections SET status = 'submitted', submitted_at = ?2 WHERE id = ?1")
            .unwrap();
        for i in 0..n {
            let id = uuid::Uuid::now_v7().to_string();
            let at = format!(
                "2026-04-{:02}T{:02}:{:02}:00.000Z",
                1 + i % 28,
                i % 24,
                i % 60
            );
            inspection
                .execute(params![
                    id,
                    format!("S{}", i % 500),
                    format!("worker-{}", i % 50),
                    at
                ])
                .unwrap();
            for code in &codes {
                answer.execute(params![id, code, at]).unwrap();
            }
            submit.execute(params![id, at]).unwrap();
        }
    }
    tx.commit().unwrap();
    drop(conn);

    // A few open drafts for the worker whose list we time.
    let mut store = Store::open(path).unwrap();
    for i in 0..5 {
        let id = store
            .start_inspection(&new_inspection(&format!("S{i}"), "worker-7"))
            .unwrap();
        store
            .answer(&id, &codes[0], Outcome::Hazard, Some("draft"))
            .unwrap();
    }
    (probe, "worker-7".into())
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(f());
            started.elapsed()
        })
        .collect();
    percentile(&mut samples, 0.5)
}

fn large_store(dir: &std::path::Path) {
    let n: usize = std::env::var("GRIDWALK_BENCH_INSPECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let path = dir.join("large.db");
    let started = Instant::now();
    let (one, worker) = populate(&path, n);
    println!(
        "\nstore with {n} submitted inspections (filled in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    let store = Store::open(&path).unwrap();
    let filter = InspectionFilter {
        inspector: Some(worker.clone()),
        status: Some(InspectionStatus::Draft),
        limit: None,
    };
    assert_eq!(store.list_inspections(&filter).unwrap().len(), 6);
    let list = time(200, || store.list_inspections(&filter).unwrap());
    let checklist = time(200, || store.checklist(&one).unwrap());

    let peer = Connection::open(&path).unwrap();
    let list_peer = time(200, || {
        let mut stmt = peer
            .prepare_cached(
                "SELECT i.id, s.name, (SELECT COUNT(*) FROM answers a WHERE a.inspection_id = i.id)
                 FROM inspections i JOIN sites s ON s.id = i.site_id
                 WHERE i.inspector = ?1 AND i.status = 'draft' ORDER BY i.started_at DESC",
            )
            .unwrap();
        stmt.query_map([&worker], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .unwrap()
        .count()
    });
    let checklist_peer = time(200, || {
        let body: String = peer
            .prepare_cached(
                "SELECT body FROM templates WHERE id = 'safe-community' AND version = 1",
            )
            .unwrap()
            .query_row([], |r| r.get(0))
            .unwrap();
        let mut stmt = peer
            .prepare_cached("SELECT item_code, outcome, note FROM answers WHERE inspection_id = ?1")
            .unwrap();
        let answers = stmt
            .query_map([&one], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .unwrap()
            .count();
        (body.len(), answers)
    });
    println!(
        "  {:<34} {:>10} {:>14} {:>7}",
        "", "gridwalk µs", "bare SQL µs", "ratio"
    );
    for (what, core, bare) in [
        ("list a worker's drafts (p50)", list, list_peer),
        (
            "checklist of one inspection (p50)",
            checklist,
            checklist_peer,
        ),
    ] {
        println!(
            "  {what:<34} {:>10.1} {:>14.1} {:>7.2}",
            micros(core),
            micros(bare),
            micros(core) / micros(bare)
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; this binary takes no other arguments.
    let dir = tempfile::tempdir().unwrap();
    answer_latency(dir.path());
    large_store(dir.path());
}
