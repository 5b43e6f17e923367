//! `GET/POST /console/spot-checks`: the supervisor's spot-check planner (issue 15
//! item 5). The page previews a seeded sample of an area's sites ([`super::sample`]);
//! posting it records one planned spot check per drawn site — a draft `spot-check`
//! inspection pushed through [`push_one`] from the supervisor's console device, the
//! same record a supervisor's phone pushes when it plans a visit. Drafts are read only
//! by their author's devices (and admins) ([`crate::scope::read_access`]), so the plan
//! reaches the supervisor's phone on its next pull and stays invisible to the inspected
//! area until the visit is submitted.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use gridwalk_model::checklist::Template as Checklist;
use gridwalk_model::inspection::{DEFAULT_TEMPLATE, Inspection, InspectionKind, InspectionStatus};
use gridwalk_model::org::{OrgUnit, Site};
use gridwalk_model::profile::Role;
use gridwalk_model::protocol::{ItemStatus, Person, PushItem, RecordKind};
use serde::Deserialize;

use super::i18n::Lang;
use super::names::show_time;
use super::queue::Choice;
use super::sample::{self, Candidate, Weights};
use super::session::{Viewer, new_secret};
use super::{Chrome, ConsoleError, blocking, html};
use crate::api::push::push_one;
use crate::auth::Caller;
use crate::proofs::Sealing;
use crate::scope::{UnitTree, read_access};
use crate::storage::console::NonceUse;
use crate::storage::register::Register;
use crate::storage::{RecordStore, StoredRecord, sha256_hex};

/// The most sites one plan may hold: a day or two of visits.
pub const MAX_SITES: usize = 50;

/// The planner's fields, from the query (a preview) or the form (the plan).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PlanQuery {
    /// The area (an org unit within the supervisor's).
    #[serde(default)]
    pub area: String,
    /// How many sites.
    #[serde(default)]
    pub count: String,
    /// The seed; empty draws a new one.
    #[serde(default)]
    pub seed: String,
    /// Weight towards sites with open hazards (`1`).
    #[serde(default)]
    pub open: Option<String>,
    /// Weight towards sites not visited for long (`1`).
    #[serde(default)]
    pub stale: Option<String>,
    /// Weight towards sensitive kinds (`1`).
    #[serde(default)]
    pub sensitive: Option<String>,
    /// The session's form token (the plan's form only).
    #[serde(default)]
    pub csrf: String,
    /// The plan form's one-time nonce (the plan's form only).
    #[serde(default)]
    pub nonce: String,
}

impl PlanQuery {
    fn weights(&self) -> Weights {
        let on = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.is_empty());
        Weights {
            open_hazards: on(&self.open),
            long_unvisited: on(&self.stale),
            sensitive: on(&self.sensitive),
        }
    }

    /// The sample it asks for: area, count and seed, or why not; `None` when the
    /// page is opened without an area (nothing to preview yet).
    fn request(&self) -> Result<Option<(String, usize, Option<u64>)>, String> {
        if self.area.is_empty() {
            return Ok(None);
        }
        let count: usize = self
            .count
            .trim()
            .parse()
            .ok()
            .filter(|n| (1..=MAX_SITES).contains(n))
            .ok_or_else(|| format!("the number of sites must be 1 to {MAX_SITES}"))?;
        let seed = match self.seed.trim() {
            "" => None,
            text => Some(
                text.parse::<u64>()
                    .map_err(|_| "a seed is a whole number from 0 to 2^64 - 1".to_string())?,
            ),
        };
        Ok(Some((self.area.clone(), count, seed)))
    }
}

/// One drawn site, as the page lists it.
#[derive(Debug, Clone)]
pub struct DrawnSite {
    /// Site id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: String,
    /// Its unit's name.
    pub unit: String,
    /// Open hazard cases there.
    pub open_hazards: u32,
    /// Days since its last inspection, or empty if never.
    pub days_since_visit: String,
}

/// A planned visit of the viewer's that is not yet submitted.
#[derive(Debug)]
pub struct PlannedVisit {
    /// The site's name.
    pub site: String,
    /// When it was planned.
    pub planned: String,
}

/// The planner page.
#[derive(Template)]
#[template(path = "console/spotcheck.html")]
struct PlannerPage {
    chrome: Chrome,
    areas: Vec<Choice>,
    count: String,
    seed: String,
    weights: Weights,
    drawn: Vec<DrawnSite>,
    error: String,
    planned_now: usize,
    already_planned: bool,
    nonce: String,
    plans: Vec<PlannedVisit>,
}

