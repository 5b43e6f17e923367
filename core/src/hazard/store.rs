//! Hazard events in the local store: recording local events (after the rules), applying
//! events from elsewhere (idempotent by id), and reading cases back as folded state.
//!
//! Events are only ever inserted (by `store::hazard_events`); a second copy of an event
//! changes nothing and the first is never lost.

use std::collections::HashMap;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use gridwalk_model::checklist::{Severity, Template};
use gridwalk_model::inspection::{Answer, DEFAULT_TEMPLATE, InspectionKind, Outcome};
use gridwalk_model::org::Site;
use gridwalk_model::protocol::RecordKind;

use crate::error::{CoreError, Result};
use crate::evidence::{self, PhotoView};
use crate::hazard::deadline::{self, Deadline};
use crate::hazard::event::{Actor, Event, HazardReport, Level, Payload, ReportSource};
use crate::hazard::fold::fold;
use crate::hazard::hlc::wall_clock_ms;
use crate::hazard::rules::{self, AllowedAction};
use crate::hazard::skew::{self, SkewFlag};
use crate::hazard::state::{CaseState, Status};
use crate::profile::{self, Role};
use crate::store::chain_marks::{self, ChainMark};
use crate::store::hazard_events::{self, Origin};
use crate::store::{Store, clock, inspections, new_id, now, outbox, photos};

/// Settings key of the clock-skew threshold in ms.
const MAX_SKEW_KEY: &str = "hazard.max-skew-ms";

/// What applying a batch of events from elsewhere did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ApplyOutcome {
    /// Events new to this device, now stored.
    pub inserted: u32,
    /// Events already held (same id, same content): nothing to do.
    pub duplicates: u32,
    /// Ids already held with *different* content. The stored copy is kept; a sender
    /// producing these has a bug worth reporting.
    pub conflicting_ids: Vec<String>,
}

/// The server's refusal of an event this device recorded: the event stays stored and
/// shown, but no longer counts in the case's state here, because the server (which
/// decides what is true) does not hold it.
///
/// Children of a refused event (later events whose parents name it) are judged on their
/// own: each counts until the server refuses it too, exactly as on the server, which
/// never held the refused parent. A new event recorded here builds on the case without
/// the refused ones, so the person can record the step again, correctly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ServerRefusal {
    /// The refused event's id.
    pub event: String,
    /// The server's reject code (`forbidden`, `invalid`, `conflict`, ...).
    pub code: String,
    /// The server's sentence saying why.
    pub reason: String,
    /// How many syncs the server has refused it in (after a few it is held back).
    pub times_refused: u32,
}

/// A case with everything a screen needs: state, events, deadline, clock-skew flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CaseView {
    /// The folded state.
    pub state: CaseState,
    /// The events in fold order.
    pub events: Vec<Event>,
    /// The deadline as of now.
    pub deadline: Option<Deadline>,
    /// Events recorded with a skewed device clock.
    pub skew: Vec<SkewFlag>,
    /// Events of this device the server refused, with its reason: listed in `events`,
    /// left out of `state`.
    pub refused: Vec<ServerRefusal>,
    /// What this device's profile may do on the case now (empty without a profile).
    pub allowed_actions: Vec<AllowedAction>,
    /// Where the server placed the case's pulled events in their devices' signed
    /// chains, in `events` order; events the server has not said anything about (this
    /// device's own, unsigned ones) have none.
    pub chain: Vec<ChainMark>,
    /// Every photo the case's events name, in `events` order, each once, with what this
    /// device holds of it (a pulled event's photo may still be pending).
    pub photos: Vec<PhotoView>,
}

/// A case as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CaseSummary {
    /// Case id.
    pub case_id: String,
    /// Workflow status.
    pub status: Status,
    /// Category code (empty until the report arrives).
    pub category: String,
    /// Checklist item, when known.
    pub item: Option<String>,
    /// Severity, once reported.
    pub severity: Option<Severity>,
    /// Org unit where the hazard is.
    pub unit: String,
    /// Site, when known.
    pub site_id: Option<String>,
    /// First line of the description.
    pub description: String,
    /// Level called in to.
    pub level: Level,
    /// Responsible department.
    pub department: Option<String>,
    /// HLC time of the report.
    pub reported_at_ms: Option<i64>,
    /// Due time.
    pub due_ms: Option<i64>,
    /// Open past the due time.
    pub overdue: bool,
    /// An unresolved conflict needs a person.
    pub contested: bool,
    /// Number of events.
    pub event_count: u32,
    /// Events of this device on the case that the server refused (not counted in the
    /// state; see [`CaseView::refused`]).
    pub refused_events: u32,
}

