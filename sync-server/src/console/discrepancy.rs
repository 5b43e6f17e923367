//! `GET /console/discrepancies`: what unannounced checks found that routine
//! inspections missed (issue 15 item 5). A discrepancy is a hazard answer of a
//! submitted spot check where a submitted routine inspection of the same site answered
//! the same item `ok` within the preceding N days (default 14); it is counted against
//! the grid of the site and the grid worker of the latest such routine inspection.
//! Only inspections the viewer may read count ([`crate::scope::read_access`]).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use gridwalk_model::inspection::{Inspection, InspectionKind, Outcome};
use gridwalk_model::profile::Role;
use gridwalk_model::protocol::Person;
use serde::Deserialize;

use super::i18n::Lang;
use super::names::{Names, show_time};
use super::session::Viewer;
use super::spotcheck::{inspection_time_ms, readable_inspections};
use super::{Chrome, ConsoleError, blocking, html};
use crate::scope::UnitTree;
use crate::state::AppState;
use crate::storage::RecordStore;

/// The default window: a fortnight of routine rounds.
pub const DEFAULT_DAYS: u32 = 14;

/// One hazard a spot check found that a routine inspection had marked ok.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discrepancy {
    /// The site.
    pub site: String,
    /// The checklist item.
    pub item: String,
    /// The site's unit (its grid).
    pub grid: String,
    /// The person who recorded the routine inspection (its author).
    pub worker: String,
    /// When the spot check was made, ms.
    pub spot_ms: i64,
    /// When the routine inspection was made, ms.
    pub routine_ms: i64,
}

/// Counts per grid or per worker: spot-check hazards found, and how many of them a
/// routine inspection had marked ok.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Hazards found by spot checks.
    pub found: u32,
    /// Of those, marked ok by a routine inspection in the window.
    pub missed: u32,
}

/// The discrepancies over what `person` may read, with the window `days`: the list
/// (latest spot check first) and, per grid, the spot checks' hazards and misses.
pub fn discrepancies(
    store: &dyn RecordStore,
    person: &Person,
    days: u32,
) -> Result<(Vec<Discrepancy>, BTreeMap<String, Tally>), ConsoleError> {
    let units = store.units()?;
    let tree = UnitTree::new(&units);
    let sites: BTreeMap<String, String> =
        store.sites()?.into_iter().map(|s| (s.id, s.unit)).collect();
    let window_ms = i64::from(days) * 86_400_000;
    let mut spots: Vec<(i64, Inspection)> = Vec::new();
    let mut routines: BTreeMap<String, Vec<(i64, String, Inspection)>> = BTreeMap::new();
    for (record, inspection) in readable_inspections(store, person, &tree)? {
        if record.draft {
            continue;
        }
        let Some(at) = inspection_time_ms(&inspection, &record) else {
            continue;
        };
        match inspection.kind {
            InspectionKind::SpotCheck => spots.push((at, inspection)),
            InspectionKind::Routine => routines
                .entry(inspection.site_id.clone())
                .or_default()
                .push((at, record.author_person.clone(), inspection)),
            InspectionKind::Reinspection => {}
        }
    }
    spots.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
    let mut found = Vec::new();
    let mut by_grid: BTreeMap<String, Tally> = BTreeMap::new();
    for (spot_ms, spot) in &spots {
        let grid = sites.get(&spot.site_id).cloned().unwrap_or_default();
        for answer in spot.answers.iter().filter(|a| a.outcome == Outcome::Hazard) {
            let tally = by_grid.entry(grid.clone()).or_default();
            tally.found += 1;
            let marked_ok = routines
                .get(&spot.site_id)
                .into_iter()
                .flatten()
                .filter(|(at, _, _)| *at <= *spot_ms && *spot_ms - *at <= window_ms)
                .filter(|(_, _, r)| {
                    r.answers
                        .iter()
                        .any(|a| a.item == answer.item && a.outcome == Outcome::Ok)
                })
                .max_by_key(|(at, _, r)| (*at, r.id.clone()));
            if let Some((routine_ms, worker, _)) = marked_ok {
                tally.missed += 1;
                found.push(Discrepancy {
                    site: spot.site_id.clone(),
                    item: answer.item.clone(),
                    grid: grid.clone(),
                    worker: worker.clone(),
                    spot_ms: *spot_ms,
                    routine_ms: *routine_ms,
                });
            }
        }
    }
    Ok((found, by_grid))
}

