//! Property tests of the fold: any permutation and duplication of one set of events
//! folds to the same state, and no event ever leaves the history — in the pure fold and
//! through a real store file receiving the events in random batches.

use std::collections::BTreeSet;

use gridwalk_core::Store;
use gridwalk_core::checklist::Severity;
use gridwalk_core::hazard::{Actor, Event, Level, Payload, ReportSource, fold};
use gridwalk_core::profile::Role;
use proptest::prelude::*;
use proptest::sample::Index;

use crate::support::*;

const CASE: &str = "case-1";

/// One generated event: who, what, when (after its parents), which earlier events it saw.
type Spec = (usize, usize, i64, u32, Vec<Index>);

fn actor_for(n: usize) -> Actor {
    match n % 7 {
        0 => actor("grid", Role::GridWorker, None),
        1 => actor("community", Role::CommunityStaff, None),
        2 => actor("street", Role::StreetOfficer, None),
        3 => actor("fire", Role::DepartmentOfficer, Some("fire-rescue")),
        4 => actor("housing", Role::DepartmentOfficer, Some("housing")),
        5 => actor("supervisor", Role::Supervisor, None),
        _ => actor("admin", Role::Admin, None),
    }
}

fn payload_for(n: usize) -> Payload {
    let text = |s: &str| s.to_string();
    match n % 14 {
        0 => Payload::Reported(report(ReportSource::Hotline, "fire", Severity::High, "g1")),
        1 => Payload::CalledIn {
            level: Level::Street,
            note: text("up"),
        },
        2 => Payload::CalledIn {
            level: Level::District,
            note: text("up"),
        },
        3 => Payload::Assigned {
            department: text("fire-rescue"),
            note: String::new(),
        },
        4 => Payload::Assigned {
            department: text("housing"),
            note: String::new(),
        },
        5 => Payload::Accepted {
            note: String::new(),
        },
        6 => Payload::Progress {
            note: text("working"),
        },
        7 => Payload::Rectified {
            photos: vec![photo(3).sha256],
            note: String::new(),
        },
        8 => Payload::Verified {
            passed: true,
            inspection_id: None,
            note: String::new(),
        },
        9 => Payload::Verified {
            passed: false,
            inspection_id: None,
            note: String::new(),
        },
        10 => Payload::Reopened {
            reason: text("again"),
        },
        11 => Payload::Closed { note: text("done") },
        12 => Payload::Comment { text: text("note") },
        _ => Payload::Closed {
            note: String::new(),
        },
    }
}

/// Builds a causally consistent history: each event names up to two earlier events as
/// parents and is timestamped at or after them (equal times test the id tie-break).
fn build(specs: &[Spec]) -> Vec<Event> {
    let mut events: Vec<Event> = Vec::new();
    for (i, (who, what, delay, counter, picks)) in specs.iter().enumerate() {
        let parents: Vec<&Event> = if i == 0 {
            Vec::new()
        } else {
            let chosen: BTreeSet<usize> = picks.iter().map(|p| p.index(i)).collect();
            chosen.into_iter().map(|p| &events[p]).collect()
        };
        let after = parents.iter().map(|p| p.hlc.ms).max().unwrap_or(1_000);
        // The first event opens the case, so most histories get somewhere.
        let payload = if i == 0 {
            payload_for(0)
        } else {
            payload_for(*what)
        };
        let who = if i == 0 { 1 } else { *who };
        let mut e = event(
            i as u128 + 1,
            CASE,
            &actor_for(who),
            after + delay,
            &parents,
            payload,
        );
        e.hlc.counter = *counter;
        events.push(e);
    }
    events
}

fn specs() -> impl Strategy<Value = Vec<Spec>> {
    prop::collection::vec(
        (
            0usize..7,
            0usize..14,
            0i64..3,
            0u32..2,
            prop::collection::vec(any::<Index>(), 0..3),
        ),
        1..16,
    )
}

/// A history, the same history shuffled, and positions of events to send twice.
fn shuffled_with_duplicates() -> impl Strategy<Value = (Vec<Event>, Vec<Event>, Vec<Index>)> {
    specs().prop_flat_map(|s| {
        let events = build(&s);
        (
            Just(events.clone()),
            Just(events).prop_shuffle(),
            prop::collection::vec(any::<Index>(), 0..6),
        )
    })
}

fn ids(events: &[Event]) -> BTreeSet<String> {
    events.iter().map(|e| e.id.clone()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_permutation_and_duplication_folds_to_the_same_state(
        (events, shuffled, dups) in shuffled_with_duplicates()
    ) {
        let expected = fold(CASE, &events);
        let mut noisy = shuffled.clone();
        for d in &dups {
            noisy.push(shuffled[d.index(shuffled.len())].clone());
        }
        let got = fold(CASE, &noisy);
        prop_assert_eq!(&got, &expected);
        // No event leaves the history, none appears twice.
        prop_assert_eq!(got.history.len(), events.len());
        prop_assert_eq!(got.history.iter().cloned().collect::<BTreeSet<_>>(), ids(&events));
        // Conflicts and ignored events only name events of the history.
        for c in &got.conflicts {
            prop_assert!(c.events.iter().all(|e| ids(&events).contains(e)));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_store_receiving_random_batches_keeps_every_event_and_folds_the_same(
        (events, shuffled, dups) in shuffled_with_duplicates(),
        cut in any::<Index>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("device.db")).unwrap();
        let mut noisy = shuffled.clone();
        for d in &dups {
            noisy.push(shuffled[d.index(shuffled.len())].clone());
        }
        let (first, second) = noisy.split_at(cut.index(noisy.len() + 1));
        store.apply_remote_events(second).unwrap();
        store.apply_remote_events(first).unwrap();
        store.apply_remote_events(&events).unwrap();
        prop_assert_eq!(ids(&store.case_events(CASE).unwrap()), ids(&events));
        prop_assert_eq!(store.case_state(CASE).unwrap(), fold(CASE, &events));
    }
}