impl CaseSummary {
    fn of(state: &CaseState, deadline: Option<Deadline>, refused_events: u32) -> CaseSummary {
        let report = state.report.as_ref();
        CaseSummary {
            case_id: state.case_id.clone(),
            status: state.status,
            category: report.map(|r| r.category.clone()).unwrap_or_default(),
            item: report.and_then(|r| r.item.clone()),
            severity: report.map(|r| r.severity),
            unit: report.map(|r| r.unit.clone()).unwrap_or_default(),
            site_id: report.and_then(|r| r.site_id.clone()),
            description: report
                .and_then(|r| r.description.lines().next())
                .unwrap_or_default()
                .to_string(),
            level: state.level,
            department: state.department.clone(),
            reported_at_ms: state.reported_at_ms,
            due_ms: deadline.map(|d| d.due_ms),
            overdue: deadline.is_some_and(|d| d.overdue),
            contested: state.contested,
            event_count: state.event_count,
            refused_events,
        }
    }
}

/// Which cases to list.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CaseFilter {
    /// Only cases in this status.
    pub status: Option<Status>,
    /// Only open cases (not solved, not closed).
    pub open_only: bool,
    /// Only contested cases.
    pub contested_only: bool,
}

impl Store {
    /// Opens a case from a resident, hotline or online report (or any report the
    /// profile's role may enter), acting as the local profile. Returns the `reported`
    /// event; its `case_id` is the new case.
    pub fn open_case(&mut self, report: HazardReport) -> Result<Event> {
        let actor = Actor::from(&self.require_profile()?);
        let case_id = new_id();
        self.act_as(&actor, &case_id, Payload::Reported(report))
    }

    /// Records an event on a case as the local profile, after the rules.
    pub fn act(&mut self, case_id: &str, payload: Payload) -> Result<Event> {
        let actor = Actor::from(&self.require_profile()?);
        self.act_as(&actor, case_id, payload)
    }

    /// Records an event on a case as `actor`, after the rules; refused events return
    /// [`CoreError::EventRefused`] naming the rule and change nothing. The event is
    /// queued in the outbox in the same transaction.
    pub fn act_as(&mut self, actor: &Actor, case_id: &str, payload: Payload) -> Result<Event> {
        if let Payload::Assigned { department, .. } = &payload {
            let template = self.template(DEFAULT_TEMPLATE, None)?;
            if !template.departments.iter().any(|d| &d.code == department) {
                let known: Vec<&str> = template
                    .departments
                    .iter()
                    .map(|d| d.code.as_str())
                    .collect();
                return Err(CoreError::InvalidInput(format!(
                    "unknown department `{department}` (expected one of: {})",
                    known.join(", ")
                )));
            }
        }
        self.write(|tx, _| {
            for sha in payload.photos() {
                // Whoever records a photo reference here took the photo here.
                if !photos::held(tx, sha)? {
                    return Err(CoreError::NotFound {
                        kind: "photo",
                        id: sha.clone(),
                    });
                }
            }
            record_local(tx, actor, case_id, payload, wall_clock_ms())
        })
    }

    /// Stores events recorded elsewhere (the sync client's pull, another device's copy).
    /// Idempotent by event id; every event is checked for form first and a malformed one
    /// refuses the whole batch, changing nothing. Workflow rules are *not* applied here:
    /// an event valid on its author's device is a fact, and the fold decides its effect.
    pub fn apply_remote_events(&mut self, events: &[Event]) -> Result<ApplyOutcome> {
        self.write(|tx, _| apply_remote(tx, events))
    }

    /// A case's events in fold order.
    pub fn case_events(&self, case_id: &str) -> Result<Vec<Event>> {
        hazard_events::of_case(&self.conn, case_id)
    }