/// The page's query.
#[derive(Debug, Deserialize)]
pub struct Window {
    /// Days before a spot check that a routine inspection counts.
    #[serde(default)]
    pub days: Option<String>,
}

/// A row of a count table.
#[derive(Debug)]
pub struct CountRow {
    /// The grid's or worker's id (a `data-` attribute for tests).
    pub key: String,
    /// What is shown.
    pub name: String,
    /// Hazards found by spot checks (grids only; empty for workers).
    pub found: String,
    /// Marked ok before.
    pub missed: u32,
}

/// A discrepancy as listed.
#[derive(Debug)]
pub struct Line {
    site: String,
    item: String,
    grid: String,
    worker: String,
    spot: String,
    routine: String,
}

/// The discrepancy page.
#[derive(Template)]
#[template(path = "console/discrepancies.html")]
struct DiscrepancyPage {
    chrome: Chrome,
    days: u32,
    grids: Vec<CountRow>,
    workers: Vec<CountRow>,
    lines: Vec<Line>,
}

/// `GET /console/discrepancies?days=N`: supervisors and admins.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Query(window): Query<Window>,
) -> Result<Response, ConsoleError> {
    if !matches!(viewer.person.role, Role::Supervisor | Role::Admin) {
        return Err(ConsoleError::NotFound);
    }
    let days = match window.days.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_DAYS,
        Some(text) => text
            .parse()
            .ok()
            .filter(|d| (1..=366).contains(d))
            .ok_or_else(|| ConsoleError::BadRequest("days must be 1 to 366".into()))?,
    };
    let lang = Lang::of(&headers);
    let store = state.store.clone();
    let person = viewer.person.clone();
    let (found, by_grid, units, people, sites) = blocking(move || {
        let (found, by_grid) = discrepancies(store.as_ref(), &person, days)?;
        Ok((
            found,
            by_grid,
            store.units()?,
            store.people()?,
            store.sites()?,
        ))
    })
    .await?;
    let names = Names::new(lang, &units);
    let person_name = |id: &str| {
        people
            .iter()
            .find(|p| p.id == id)
            .map_or(id.to_string(), |p| p.name.clone())
    };
    let site_name = |id: &str| {
        sites
            .iter()
            .find(|s| s.id == id)
            .map_or(id.to_string(), |s| s.name.clone())
    };
    let grids = by_grid
        .iter()
        .map(|(grid, tally)| CountRow {
            key: grid.clone(),
            name: names.unit(grid),
            found: tally.found.to_string(),
            missed: tally.missed,
        })
        .collect();
    let mut per_worker: BTreeMap<&str, u32> = BTreeMap::new();
    for d in &found {
        *per_worker.entry(d.worker.as_str()).or_default() += 1;
    }
    let mut workers: Vec<CountRow> = per_worker
        .into_iter()
        .map(|(worker, missed)| CountRow {
            key: worker.to_string(),
            name: person_name(worker),
            found: String::new(),
            missed,
        })
        .collect();
    workers.sort_by(|a, b| b.missed.cmp(&a.missed).then_with(|| a.name.cmp(&b.name)));
    let lines = found
        .iter()
        .map(|d| Line {
            site: site_name(&d.site),
            item: d.item.clone(),
            grid: names.unit(&d.grid),
            worker: person_name(&d.worker),
            spot: show_time(d.spot_ms),
            routine: show_time(d.routine_ms),
        })
        .collect();
    let page = DiscrepancyPage {
        chrome: Chrome::new(
            lang,
            &format!("/console/discrepancies?days={days}"),
            Some(&viewer),
        ),
        days,
        grids,
        workers,
        lines,
    };
    Ok(html(&page))
}
