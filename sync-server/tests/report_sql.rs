//! The campaign report read from the case rows' indexed columns by SQL aggregates
//! equals the model's report folded from every event, on a varied store: every
//! category, every level, every status, overdue and not, solved at each level, a case
//! still awaiting its report, a report naming a unit outside the tree. On the store
//! `TestServer` opens: SQLite, or PostgreSQL under `scripts/with-test-postgres`. And
//! rows from before the columns existed are filled from their folds (or events) when
//! the store opens, on either. A case of which only later events arrived awaits its
//! report until the report comes. The spot-check planner's open cases per site from
//! the columns equal those counted from the kept folds, and so do the dashboard's
//! weekly counts.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::common;

use chrono::Utc;
use common::{TestServer, new_id};
use gridwalk_model::checklist::{CATEGORIES, Severity};
use gridwalk_model::hazard::deadline::DAY_MS;
use gridwalk_model::hazard::{
    Actor, Event, HazardReport, Hlc, Level, Payload, ReportSource, Status,
};
use gridwalk_model::profile::Role;
use gridwalk_model::protocol::RecordKind;
use gridwalk_server::kinds;
use gridwalk_server::report;
use gridwalk_server::storage::{NewRecord, RecordStore, sha256_hex};

const SITES: [(&str, &str); 3] = [
    ("site-a", "g-xinhua-1"),
    ("site-b", "g-xinhua-2"),
    ("site-c", "g-dongguang-1"),
];
const SEVERITIES: [Severity; 4] = [
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];

fn admin() -> Actor {
    Actor {
        name: "Admin".into(),
        role: Role::Admin,
        unit: "jinjiang".into(),
        department: None,
    }
}

/// Stores one event as a push does: the record and the case's row (fold and columns)
/// in one transaction.
fn store_event(store: &dyn RecordStore, event: &Event, unit: &str) {
    let register = store.register().unwrap();
    let body = serde_json::to_string(event).unwrap();
    let has_row = store.case_scope(&event.case_id).unwrap().is_some();
    let row = kinds::case_row_with(store, &event.case_id, &body, has_row, &register).unwrap();
    let record = NewRecord {
        id: event.id.clone(),
        kind: RecordKind::HazardEvent,
        body_hash: sha256_hex(body.as_bytes()),
        body,
        unit: row
            .as_ref()
            .map_or(unit.to_string(), |r| r.scope.unit.clone()),
        department: row.as_ref().and_then(|r| r.scope.department.clone()),
        case_id: Some(event.case_id.clone()),
        author_person: "p-admin".into(),
        author_device: "d-admin".into(),
        draft: false,
        personal: false,
        blobs: Vec::new(),
        proof: None,
    };
    store.put_record(&record, row.as_ref()).unwrap();
}

/// A case's events from `at`, 10 to 110 minutes apart (all before now), each after
/// the one before.
struct Case {
    id: String,
    unit: String,
    at: i64,
    last: Option<String>,
}

impl Case {
    fn event(&mut self, store: &dyn RecordStore, payload: Payload) {
        let event = Event {
            id: new_id(),
            case_id: self.id.clone(),
            actor: admin(),
            device: "d-admin".into(),
            hlc: Hlc {
                ms: self.at,
                counter: 0,
            },
            wall_ms: self.at,
            parents: self.last.iter().cloned().collect(),
            withheld: None,
            payload,
        };
        store_event(store, &event, &self.unit);
        self.last = Some(event.id);
        self.at += 600_000 + (self.at % 7) * 1_000_000;
    }
}

