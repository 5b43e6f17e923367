//! Stall benchmark (issue 10): how long a push to an unrelated case takes while one
//! case is extended to 5,000 events, against a real server on 127.0.0.1 with a real
//! SQLite store (the test harness's in-process server). Run with
//! `cargo bench -p gridwalk-server --bench case_stall`.
//!
//! A neighbour pushes one event at a time, every few milliseconds, to cases of their
//! own (a report, then comments on it) and the latency of each push is recorded:
//! - baseline (the named peer): the neighbour alone on a fresh server;
//! - long case: meanwhile a worker pushes a case's report and 4,999 chained comments
//!   in batches of 200 (what a device sends), each after the one before in HLC order;
//! - long case, out of order: the same, but every tenth batch's events are dated
//!   before the case's latest event (a device that was offline), so each of them
//!   makes the server refold the case from its stored events.
//!
//! Prints p50, p99 and max of the neighbour's pushes in each run and the ratio to the
//! baseline; the target is p99 under 100 ms while the long case is extended.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Device, TestServer, hazard_event, new_id, reported};
use gridwalk_model::hazard::Payload;
use serde_json::Value;

const LONG_CASE_EVENTS: usize = 5_000;
const BATCH: usize = 200;
const BASELINE_PUSHES: usize = 400;
const MAX_PUSHES: usize = 20_000;
const PACE: Duration = Duration::from_millis(5);

#[derive(Clone, Copy, PartialEq)]
enum LongCase {
    None,
    InOrder,
    EveryTenthBatchLate,
}

struct Run {
    latencies: Vec<Duration>,
    long_case: Option<(Duration, usize)>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn comment(case: &str, device: &Device, ms: i64, parent: &Value, text: String) -> Value {
    hazard_event(case, device, ms, &[parent], Payload::Comment { text })
}

fn accepted(results: &[Value]) -> bool {
    results.iter().all(|r| r["status"] == "accepted")
}

/// The worker's long case: its report, then chained comments in batches.
async fn extend_long_case(server: &TestServer, worker: &Device, mode: LongCase) -> usize {
    let case = new_id();
    let report = hazard_event(
        &case,
        worker,
        1_000_000,
        &[],
        reported(
            "fire",
            "fire-03",
            "site-a",
            "g-xinhua-1",
            "exit blocked",
            vec![],
        ),
    );
    assert!(accepted(
        &server.push(worker, std::slice::from_ref(&report)).await
    ));
    let (mut last, mut pushed, mut ms) = (report, 1, 1_000_000i64);
    for batch in 0.. {
        if pushed >= LONG_CASE_EVENTS {
            break;
        }
        let late = mode == LongCase::EveryTenthBatchLate && batch % 10 == 9;
        let mut items = Vec::with_capacity(BATCH);
        for i in 0..BATCH.min(LONG_CASE_EVENTS - pushed) {
            // A late batch is dated before everything stored, still after the report.
            let at = if late {
                1_000_001 + i as i64
            } else {
                ms + 1 + i as i64
            };
            let event = comment(&case, worker, at, &last, format!("day {}", pushed + i));
            last = event.clone();
            items.push(event);
        }
        ms += BATCH as i64;
        let results = server.push(worker, &items).await;
        assert!(accepted(&results), "{results:?}");
        pushed += items.len();
    }
    pushed
}

/// The neighbour's pushes, one event each, until `stop` is set (or `count` pushes).
async fn neighbour_pushes(
    server: &TestServer,
    neighbour: &Device,
    count: usize,
    stop: &AtomicBool,
) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let mut own: Option<(String, Value)> = None;
    for n in 0..count {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let ms = 2_000_000 + n as i64;
        // A new case every tenth push, comments on it in between.
        let item = match &own {
            Some((case, last)) if n % 10 != 0 => {
                comment(case, neighbour, ms, last, format!("n{n}"))
            }
            _ => {
                let case = new_id();
                let report = hazard_event(
                    &case,
                    neighbour,
                    ms,
                    &[],
                    reported(
                        "fire",
                        "fire-02",
                        "site-b",
                        "g-xinhua-2",
                        "no extinguisher",
                        vec![],
                    ),
                );
                own = Some((case, report.clone()));
                report
            }
        };
        if let Some((_, last)) = own.as_mut() {
            *last = item.clone();
        }
        let sent = Instant::now();
        let results = server.push(neighbour, std::slice::from_ref(&item)).await;
        latencies.push(sent.elapsed());
        assert!(accepted(&results), "{results:?}");
        tokio::time::sleep(PACE).await;
    }
    latencies
}

async fn run(mode: LongCase) -> Run {
    let server = Arc::new(TestServer::start().await);
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let neighbour = server
        .device("Zhao Lei", "grid-worker", "g-xinhua-2", None)
        .await;
    let stop = Arc::new(AtomicBool::new(false));
    let long = (mode != LongCase::None).then(|| {
        let (server, stop) = (server.clone(), stop.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let events = extend_long_case(&server, &worker, mode).await;
            stop.store(true, Ordering::Relaxed);
            (started.elapsed(), events)
        })
    });
    let count = if long.is_some() {
        MAX_PUSHES
    } else {
        BASELINE_PUSHES
    };
    let latencies = neighbour_pushes(&server, &neighbour, count, &stop).await;
    let long_case = match long {
        Some(task) => Some(task.await.unwrap()),
        None => None,
    };
    Arc::try_unwrap(server)
        .ok()
        .expect("every task is done with the server")
        .stop()
        .await;
    Run {
        latencies,
        long_case,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!(
        "case stall: a neighbour's one-event pushes while one case grows to {LONG_CASE_EVENTS} events"
    );
    println!(
        "{:<44} {:>7} {:>9} {:>9} {:>9} {:>8} {:>8}",
        "run", "pushes", "p50 ms", "p99 ms", "max ms", "p50 x", "p99 x"
    );
    let mut baseline: Option<(Duration, Duration)> = None;
    for (name, mode) in [
        ("baseline: no long case (peer)", LongCase::None),
        ("long case extended in HLC order", LongCase::InOrder),
        (
            "long case, every 10th batch out of order",
            LongCase::EveryTenthBatchLate,
        ),
    ] {
        let result = run(mode).await;
        let mut sorted = result.latencies.clone();
        sorted.sort();
        let (p50, p99, max) = (
            percentile(&sorted, 0.50),
            percentile(&sorted, 0.99),
            *sorted.last().unwrap(),
        );
        let (b50, b99) = *baseline.get_or_insert((p50, p99));
        println!(
            "{name:<44} {:>7} {:>9.1} {:>9.1} {:>9.1} {:>8.2} {:>8.2}",
            sorted.len(),
            ms(p50),
            ms(p99),
            ms(max),
            ms(p50) / ms(b50),
            ms(p99) / ms(b99),
        );
        if let Some((took, events)) = result.long_case {
            println!(
                "{:<44} {events} events in {:.1} s ({:.0} events/s)",
                "  the long case",
                took.as_secs_f64(),
                events as f64 / took.as_secs_f64()
            );
            let verdict = if p99 < Duration::from_millis(100) {
                "met"
            } else {
                "MISSED"
            };
            println!("{:<44} p99 under 100 ms: {verdict}", "  target");
        }
    }
}
