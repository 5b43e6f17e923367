//! `GET /console/queue`: what awaits the signed-in person, by role, filterable by
//! category, status, unit and overdue, soonest due first.

use askama::Template;
use axum::extract::{Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use gridwalk_model::checklist::CATEGORIES;
use gridwalk_model::profile::Role;

use super::cases::{self, Filter, STATUSES};
use super::i18n::Lang;
use super::names::{Names, show_date};
use super::session::Viewer;
use super::{Chrome, ConsoleError, blocking, html};
use crate::scope::UnitTree;
use crate::state::AppState;

/// One line of the queue.
#[derive(Debug)]
pub struct Line {
    /// The case id (its page's link).
    pub id: String,
    /// The category's title.
    pub category: String,
    /// The status's name.
    pub status: &'static str,
    /// The case's unit's name.
    pub unit: String,
    /// The level it is called in to.
    pub level: &'static str,
    /// The department's name, or empty.
    pub department: String,
    /// Reported on.
    pub reported: String,
    /// Due on.
    pub due: String,
    /// Open past its due date.
    pub overdue: bool,
}

/// A choice of a filter's `<select>`.
#[derive(Debug)]
pub struct Choice {
    /// The value sent.
    pub value: String,
    /// What is shown.
    pub label: String,
    /// Whether it is the current one.
    pub selected: bool,
}

/// The queue page.
#[derive(Template)]
#[template(path = "console/queue.html")]
struct QueuePage {
    chrome: Chrome,
    heading: &'static str,
    lines: Vec<Line>,
    categories: Vec<Choice>,
    statuses: Vec<Choice>,
    units: Vec<Choice>,
    overdue: bool,
    export_href: String,
    export_xlsx_href: String,
}

/// `GET /console/queue`.
pub async fn queue(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Query(filter): Query<Filter>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let lang = Lang::of(&headers);
    let t = lang.texts();
    let store = state.store.clone();
    let person = viewer.person.clone();
    let now_ms = Utc::now().timestamp_millis();
    let wanted = filter.clone();
    let (found, units) = blocking(move || {
        let units = store.units()?;
        let tree = UnitTree::new(&units);
        let found = cases::queue(store.as_ref(), &person, &wanted, &tree, now_ms)?;
        let mine: Vec<_> = units
            .into_iter()
            .filter(|u| person.role == Role::Admin || tree.is_within(&u.id, &person.unit))
            .collect();
        Ok((found, mine))
    })
    .await?;
    let names = Names::new(lang, &units);
    let lines = found
        .iter()
        .map(|c| {
            let report = c.state.report.as_ref();
            Line {
                id: c.scope.case_id.clone(),
                category: report
                    .map(|r| names.category(&r.category))
                    .unwrap_or_default(),
                status: lang.status(c.state.status),
                unit: names.unit(&c.scope.unit),
                level: lang.level(c.state.level),
                department: c
                    .state
                    .department
                    .as_deref()
                    .map(|d| names.department(d))
                    .unwrap_or_default(),
                reported: c.state.reported_at_ms.map(show_date).unwrap_or_default(),
                due: c.due_ms.map(show_date).unwrap_or_default(),
                overdue: c.overdue,
            }
        })
        .collect();
    let choice = |value: &str, label: String, current: &str| Choice {
        value: value.to_string(),
        label,
        selected: value == current,
    };
    let mut categories = vec![choice("", t.all.to_string(), &filter.category)];
    categories.extend(
        CATEGORIES
            .iter()
            .map(|c| choice(c, names.category(c), &filter.category)),
    );
    let current_status = if filter.status.is_empty() {
        "open"
    } else {
        filter.status.as_str()
    };
    let mut statuses = vec![
        choice("open", t.open_only.to_string(), current_status),
        choice("all", t.all.to_string(), current_status),
    ];
    statuses.extend(
        STATUSES
            .iter()
            .map(|s| choice(s.as_str(), lang.status(*s).to_string(), current_status)),
    );
    let mut unit_choices = vec![choice("", t.all.to_string(), &filter.unit)];
    unit_choices.extend(
        units
            .iter()
            .map(|u| choice(&u.id, format!("{} ({})", u.name, u.level), &filter.unit)),
    );
    let heading = match viewer.person.role {
        Role::CommunityStaff => t.queue_community,
        Role::StreetOfficer => t.queue_street,
        Role::DepartmentOfficer => t.queue_department,
        Role::Supervisor | Role::Admin | Role::GridWorker => t.queue_area,
    };
    let query = raw.filter(|q| !q.is_empty());
    let here = match &query {
        Some(q) => format!("/console/queue?{q}"),
        None => "/console/queue".to_string(),
    };
    let export_href = match &query {
        Some(q) => format!("/console/export/cases.csv?{q}"),
        None => "/console/export/cases.csv".to_string(),
    };
    let export_xlsx_href = export_href.replacen("cases.csv", "cases.xlsx", 1);
    let page = QueuePage {
        chrome: Chrome::new(lang, &here, Some(&viewer)),
        heading,
        lines,
        categories,
        statuses,
        units: unit_choices,
        overdue: filter.overdue.as_deref().is_some_and(|o| !o.is_empty()),
        export_href,
        export_xlsx_href,
    };
    Ok(html(&page))
}