/// What a sample is drawn from, for one viewer.
struct Ground {
    units: Vec<OrgUnit>,
    sites: Vec<Site>,
    candidates: Vec<Candidate>,
    plans: Vec<PlannedVisit>,
}

/// Supervisors and admins plan spot checks; everyone else is told the page is not
/// theirs (as for anything they may not see).
fn planner_only(viewer: &Viewer) -> Result<(), ConsoleError> {
    match viewer.person.role {
        Role::Supervisor | Role::Admin => Ok(()),
        _ => Err(ConsoleError::NotFound),
    }
}

/// The time an inspection record stands for: its submission (device time), else its
/// start, else when the server received it; ms since the Unix epoch.
pub fn inspection_time_ms(inspection: &Inspection, record: &StoredRecord) -> Option<i64> {
    let parse = |t: &str| {
        DateTime::parse_from_rfc3339(t)
            .ok()
            .map(|t| t.timestamp_millis())
    };
    inspection
        .submitted_at
        .as_deref()
        .and_then(parse)
        .or_else(|| parse(&inspection.started_at))
        .or_else(|| parse(&record.received_at))
}

/// Every inspection record `person` may read, parsed (records that no longer parse
/// are skipped: they cannot be shown as inspections).
pub fn readable_inspections(
    store: &dyn RecordStore,
    person: &Person,
    tree: &UnitTree,
) -> Result<Vec<(StoredRecord, Inspection)>, ConsoleError> {
    Ok(store
        .records_of_kind(RecordKind::Inspection)?
        .into_iter()
        .filter(|r| read_access(person, r, None, tree).is_some())
        .filter_map(|r| {
            let inspection = serde_json::from_str::<Inspection>(&r.body).ok()?;
            Some((r, inspection))
        })
        .collect())
}

fn ground(store: &dyn RecordStore, person: &Person, now_ms: i64) -> Result<Ground, ConsoleError> {
    let units = store.units()?;
    let tree = UnitTree::new(&units);
    let sites: Vec<Site> = store
        .sites()?
        .into_iter()
        .filter(|s| person.role == Role::Admin || tree.is_within(&s.unit, &person.unit))
        .collect();
    // The open cases per site of those the person sees: an admin all, a supervisor
    // their area's (`read_access`), counted over the case rows' indexed columns.
    let area: Option<Vec<String>> = (person.role != Role::Admin).then(|| {
        units
            .iter()
            .filter(|u| tree.is_within(&u.id, &person.unit))
            .map(|u| u.id.clone())
            .collect()
    });
    let open: HashMap<String, u32> = store
        .open_cases_by_site(area.as_deref())?
        .into_iter()
        .collect();
    let mut last_visit: HashMap<String, i64> = HashMap::new();
    let mut plans = Vec::new();
    let site_names: HashMap<&str, &str> = sites
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    for (record, inspection) in readable_inspections(store, person, &tree)? {
        let at = inspection_time_ms(&inspection, &record);
        if record.draft {
            if record.author_person == person.id {
                plans.push(PlannedVisit {
                    site: site_names
                        .get(inspection.site_id.as_str())
                        .map_or(inspection.site_id.clone(), |n| (*n).to_string()),
                    planned: at.map(show_time).unwrap_or_default(),
                });
            }
            continue;
        }
        if let Some(at) = at {
            let last = last_visit.entry(inspection.site_id.clone()).or_insert(at);
            *last = (*last).max(at);
        }
    }
    let candidates = sites
        .iter()
        .map(|s| Candidate {
            site: s.id.clone(),
            kind: s.kind.clone(),
            open_hazards: open.get(&s.id).copied().unwrap_or(0),
            days_since_visit: last_visit
                .get(&s.id)
                .map(|at| u32::try_from((now_ms - at).max(0) / 86_400_000).unwrap_or(u32::MAX)),
        })
        .collect();
    Ok(Ground {
        units,
        sites,
        candidates,
        plans,
    })
}

