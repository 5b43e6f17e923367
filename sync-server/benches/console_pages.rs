//! Console page benchmark (issue 15 item 8): how long the desk console's pages take
//! on a store of 100,000 hazard cases, against a real server on 127.0.0.1 with a real
//! SQLite store (the test harness's in-process server). Run with
//! `cargo bench -p gridwalk-server --bench console_pages` (`GRIDWALK_BENCH_CASES`
//! sets another number of cases).
//!
//! The cases are written straight into the server's database in one transaction (the
//! rows a push would write: each case's `reported` event, for a third of them a
//! call-in to the street, and the case's row with its kept fold and the indexed
//! columns of that fold), so that making them does not take hours of pushes; the
//! pages then read them as they read pushed ones.
//!
//! Times each page over real HTTP (the client's wall time, so an upper bound of the
//! server's), 30 requests each, and prints p50 and p95 with the ratio to the named
//! peers measured in the same run: the campaign report folded from every event (as
//! `gridwalk-server report --json` computed it before the indexed columns), and a
//! `/v1/pull` page of 500 records.
//! The target is p95 ≤ 200 ms for every page.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use common::{TestServer, new_id};
use gridwalk_model::checklist::Severity;
use gridwalk_model::hazard::{
    Actor, Event, Folding, HazardReport, Hlc, Level, Payload, ReportSource,
};
use gridwalk_model::profile::Role;
use gridwalk_server::kinds::CaseFold;
use gridwalk_server::report;
use gridwalk_server::storage::case_index::CaseColumns;
use reqwest::header::{COOKIE, SET_COOKIE};

const REQUESTS: usize = 30;
const PASSWORD: &str = "bench-password-1";
const CATEGORIES: [&str; 9] = [
    "fire",
    "facilities",
    "public-order",
    "traffic",
    "environment",
    "food",
    "production",
    "fire",
    "facilities",
];
const SITES: [(&str, &str); 3] = [
    ("site-a", "g-xinhua-1"),
    ("site-b", "g-xinhua-2"),
    ("site-c", "g-dongguang-1"),
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Writes `n` cases into the server's database, as pushes would have left them.
fn fill(server: &TestServer, n: usize) -> String {
    let mut db = rusqlite::Connection::open(server.data_path().join("server.sqlite")).unwrap();
    db.busy_timeout(Duration::from_secs(30)).unwrap();
    let tx = db.transaction().unwrap();
    let worker = Actor {
        name: "Li Na".into(),
        role: Role::GridWorker,
        unit: "g-xinhua-1".into(),
        department: None,
    };
    let street = Actor {
        name: "Chen Jie".into(),
        role: Role::StreetOfficer,
        unit: "s-hehua".into(),
        department: None,
    };
    let start = Utc::now().timestamp_millis() - 60 * 24 * 3600 * 1000;
    let mut first = String::new();
    {
        let mut record = tx
            .prepare(
                "INSERT INTO records(id, kind, body, body_hash, unit, department, author_person,
                   author_device, draft, personal, received_at, case_id)
                 VALUES (?1, 'hazard-event', ?2, '', ?3, ?4, 'bench', 'bench', 0, 0,
                   '2026-01-01T00:00:00.000Z', ?5)",
            )
            .unwrap();
        let mut case_row = tx
            .prepare(
                "INSERT INTO cases(case_id, unit, department, personal, fold, status, level,
                   category, report_unit, site, reported_at_ms, due_ms, rectified_at_ms,
                   solved_at_ms, solved_level, closed_at_ms, last_hlc_ms)
                 VALUES (?1, ?2, NULL, 0, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
                   ?14, ?15)",
            )
            .unwrap();
        for i in 0..n {
            let case = new_id();
            if i == 0 {
                first = case.clone();
            }
            let (site, unit) = SITES[i % SITES.len()];
            let at = start + (i as i64) * 50;
            let report = HazardReport {
                source: ReportSource::Inspection {
                    inspection_id: new_id(),
                    item: "fire-01".into(),
                },
                category: CATEGORIES[i % CATEGORIES.len()].into(),
                item: Some("fire-01".into()),
                severity: Severity::High,
                unit: unit.into(),
                site_id: Some(site.into()),
                description: format!("hazard {i}"),
                photos: vec![],
                suggested_department: None,
            };
            let reported = Event {
                id: new_id(),
                case_id: case.clone(),
                actor: worker.clone(),
                device: "bench".into(),
                hlc: Hlc { ms: at, counter: 0 },
                wall_ms: at,
                parents: vec![],
                withheld: None,
                payload: Payload::Reported(report.clone()),
            };
            let mut events = vec![reported];
            if i % 3 == 0 && unit != "g-dongguang-1" {
                events.push(Event {
                    id: new_id(),
                    case_id: case.clone(),
                    actor: street.clone(),
                    device: "bench".into(),
                    hlc: Hlc {
                        ms: at + 1,
                        counter: 0,
                    },
                    wall_ms: at + 1,
                    parents: vec![events[0].id.clone()],
                    withheld: None,
                    payload: Payload::CalledIn {
                        level: Level::Street,
                        note: "ours".into(),
                    },
                });
            }
            for event in &events {
                record
                    .execute(rusqlite::params![
                        event.id,
                        serde_json::to_string(event).unwrap(),
                        unit,
                        Option::<String>::None,
                        case
                    ])
                    .unwrap();
            }
            let fold = CaseFold {
                report,
                folding: Folding::of(&case, &events),
            };
            // The columns a push writes with the fold, from the same fold.
            let c = CaseColumns::of(&fold.folding);
            case_row
                .execute(rusqlite::params![
                    case,
                    unit,
                    serde_json::to_string(&fold).unwrap(),
                    c.status,
                    c.level,
                    c.category,
                    c.report_unit,
                    c.site,
                    c.reported_at_ms,
                    c.due_ms,
                    c.rectified_at_ms,
                    c.solved_at_ms,
                    c.solved_level,
                    c.closed_at_ms,
                    c.last_hlc_ms
                ])
                .unwrap();
        }
    }
    tx.commit().unwrap();
    first
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