/// Writes a varied campaign: every category through ten workflows at different ages
/// and severities, one case with only a comment, one whose report names a unit that
/// is not in the tree.
fn fill(store: &dyn RecordStore, now_ms: i64) {
    let note = |s: &str| s.to_string();
    for (c, category) in CATEGORIES.iter().enumerate() {
        for flow in 0..10usize {
            let n = c * 10 + flow;
            let (site, unit) = SITES[n % SITES.len()];
            let age_days = [1, 3, 12, 25, 40, 2, 9, 30, 18, 50][(n * 7) % 10];
            let mut case = Case {
                id: new_id(),
                unit: unit.into(),
                at: now_ms - age_days * DAY_MS,
                last: None,
            };
            let report_unit = if n == 37 { "x-not-in-tree" } else { unit };
            case.event(
                store,
                Payload::Reported(HazardReport {
                    source: ReportSource::Inspection {
                        inspection_id: new_id(),
                        item: "fire-01".into(),
                    },
                    category: (*category).into(),
                    item: Some("fire-01".into()),
                    severity: SEVERITIES[n % 4],
                    unit: report_unit.into(),
                    site_id: Some(site.into()),
                    description: format!("case {n}"),
                    photos: Vec::new(),
                    suggested_department: None,
                }),
            );
            let level = [Level::Community, Level::Street, Level::District][n % 3];
            if level > Level::Community && flow >= 2 {
                case.event(
                    store,
                    Payload::CalledIn {
                        level: Level::Street,
                        note: note("ours"),
                    },
                );
                if level == Level::District {
                    case.event(
                        store,
                        Payload::CalledIn {
                            level: Level::District,
                            note: note("theirs"),
                        },
                    );
                }
            }
            if flow >= 3 && level > Level::Community {
                case.event(
                    store,
                    Payload::Assigned {
                        department: if n % 2 == 0 { "fire" } else { "market" }.into(),
                        note: note("please"),
                    },
                );
                if flow >= 4 {
                    case.event(store, Payload::Accepted { note: note("ok") });
                }
            }
            if flow >= 5 && flow != 7 {
                case.event(
                    store,
                    Payload::Rectified {
                        photos: vec!["a".repeat(64)],
                        note: note("fixed"),
                    },
                );
            }
            match flow {
                6 | 9 => {
                    case.event(
                        store,
                        Payload::Verified {
                            passed: true,
                            inspection_id: None,
                            note: note("holds"),
                        },
                    );
                    if flow == 9 && c % 2 == 0 {
                        case.event(
                            store,
                            Payload::Reopened {
                                reason: note("again"),
                            },
                        );
                    }
                }
                7 => case.event(
                    store,
                    Payload::Closed {
                        note: note("duplicate"),
                    },
                ),
                8 => case.event(
                    store,
                    Payload::Verified {
                        passed: false,
                        inspection_id: None,
                        note: note("does not hold"),
                    },
                ),
                _ => {}
            }
        }
    }
    // A case of which only a comment arrived, not its report.
    let mut lonely = Case {
        id: new_id(),
        unit: "g-xinhua-1".into(),
        at: now_ms - 5 * DAY_MS,
        last: None,
    };
    lonely.event(
        store,
        Payload::Comment {
            text: "before the report".into(),
        },
    );
}

/// The store covers what the report distinguishes, so equality means something.
fn assert_varied(store: &dyn RecordStore, now_ms: i64) {
    let r = report::from_events(store, now_ms).unwrap();
    let t = &r.total;
    assert!(t.found >= 90, "{t:?}");
    for (what, n) in [
        ("open", t.open),
        ("overdue", t.overdue),
        ("rectified", t.rectified),
        ("verified", t.verified),
        ("closed", t.closed),
        ("solved at community", t.solved_community),
        ("solved at street", t.solved_street),
        ("solved at district", t.solved_district),
    ] {
        assert!(n > 0 && n < t.found, "{what}: {n} of {}", t.found);
    }
    assert!(t.median_days_to_fix.is_some());
    assert_eq!(r.awaiting_report, 1);
    assert!(r.by_category.iter().all(|c| c.found == 10), "{r:?}");
    assert!(r.by_unit.iter().any(|u| u.level == "unknown"));
    let mut statuses: Vec<Status> = Vec::new();
    let page = store
        .case_page(&gridwalk_server::storage::case_index::CaseQuery {
            limit: 1_000,
            ..Default::default()
        })
        .unwrap();
    for line in page.lines {
        if !statuses.contains(&line.status) {
            statuses.push(line.status);
        }
    }
    statuses.sort();
    assert_eq!(
        statuses,
        [
            Status::Reported,
            Status::Assigned,
            Status::InProgress,
            Status::Rectified,
            Status::Verified,
            Status::Closed
        ]
    );
}

