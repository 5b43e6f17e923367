//! The pull cursor never skips a record (issue 14 item 4). With concurrent writers, a
//! sequence number drawn before another transaction's can commit after it: a puller
//! that saw the later one would move its cursor past the earlier and never see it.
//!
//! Real server processes (the binary): on PostgreSQL (`GRIDWALK_TEST_DATABASE`) two
//! replicas on one database, pushes and pulls spread over both; on the embedded store
//! the one process that owns the file. Writers push concurrently while pullers page
//! through with small pages; when the writers are done each puller pages to the end,
//! and must hold every accepted record exactly once.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use common::{ServerProcess, fixture, routine, test_database};
use gridwalk_server::admin;
use gridwalk_server::config::DataDir;
use gridwalk_server::storage::Database;
use serde_json::{Value, json};

const WRITERS: usize = 6;
const BATCHES: usize = 12;
const BATCH: usize = 4;
const PULLERS: usize = 3;
const PAGE: u32 = 3;

async fn enrol(client: &reqwest::Client, base: &str, code: &str) -> String {
    let response = client
        .post(format!("{base}/v1/enrol"))
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pushes_on_two_replicas_never_let_a_puller_skip_a_record() {
    let data = tempfile::tempdir().unwrap();
    let dir = DataDir {
        root: data.path().to_path_buf(),
    };
    let (database, _scratch) = test_database(&dir);
    let mut codes = Vec::new();
    {
        let store = database.open().unwrap();
        admin::import_units(store.as_ref(), &fixture("units.csv")).unwrap();
        admin::import_sites(store.as_ref(), &fixture("sites.csv")).unwrap();
        for w in 0..WRITERS {
            let name = format!("Writer {w}");
            codes.push(
                admin::add_person(store.as_ref(), &name, "grid-worker", "g-xinhua-1", None)
                    .unwrap()
                    .enrolment_code,
            );
        }
        for p in 0..PULLERS {
            let name = format!("Puller {p}");
            codes.push(
                admin::add_person(store.as_ref(), &name, "admin", "jinjiang", None)
                    .unwrap()
                    .enrolment_code,
            );
        }
    }
    // Two replicas on one PostgreSQL database, sharing the photo folder; the embedded
    // store has one process, so both "replicas" are it.
    let first = ServerProcess::start(data.path(), &database);
    let second = match database {
        Database::Postgres(_) => Some(ServerProcess::start(data.path(), &database)),
        Database::Sqlite(_) => None,
    };
    let bases = [
        first.base.clone(),
        second
            .as_ref()
            .map_or(first.base.clone(), |r| r.base.clone()),
    ];
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut tokens = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        tokens.push(enrol(&client, &bases[i % 2], code).await);
    }
    let (writer_tokens, puller_tokens) = tokens.split_at(WRITERS);

    let writing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut writers = Vec::new();
    for (w, token) in writer_tokens.iter().cloned().enumerate() {
        let client = client.clone();
        let bases = bases.clone();
        writers.push(tokio::spawn(async move {
            let mut accepted = Vec::new();
            for b in 0..BATCHES {
                // Every request may go to either replica.
                let base = &bases[(w + b) % 2];
                let items: Vec<Value> = (0..BATCH).map(|_| routine("site-a")).collect();
                let response = client
                    .post(format!("{base}/v1/push"))
                    .bearer_auth(&token)
                    .json(&json!({ "items": items }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                let body: Value = response.json().await.unwrap();
                for result in body["results"].as_array().unwrap() {
                    assert_eq!(result["status"], "accepted", "{result}");
                    accepted.push(result["id"].as_str().unwrap().to_string());
                }
            }
            accepted
        }));
    }

    let mut pullers = Vec::new();
    for (p, token) in puller_tokens.iter().cloned().enumerate() {
        let client = client.clone();
        let bases = bases.clone();
        let writing = writing.clone();
        pullers.push(tokio::spawn(async move {
            let mut cursor = String::new();
            let mut seen: HashMap<String, usize> = HashMap::new();
            let deadline = Instant::now() + Duration::from_secs(240);
            for request in 0usize.. {
                assert!(Instant::now() < deadline, "puller {p} did not finish");
                let done_writing = !writing.load(std::sync::atomic::Ordering::SeqCst);
                let base = &bases[(p + request) % 2];
                let response = client
                    .get(format!("{base}/v1/pull"))
                    .query(&[("cursor", cursor.as_str()), ("limit", &PAGE.to_string())])
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                let page: Value = response.json().await.unwrap();
                for item in page["items"].as_array().unwrap() {
                    *seen
                        .entry(item["id"].as_str().unwrap().to_string())
                        .or_default() += 1;
                }
                cursor = page["next_cursor"].as_str().unwrap().to_string();
                let has_more = page["has_more"].as_bool().unwrap();
                if !has_more {
                    if done_writing {
                        // Everything was committed before this page was asked for.
                        return seen;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            unreachable!()
        }));
    }

    let mut accepted = HashSet::new();
    for writer in writers {
        for id in writer.await.unwrap() {
            assert!(accepted.insert(id), "an id accepted twice");
        }
    }
    writing.store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(accepted.len(), WRITERS * BATCHES * BATCH);
    for (p, puller) in pullers.into_iter().enumerate() {
        let seen = puller.await.unwrap();
        let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "puller {p} got records twice: {twice:?}");
        let seen: HashSet<String> = seen.into_keys().collect();
        let missing: Vec<_> = accepted.difference(&seen).collect();
        assert!(
            missing.is_empty(),
            "puller {p} skipped {} of {} records: {missing:?}",
            missing.len(),
            accepted.len()
        );
        assert_eq!(seen, accepted, "puller {p} holds exactly what was accepted");
    }
    drop(second);
    drop(first);
}
