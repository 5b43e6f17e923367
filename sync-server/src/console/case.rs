//! `GET /console/cases/{id}`: a case's page — its report, evidence, timeline (who,
//! role, when, device, note), the inspection it came from, contested and clock-skew
//! flags — and exactly the actions the model allows the viewer now
//! ([`allowed_actions`]); `POST /console/cases/{id}/act` records one.
//!
//! The viewer sees the events their phone would pull, redacted alike
//! ([`read_access`], [`kinds::redact`]), and the case's state is the fold of those. An
//! action becomes a hazard event on the viewer's console device, built on the case's
//! heads with the next HLC time, and goes through [`push_one`]: a refusal (a rule of
//! the model, the write scope) is shown with its reason and changes nothing.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use gridwalk_model::hazard::skew::{self, SkewKind};
use gridwalk_model::hazard::{
    Actor, AllowedAction, CaseState, Event, EventKind, Hlc, Level, Payload, ReportSource,
    allowed_actions, check_event, fold,
};
use gridwalk_model::protocol::{ItemResult, ItemStatus, PushItem, RecordKind};
use serde::Deserialize;

use super::i18n::Lang;
use super::names::{Names, show_time};
use super::photo::store_photo;
use super::session::Viewer;
use super::{Chrome, ConsoleError, blocking, html, percent_encode};
use crate::api::push::push_one;
use crate::auth::Caller;
use crate::kinds;
use crate::proofs::Sealing;
use crate::scope::{Access, UnitTree, read_access};
use crate::state::AppState;
use crate::storage::register::Register;
use crate::storage::{RecordStore, StoreError};

/// One entry of the timeline.
#[derive(Debug)]
pub struct Entry {
    /// What happened.
    pub kind: &'static str,
    /// Who (the actor's name).
    pub who: String,
    /// Their role.
    pub role: String,
    /// When (HLC time, UTC+8).
    pub when: String,
    /// On which device.
    pub device: String,
    /// The note, level, department or verdict.
    pub note: String,
    /// Photos (SHA-256 names).
    pub photos: Vec<String>,
    /// Whether personal details were withheld from this viewer.
    pub withheld: bool,
    /// The clock-skew flag, when the device's clock disagreed.
    pub skew: String,
}

/// An action form.
#[derive(Debug)]
pub struct ActionForm {
    /// The event kind, as sent (`called-in`, …).
    pub kind: &'static str,
    /// Its button's label.
    pub label: &'static str,
    /// For a call-in: the levels it may go to (value, label).
    pub levels: Vec<(&'static str, &'static str)>,
    /// For an assignment: the departments (code, name).
    pub departments: Vec<(String, String)>,
    /// Whether it carries a photo (rectification).
    pub photo: bool,
    /// Whether it asks for a verdict (verification).
    pub verdict: bool,
}

/// The case page.
#[derive(Template)]
#[template(path = "console/case.html")]
struct CasePage {
    chrome: Chrome,
    id: String,
    status: &'static str,
    level: &'static str,
    category: String,
    severity: String,
    unit: String,
    site: String,
    department: String,
    description: String,
    reported: String,
    due: String,
    overdue: bool,
    inspection: String,
    evidence: Vec<String>,
    rectification: Vec<String>,
    contested: bool,
    conflicts: Vec<String>,
    entries: Vec<Entry>,
    actions: Vec<ActionForm>,
    csrf: String,
    refused: String,
    done: bool,
    withheld: bool,
    /// The page's photos whose full file has not reached the server (a phone sent
    /// records and thumbnails first): shown by their thumbnail, marked pending.
    pending: BTreeSet<String>,
}

impl CasePage {
    /// Whether photo `sha256`'s full file is still to arrive.
    fn is_pending(&self, sha256: &str) -> bool {
        self.pending.contains(sha256)
    }
}

/// What a case page needs from the store.
struct Loaded {
    events: Vec<(Event, Option<i64>, bool)>,
    state: CaseState,
    site: String,
    units: Vec<gridwalk_model::org::OrgUnit>,
}

/// A stored time as ms since the Unix epoch.
fn received_ms(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc).timestamp_millis())
}