/// The sample for a request over `ground`: the seed used and the drawn sites.
fn drawn(
    ground: &Ground,
    area: &str,
    count: usize,
    seed: u64,
    weights: Weights,
) -> Result<Vec<DrawnSite>, String> {
    let tree = UnitTree::new(&ground.units);
    if !ground.units.iter().any(|u| u.id == area) {
        return Err(format!("unknown area `{area}`"));
    }
    let in_area: Vec<Candidate> = ground
        .candidates
        .iter()
        .filter(|c| {
            ground
                .sites
                .iter()
                .any(|s| s.id == c.site && tree.is_within(&s.unit, area))
        })
        .cloned()
        .collect();
    let unit_names: HashMap<&str, &str> = ground
        .units
        .iter()
        .map(|u| (u.id.as_str(), u.name.as_str()))
        .collect();
    Ok(sample::draw(&in_area, count, seed, weights)
        .into_iter()
        .filter_map(|id| {
            let site = ground.sites.iter().find(|s| s.id == id)?;
            let c = in_area.iter().find(|c| c.site == id)?;
            Some(DrawnSite {
                id: site.id.clone(),
                name: site.name.clone(),
                kind: site.kind.clone(),
                unit: unit_names
                    .get(site.unit.as_str())
                    .map_or(site.unit.clone(), |n| (*n).to_string()),
                open_hazards: c.open_hazards,
                days_since_visit: c
                    .days_since_visit
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            })
        })
        .collect())
}

/// A new seed: 53 bits, so it reads back exactly from a number field.
fn new_seed() -> Result<u64, ConsoleError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| ConsoleError::Internal(format!("no randomness: {e}")))?;
    Ok(u64::from_le_bytes(bytes) >> 11)
}

/// How long a plan form's nonce stays usable: a session's lifetime.
const NONCE_LIFETIME_MS: i64 = 12 * 3600 * 1000;

/// What the plan form was sent for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Posted {
    /// Nothing yet: the page is a preview.
    Nothing,
    /// This many visits were planned now.
    Planned(usize),
    /// The form had been submitted before; nothing was planned again.
    AlreadyPlanned,
}

/// Issues the plan form's one-time nonce for `person`: the form carries it, the store
/// keeps only its SHA-256.
fn issue_nonce(store: &dyn RecordStore, person: &str, now_ms: i64) -> Result<String, ConsoleError> {
    let nonce = new_secret()?;
    store.issue_form_nonce(
        &sha256_hex(nonce.as_bytes()),
        person,
        now_ms,
        now_ms - NONCE_LIFETIME_MS,
    )?;
    Ok(nonce)
}

/// The page for `query`, after `posted`.
async fn render(
    state: &crate::state::AppState,
    viewer: &Viewer,
    lang: Lang,
    query: PlanQuery,
    posted: Posted,
) -> Result<Response, ConsoleError> {
    let store = state.store.clone();
    let person = viewer.person.clone();
    let now_ms = Utc::now().timestamp_millis();
    let ground = blocking(move || ground(store.as_ref(), &person, now_ms)).await?;
    let weights = query.weights();
    let mut error = String::new();
    let mut seed_shown = query.seed.trim().to_string();
    let mut drawn_sites = Vec::new();
    match query.request() {
        Ok(Some((area, count, seed))) => {
            let seed = match seed {
                Some(seed) => seed,
                None => new_seed()?,
            };
            seed_shown = seed.to_string();
            match drawn(&ground, &area, count, seed, weights) {
                Ok(d) => drawn_sites = d,
                Err(e) => error = e,
            }
        }
        Ok(None) => {}
        Err(e) => error = e,
    }
    // A form to plan with, only when there is a sample to plan and nothing was posted.
    let nonce = if drawn_sites.is_empty() || posted != Posted::Nothing {
        String::new()
    } else {
        let store = state.store.clone();
        let person = viewer.person.id.clone();
        blocking(move || issue_nonce(store.as_ref(), &person, now_ms)).await?
    };
    let planned_now = match posted {
        Posted::Planned(n) => n,
        Posted::Nothing | Posted::AlreadyPlanned => 0,
    };
    let tree = UnitTree::new(&ground.units);
    let areas = ground
        .units
        .iter()
        .filter(|u| viewer.person.role == Role::Admin || tree.is_within(&u.id, &viewer.person.unit))
        .map(|u| Choice {
            value: u.id.clone(),
            label: format!("{} ({})", u.name, u.level),
            selected: u.id == query.area,
        })
        .collect();
    let page = PlannerPage {
        chrome: Chrome::new(lang, "/console/spot-checks", Some(viewer)),
        areas,
        count: if query.count.is_empty() {
            "5".into()
        } else {
            query.count.clone()
        },
        seed: seed_shown,
        weights,
        drawn: drawn_sites,
        error,
        planned_now,
        already_planned: posted == Posted::AlreadyPlanned,
        nonce,
        plans: ground.plans,
    };
    Ok(html(&page))
}

