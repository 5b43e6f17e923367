//! Where a hazard state is computed: the pure, deterministic fold of a case's events.
//!
//! The events are put in one total order — HLC timestamp, then event id — with
//! duplicates removed, so every device and the server holding the same set of events
//! compute the same state whatever order the events arrived in. Each event is checked
//! against [`rules::check_event`] (a redacted copy judged as the full one) at its place
//! in that order: one that breaks a rule there is kept in the history but changes
//! nothing. That event-by-event part is a [`Folding`], which a store may keep and extend
//! with each event that comes after the last one instead of refolding the whole case.
//!
//! Concurrency comes from `parents`: two events are concurrent when neither author had
//! seen the other's event. Concurrent events that do not fit together (two closes, a
//! close and a reopen, two different departments, disagreeing verifications, or one
//! made invalid by the other) are recorded as a [`Conflict`] and the case is contested
//! until a street officer, supervisor or admin records an event having seen them all.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::hazard::event::{Event, Payload};
use crate::hazard::hlc::Hlc;
use crate::hazard::refusal::Rule;
use crate::hazard::rules;
use crate::hazard::state::{CaseState, Conflict, ConflictKind, Ignored, Solved, Status};
use crate::profile::Role;

/// How far a fold has got, event by event: the state of the events applied so far in
/// fold order, and where the last of them stands in that order. [`fold`] runs one over
/// a case's ordered events; a store that keeps it (the sync server's case row) applies
/// each new event that comes after the last with [`Folding::apply`], in constant time,
/// and refolds ([`Folding::of`]) only when one arrives out of order. Both give the same
/// state because both are the same steps in the same order.
///
/// What depends on the whole set of events rather than on their order is not kept
/// here: `history`, `heads`, `conflicts` and `contested` stay empty; [`fold`] derives
/// them at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Folding {
    /// The state after the events applied so far (`event_count` counts them).
    pub state: CaseState,
    /// The fold position of the last event applied; `None` before the first.
    pub last: Option<FoldPosition>,
}

/// An event's place in fold order: HLC timestamp, then event id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FoldPosition {
    /// The event's HLC timestamp.
    pub hlc: Hlc,
    /// The event's id.
    pub event: String,
}

impl FoldPosition {
    /// Where `event` stands in fold order.
    pub fn of(event: &Event) -> FoldPosition {
        FoldPosition {
            hlc: event.hlc,
            event: event.id.clone(),
        }
    }
}

/// Why [`Folding::apply`] cannot take an event as the next step; the folding is left
/// as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotNext {
    /// The event belongs to another case.
    #[error("event `{event}` belongs to case `{event_case}`, not to `{case}`")]
    OtherCase {
        /// The event.
        event: String,
        /// Its case.
        event_case: String,
        /// The case being folded.
        case: String,
    },
    /// The event does not come after the last one applied (HLC, then id): it belongs
    /// earlier in the history, so the case must be refolded with it.
    #[error(
        "event `{}` at {} does not come after `{}` at {} in fold order; refold the case",
        event.event, event.hlc, last.event, last.hlc
    )]
    OutOfOrder {
        /// The event's position.
        event: FoldPosition,
        /// The last position applied.
        last: FoldPosition,
    },
}

impl Folding {
    /// A fold of case `case_id` before any event.
    pub fn new(case_id: &str) -> Folding {
        Folding {
            state: CaseState::empty(case_id),
            last: None,
        }
    }

    /// The fold of every event of case `case_id` among `events` (in any order), one
    /// per id: a full refold of the event-by-event part of [`fold`].
    pub fn of(case_id: &str, events: &[Event]) -> Folding {
        let mut folding = Folding::new(case_id);
        for event in &ordered(case_id, events) {
            folding.step(event);
        }
        folding
    }

    /// Applies `event` as the next step when it comes after the last event applied in
    /// fold order; returns the rule it broke if the fold keeps it without letting it
    /// change the state. An event that belongs earlier is refused ([`NotNext`]) and
    /// changes nothing: the caller refolds the case with it ([`Folding::of`]).
    pub fn apply(&mut self, event: &Event) -> Result<Option<Rule>, NotNext> {
        if event.case_id != self.state.case_id {
            return Err(NotNext::OtherCase {
                event: event.id.clone(),
                event_case: event.case_id.clone(),
                case: self.state.case_id.clone(),
            });
        }
        let position = FoldPosition::of(event);
        if let Some(last) = self.last.as_ref().filter(|last| position <= **last) {
            return Err(NotNext::OutOfOrder {
                event: position,
                last: last.clone(),
            });
        }
        Ok(self.step(event))
    }

    /// One step of every fold: the event is checked against the rules in the state so
    /// far, then applied, or kept as ignored under the rule it broke.
    fn step(&mut self, event: &Event) -> Option<Rule> {
        let state = &mut self.state;
        state.event_count = state.event_count.saturating_add(1);
        self.last = Some(FoldPosition::of(event));
        match rules::check_event(state, event) {
            Ok(()) => {
                apply(state, event);
                None
            }
            Err(refusal) => {
                state.ignored.push(Ignored {
                    event: event.id.clone(),
                    rule: refusal.rule,
                });
                Some(refusal.rule)
            }
        }
    }
}

/// Folds the events of case `case_id` (events of other cases are skipped) into its state.
pub fn fold(case_id: &str, events: &[Event]) -> CaseState {
    let events = ordered(case_id, events);
    let ancestors = ancestors(&events);
    let concurrent = |a: usize, b: usize| !ancestors[a].contains(&b) && !ancestors[b].contains(&a);

    let mut folding = Folding::new(case_id);
    let mut applied = Vec::new();
    let mut refused = Vec::new();
    for (i, event) in events.iter().enumerate() {
        match folding.step(event) {
            None if event.kind().is_transition() => applied.push(i),
            None => {}
            Some(rule) => refused.push((i, rule)),
        }
    }
    let mut state = folding.state;

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
