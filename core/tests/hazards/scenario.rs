//! Four roles act on copies of one case offline, at the same time, and their work is
//! merged in every order: every order gives the same state, nothing is lost, and the
//! incompatible combinations (two departments; two closes; close against reopen) are
//! flagged as contested with the events involved.

use std::collections::BTreeSet;

use gridwalk_core::Store;
use gridwalk_core::checklist::Severity;
use gridwalk_core::hazard::{CaseState, ConflictKind, Event, Level, Payload, ReportSource, Status};
use gridwalk_core::profile::Role;

use crate::support::*;

/// Every ordering of `0..n`.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for rest in permutations(n - 1) {
        for at in 0..=rest.len() {
            let mut p = rest.clone();
            p.insert(at, n - 1);
            out.push(p);
        }
    }
    out
}

/// The events in `after` that are not in `before`.
fn new_events(store: &Store, before: &[Event]) -> Vec<Event> {
    let known: BTreeSet<&str> = before.iter().map(|e| e.id.as_str()).collect();
    store
        .all_hazard_events()
        .unwrap()
        .into_iter()
        .filter(|e| !known.contains(e.id.as_str()))
        .collect()
}

/// Merges the offline batches into fresh store files, one per order, and checks every
/// order folds to the same state; returns it.
fn merge_in_every_order(
    dir: &std::path::Path,
    tag: &str,
    base: &[Event],
    batches: &[Vec<Event>],
    case: &str,
) -> CaseState {
    let mut first: Option<CaseState> = None;
    for (n, order) in permutations(batches.len()).into_iter().enumerate() {
        let mut store = Store::open(dir.join(format!("merge-{tag}-{n}.db"))).unwrap();
        store.apply_remote_events(base).unwrap();
        for &i in &order {
            store.apply_remote_events(&batches[i]).unwrap();
        }
        let state = store.case_state(case).unwrap();
        assert_eq!(
            state.event_count,
            base.len() + batches.iter().map(Vec::len).sum::<usize>()
        );
        match &first {
            None => first = Some(state),
            Some(expected) => assert_eq!(&state, expected, "merge order {order:?} differs"),
        }
    }
    first.unwrap()
}

fn kinds(state: &CaseState) -> Vec<ConflictKind> {
    state.conflicts.iter().map(|c| c.kind.clone()).collect()
}

