//! A push request is stored in one transaction with one durable commit
//! (`RecordStore::in_batch`; a request longer than `BATCH_ITEMS` in batches of that
//! many), and that keeps every per-item guarantee: an item refused in the middle of a
//! request changes nothing and undoes none of the others, and a server killed before its
//! answer has kept either the whole request or none of it, so the device's re-send
//! stores each record exactly once.
//!
//! On the embedded store, and on PostgreSQL when `GRIDWALK_TEST_DATABASE` names one.

use crate::common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::*;
use gridwalk_server::admin;
use gridwalk_server::config::DataDir;
use gridwalk_server::storage::{Database, RecordFilter};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_refused_mid_request_changes_nothing_and_undoes_none_of_the_others() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let stored = routine("site-a");
    let first = server.push(&worker, std::slice::from_ref(&stored)).await;
    assert_eq!(first[0]["status"], "accepted");

    // The same id with other content: refused only when it is written (a conflict), so
    // inside the request's transaction.
    let mut conflicting = stored.clone();
    conflicting["body"]["answers"][0]["note"] = json!("changed after the fact");
    // Refused by its checks, before anything is written.
    let unknown_site = routine("site-nowhere");
    let good: Vec<Value> = (0..3).map(|_| routine("site-a")).collect();
    let request = vec![
        good[0].clone(),
        conflicting,
        good[1].clone(),
        unknown_site.clone(),
        good[2].clone(),
    ];
    let results = server.push(&worker, &request).await;
    let statuses: Vec<(&str, Option<&str>)> = results
        .iter()
        .map(|r| (r["status"].as_str().unwrap(), r["code"].as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("accepted", None),
            ("rejected", Some("conflict")),
            ("accepted", None),
            ("rejected", Some("invalid")),
            ("accepted", None),
        ]
    );
    let seqs: Vec<i64> = [0, 2, 4]
        .iter()
        .map(|&i| results[i]["seq"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");

    // Re-sending the request (a device that missed the answer) stores nothing twice.
    let again = server.push(&worker, &request).await;
    for i in [0, 2, 4] {
        assert_eq!(again[i]["status"], "duplicate", "{again:?}");
        assert_eq!(again[i]["seq"], results[i]["seq"]);
    }

    let pulled = server.pull_all(&worker).await;
    let mut count: HashMap<String, usize> = HashMap::new();
    for item in &pulled {
        *count
            .entry(item["id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let mut want: Vec<String> = ids(&good);
    want.push(stored["id"].as_str().unwrap().to_string());
    want.sort();
    let mut got: Vec<String> = count.keys().cloned().collect();
    got.sort();
    assert_eq!(
        got, want,
        "the accepted records and the first one, nothing else"
    );
    assert!(
        count.values().all(|n| *n == 1),
        "each exactly once: {count:?}"
    );
    let kept = pulled
        .iter()
        .find(|item| item["id"] == stored["id"])
        .unwrap();
    assert_eq!(
        kept["body"], stored["body"],
        "the conflicting push left the stored record as it was"
    );
    let unknown_id = unknown_site["id"].as_str().unwrap();
    assert!(
        !server.reopen_store().record_exists(unknown_id).unwrap(),
        "the refused item is not stored"
    );
    server.stop().await;
}

/// How many items a request carries: as many as the server stores in one transaction
/// (a longer request is stored in batches of this many, each kept whole).
const ITEMS: usize = gridwalk_server::api::push::BATCH_ITEMS;

async fn push(client: &reqwest::Client, base: &str, token: &str, items: &[Value]) -> bool {
    let sent = client
        .post(format!("{base}/v1/push"))
        .bearer_auth(token)
        .json(&json!({ "items": items }))
        .send()
        .await;
    match sent {
        Ok(response) => {
            assert_eq!(response.status(), 200);
            let body: Value = response.json().await.unwrap();
            for result in body["results"].as_array().unwrap() {
                assert_ne!(result["status"], "rejected", "{result}");
            }
            true
        }
        Err(_) => false,
    }
}

/// How many of `items` the database holds, opened afresh (as after a restart). The
/// store blocks its thread, so it runs on the blocking pool.
async fn stored_of(database: &Database, items: &[Value]) -> usize {
    let database = database.clone();
    let ids: Vec<String> = ids(items);
    tokio::task::spawn_blocking(move || {
        let store = database.open().unwrap();
        ids.iter()
            .filter(|id| store.record_exists(id).unwrap())
            .count()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_request_keeps_all_of_it_or_none_and_the_resend_stores_it_once() {
    let data = tempfile::tempdir().unwrap();
    let dir = DataDir {
        root: data.path().to_path_buf(),
    };
    let (database, _scratch) = test_database(&dir);
    let code = {
        let store = database.open().unwrap();
        admin::import_units(store.as_ref(), &fixture("units.csv")).unwrap();
        admin::import_sites(store.as_ref(), &fixture("sites.csv")).unwrap();
        admin::add_person(store.as_ref(), "Li Na", "grid-worker", "g-xinhua-1", None)
            .unwrap()
            .enrolment_code
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let mut server = ServerProcess::start(data.path(), &database);
    let enrolled: Value = client
        .post(format!("{}/v1/enrol", server.base))
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = enrolled["token"].as_str().unwrap().to_string();

    // How long a whole request takes here, answered: the kills land at fractions of it.
    let timed: Vec<Value> = (0..ITEMS).map(|_| routine("site-a")).collect();
    let started = Instant::now();
    assert!(push(&client, &server.base, &token, &timed).await);
    let whole = started.elapsed();

    let mut sent = timed;
    let mut unanswered = 0;
    for fraction in [0.1, 0.3, 0.5, 0.7, 0.9] {
        let items: Vec<Value> = (0..ITEMS).map(|_| routine("site-a")).collect();
        let request = {
            let (client, base, token, items) = (
                client.clone(),
                server.base.clone(),
                token.clone(),
                items.clone(),
            );
            tokio::spawn(async move { push(&client, &base, &token, &items).await })
        };
        tokio::time::sleep(whole.mul_f64(fraction)).await;
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        let answered = request.await.unwrap();
        let kept = stored_of(&database, &items).await;
        if answered {
            assert_eq!(kept, ITEMS, "an answered request is kept whole");
        } else {
            unanswered += 1;
            assert!(
                kept == 0 || kept == ITEMS,
                "killed at {fraction} of a request: {kept} of its {ITEMS} records kept"
            );
        }
        // The device re-sends what it got no answer for.
        server = ServerProcess::start(data.path(), &database);
        assert!(push(&client, &server.base, &token, &items).await);
        sent.extend(items);
    }
    assert!(unanswered > 0, "no kill landed before an answer");

    // Every record exactly once, in the order of the feed.
    let count = tokio::task::spawn_blocking(move || {
        let store = database.open().unwrap();
        let mut count: HashMap<String, usize> = HashMap::new();
        let mut after = 0;
        for _ in 0..1000 {
            let page = store
                .records_after(after, i64::MAX, &RecordFilter::everything(), 500)
                .unwrap();
            let Some(last) = page.last() else { break };
            after = last.seq;
            for record in page {
                *count.entry(record.id).or_default() += 1;
            }
        }
        count
    })
    .await
    .unwrap();
    assert_eq!(count.len(), sent.len(), "every record sent is stored");
    assert!(count.values().all(|n| *n == 1), "none twice");
    for item in &sent {
        assert!(count.contains_key(item["id"].as_str().unwrap()));
    }
    drop(server);
}