/// Sets a desk person's password with their code and signs in; the session cookie.
async fn sign_in(server: &TestServer, code: &str, login: &str) -> String {
    let page = client()
        .get(server.url("/console/password"))
        .send()
        .await
        .unwrap();
    let form = page
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .find_map(|v| {
            v.to_str()
                .unwrap()
                .strip_prefix("gw_form=")
                .map(|r| r.split(';').next().unwrap().to_string())
        })
        .unwrap();
    let fields = |extra: &[(&'static str, &str)]| {
        let mut f = vec![("csrf", form.clone())];
        f.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        f
    };
    client()
        .post(server.url("/console/password"))
        .header(COOKIE, format!("gw_form={form}"))
        .form(&fields(&[
            ("code", code),
            ("login", login),
            ("password", PASSWORD),
            ("password_again", PASSWORD),
        ]))
        .send()
        .await
        .unwrap();
    let signed = client()
        .post(server.url("/console/signin"))
        .header(COOKIE, format!("gw_form={form}"))
        .form(&fields(&[("login", login), ("password", PASSWORD)]))
        .send()
        .await
        .unwrap();
    signed
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .find_map(|v| {
            v.to_str()
                .unwrap()
                .strip_prefix("gw_session=")
                .map(|r| r.split(';').next().unwrap().to_string())
        })
        .expect("signed in")
}

async fn time_page(server: &TestServer, cookie: &str, path: &str) -> Vec<Duration> {
    let client = client();
    let mut times = Vec::new();
    for _ in 0..REQUESTS {
        let started = Instant::now();
        let response = client
            .get(server.url(path))
            .header(COOKIE, format!("gw_session={cookie}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.bytes().await.unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    times
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("GRIDWALK_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let server = TestServer::start().await;
    let started = Instant::now();
    let first = fill(&server, n);
    println!(
        "console pages: {n} cases written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let street = sign_in(
        &server,
        &server.person("Chen Jie", "street-officer", "s-hehua", None),
        "chen.jie",
    )
    .await;
    let supervisor = sign_in(
        &server,
        &server.person("Ma Li", "supervisor", "jinjiang", None),
        "ma.li",
    )
    .await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;

    // The peers: the report as `report --json` computes it, and a page of a pull.
    let mut report = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        report::from_events(server.state.store.as_ref(), Utc::now().timestamp_millis()).unwrap();
        report.push(started.elapsed());
    }
    report.sort();
    let mut pull = Vec::new();
    for _ in 0..REQUESTS {
        let started = Instant::now();
        let r = server
            .client
            .get(server.url("/v1/pull?cursor=0&limit=500"))
            .bearer_auth(&worker.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
        pull.push(started.elapsed());
    }
    pull.sort();
    // `report --json` as it computes now: SQL aggregates over the indexed columns.
    let mut sql_report = Vec::new();
    for _ in 0..REQUESTS {
        let started = Instant::now();
        report::campaign_report(server.state.store.as_ref(), Utc::now().timestamp_millis())
            .unwrap();
        sql_report.push(started.elapsed());
    }
    sql_report.sort();
    let report_p50 = percentile(&report, 0.5);
    let pull_p50 = percentile(&pull, 0.5);
    println!(
        "peer  report folded from events (old report)  p50 {:8.1} ms  p95 {:8.1} ms",
        ms(report_p50),
        ms(percentile(&report, 0.95))
    );
    println!(
        "peer  GET /v1/pull (500 records)              p50 {:8.1} ms  p95 {:8.1} ms",
        ms(pull_p50),
        ms(percentile(&pull, 0.95))
    );
    println!(
        "      report --json (SQL over the columns)     p50 {:8.1} ms  p95 {:8.1} ms  p50 = {:.3}x report, {:.2}x pull",
        ms(percentile(&sql_report, 0.5)),
        ms(percentile(&sql_report, 0.95)),
        ms(percentile(&sql_report, 0.5)) / ms(report_p50),
        ms(percentile(&sql_report, 0.5)) / ms(pull_p50),
    );
    let pages = [
        (
            "street officer: queue",
            &street,
            "/console/queue".to_string(),
        ),
        (
            "supervisor: queue, fire, all",
            &supervisor,
            "/console/queue?category=fire&status=all".to_string(),
        ),
        (
            "street officer: queue, page 200",
            &street,
            "/console/queue?page=200".to_string(),
        ),
        (
            "supervisor: queue, overdue, a street",
            &supervisor,
            "/console/queue?unit=s-hehua&overdue=1".to_string(),
        ),
        (
            "supervisor: dashboard",
            &supervisor,
            "/console/dashboard".to_string(),
        ),
        (
            "supervisor: dashboard, a street",
            &supervisor,
            "/console/dashboard?unit=s-hehua".to_string(),
        ),
        (
            "street officer: case page",
            &street,
            format!("/console/cases/{first}"),
        ),
    ];
    let mut worst = Duration::ZERO;
    for (name, cookie, path) in pages {
        let times = time_page(&server, cookie, &path).await;
        let p95 = percentile(&times, 0.95);
        worst = worst.max(p95);
        println!(
            "page  {name:<38} p50 {:8.1} ms  p95 {:8.1} ms  p50 = {:.3}x report, {:.2}x pull",
            ms(percentile(&times, 0.5)),
            ms(p95),
            ms(percentile(&times, 0.5)) / ms(report_p50),
            ms(percentile(&times, 0.5)) / ms(pull_p50),
        );
    }
    println!(
        "target p95 <= 200 ms: {} (worst p95 {:.1} ms)",
        if worst <= Duration::from_millis(200) {
            "met"
        } else {
            "NOT met"
        },
        ms(worst)
    );
    server.stop().await;
}