#[tokio::test]
async fn the_sql_report_equals_the_report_folded_from_every_event() {
    let server = TestServer::start().await;
    let store = server.state.store.clone();
    let now_ms = Utc::now().timestamp_millis();
    tokio::task::spawn_blocking(move || {
        let store = store.as_ref();
        fill(store, now_ms);
        assert_varied(store, now_ms);
        for as_of in [now_ms, now_ms + 3 * DAY_MS, now_ms + 60 * DAY_MS] {
            let folded = report::from_events(store, as_of).unwrap();
            let sql = report::from_columns(store, as_of).unwrap();
            assert_eq!(sql, folded, "as of {as_of}");
            assert_eq!(report::campaign_report(store, as_of).unwrap(), folded);
        }
        // The spot-check planner's open cases per site, as folded from the kept folds.
        let xinhua = ["c-xinhua", "g-xinhua-1", "g-xinhua-2"]
            .map(String::from)
            .to_vec();
        for area in [None, Some(xinhua)] {
            let mut folded: Vec<(String, u32)> = Vec::new();
            for kept in store.kept_cases().unwrap() {
                let fold: kinds::CaseFold =
                    serde_json::from_str(kept.fold.as_deref().unwrap()).unwrap();
                let state = fold.folding.state;
                let Some(site) = state.report.and_then(|r| r.site_id) else {
                    continue;
                };
                if state.status.is_open()
                    && area.as_ref().is_none_or(|a| a.contains(&kept.scope.unit))
                {
                    match folded.iter_mut().find(|(s, _)| *s == site) {
                        Some((_, n)) => *n += 1,
                        None => folded.push((site, 1)),
                    }
                }
            }
            let mut sql = store.open_cases_by_site(area.as_deref()).unwrap();
            folded.sort();
            sql.sort();
            assert!(folded.len() >= 2, "{folded:?}");
            assert_eq!(sql, folded, "{area:?}");
        }
        // The dashboard's weekly trend, as counted from the kept folds: found and
        // solved per unit and week, weeks of 5 days from 40 days ago.
        let (first, week) = (now_ms - 40 * DAY_MS, 5 * DAY_MS);
        let mut folded: Vec<(String, i64, u32, u32)> = Vec::new();
        for kept in store.kept_cases().unwrap() {
            let fold: kinds::CaseFold =
                serde_json::from_str(kept.fold.as_deref().unwrap()).unwrap();
            let state = fold.folding.state;
            let times = [
                (state.reported_at_ms, (1, 0)),
                (state.solved.map(|s| s.at_ms), (0, 1)),
            ];
            for (at, (f, v)) in times {
                let Some(at) = at.filter(|at| *at > first && *at <= now_ms) else {
                    continue;
                };
                let w = (at - first - 1) / week;
                match folded
                    .iter_mut()
                    .find(|(u, x, _, _)| *u == kept.scope.unit && *x == w)
                {
                    Some((_, _, found, verified)) => {
                        *found += f;
                        *verified += v;
                    }
                    None => folded.push((kept.scope.unit.clone(), w, f, v)),
                }
            }
        }
        folded.sort();
        let counted: Vec<(String, i64, u32, u32)> = store
            .week_counts(first, week, now_ms)
            .unwrap()
            .into_iter()
            .map(|c| (c.unit, c.week, c.found, c.verified))
            .collect();
        assert!(
            folded.iter().any(|c| c.3 > 0) && folded.len() > 4,
            "{folded:?}"
        );
        assert_eq!(counted, folded);
        // Before some case's latest event, the columns cannot answer: the events do.
        let past = now_ms - 10 * DAY_MS;
        assert_eq!(
            report::campaign_report(store, past).unwrap(),
            report::from_events(store, past).unwrap()
        );
        assert_ne!(
            report::from_events(store, past).unwrap().total,
            report::from_events(store, now_ms).unwrap().total
        );
    })
    .await
    .unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_from_before_the_columns_are_filled_when_the_store_opens() {
    let server = TestServer::start().await;
    let store = server.state.store.clone();
    let now_ms = Utc::now().timestamp_millis();
    let (ids, before) = tokio::task::spawn_blocking(move || {
        fill(store.as_ref(), now_ms);
        let ids: Vec<String> = store
            .kept_cases()
            .unwrap()
            .into_iter()
            .map(|k| k.scope.case_id)
            .collect();
        let before: Vec<_> = ids
            .iter()
            .map(|id| store.case_columns(id).unwrap())
            .collect();
        (ids, before)
    })
    .await
    .unwrap();
    assert!(before.iter().all(Option::is_some));
    // As a server before the columns left the rows; one of them without its fold.
    let cleared = server.sql(
        "UPDATE cases SET status = NULL, level = NULL, category = NULL,
           report_unit = NULL, site = NULL, reported_at_ms = NULL, due_ms = NULL,
           rectified_at_ms = NULL, solved_at_ms = NULL, solved_level = NULL,
           closed_at_ms = NULL, last_hlc_ms = NULL",
        &[],
    );
    assert_eq!(cleared, common::SqlOutcome::Changed(ids.len() as u64));
    server.sql(
        "UPDATE cases SET fold = NULL WHERE case_id = ?1",
        &[&ids[5]],
    );
    let reopened = {
        let server = &server;
        tokio::task::block_in_place(|| server.reopen_store())
    };
    let after: Vec<_> = ids
        .iter()
        .map(|id| reopened.case_columns(id).unwrap())
        .collect();
    assert_eq!(after, before);
    assert_eq!(
        report::from_columns(reopened.as_ref(), now_ms).unwrap(),
        report::from_events(reopened.as_ref(), now_ms).unwrap()
    );
    tokio::task::block_in_place(|| drop(reopened));
    server.stop().await;
}

#[tokio::test]
async fn a_case_awaits_its_report_from_its_first_event_until_the_report_arrives() {
    let server = TestServer::start().await;
    let store = server.state.store.clone();
    let now_ms = Utc::now().timestamp_millis();
    tokio::task::spawn_blocking(move || {
        let store = store.as_ref();
        let awaiting = |store: &dyn RecordStore| {
            let sql = report::from_columns(store, now_ms).unwrap();
            assert_eq!(sql, report::from_events(store, now_ms).unwrap());
            sql.awaiting_report
        };
        assert_eq!(awaiting(store), 0);
        let mut case = Case {
            id: new_id(),
            unit: "g-xinhua-2".into(),
            at: now_ms - 2 * DAY_MS,
            last: None,
        };
        // Two events before the report: one case awaiting, counted once.
        for text in ["seen first", "seen again"] {
            case.event(store, Payload::Comment { text: text.into() });
            assert_eq!(awaiting(store), 1, "{text}");
        }
        case.event(
            store,
            Payload::Reported(HazardReport {
                source: ReportSource::Inspection {
                    inspection_id: new_id(),
                    item: "fire-01".into(),
                },
                category: "fire".into(),
                item: Some("fire-01".into()),
                severity: Severity::High,
                unit: "g-xinhua-2".into(),
                site_id: Some("site-b".into()),
                description: "late report".into(),
                photos: Vec::new(),
                suggested_department: None,
            }),
        );
        assert_eq!(awaiting(store), 0, "the report arrived");
        case.event(
            store,
            Payload::Comment {
                text: "after the report".into(),
            },
        );
        assert_eq!(awaiting(store), 0, "a later event keeps it reported");
        assert_eq!(report::from_columns(store, now_ms).unwrap().total.found, 1);
    })
    .await
    .unwrap();
    server.stop().await;
}
