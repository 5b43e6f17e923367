//! Where a hazard state is computed: the pure, deterministic fold of a case's events.
//!
//! The events are put in one total order — HLC timestamp, then event id — with
//! duplicates removed, so every device and the server holding the same set of events
//! compute the same state whatever order the events arrived in. Each event is checked
//! against [`rules::check_event`] (a redacted copy judged as the full one) at its place in that order: one that breaks a rule there is
//! kept in the history but changes nothing.
//!
//! Concurrency comes from `parents`: two events are concurrent when neither author had
//! seen the other's event. Concurrent events that do not fit together (two closes, a
//! close and a reopen, two different departments, disagreeing verifications, or one
//! made invalid by the other) are recorded as a [`Conflict`] and the case is contested
//! until a street officer, supervisor or admin records an event having seen them all.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use crate::hazard::event::{Event, Payload};
use crate::hazard::rules;
use crate::hazard::state::{CaseState, Conflict, ConflictKind, Ignored, Solved, Status};
use crate::profile::Role;

/// Folds the events of case `case_id` (events of other cases are skipped) into its state.
pub fn fold(case_id: &str, events: &[Event]) -> CaseState {
    let events = ordered(case_id, events);
    let ancestors = ancestors(&events);
    let concurrent = |a: usize, b: usize| !ancestors[a].contains(&b) && !ancestors[b].contains(&a);

    let mut state = CaseState::empty(case_id);
    let mut applied = Vec::new();
    let mut refused = Vec::new();
    for (i, event) in events.iter().enumerate() {
        match rules::check_event(&state, event) {
            Ok(()) => {
                apply(&mut state, event);
                if event.kind().is_transition() {
                    applied.push(i);
                }
            }
            Err(refusal) => {
                state.ignored.push(Ignored {
                    event: event.id.clone(),
                    rule: refusal.rule,
                });
                refused.push((i, refusal.rule));
            }
        }
    }

    // Incompatible pairs of concurrent transitions, whether or not the fold refused one.
    let mut conflicts: Vec<(ConflictKind, Vec<usize>)> = Vec::new();
    let transitions: Vec<usize> = (0..events.len())
        .filter(|&i| events[i].kind().is_transition())
        .collect();
    for (n, &a) in transitions.iter().enumerate() {
        for &b in &transitions[n + 1..] {
            let kind = concurrent(a, b)
                .then(|| incompatible(&events[a].payload, &events[b].payload))
                .flatten();
            if let Some(kind) = kind {
                conflicts.push((kind, vec![a, b]));
            }
        }
    }
    // Events the merged order made invalid, against the concurrent transitions applied
    // before them (unless that pair is already explained above).
    for (i, rule) in refused {
        let paired = |k: usize| {
            conflicts
                .iter()
                .any(|(_, ev)| ev.contains(&k) && ev.contains(&i))
        };
        let mut involved: Vec<usize> = applied
            .iter()
            .copied()
            .filter(|&k| k < i && concurrent(k, i) && !paired(k))
            .collect();
        if !involved.is_empty() {
            involved.push(i);
            conflicts.push((ConflictKind::Refused { rule }, involved));
        }
    }

    state.conflicts = conflicts
        .into_iter()
        .map(|(kind, involved)| {
            let resolved_by = events
                .iter()
                .enumerate()
                .find(|(e, ev)| {
                    matches!(
                        ev.actor.role,
                        Role::StreetOfficer | Role::Supervisor | Role::Admin
                    ) && involved.iter().all(|k| ancestors[*e].contains(k))
                })
                .map(|(_, ev)| ev.id.clone());
            Conflict {
                kind,
                events: involved.iter().map(|&k| events[k].id.clone()).collect(),
                resolved_by,
            }
        })
        .collect();
    state.contested = state.conflicts.iter().any(|c| c.resolved_by.is_none());

    let named_as_parent: HashSet<&str> = events
        .iter()
        .flat_map(|e| e.parents.iter().map(String::as_str))
        .collect();
    state.heads = events
        .iter()
        .filter(|e| !named_as_parent.contains(e.id.as_str()))
        .map(|e| e.id.clone())
        .collect();
    state.history = events.iter().map(|e| e.id.clone()).collect();
    state.event_count = u32::try_from(events.len()).unwrap_or(u32::MAX);
    state
}

