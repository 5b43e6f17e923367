//! Console page benchmark (issue 15 item 8): how long the desk console's pages take
//! on a store of 100,000 hazard cases, against a real server on 127.0.0.1 with the
//! store `TestServer` opens: the SQLite file, or PostgreSQL when
//! `GRIDWALK_TEST_DATABASE` names a server (`scripts/with-test-postgres cargo bench -p
//! gridwalk-server --bench console_pages`). Run with
//! `cargo bench -p gridwalk-server --bench console_pages` (`GRIDWALK_BENCH_CASES`
//! sets another number of cases).
//!
//! The cases are written straight into the server's database in one transaction (the
//! rows a push would write: each case's events — reported, and by its number called in
//! to the street, assigned to a department, rectified, verified or closed — and the
//! case's row with its kept fold and the indexed columns of that fold), so that making
//! them does not take hours of pushes; the pages then read them as they read pushed
//! ones. The reports are spread over the last 100 days, so some cases are not yet due
//! and the weekly trend has weeks to count.
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

/// A hazard event's record as a push stores it.
struct RecordRow {
    id: String,
    body: String,
    unit: String,
    case_id: String,
}

/// A case's row as a push writes it with its last event.
struct CaseRowData {
    case_id: String,
    unit: String,
    department: Option<String>,
    fold: String,
    columns: CaseColumns,
}

/// The events of `n` cases and their rows, as pushes would have left them: the n-th
/// case reported 100 days and 5 hours ago plus n × (100 days / `n`), its later events
/// an hour apart. Every third (bar Dongguang's) is called in to the street, every sixth also
/// assigned to the fire-rescue department; every fourth is rectified, every eighth of those
/// verified, every twelfth closed.
fn cases(n: usize) -> (Vec<RecordRow>, Vec<CaseRowData>) {
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
    // Rectifies (any open case) and closes (with a note, unverified) as the rules
    // allow an admin.
    let admin = Actor {
        name: "Admin".into(),
        role: Role::Admin,
        unit: "jinjiang".into(),
        department: None,
    };
    let span = 100 * 24 * 3600 * 1000_i64;
    // The last case's last event an hour before now: every event is in the past, so
    // the report as of now is read from the columns.
    let start = Utc::now().timestamp_millis() - span - 5 * 3_600_000;
    let step = span / i64::try_from(n.max(1)).unwrap();
    let mut records = Vec::new();
    let mut rows = Vec::new();
    for i in 0..n {
        let case = new_id();
        let (site, unit) = SITES[i % SITES.len()];
        let at = start + (i as i64) * step;
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
        let mut events: Vec<Event> = Vec::new();
        let mut add = |actor: &Actor, payload: Payload| {
            let ms = at + (events.len() as i64) * 3_600_000;
            events.push(Event {
                id: new_id(),
                case_id: case.clone(),
                actor: actor.clone(),
                device: "bench".into(),
                hlc: Hlc { ms, counter: 0 },
                wall_ms: ms,
                parents: events.last().map(|e| e.id.clone()).into_iter().collect(),
                withheld: None,
                payload,
            });
        };
        add(&worker, Payload::Reported(report.clone()));
        if i % 3 == 0 && unit != "g-dongguang-1" {
            add(
                &street,
                Payload::CalledIn {
                    level: Level::Street,
                    note: "ours".into(),
                },
            );
            if i % 6 == 0 {
                add(
                    &street,
                    Payload::Assigned {
                        department: "fire-rescue".into(),
                        note: "please".into(),
                    },
                );
            }
        }
        if i % 4 == 1 {
            add(
                &admin,
                Payload::Rectified {
                    photos: vec!["a".repeat(64)],
                    note: "fixed".into(),
                },
            );
            if i % 8 == 1 {
                add(
                    &street,
                    Payload::Verified {
                        passed: true,
                        inspection_id: None,
                        note: "holds".into(),
                    },
                );
            }
        } else if i % 12 == 2 {
            add(
                &admin,
                Payload::Closed {
                    note: "duplicate".into(),
                },
            );
        }
        for event in &events {
            records.push(RecordRow {
                id: event.id.clone(),
                body: serde_json::to_string(event).unwrap(),
                unit: unit.into(),
                case_id: case.clone(),
            });
        }
        let fold = CaseFold {
            report,
            folding: Folding::of(&case, &events),
        };
        rows.push(CaseRowData {
            case_id: case,
            unit: unit.into(),
            department: fold.folding.state.department.clone(),
            // The columns a push writes with the fold, from the same fold.
            columns: CaseColumns::of(&fold.folding),
            fold: serde_json::to_string(&fold).unwrap(),
        });
    }
    (records, rows)
}