/// `GET /console/spot-checks`: the planner, with a preview of the sample when an area
/// and a number are given (a new seed is drawn and shown when none is).
pub async fn planner(
    State(state): State<crate::state::AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Query(query): Query<PlanQuery>,
) -> Result<Response, ConsoleError> {
    planner_only(&viewer)?;
    render(&state, &viewer, Lang::of(&headers), query, Posted::Nothing).await
}

/// `POST /console/spot-checks`: uses up the form's one-time nonce, then draws the sample
/// again from the form's seed and records a planned visit (a draft spot check) for each
/// drawn site, in turn; a refusal stops there and is shown (the visits before it stay
/// planned). The same form sent again (a double click, a retried POST) finds its nonce
/// used and plans nothing: the visits are planned once. A new plan needs a new preview.
pub async fn plan(
    State(state): State<crate::state::AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(form): Form<PlanQuery>,
) -> Result<Response, ConsoleError> {
    viewer.check_csrf(&form.csrf)?;
    planner_only(&viewer)?;
    let lang = Lang::of(&headers);
    let Ok(Some((area, count, Some(seed)))) = form.request() else {
        return Err(ConsoleError::BadRequest(
            "a plan needs an area, a number of sites and the seed it was previewed with".into(),
        ));
    };
    let weights = form.weights();
    let store = state.store.clone();
    let who = viewer.clone();
    let nonce_hash = sha256_hex(form.nonce.as_bytes());
    let planned = blocking(move || {
        let now = Utc::now();
        let now_ms = now.timestamp_millis();
        match store.use_form_nonce(
            &nonce_hash,
            &who.person.id,
            now_ms,
            now_ms - NONCE_LIFETIME_MS,
        )? {
            NonceUse::Fresh => {}
            NonceUse::AlreadyUsed => return Ok(None),
            NonceUse::Unknown => {
                return Err(ConsoleError::BadRequest(
                    "the plan form is unknown or expired: preview the sample again".into(),
                ));
            }
        }
        let ground = ground(store.as_ref(), &who.person, now.timestamp_millis())?;
        let sites =
            drawn(&ground, &area, count, seed, weights).map_err(ConsoleError::BadRequest)?;
        let template = Checklist::builtin_cached()
            .map_err(|e| ConsoleError::Internal(format!("the built-in template: {e}")))?
            .iter()
            .find(|t| t.id == DEFAULT_TEMPLATE)
            .ok_or_else(|| ConsoleError::Internal("no built-in default template".into()))?;
        let register = Register::new(&ground.units);
        // The desk's own records are stored unchecked (`Sealing::Unchecked` below):
        // the console signs nothing.
        let caller = Caller {
            device: who.device.clone(),
            person: who.person.clone(),
            public_key: None,
        };
        let started_at = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut planned = 0;
        for site in &sites {
            let visit = Inspection {
                id: uuid::Uuid::now_v7().to_string(),
                site_id: site.id.clone(),
                template_id: template.id.clone(),
                template_version: template.version,
                kind: InspectionKind::SpotCheck,
                status: InspectionStatus::Draft,
                inspector: who.person.name.clone(),
                started_at: started_at.clone(),
                submitted_at: None,
                answers: Vec::new(),
            };
            let item = PushItem {
                id: visit.id.clone(),
                kind: RecordKind::Inspection.as_str().to_string(),
                body: serde_json::to_value(&visit)
                    .map_err(|e| ConsoleError::Internal(format!("a plan as JSON: {e}")))?,
                proof: None,
            };
            let result = push_one(store.as_ref(), &caller, Sealing::Unchecked, &register, item)?;
            if result.status == ItemStatus::Rejected {
                return Err(ConsoleError::BadRequest(result.reason.unwrap_or_default()));
            }
            planned += 1;
        }
        Ok(Some(planned))
    })
    .await?;
    let posted = match planned {
        Some(planned) => {
            tracing::info!(planned, seed, "spot checks planned");
            Posted::Planned(planned)
        }
        None => {
            tracing::info!(seed, "a plan form sent again; nothing planned");
            Posted::AlreadyPlanned
        }
    };
    render(&state, &viewer, lang, form, posted).await
}