/// The events of a case the viewer may see (redacted as for their phone), with the
/// server's receive time and whether they were redacted, and their fold; `None` when
/// they see none.
fn load(
    store: &dyn RecordStore,
    viewer: &Viewer,
    case_id: &str,
) -> Result<Option<Loaded>, StoreError> {
    let units = store.units()?;
    let tree = UnitTree::new(&units);
    let scope = store.case_scope(case_id)?;
    let mut events = Vec::new();
    for record in store.case_records(case_id)? {
        if !record.is(RecordKind::HazardEvent) {
            continue;
        }
        let Some(access) = read_access(&viewer.person, &record, scope.as_ref(), &tree) else {
            continue;
        };
        let event: Event = match access {
            Access::Full => serde_json::from_str(&record.body),
            Access::Redacted => serde_json::from_value(kinds::redact(&record.kind, &record.body)?),
        }
        .map_err(|e| StoreError::Corrupt(format!("stored hazard event {}: {e}", record.id)))?;
        events.push((
            event,
            received_ms(&record.received_at),
            access == Access::Redacted,
        ));
    }
    if events.is_empty() {
        return Ok(None);
    }
    let plain: Vec<Event> = events.iter().map(|(e, _, _)| e.clone()).collect();
    let state = fold(case_id, &plain);
    let site = match state.report.as_ref().and_then(|r| r.site_id.as_deref()) {
        Some(id) => store
            .site(id)?
            .map_or_else(|| id.to_string(), |s| format!("{} · {}", s.name, s.address)),
        None => String::new(),
    };
    Ok(Some(Loaded {
        events,
        state,
        site,
        units,
    }))
}

/// The actor the viewer records as: their person, exactly as the server knows them.
fn actor(viewer: &Viewer) -> Actor {
    Actor {
        name: viewer.person.name.clone(),
        role: viewer.person.role,
        unit: viewer.person.unit.clone(),
        department: viewer.person.department.clone(),
    }
}

/// What the page says after an action was recorded (`?done=1`; a refusal is shown
/// on the answer to the action itself, never from a link).
#[derive(Debug, Default, Deserialize)]
pub struct Outcome {
    done: Option<String>,
}

/// `GET /console/cases/{id}`.
pub async fn case_page(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(case_id): Path<String>,
    Query(outcome): Query<Outcome>,
) -> Result<Response, ConsoleError> {
    let lang = Lang::of(&headers);
    render(
        &state,
        viewer,
        lang,
        case_id,
        String::new(),
        outcome.done.is_some(),
    )
    .await
}