    /// Events by id (for the sync client reading its outbox); unknown ids are skipped.
    pub fn hazard_events(&self, ids: &[String]) -> Result<Vec<Event>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(event) = hazard_events::get(&self.conn, id)? {
                out.push(event);
            }
        }
        Ok(out)
    }

    /// Every hazard event on this device, by case then fold order.
    pub fn all_hazard_events(&self) -> Result<Vec<Event>> {
        hazard_events::all(&self.conn)
    }

    /// The folded state of one case.
    pub fn case_state(&self, case_id: &str) -> Result<CaseState> {
        let events = hazard_events::of_case(&self.conn, case_id)?;
        if events.is_empty() {
            return Err(not_found(case_id));
        }
        let refused = refusals(&self.conn)?;
        Ok(fold(case_id, &counted(events, &refused)))
    }

    /// One case with its events, deadline (as of now) and clock-skew flags.
    pub fn hazard_case(&self, case_id: &str) -> Result<CaseView> {
        let with_receipt = hazard_events::of_case_with_receipt(&self.conn, case_id)?;
        if with_receipt.is_empty() {
            return Err(not_found(case_id));
        }
        let events: Vec<Event> = with_receipt.iter().map(|(e, _)| e.clone()).collect();
        let mut all_refused = refusals(&self.conn)?;
        let state = fold(case_id, &counted(events.clone(), &all_refused));
        let events = gridwalk_model::hazard::fold::ordered(case_id, &events);
        let refused = events
            .iter()
            .filter_map(|e| all_refused.remove(&e.id))
            .collect();
        let deadline = deadline::deadline(&state, &self.deadline_policy()?, wall_clock_ms());
        let allowed_actions = match self.profile()? {
            Some(profile) => rules::allowed_actions(&state, &Actor::from(&profile)),
            None => Vec::new(),
        };
        let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
        let mut marks = chain_marks::of(&self.conn, &ids)?;
        let chain = events
            .iter()
            .filter_map(|e| {
                marks.remove(&e.id).map(|chain| ChainMark {
                    record: e.id.clone(),
                    chain,
                })
            })
            .collect();
        let mut named: Vec<String> = Vec::new();
        for sha in events.iter().flat_map(|e| e.payload.photos()) {
            if !named.contains(sha) {
                named.push(sha.clone());
            }
        }
        Ok(CaseView {
            photos: evidence::views(&self.conn, &named)?,
            chain,
            allowed_actions,
            skew: skew::flag(&with_receipt, self.max_clock_skew_ms()?),
            refused,
            state,
            events,
            deadline,
        })
    }

    /// Finds a case by a unique prefix of its id (ids are long to type).
    pub fn resolve_case_id(&self, prefix: &str) -> Result<String> {
        let prefix = prefix.trim();
        if prefix.is_empty() {
            return Err(CoreError::InvalidInput("case id is empty".into()));
        }
        let found = hazard_events::case_ids_starting_with(&self.conn, prefix, 2)?;
        match found.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(not_found(prefix)),
            _ => Err(CoreError::InvalidInput(format!(
                "case id prefix `{prefix}` matches more than one case"
            ))),
        }
    }

    /// Every case, folded without the events the server refused, newest report first.
    pub fn case_states(&self) -> Result<Vec<CaseState>> {
        Ok(self
            .folded_cases()?
            .into_iter()
            .map(|(state, _)| state)
            .collect())
    }

    /// Every hazard event that counts on this device (all but those the server
    /// refused), by case then fold order: what the campaign report is computed from.
    pub fn counted_hazard_events(&self) -> Result<Vec<Event>> {
        Ok(counted(self.all_hazard_events()?, &refusals(&self.conn)?))
    }

    /// Every case (a case whose every event was refused included, with an empty state)
    /// folded without its refused events, with how many were refused; newest first.
    fn folded_cases(&self) -> Result<Vec<(CaseState, u32)>> {
        let refused = refusals(&self.conn)?;
        let mut by_case: HashMap<String, (Vec<Event>, u32)> = HashMap::new();
        for e in self.all_hazard_events()? {
            let entry = by_case.entry(e.case_id.clone()).or_default();
            if refused.contains_key(&e.id) {
                entry.1 += 1;
            } else {
                entry.0.push(e);
            }
        }
        let mut states: Vec<(CaseState, u32)> = by_case
            .iter()
            .map(|(id, (events, refused))| (fold(id, events), *refused))
            .collect();
        states.sort_by(|(a, _), (b, _)| {
            b.reported_at_ms
                .cmp(&a.reported_at_ms)
                .then_with(|| a.case_id.cmp(&b.case_id))
        });
        Ok(states)
    }

    /// Lists cases, newest report first.
    pub fn list_cases(&self, filter: &CaseFilter) -> Result<Vec<CaseSummary>> {
        let policy = self.deadline_policy()?;
        let now_ms = wall_clock_ms();
        Ok(self
            .folded_cases()?
            .iter()
            .filter(|(s, _)| filter.status.is_none_or(|st| s.status == st))
            .filter(|(s, _)| !filter.open_only || s.status.is_open())
            .filter(|(s, _)| !filter.contested_only || s.contested)
            .map(|(s, refused)| {
                CaseSummary::of(s, deadline::deadline(s, &policy, now_ms), *refused)
            })
            .collect())
    }

    /// The clock-skew threshold in ms ([`skew::DEFAULT_MAX_SKEW_MS`] unless set).
    pub fn max_clock_skew_ms(&self) -> Result<i64> {
        match self.setting(MAX_SKEW_KEY)? {
            None => Ok(skew::DEFAULT_MAX_SKEW_MS),
            Some(v) => CoreError::parse_stored(&v, "the stored clock-skew threshold"),
        }
    }

    /// Sets the clock-skew threshold in ms (at least one second).
    pub fn set_max_clock_skew_ms(&self, ms: i64) -> Result<()> {
        if ms < 1_000 {
            return Err(CoreError::InvalidInput(
                "the clock-skew threshold must be at least 1000 ms".into(),
            ));
        }
        self.set_setting(MAX_SKEW_KEY, &ms.to_string())
    }
}