/// Writes the records and case rows into the server's SQLite file, in one transaction.
fn write_sqlite(server: &TestServer, records: &[RecordRow], rows: &[CaseRowData]) {
    let mut db = rusqlite::Connection::open(server.data_path().join("server.sqlite")).unwrap();
    db.busy_timeout(Duration::from_secs(30)).unwrap();
    let tx = db.transaction().unwrap();
    {
        let mut record = tx
            .prepare(
                "INSERT INTO records(id, kind, body, body_hash, unit, department, author_person,
                   author_device, draft, personal, received_at, case_id)
                 VALUES (?1, 'hazard-event', ?2, '', ?3, NULL, 'bench', 'bench', 0, 0,
                   '2026-01-01T00:00:00.000Z', ?4)",
            )
            .unwrap();
        for r in records {
            record
                .execute(rusqlite::params![r.id, r.body, r.unit, r.case_id])
                .unwrap();
        }
        let mut case_row = tx
            .prepare(
                "INSERT INTO cases(case_id, unit, department, personal, fold, status, level,
                   category, report_unit, site, reported_at_ms, due_ms, rectified_at_ms,
                   solved_at_ms, solved_level, closed_at_ms, last_hlc_ms)
                 VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
                   ?15, ?16)",
            )
            .unwrap();
        for r in rows {
            let c = &r.columns;
            case_row
                .execute(rusqlite::params![
                    r.case_id,
                    r.unit,
                    r.department,
                    r.fold,
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
}

/// Rows per multi-row `INSERT` on PostgreSQL.
const PG_BATCH: usize = 500;

/// Writes the records and case rows into the server's PostgreSQL database, in one
/// transaction, then vacuums and analyses (as autovacuum does soon after such a load
/// on a running server): the statistics for the planner, and the visibility map
/// without which an index-only scan still visits every row.
async fn write_postgres(url: &str, records: &[RecordRow], rows: &[CaseRowData]) {
    use tokio_postgres::types::ToSql;
    let (mut client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let tx = client.transaction().await.unwrap();
    // `$n::TYPE` for each column typed `types`, so VALUES' parameters are typed.
    let placeholders = |rows: usize, types: &[&str]| {
        let per_row = types.len();
        (0..rows)
            .map(|r| {
                let cells: Vec<String> = types
                    .iter()
                    .enumerate()
                    .map(|(c, ty)| format!("${}::{ty}", r * per_row + c + 1))
                    .collect();
                format!("({})", cells.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    for batch in records.chunks(PG_BATCH) {
        let sql = format!(
            "INSERT INTO records(id, body, unit, case_id, kind, body_hash, author_person,
               author_device, draft, personal, received_at)
             SELECT v.id, v.body, v.unit, v.case_id, 'hazard-event', '', 'bench', 'bench',
               false, false, '2026-01-01T00:00:00.000Z'
             FROM (VALUES {}) AS v(id, body, unit, case_id)",
            placeholders(batch.len(), &["TEXT"; 4])
        );
        let params: Vec<&(dyn ToSql + Sync)> = batch
            .iter()
            .flat_map(|r| [&r.id as &(dyn ToSql + Sync), &r.body, &r.unit, &r.case_id])
            .collect();
        tx.execute(&sql, &params).await.unwrap();
    }
    for batch in rows.chunks(PG_BATCH) {
        let sql = format!(
            "INSERT INTO cases(case_id, unit, department, personal, fold, status, level,
               category, report_unit, site, reported_at_ms, due_ms, rectified_at_ms,
               solved_at_ms, solved_level, closed_at_ms, last_hlc_ms)
             SELECT v.case_id, v.unit, v.department, false, v.fold, v.status, v.level,
               v.category, v.report_unit, v.site, v.reported_at_ms, v.due_ms,
               v.rectified_at_ms, v.solved_at_ms, v.solved_level, v.closed_at_ms,
               v.last_hlc_ms
             FROM (VALUES {}) AS v(case_id, unit, department, fold, status, level,
               category, report_unit, site, reported_at_ms, due_ms, rectified_at_ms,
               solved_at_ms, solved_level, closed_at_ms, last_hlc_ms)",
            placeholders(
                batch.len(),
                &[
                    "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "BIGINT", "TEXT", "TEXT", "TEXT",
                    "BIGINT", "BIGINT", "BIGINT", "BIGINT", "BIGINT", "BIGINT", "BIGINT",
                ],
            )
        );
        let params: Vec<&(dyn ToSql + Sync)> = batch
            .iter()
            .flat_map(|r| {
                let c = &r.columns;
                [
                    &r.case_id as &(dyn ToSql + Sync),
                    &r.unit,
                    &r.department,
                    &r.fold,
                    &c.status,
                    &c.level,
                    &c.category,
                    &c.report_unit,
                    &c.site,
                    &c.reported_at_ms,
                    &c.due_ms,
                    &c.rectified_at_ms,
                    &c.solved_at_ms,
                    &c.solved_level,
                    &c.closed_at_ms,
                    &c.last_hlc_ms,
                ]
            })
            .collect();
        tx.execute(&sql, &params).await.unwrap();
    }
    tx.commit().await.unwrap();
    client.batch_execute("VACUUM ANALYZE").await.unwrap();
}

/// Writes `n` cases into the server's database, as pushes would have left them; the
/// first case's id.
async fn fill(server: &TestServer, n: usize) -> String {
    let (records, rows) = cases(n);
    match server.database_url() {
        Some(url) => write_postgres(url, &records, &rows).await,
        None => write_sqlite(server, &records, &rows),
    }
    rows.first().map(|r| r.case_id.clone()).unwrap_or_default()
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
    let first = fill(&server, n).await;
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
    let community = sign_in(
        &server,
        &server.person("Zhao Min", "community-staff", "c-xinhua", None),
        "zhao.min",
    )
    .await;
    let department = sign_in(
        &server,
        &server.person(
            "Wang Fang",
            "department-officer",
            "jinjiang",
            Some("fire-rescue"),
        ),
        "wang.fang",
    )
    .await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let store = server.state.store.clone();
    // The store's calls block (PostgreSQL's on a runtime of their own): off the
    // runtime's reactor.
    let blocking = |f: &dyn Fn()| tokio::task::block_in_place(f);

    // The peers: the report as `report --json` computes it, and a page of a pull.
    let mut report = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        blocking(&|| {
            report::from_events(store.as_ref(), Utc::now().timestamp_millis()).unwrap();
        });
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
        blocking(&|| {
            report::campaign_report(store.as_ref(), Utc::now().timestamp_millis()).unwrap();
        });
        sql_report.push(started.elapsed());
    }
    sql_report.sort();
    blocking(&|| {
        let r = report::campaign_report(store.as_ref(), Utc::now().timestamp_millis()).unwrap();
        println!(
            "store {}: {} found, {} open, {} overdue, {} rectified, {} verified, {} closed",
            if server.database_url().is_some() {
                "PostgreSQL"
            } else {
                "SQLite"
            },
            r.total.found,
            r.total.open,
            r.total.overdue,
            r.total.rectified,
            r.total.verified,
            r.total.closed
        );
    });
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
            "street officer: queue, page 200",
            &street,
            "/console/queue?page=200".to_string(),
        ),
        (
            "community staff: queue",
            &community,
            "/console/queue".to_string(),
        ),
        (
            "department officer: queue",
            &department,
            "/console/queue".to_string(),
        ),
        (
            "supervisor: queue",
            &supervisor,
            "/console/queue".to_string(),
        ),
        (
            "supervisor: queue, fire, all",
            &supervisor,
            "/console/queue?category=fire&status=all".to_string(),
        ),
        (
            "supervisor: queue, overdue, a street",
            &supervisor,
            "/console/queue?unit=s-hehua&overdue=1".to_string(),
        ),
        (
            "supervisor: dashboard (district)",
            &supervisor,
            "/console/dashboard".to_string(),
        ),
        (
            "supervisor: dashboard, a street",
            &supervisor,
            "/console/dashboard?unit=s-hehua".to_string(),
        ),
        (
            "supervisor: dashboard, a community",
            &supervisor,
            "/console/dashboard?unit=c-xinhua".to_string(),
        ),
        (
            "supervisor: dashboard, a grid",
            &supervisor,
            "/console/dashboard?unit=g-xinhua-1".to_string(),
        ),
        (
            "street officer: case page",
            &street,
            format!("/console/cases/{first}"),
        ),
        (
            "street officer: queue CSV (all lines)",
            &street,
            "/console/export/cases.csv".to_string(),
        ),
        (
            "supervisor: queue CSV, fire, all",
            &supervisor,
            "/console/export/cases.csv?category=fire&status=all".to_string(),
        ),
        (
            "supervisor: report CSV",
            &supervisor,
            "/console/export/report.csv".to_string(),
        ),
        (
            "supervisor: spot-check planner",
            &supervisor,
            "/console/spot-checks".to_string(),
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