#[test]
fn four_roles_offline_merge_to_one_state_in_every_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = device(
        dir.path(),
        "community.db",
        &profile("Zhao Min", Role::CommunityStaff, None),
    );
    let mut s = device(
        dir.path(),
        "street.db",
        &profile("Chen Jie", Role::StreetOfficer, None),
    );
    let mut d = device(
        dir.path(),
        "fire.db",
        &profile("Liu Yang", Role::DepartmentOfficer, None),
    );
    let mut v = device(
        dir.path(),
        "supervisor.db",
        &profile("Huang Bo", Role::Supervisor, None),
    );
    let mut a = device(
        dir.path(),
        "district.db",
        &profile("Ma Lin", Role::Admin, None),
    );

    // A hotline report, called in to the street; everyone syncs.
    let case = c
        .open_case(report(ReportSource::Hotline, "fire", Severity::High, "g1"))
        .unwrap()
        .case_id;
    c.act(
        &case,
        Payload::CalledIn {
            level: Level::Street,
            note: "blocked passage".into(),
        },
    )
    .unwrap();
    sync_all(&mut [&mut c, &mut s, &mut d, &mut v, &mut a]);

    // Round 1, offline: the street assigns fire-rescue while the district assigns
    // housing; community staff and the supervisor comment.
    let base = c.all_hazard_events().unwrap();
    s.act(
        &case,
        Payload::Assigned {
            department: "fire-rescue".into(),
            note: String::new(),
        },
    )
    .unwrap();
    a.act(
        &case,
        Payload::Assigned {
            department: "housing".into(),
            note: String::new(),
        },
    )
    .unwrap();
    c.act(
        &case,
        Payload::Comment {
            text: "residents called again".into(),
        },
    )
    .unwrap();
    v.act(
        &case,
        Payload::Comment {
            text: "spot check planned".into(),
        },
    )
    .unwrap();
    let batches = [
        new_events(&s, &base),
        new_events(&a, &base),
        new_events(&c, &base),
        new_events(&v, &base),
    ];
    let merged = merge_in_every_order(dir.path(), "r1", &base, &batches, &case);
    assert!(merged.contested);
    assert_eq!(kinds(&merged), vec![ConflictKind::DifferentDepartments]);
    let involved: BTreeSet<String> = merged.conflicts[0].events.iter().cloned().collect();
    let assigns: BTreeSet<String> = [&batches[0][0].id, &batches[1][0].id]
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(involved, assigns);
    sync_all(&mut [&mut c, &mut s, &mut d, &mut v, &mut a]);
    for device in [&c, &s, &d, &v, &a] {
        assert_eq!(
            device.case_state(&case).unwrap(),
            merged,
            "a synced device differs"
        );
    }

    // The district settles it, having seen both: fire-rescue. The conflict is resolved.
    a.act(
        &case,
        Payload::Assigned {
            department: "fire-rescue".into(),
            note: "fire brigade leads".into(),
        },
    )
    .unwrap();
    sync_all(&mut [&mut c, &mut s, &mut d, &mut v, &mut a]);
    let settled = d.case_state(&case).unwrap();
    assert!(!settled.contested);
    assert_eq!(
        settled.conflicts[0].resolved_by.as_deref(),
        Some(settled.history.last().unwrap().as_str())
    );
    d.act(
        &case,
        Payload::Accepted {
            note: String::new(),
        },
    )
    .unwrap();
    d.register_photo(&photo(7)).unwrap();
    d.act(
        &case,
        Payload::Rectified {
            photos: vec![photo(7).sha256],
            note: "passage cleared".into(),
        },
    )
    .unwrap();
    sync_all(&mut [&mut c, &mut s, &mut d, &mut v, &mut a]);
    c.act(
        &case,
        Payload::Verified {
            passed: true,
            inspection_id: None,
            note: "clear".into(),
        },
    )
    .unwrap();
    sync_all(&mut [&mut c, &mut s, &mut d, &mut v, &mut a]);
    assert_eq!(s.case_state(&case).unwrap().status, Status::Verified);

    // Round 2, offline: community staff and the supervisor both close; the street, told
    // the passage is blocked again, reopens; the department comments.
    let base = c.all_hazard_events().unwrap();
    c.act(
        &case,
        Payload::Closed {
            note: String::new(),
        },
    )
    .unwrap();
    v.act(
        &case,
        Payload::Closed {
            note: "checked on site".into(),
        },
    )
    .unwrap();
    s.act(
        &case,
        Payload::Reopened {
            reason: "blocked again".into(),
        },
    )
    .unwrap();
    d.act(
        &case,
        Payload::Comment {
            text: "crew available Friday".into(),
        },
    )
    .unwrap();
    let batches = [
        new_events(&c, &base),
        new_events(&v, &base),
        new_events(&s, &base),
        new_events(&d, &base),
    ];
    let merged = merge_in_every_order(dir.path(), "r2", &base, &batches, &case);
    assert!(merged.contested);
    let found = kinds(&merged);
    assert_eq!(
        found
            .iter()
            .filter(|k| **k == ConflictKind::TwoCloses)
            .count(),
        1,
        "{found:?}"
    );
    assert_eq!(
        found
            .iter()
            .filter(|k| **k == ConflictKind::CloseAndReopen)
            .count(),
        2,
        "{found:?}"
    );
    let two_closes = merged
        .conflicts
        .iter()
        .find(|c| c.kind == ConflictKind::TwoCloses)
        .unwrap();
    let closes: BTreeSet<String> = [&batches[0][0].id, &batches[1][0].id]
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(
        two_closes.events.iter().cloned().collect::<BTreeSet<_>>(),
        closes
    );
    // Nothing left the history: every event of every device is there.
    let all: BTreeSet<String> = base
        .iter()
        .chain(batches.iter().flatten())
        .map(|e| e.id.clone())
        .collect();
    assert_eq!(merged.history.iter().cloned().collect::<BTreeSet<_>>(), all);
    sync_all(&mut [&mut c, &mut s, &mut d, &mut v, &mut a]);
    for device in [&c, &s, &d, &v, &a] {
        assert_eq!(
            device.case_state(&case).unwrap(),
            merged,
            "a synced device differs"
        );
    }
}