/// This device's events the server refused, by event id.
fn refusals(conn: &Connection) -> Result<HashMap<String, ServerRefusal>> {
    Ok(outbox::refused(conn, RecordKind::HazardEvent)?
        .into_iter()
        .map(|r| {
            let refusal = ServerRefusal {
                event: r.record_id,
                code: r.code,
                reason: r.reason,
                times_refused: r.rejections,
            };
            (refusal.event.clone(), refusal)
        })
        .collect())
}

/// The events that count in a case's state: all but those the server refused.
fn counted(events: Vec<Event>, refused: &HashMap<String, ServerRefusal>) -> Vec<Event> {
    events
        .into_iter()
        .filter(|e| !refused.contains_key(&e.id))
        .collect()
}

fn not_found(case_id: &str) -> CoreError {
    CoreError::NotFound {
        kind: "hazard case",
        id: case_id.to_string(),
    }
}

/// Whether the held copy of `e`'s id and `e` are one event, one of them redacted.
fn same_up_to_redaction(conn: &Connection, e: &Event) -> Result<bool> {
    Ok(hazard_events::get(conn, &e.id)?.is_some_and(|held| {
        held.withheld.is_some() != e.withheld.is_some() && held.redacted() == e.redacted()
    }))
}

/// [`Store::apply_remote_events`] inside the caller's transaction, form checks included.
pub(crate) fn apply_remote(conn: &Connection, events: &[Event]) -> Result<ApplyOutcome> {
    for e in events {
        e.check_well_formed()?;
    }
    let received = wall_clock_ms();
    let mut outcome = ApplyOutcome::default();
    for e in events {
        let body = hazard_events::encode(e)?;
        match hazard_events::body(conn, &e.id)? {
            Some(existing) if existing == body => outcome.duplicates += 1,
            // The same event seen through another role's redaction (a full copy of a
            // held redacted one, or the reverse): the held copy folds the same, keep it.
            Some(_) if same_up_to_redaction(conn, e)? => outcome.duplicates += 1,
            Some(_) => outcome.conflicting_ids.push(e.id.clone()),
            None => {
                hazard_events::insert(conn, e, &body, Origin::Remote, received)?;
                clock::observe(conn, e.hlc)?;
                outcome.inserted += 1;
            }
        }
    }
    Ok(outcome)
}

