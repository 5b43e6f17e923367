//! The event-by-event part of the fold, kept and extended one event at a time
//! ([`Folding::apply`], refolding with [`Folding::of`] when an event arrives out of
//! order), is after every arrival exactly what folding all events so far gives, for any
//! arrival order: the sync server keeps a case's state this way.
#![allow(clippy::unwrap_used)]

use gridwalk_model::checklist::Severity;
use gridwalk_model::hazard::{
    Actor, CaseState, Event, Folding, HazardReport, Hlc, Level, NotNext, Payload, ReportSource,
    fold,
};
use gridwalk_model::profile::Role;
use proptest::prelude::*;

const CASE: &str = "case-1";

fn actor(n: usize) -> Actor {
    let (role, department) = match n % 6 {
        0 => (Role::GridWorker, None),
        1 => (Role::CommunityStaff, None),
        2 => (Role::StreetOfficer, None),
        3 => (Role::DepartmentOfficer, Some("fire-rescue")),
        4 => (Role::DepartmentOfficer, Some("housing")),
        _ => (Role::Admin, None),
    };
    Actor {
        name: format!("person {n}"),
        role,
        unit: "g1".into(),
        department: department.map(str::to_string),
    }
}

fn payload(n: usize) -> Payload {
    match n % 12 {
        0 => Payload::Reported(HazardReport {
            source: ReportSource::Hotline,
            category: "fire".into(),
            item: None,
            severity: Severity::High,
            unit: "g1".into(),
            site_id: None,
            description: "smoke".into(),
            photos: vec![],
            suggested_department: None,
        }),
        1 => Payload::CalledIn {
            level: Level::Street,
            note: "up".into(),
        },
        2 => Payload::Assigned {
            department: "fire-rescue".into(),
            note: String::new(),
        },
        3 => Payload::Assigned {
            department: "housing".into(),
            note: String::new(),
        },
        4 => Payload::Accepted {
            note: String::new(),
        },
        5 => Payload::Rectified {
            photos: vec!["a".repeat(64)],
            note: String::new(),
        },
        6 => Payload::Verified {
            passed: true,
            inspection_id: None,
            note: String::new(),
        },
        7 => Payload::Reopened {
            reason: "again".into(),
        },
        8 => Payload::Closed {
            note: "done".into(),
        },
        9 => Payload::Comment {
            text: "note".into(),
        },
        10 => Payload::Progress {
            note: String::new(),
        },
        _ => Payload::Verified {
            passed: false,
            inspection_id: None,
            note: String::new(),
        },
    }
}

/// Events at random times (ties included, to exercise the id tie-break), each naming
/// the one before it as parent.
fn events(specs: &[(usize, usize, i64, u32)]) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    for (i, &(who, what, ms, counter)) in specs.iter().enumerate() {
        out.push(Event {
            id: format!("e{:04}", (i * 7919) % 10_000),
            case_id: CASE.into(),
            actor: actor(if i == 0 { 1 } else { who }),
            device: "d1".into(),
            hlc: Hlc { ms, counter },
            wall_ms: ms,
            parents: out.last().map(|e| vec![e.id.clone()]).unwrap_or_default(),
            withheld: None,
            payload: payload(if i == 0 { 0 } else { what }),
        });
    }
    out
}

/// The full fold with what depends on the whole set (not on order) left out, as a
/// folding keeps it.
fn order_dependent_part(mut state: CaseState) -> CaseState {
    state.history.clear();
    state.heads.clear();
    state.conflicts.clear();
    state.contested = false;
    state
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_kept_folding_equals_a_full_refold_after_every_arrival(
        specs in prop::collection::vec((0usize..6, 0usize..12, 0i64..40, 0u32..2), 1..40)
            .prop_flat_map(|s| Just(events(&s)).prop_shuffle())
    ) {
        let mut kept = Folding::new(CASE);
        let mut arrived: Vec<Event> = Vec::new();
        for event in specs {
            arrived.push(event.clone());
            match kept.apply(&event) {
                Ok(_) => {}
                Err(NotNext::OutOfOrder { .. }) => kept = Folding::of(CASE, &arrived),
                Err(other) => panic!("{other}"),
            }
            prop_assert_eq!(&kept, &Folding::of(CASE, &arrived));
            prop_assert_eq!(
                kept.state.clone(),
                order_dependent_part(fold(CASE, &arrived))
            );
        }
    }
}

#[test]
fn an_event_that_belongs_earlier_or_to_another_case_changes_nothing() {
    let all = events(&[(1, 0, 10, 0), (2, 1, 20, 0), (3, 9, 30, 0)]);
    let mut kept = Folding::new(CASE);
    assert_eq!(kept.apply(&all[0]), Ok(None));
    assert_eq!(kept.apply(&all[2]), Ok(None));
    let before = kept.clone();
    assert!(matches!(
        kept.apply(&all[1]),
        Err(NotNext::OutOfOrder { .. })
    ));
    assert!(
        matches!(kept.apply(&all[2]), Err(NotNext::OutOfOrder { .. })),
        "the same event again is not after itself"
    );
    let mut elsewhere = all[1].clone();
    elsewhere.case_id = "case-2".into();
    elsewhere.hlc.ms = 99;
    assert!(matches!(
        kept.apply(&elsewhere),
        Err(NotNext::OtherCase { .. })
    ));
    assert_eq!(kept, before);
    // A comment before the report is kept but ignored, and counted.
    let mut early = Folding::new(CASE);
    assert_eq!(
        early.apply(&all[2]),
        Ok(Some(gridwalk_model::hazard::Rule::CaseMustExist))
    );
    assert_eq!(early.state.event_count, 1);
}
