//! The sync protocol over real HTTP on 127.0.0.1: enrolment, push idempotency, pull
//! pagination and cursors, compression, limits, health.

use crate::common;

use std::io::Write;

use common::*;
use gridwalk_model::inspection::{InspectionKind, InspectionStatus};
use gridwalk_server::config::Limits;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrol_gives_a_token_once_and_tokens_are_required() {
    let server = TestServer::start().await;
    let code = server.person("Li Na", "grid-worker", "g-xinhua-1", None);
    // Typed sloppily: lower case with spaces instead of dashes.
    let sloppy = code.to_lowercase().replace('-', " ");
    let device = server.enrol(&sloppy).await;
    assert!(device.token.starts_with("g2_") && device.token.len() == 25);

    let again = server
        .client
        .post(server.url("/v1/enrol"))
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 401, "a code works once");
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");

    let bad = server
        .client
        .post(server.url("/v1/enrol"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    for path in ["/v1/pull", "/v1/reference"] {
        let none = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(none.status(), 401, "{path} without a token");
        let unknown = server
            .client
            .get(server.url(path))
            .bearer_auth("gw1_not-a-real-token")
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), 401, "{path} with an unknown token");
    }
    let push = server
        .client
        .post(server.url("/v1/push"))
        .json(&json!({ "items": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(push.status(), 401);

    let ok = server
        .client
        .get(server.url("/v1/reference"))
        .bearer_auth(&device.token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let reference: Value = ok.json().await.unwrap();
    assert_eq!(reference["me"]["role"], "grid-worker");
    assert_eq!(reference["templates"][0]["id"], "safe-community");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushing_the_same_batch_twice_stores_nothing_twice() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let batch: Vec<Value> = (0..5).map(|_| routine("site-a")).collect();

    let first = server.push(&worker, &batch).await;
    assert!(first.iter().all(|r| r["status"] == "accepted"), "{first:?}");
    let second = server.push(&worker, &batch).await;
    assert!(
        second.iter().all(|r| r["status"] == "duplicate"),
        "{second:?}"
    );
    // The duplicate answer names the stored record.
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a["seq"], b["seq"]);
    }
    // Re-serialised JSON (other key order / whitespace) is still the same record.
    let reordered: Value =
        serde_json::from_str(&serde_json::to_string_pretty(&batch[0]).unwrap()).unwrap();
    let third = server.push(&worker, &[reordered]).await;
    assert_eq!(third[0]["status"], "duplicate");

    let pulled = server.pull_all(&worker).await;
    let mut got = ids(&pulled);
    got.sort();
    let mut want = ids(&batch);
    want.sort();
    assert_eq!(got, want, "each record exactly once");

    // Same id, other content: refused, the stored record unchanged.
    let mut changed = batch[0].clone();
    changed["body"]["answers"][0]["note"] = json!("changed after the fact");
    let conflict = server.push(&worker, &[changed]).await;
    assert_eq!(conflict[0]["status"], "rejected");
    assert_eq!(conflict[0]["code"], "conflict");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_items_are_rejected_one_by_one_with_reasons() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let good = routine("site-a");
    let unknown_site = routine("site-nowhere");
    let draft = item(&inspection(
        &new_id(),
        "site-a",
        InspectionKind::Routine,
        InspectionStatus::Draft,
        None,
        None,
    ));
    let mut wrong_id = routine("site-a");
    wrong_id["id"] = json!(new_id());
    let unknown_kind = json!({ "id": new_id(), "kind": "gossip", "body": {} });
    let hazard = json!({ "id": new_id(), "kind": "hazard-event", "body": {} });
    let not_inspection = json!({ "id": new_id(), "kind": "inspection", "body": { "x": 1 } });
    let mut bad_photo = routine("site-a");
    bad_photo["body"]["answers"][0]["photos"] = json!(["../../etc/passwd"]);
    let results = server
        .push(
            &worker,
            &[
                good,
                unknown_site,
                draft,
                wrong_id,
                unknown_kind,
                hazard,
                not_inspection,
                bad_photo,
            ],
        )
        .await;
    let codes: Vec<&str> = results
        .iter()
        .map(|r| r["code"].as_str().unwrap_or(r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            "accepted",
            "invalid",
            "invalid",
            "invalid",
            "unsupported-kind",
            "invalid",
            "invalid",
            "invalid"
        ]
    );
    assert!(
        results[1]["reason"]
            .as_str()
            .unwrap()
            .contains("site-nowhere")
    );
    assert_eq!(server.pull_all(&worker).await.len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_pages_follow_the_cursor() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let other = server
        .device("Zhao Lei", "grid-worker", "g-xinhua-2", None)
        .await;
    // Interleave records the worker may not see, so cursors must skip them.
    let mut mine = Vec::new();
    for _ in 0..7 {
        let item = routine("site-a");
        mine.push(item["id"].as_str().unwrap().to_string());
        server.push(&worker, &[item]).await;
        server.push(&other, &[routine("site-b")]).await;
    }
    let mut cursor = String::new();
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut last_seq = 0;
    loop {
        let page = server.pull_page(&worker, &cursor, 3).await;
        pages += 1;
        for item in page["items"].as_array().unwrap() {
            let seq = item["seq"].as_i64().unwrap();
            assert!(seq > last_seq, "sequence order");
            last_seq = seq;
            seen.push(item["id"].as_str().unwrap().to_string());
        }
        let next = page["next_cursor"].as_str().unwrap().to_string();
        assert!(next.parse::<i64>().unwrap() >= cursor.parse::<i64>().unwrap_or(0));
        cursor = next;
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
        assert!(pages < 10, "bounded");
    }
    assert_eq!(seen, mine, "all of mine, in order, none twice");
    assert_eq!(pages, 3, "7 records in pages of 3");

    // Nothing new: an empty page at the same cursor.
    let empty = server.pull_page(&worker, &cursor, 3).await;
    assert!(empty["items"].as_array().unwrap().is_empty());
    assert_eq!(empty["next_cursor"].as_str().unwrap(), cursor);

    // Something new: only it.
    let fresh = routine("site-a");
    server.push(&worker, std::slice::from_ref(&fresh)).await;
    let page = server.pull_page(&worker, &cursor, 3).await;
    assert_eq!(ids(page["items"].as_array().unwrap()), ids(&[fresh]));

    for bad in [
        ("cursor", "abc"),
        ("cursor", "-1"),
        ("limit", "0"),
        ("limit", "100000"),
    ] {
        let response = server
            .client
            .get(server.url("/v1/pull"))
            .query(&[bad])
            .bearer_auth(&worker.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{bad:?}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_compressed_both_ways() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let items: Vec<Value> = (0..20).map(|_| routine("site-a")).collect();
    let json = serde_json::to_vec(&json!({ "items": items })).unwrap();

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&json).unwrap();
    let gzipped = gz.finish().unwrap();
    assert!(gzipped.len() < json.len() / 3);
    let response = server
        .client
        .post(server.url("/v1/push"))
        .bearer_auth(&worker.token)
        .header("Content-Type", "application/json")
        .header("Content-Encoding", "gzip")
        .body(gzipped)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["results"].as_array().unwrap().len(), 20);

    let zstded = zstd::encode_all(&json[..], 3).unwrap();
    let response = server
        .client
        .post(server.url("/v1/push"))
        .bearer_auth(&worker.token)
        .header("Content-Encoding", "zstd")
        .body(zstded)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "duplicate")
    );

    // The pull answer is compressed when asked (a raw client sees the encoding).
    let raw = reqwest::Client::builder()
        .no_gzip()
        .no_zstd()
        .build()
        .unwrap();
    let response = raw
        .get(server.url("/v1/pull"))
        .bearer_auth(&worker.token)
        .header("Accept-Encoding", "zstd")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "zstd");
    let bytes = response.bytes().await.unwrap();
    let page: Value = serde_json::from_slice(&zstd::decode_all(&bytes[..]).unwrap()).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 20);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_413_with_a_clear_message() {
    let limits = Limits {
        max_body_bytes: 16 * 1024,
        max_batch_items: 10,
        ..Limits::default()
    };
    let server = TestServer::with_limits(limits).await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let items: Vec<Value> = (0..60).map(|_| routine("site-a")).collect();
    let response = server
        .client
        .post(server.url("/v1/push"))
        .bearer_auth(&worker.token)
        .json(&json!({ "items": items }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "too_large");
    assert!(
        body["message"].as_str().unwrap().contains("16384 bytes"),
        "{body}"
    );

    // A small compressed body that inflates past the limit is refused too.
    let bomb = format!(
        "{{\"items\": [], \"pad\": \"{}\"}}",
        "a".repeat(1024 * 1024)
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bomb.as_bytes()).unwrap();
    let response = server
        .client
        .post(server.url("/v1/push"))
        .bearer_auth(&worker.token)
        .header("Content-Encoding", "gzip")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);

    let items: Vec<Value> = (0..11)
        .map(|_| json!({"id": "x", "kind": "inspection", "body": {}}))
        .collect();
    let response = server
        .client
        .post(server.url("/v1/push"))
        .bearer_auth(&worker.token)
        .json(&json!({ "items": items }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("limit is 10"));
    assert!(server.pull_all(&worker).await.is_empty(), "nothing stored");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_queries_the_store() {
    let server = TestServer::start().await;
    let response = server
        .client
        .get(server.url("/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let missing = server
        .client
        .get(server.url("/v1/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    server.stop().await;
}

/// `/v2/sync`: a dictionary the server does not hold is refused with its typed error
/// and stores nothing; a compact item that does not expand is rejected as invalid, the
/// rest of the batch stored; the page leaves out the caller device's own records.
#[tokio::test]
async fn v2_refuses_an_unknown_dictionary_and_rejects_what_does_not_expand() {
    let server = TestServer::start().await;
    let worker = server
        .enrol(&server.person("Li Na", "grid-worker", "g-xinhua-1", None))
        .await;
    let good = routine("site-a");
    let body = serde_json::json!({
        "i": [{ "i": good["id"], "k": "inspection", "b": good["body"] }]
    });
    let dict = gridwalk_model::wire::dictionary(1).unwrap();
    let frame = zstd::bulk::Compressor::with_dictionary(19, dict)
        .unwrap()
        .compress(&serde_json::to_vec(&body).unwrap())
        .unwrap();
    let refused = server
        .client
        .post(server.url("/v2/sync"))
        .bearer_auth(&worker.token)
        .header("gw-dict", "2")
        .body(frame.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let error: Value = refused.json().await.unwrap();
    assert_eq!(error["error"], "unknown_dictionary", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("holds 1"),
        "{error}"
    );
    assert!(server.pull_all(&worker).await.is_empty());

    // A compact inspection against a template version nobody has, beside a good one.
    let mut bad = routine("site-a");
    bad["body"]["template_version"] = serde_json::json!(99);
    bad["body"].as_object_mut().unwrap().remove("answers");
    bad["body"]["a"] = serde_json::json!([]);
    let both = serde_json::json!({ "i": [
        { "i": bad["id"], "k": "inspection", "b": bad["body"] },
        { "i": good["id"], "k": "inspection", "b": good["body"] },
    ]});
    let dict_frame = zstd::bulk::Compressor::with_dictionary(19, dict)
        .unwrap()
        .compress(&serde_json::to_vec(&both).unwrap())
        .unwrap();
    let answer = server
        .client
        .post(server.url("/v2/sync"))
        .bearer_auth(&worker.token)
        .header("gw-dict", "1")
        .body(dict_frame)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let compressed = answer.headers().get("gw-dict").is_some();
    let bytes = answer.bytes().await.unwrap();
    let json = if compressed {
        zstd::bulk::Decompressor::with_dictionary(dict)
            .unwrap()
            .decompress(&bytes, 1 << 20)
            .unwrap()
    } else {
        bytes.to_vec()
    };
    let answer: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(answer["r"][0]["s"], "rejected", "{answer}");
    assert_eq!(answer["r"][0]["e"], "invalid", "{answer}");
    assert_eq!(answer["r"][1]["s"], "accepted", "{answer}");
    assert!(
        answer.get("i").is_none(),
        "own records are left out: {answer}"
    );
    assert_eq!(
        ids(&server.pull_all(&worker).await),
        [good["id"].as_str().unwrap()]
    );
}

/// `/v2/sync`, an enrolled device sending a dictionary frame that expands past the body
/// limit: refused whether the frame declares its size (before any work) or not (the
/// decompression stops at the limit), and nothing in it is stored.
#[tokio::test]
async fn v2_dictionary_frames_that_expand_past_the_limit_are_refused_and_store_nothing() {
    let limits = Limits {
        max_body_bytes: 16 * 1024,
        ..Limits::default()
    };
    let server = TestServer::with_limits(limits).await;
    let worker = server
        .enrol(&server.person("Li Na", "grid-worker", "g-xinhua-1", None))
        .await;
    let mut big = routine("site-a");
    big["body"]["notes"] = json!("隐患".repeat(200_000));
    let json = serde_json::to_vec(&json!({
        "i": [{ "i": big["id"], "k": "inspection", "b": big["body"] }]
    }))
    .unwrap();
    let dict = gridwalk_model::wire::dictionary(1).unwrap();
    let declared = zstd::bulk::Compressor::with_dictionary(3, dict)
        .unwrap()
        .compress(&json)
        .unwrap();
    let mut streaming = zstd::stream::write::Encoder::with_dictionary(Vec::new(), 3, dict).unwrap();
    streaming.include_contentsize(false).unwrap();
    streaming.write_all(&json).unwrap();
    let undeclared = streaming.finish().unwrap();
    assert!(declared.len() < 16 * 1024 && undeclared.len() < 16 * 1024);
    for (frame, status, code) in [
        (declared, 413, "too_large"),
        (undeclared, 400, "unknown_dictionary"),
    ] {
        let response = server
            .client
            .post(server.url("/v2/sync"))
            .bearer_auth(&worker.token)
            .header("gw-dict", "1")
            .body(frame)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], code, "{error}");
        assert!(
            error["message"].as_str().unwrap().contains("16384 bytes"),
            "{error}"
        );
    }
    assert!(server.pull_all(&worker).await.is_empty());
}