/// The case's events in fold order, one per id. Should two different events ever share
/// an id, the smaller serialisation is kept, so that choice is the same everywhere too.
pub fn ordered(case_id: &str, events: &[Event]) -> Vec<Event> {
    let mut out: Vec<Event> = events
        .iter()
        .filter(|e| e.case_id == case_id)
        .cloned()
        .collect();
    out.sort_by(|a, b| {
        (a.hlc, &a.id)
            .cmp(&(b.hlc, &b.id))
            .then_with(|| match a == b {
                true => Ordering::Equal,
                false => serialised(a).cmp(&serialised(b)),
            })
    });
    out.dedup_by(|later, earlier| later.id == earlier.id);
    out
}

fn serialised(e: &Event) -> String {
    serde_json::to_string(e).unwrap_or_default()
}

/// For each event (by position), the positions of every event it causally follows.
/// Parents not among `events` (not received yet) are skipped: the answer is complete
/// for the events at hand and the same on every device holding them.
fn ancestors(events: &[Event]) -> Vec<HashSet<usize>> {
    let position: HashMap<&str, usize> = events
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id.as_str(), i))
        .collect();
    events
        .iter()
        .map(|event| {
            let mut seen = HashSet::new();
            let mut stack: Vec<&str> = event.parents.iter().map(String::as_str).collect();
            while let Some(id) = stack.pop() {
                let unseen = position.get(id).copied().filter(|&p| seen.insert(p));
                if let Some(p) = unseen {
                    stack.extend(events[p].parents.iter().map(String::as_str));
                }
            }
            seen
        })
        .collect()
}

/// Whether two concurrent transitions cannot both be what their authors meant.
fn incompatible(a: &Payload, b: &Payload) -> Option<ConflictKind> {
    match (a, b) {
        (Payload::Closed { .. }, Payload::Closed { .. }) => Some(ConflictKind::TwoCloses),
        (Payload::Closed { .. }, Payload::Reopened { .. })
        | (Payload::Reopened { .. }, Payload::Closed { .. }) => Some(ConflictKind::CloseAndReopen),
        (Payload::Assigned { department: x, .. }, Payload::Assigned { department: y, .. })
            if x != y =>
        {
            Some(ConflictKind::DifferentDepartments)
        }
        (Payload::Verified { passed: x, .. }, Payload::Verified { passed: y, .. }) if x != y => {
            Some(ConflictKind::VerificationsDisagree)
        }
        _ => None,
    }
}

/// Applies an event that passed the rules.
fn apply(state: &mut CaseState, event: &Event) {
    let at = event.hlc.ms;
    if event.kind().is_transition() {
        state.updated_at_ms = at;
    }
    let back_to_work = |state: &CaseState| match state.department {
        Some(_) => Status::Assigned,
        None => Status::Reported,
    };
    match &event.payload {
        Payload::Reported(report) => {
            state.status = Status::Reported;
            state.report = Some(report.clone());
            state.reported_by = Some(event.actor.name.clone());
            state.reported_at_ms = Some(at);
        }
        Payload::CalledIn { level, .. } => state.level = *level,
        Payload::Assigned { department, .. } => {
            state.department = Some(department.clone());
            state.status = Status::Assigned;
        }
        Payload::Accepted { .. } => state.status = Status::InProgress,
        Payload::Rectified { photos, .. } => {
            state.status = Status::Rectified;
            state.rectified_at_ms = Some(at);
            state.rectification_photos = photos.clone();
        }
        Payload::Verified { passed: true, .. } => {
            state.status = Status::Verified;
            state.solved = Some(Solved {
                at_ms: at,
                level: state.level,
            });
        }
        Payload::Verified { passed: false, .. } => {
            state.status = match state.department {
                Some(_) => Status::InProgress,
                None => Status::Reported,
            };
            state.rectified_at_ms = None;
            state.rectification_photos.clear();
        }
        Payload::Reopened { .. } => {
            state.status = back_to_work(state);
            state.solved = None;
            state.rectified_at_ms = None;
            state.rectification_photos.clear();
            state.closed_at_ms = None;
        }
        Payload::Closed { .. } => {
            state.status = Status::Closed;
            state.closed_at_ms = Some(at);
        }
        Payload::Progress { .. } | Payload::Comment { .. } => {}
    }
}
