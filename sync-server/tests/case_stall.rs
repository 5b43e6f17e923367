//! One worker must not stall everyone (issue 10): a push to a case with thousands of
//! events holds no lock that a push to an unrelated case waits on. Once a case had
//! grown to 2,200 chained comments, every event stored on it refolded the whole case
//! under one lock all pushes shared, and an unrelated grid's push waited 20 s.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use gridwalk_model::hazard::Payload;
use serde_json::Value;

/// Comments on `case` by `device` at HLC times from `from_ms`, each after the event
/// before it when `chained` (else after `first` alone).
fn comments(
    case: &str,
    device: &Device,
    first: &Value,
    from_ms: i64,
    n: usize,
    chained: bool,
) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(n);
    for i in 0..n {
        let parent = match (chained, out.last()) {
            (true, Some(last)) => last.clone(),
            _ => first.clone(),
        };
        out.push(hazard_event(
            case,
            device,
            from_ms + i as i64,
            &[&parent],
            Payload::Comment {
                text: format!("still blocked, day {i}"),
            },
        ));
    }
    out
}

fn all_accepted(results: &[Value]) -> bool {
    results.iter().all(|r| r["status"] == "accepted")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unrelated_push_completes_while_a_long_case_is_being_extended() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let neighbour = server
        .device("Zhao Lei", "grid-worker", "g-xinhua-2", None)
        .await;

    // The long case: a report and 600 comments.
    let long_case = new_id();
    let report = hazard_event(
        &long_case,
        &worker,
        1_000,
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
    assert!(all_accepted(
        &server.push(&worker, std::slice::from_ref(&report)).await
    ));
    for batch in 0..3 {
        let items = comments(
            &long_case,
            &worker,
            &report,
            2_000 + batch * 200,
            200,
            false,
        );
        assert!(all_accepted(&server.push(&worker, &items).await));
    }

    // The worker pushes 300 more, chained; once the server is storing them, a
    // neighbouring grid reports a hazard of its own.
    let chain = comments(&long_case, &worker, &report, 10_000, 300, true);
    let stored_before = server.state.store.max_seq().unwrap();
    let started = Instant::now();
    let long_push = async {
        let results = server.push(&worker, &chain).await;
        (results, started.elapsed())
    };
    let unrelated_push = async {
        let deadline = Instant::now() + Duration::from_secs(20);
        while server.state.store.max_seq().unwrap() == stored_before {
            assert!(Instant::now() < deadline, "the long push never started");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let sent = Instant::now();
        let own = hazard_event(
            &new_id(),
            &neighbour,
            1_000,
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
        let results = server.push(&neighbour, &[own]).await;
        (results, sent.elapsed(), started.elapsed())
    };
    let ((long, long_done), (unrelated, unrelated_took, unrelated_done)) =
        tokio::join!(long_push, unrelated_push);
    assert!(all_accepted(&long) && long.len() == 300, "{long:?}");
    assert!(all_accepted(&unrelated), "{unrelated:?}");
    assert!(
        unrelated_done < long_done,
        "the unrelated push waited for the long case: it finished after {unrelated_done:?}, \
         the long push after {long_done:?}"
    );
    assert!(
        unrelated_took < Duration::from_secs(5),
        "the unrelated push took {unrelated_took:?}"
    );
    server.stop().await;
}