/// The case page as `viewer` sees it now, saying that their action was refused and
/// why, or that it was recorded.
async fn render(
    state: &AppState,
    viewer: Viewer,
    lang: Lang,
    case_id: String,
    refused: String,
    done: bool,
) -> Result<Response, ConsoleError> {
    let t = lang.texts();
    let store = state.store.clone();
    let (who, id) = (viewer.clone(), case_id.clone());
    let loaded = blocking(move || Ok(load(store.as_ref(), &who, &id)?))
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let names = Names::new(lang, &loaded.units);
    let state_now = &loaded.state;
    let report = state_now.report.as_ref();
    let skews = skew::flag(
        &loaded
            .events
            .iter()
            .map(|(e, r, _)| (e.clone(), *r))
            .collect::<Vec<_>>(),
        skew::DEFAULT_MAX_SKEW_MS,
    );
    let mut ordered: Vec<&(Event, Option<i64>, bool)> = loaded.events.iter().collect();
    ordered.sort_by(|a, b| (a.0.hlc, &a.0.id).cmp(&(b.0.hlc, &b.0.id)));
    let entries = ordered
        .into_iter()
        .map(|(e, _, redacted)| {
            let note = match &e.payload {
                Payload::Reported(r) => r.description.clone(),
                Payload::CalledIn { level, note } => format!("→ {} · {note}", lang.level(*level)),
                Payload::Assigned { department, note } => {
                    format!("→ {} · {note}", names.department(department))
                }
                Payload::Accepted { note }
                | Payload::Progress { note }
                | Payload::Rectified { note, .. }
                | Payload::Closed { note } => note.clone(),
                Payload::Verified { passed, note, .. } => {
                    format!("{} · {note}", if *passed { t.passed } else { t.failed })
                }
                Payload::Reopened { reason } => reason.clone(),
                Payload::Comment { text } => text.clone(),
            };
            let skew = skews
                .iter()
                .filter(|s| s.event == e.id)
                .map(|s| {
                    let what = match s.kind {
                        SkewKind::WallVersusHlc => "wall ≠ HLC",
                        SkewKind::AheadOfReceiver => "ahead of server",
                    };
                    format!("{} {what} {:+} s", t.skew, s.skew_ms / 1000)
                })
                .collect::<Vec<_>>()
                .join("; ");
            Entry {
                kind: lang.event(e.payload.kind()),
                who: e.actor.name.clone(),
                role: lang.role(e.actor.role).to_string(),
                when: show_time(e.hlc.ms),
                device: e.device.clone(),
                note,
                photos: e.payload.photos().to_vec(),
                withheld: *redacted,
                skew,
            }
        })
        .collect();
    let due = gridwalk_model::hazard::deadline::deadline(
        state_now,
        &gridwalk_model::hazard::DeadlinePolicy::default(),
        Utc::now().timestamp_millis(),
    );
    let departments = names.all_departments();
    let actions = allowed_actions(state_now, &actor(&viewer))
        .into_iter()
        .map(|a| action_form(lang, &a, &departments))
        .collect();
    let here = format!("/console/cases/{}", percent_encode(&case_id));
    let named: BTreeSet<String> = loaded
        .events
        .iter()
        .flat_map(|(e, _, _)| e.payload.photos().iter().cloned())
        .collect();
    let blobs = state.blobs.clone();
    let pending = blocking(move || {
        let mut pending = BTreeSet::new();
        for sha in named {
            if !blobs.has_blob(&sha)? {
                pending.insert(sha);
            }
        }
        Ok(pending)
    })
    .await?;
    let page = CasePage {
        chrome: Chrome::new(lang, &here, Some(&viewer)),
        id: case_id,
        status: lang.status(state_now.status),
        level: lang.level(state_now.level),
        category: report
            .map(|r| names.category(&r.category))
            .unwrap_or_default(),
        severity: report
            .map(|r| format!("{:?}", r.severity))
            .unwrap_or_default(),
        unit: report.map(|r| names.unit(&r.unit)).unwrap_or_default(),
        site: loaded.site.clone(),
        department: state_now
            .department
            .as_deref()
            .map(|d| names.department(d))
            .unwrap_or_default(),
        description: report.map(|r| r.description.clone()).unwrap_or_default(),
        reported: state_now.reported_at_ms.map(show_time).unwrap_or_default(),
        due: due.map(|d| show_time(d.due_ms)).unwrap_or_default(),
        overdue: due.is_some_and(|d| d.overdue),
        inspection: match report.map(|r| &r.source) {
            Some(ReportSource::Inspection {
                inspection_id,
                item,
            }) => format!("{inspection_id} · {item}"),
            _ => String::new(),
        },
        evidence: report.map(|r| r.photos.clone()).unwrap_or_default(),
        rectification: state_now.rectification_photos.clone(),
        contested: state_now.contested,
        conflicts: state_now
            .conflicts
            .iter()
            .map(|c| format!("{:?}: {}", c.kind, c.events.join(", ")))
            .collect(),
        entries,
        actions,
        csrf: viewer.csrf.clone(),
        refused,
        done,
        withheld: loaded.events.iter().any(|(_, _, r)| *r),
        pending,
    };
    let mut response = html(&page);
    if !page.refused.is_empty() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// The form of one allowed action.
fn action_form(lang: Lang, action: &AllowedAction, departments: &[(String, String)]) -> ActionForm {
    ActionForm {
        kind: action.kind.as_str(),
        label: lang.event(action.kind),
        levels: action
            .levels
            .iter()
            .map(|l| (l.as_str(), lang.level(*l)))
            .collect(),
        departments: if action.kind == EventKind::Assigned {
            departments.to_vec()
        } else {
            Vec::new()
        },
        photo: action.kind == EventKind::Rectified,
        verdict: action.kind == EventKind::Verified,
    }
}

/// The fields of an action form, read from its multipart body.
#[derive(Debug, Default)]
struct ActionFields {
    csrf: String,
    action: String,
    note: String,
    level: String,
    department: String,
    passed: String,
    photo: Option<Vec<u8>>,
}

async fn read_fields(mut form: Multipart) -> Result<ActionFields, ConsoleError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ConsoleError::TooLarge(e.body_text())
        } else {
            ConsoleError::BadRequest(e.body_text())
        }
    };
    let mut fields = ActionFields::default();
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "photo" {
            let bytes = field.bytes().await.map_err(bad)?;
            if !bytes.is_empty() {
                fields.photo = Some(bytes.to_vec());
            }
            continue;
        }
        let text = field.text().await.map_err(bad)?;
        match name.as_str() {
            "csrf" => fields.csrf = text,
            "action" => fields.action = text,
            "note" => fields.note = text,
            "level" => fields.level = text,
            "department" => fields.department = text,
            "passed" => fields.passed = text,
            _ => {}
        }
    }
    Ok(fields)
}