/// Checks the rules against the case as this device knows it, then stores the event
/// (building on the case's current heads, timestamped after all of them) and queues it
/// in the outbox. Runs inside the caller's transaction.
pub(crate) fn record_local(
    conn: &Connection,
    actor: &Actor,
    case_id: &str,
    payload: Payload,
    now_ms: i64,
) -> Result<Event> {
    // The case as the server holds it: a step refused there is not built upon.
    let existing = counted(hazard_events::of_case(conn, case_id)?, &refusals(conn)?);
    let state = fold(case_id, &existing);
    rules::check(&state, actor, &payload)?;
    let after = existing.iter().map(|e| e.hlc).max().unwrap_or_default();
    let event = Event {
        id: new_id(),
        case_id: case_id.to_string(),
        actor: actor.clone(),
        device: crate::device::id(conn)?,
        hlc: clock::issue(conn, now_ms, after)?,
        wall_ms: now_ms,
        parents: state.heads,
        withheld: None,
        payload,
    };
    let body = hazard_events::encode(&event)?;
    hazard_events::insert(conn, &event, &body, Origin::Local, now_ms)?;
    let signed = serde_json::to_value(&event)
        .map_err(|e| CoreError::Internal(format!("event {} cannot be encoded: {e}", event.id)))?;
    outbox::enqueue(conn, RecordKind::HazardEvent, &event.id, &signed, &now())?;
    crate::photo::record::queue_for(conn, event.payload.photos())?;
    Ok(event)
}

/// Opens one case per hazard answer of a just-submitted inspection, inside the submit
/// transaction, so an inspection is never submitted without its cases. `answers` are
/// the inspection's, with their photos. The actor is the local profile when one is set
/// (named as the inspector); otherwise the inspector in the role the inspection kind
/// implies. Returns the new case ids.
pub(crate) fn open_cases_for_inspection(
    conn: &Connection,
    inspection: &inspections::Row,
    site: &Site,
    template: &Template,
    answers: &[Answer],
) -> Result<Vec<String>> {
    let inspector = &inspection.inspector;
    let actor = match profile::load(conn)? {
        Some(p) => Actor {
            name: inspector.clone(),
            ..Actor::from(&p)
        },
        None => Actor {
            name: inspector.clone(),
            role: match inspection.kind {
                InspectionKind::SpotCheck => Role::Supervisor,
                InspectionKind::Routine | InspectionKind::Reinspection => Role::GridWorker,
            },
            unit: site.unit.clone(),
            department: None,
        },
    };

    let position = |code: &str| template.items().position(|(_, i)| i.code == code);
    let mut hazards: Vec<(Option<usize>, &Answer)> = answers
        .iter()
        .filter(|a| a.outcome == Outcome::Hazard)
        .map(|a| (position(&a.item), a))
        .collect();
    // Template order, so the cases of one inspection open in the order they were checked.
    hazards.sort_by(|a, b| (a.0, &a.1.item).cmp(&(b.0, &b.1.item)));

    let now_ms = wall_clock_ms();
    let mut cases = Vec::with_capacity(hazards.len());
    for (_, answer) in hazards {
        let item_code = &answer.item;
        let Some((category, item)) = template.item(item_code) else {
            continue;
        };
        let description = match &answer.note {
            Some(note) if !note.trim().is_empty() => note.clone(),
            _ => item.title_en.clone(),
        };
        let report = HazardReport {
            source: ReportSource::Inspection {
                inspection_id: inspection.id.clone(),
                item: item_code.clone(),
            },
            category: category.code.clone(),
            item: Some(item_code.clone()),
            severity: item.severity,
            unit: site.unit.clone(),
            site_id: Some(site.id.clone()),
            description,
            photos: answer.photos.clone(),
            suggested_department: Some(item.department.clone()),
        };
        let case_id = new_id();
        record_local(conn, &actor, &case_id, Payload::Reported(report), now_ms)?;
        cases.push(case_id);
    }
    Ok(cases)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    #[test]
    fn the_database_refuses_to_change_or_delete_an_event() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("s.db")).unwrap();
        store
            .set_profile(&Profile {
                name: "Zhao Min".into(),
                role: Role::CommunityStaff,
                unit: "c1".into(),
                department: None,
            })
            .unwrap();
        let event = store
            .open_case(HazardReport {
                source: ReportSource::Hotline,
                category: "fire".into(),
                item: None,
                severity: Severity::High,
                unit: "g1".into(),
                site_id: None,
                description: "blocked passage".into(),
                photos: Vec::new(),
                suggested_department: None,
            })
            .unwrap();
        let update = store.conn.execute(
            "UPDATE hazard_events SET body = '{}' WHERE id = ?1",
            [&event.id],
        );
        assert!(update.is_err());
        let delete = store
            .conn
            .execute("DELETE FROM hazard_events WHERE id = ?1", [&event.id]);
        assert!(delete.is_err());
        assert_eq!(store.case_events(&event.case_id).unwrap(), vec![event]);
    }
}