/// The payload an action form asks for; `photos` names the stored photo of a fix.
fn payload(fields: &ActionFields, photos: Vec<String>) -> Result<Payload, ConsoleError> {
    let note = fields.note.trim().to_string();
    Ok(match fields.action.as_str() {
        "called-in" => Payload::CalledIn {
            level: match fields.level.as_str() {
                "community" => Level::Community,
                "street" => Level::Street,
                "district" => Level::District,
                other => {
                    return Err(ConsoleError::BadRequest(format!("unknown level `{other}`")));
                }
            },
            note,
        },
        "assigned" => Payload::Assigned {
            department: fields.department.trim().to_string(),
            note,
        },
        "accepted" => Payload::Accepted { note },
        "progress" => Payload::Progress { note },
        "rectified" => Payload::Rectified { photos, note },
        "verified" => Payload::Verified {
            passed: fields.passed != "no",
            inspection_id: None,
            note,
        },
        "reopened" => Payload::Reopened { reason: note },
        "closed" => Payload::Closed { note },
        "comment" => Payload::Comment { text: note },
        other => {
            return Err(ConsoleError::BadRequest(format!(
                "unknown action `{other}`"
            )));
        }
    })
}

/// `POST /console/cases/{id}/act`: records one action as a hazard event through the
/// push path, then shows the case again, with the refusal's reason if it was refused.
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(case_id): Path<String>,
    form: Multipart,
) -> Result<Response, ConsoleError> {
    let fields = read_fields(form).await?;
    // Before anything is stored, the photo included.
    viewer.check_csrf(&fields.csrf)?;
    let lang = Lang::of(&headers);
    let page = format!("/console/cases/{}", percent_encode(&case_id));
    let photos = match (&fields.photo, fields.action.as_str()) {
        (Some(bytes), "rectified") => match store_photo(&state, &viewer, bytes.clone()).await {
            Ok(sha) => vec![sha],
            Err(ConsoleError::BadRequest(reason) | ConsoleError::TooLarge(reason)) => {
                return render(&state, viewer, lang, case_id, reason, false).await;
            }
            Err(e) => return Err(e),
        },
        _ => Vec::new(),
    };
    let payload = payload(&fields, photos)?;
    let action = fields.action.clone();
    let store = state.store.clone();
    let who = viewer.clone();
    let id = case_id.clone();
    let result: Result<ItemResult, String> = blocking(move || {
        // The case's lock from reading its heads to storing the event, as a push holds
        // it: nothing else lands on the case in between.
        let _guard = store.lock_case(&id)?;
        let Some(loaded) = load(store.as_ref(), &who, &id)? else {
            return Ok(None);
        };
        let last = loaded
            .events
            .iter()
            .map(|(e, _, _)| e.hlc)
            .max()
            .unwrap_or_default();
        let now_ms = Utc::now().timestamp_millis();
        let event = Event {
            id: uuid::Uuid::now_v7().to_string(),
            case_id: id.clone(),
            actor: actor(&who),
            device: who.device.clone(),
            hlc: Hlc::next(last, now_ms),
            wall_ms: now_ms,
            parents: loaded.state.heads.clone(),
            withheld: None,
            payload,
        };
        // The server stores what an offline phone recorded and lets the fold judge it;
        // the desk acts on the case as it is now, so the model's rules decide first,
        // as the phone's own store does before it records an event.
        if let Err(refusal) = check_event(&loaded.state, &event) {
            return Ok(Some(Err(refusal.to_string())));
        }
        let body = serde_json::to_value(&event)
            .map_err(|e| ConsoleError::Internal(format!("an event as JSON: {e}")))?;
        let register = Register::new(&loaded.units);
        // The desk's own records are stored unchecked (`Sealing::Unchecked` below):
        // the console signs nothing.
        let caller = Caller {
            device: who.device.clone(),
            person: who.person.clone(),
            public_key: None,
        };
        let item = PushItem {
            id: event.id.clone(),
            kind: RecordKind::HazardEvent.as_str().to_string(),
            body,
            proof: None,
        };
        Ok(Some(Ok(push_one(
            store.as_ref(),
            &caller,
            Sealing::Unchecked,
            &register,
            item,
        )?)))
    })
    .await?
    .ok_or(ConsoleError::NotFound)?;
    let result = match result {
        Ok(result) => result,
        Err(refusal) => {
            tracing::info!(case = %case_id, reason = %refusal, "console action refused by a rule");
            return render(&state, viewer, lang, case_id, refusal, false).await;
        }
    };
    match result.status {
        ItemStatus::Accepted | ItemStatus::Duplicate => {
            tracing::info!(case = %case_id, event = %result.id, action = %action, "console action recorded");
            Ok(Redirect::to(&format!("{page}?done=1")).into_response())
        }
        ItemStatus::Rejected => {
            let reason = result.reason.unwrap_or_default();
            tracing::info!(case = %case_id, reason = %reason, "console action refused");
            render(&state, viewer, lang, case_id, reason, false).await
        }
    }
}
