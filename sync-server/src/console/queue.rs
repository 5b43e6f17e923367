//! `GET /console/queue`: what awaits the signed-in person, by role, filterable by
//! category, status, unit and overdue, soonest due first, [`PAGE_SIZE`] lines a page
//! (`?page=`), filtered, sorted and paged in SQL.

use askama::Template;
use axum::extract::{Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use gridwalk_model::checklist::CATEGORIES;
use gridwalk_model::profile::Role;

use super::cases::{self, Filter, PAGE_SIZE, STATUSES};
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
    /// Lines on all pages.
    total: u64,
    /// This page, from 1.
    page: u64,
    /// Pages.
    pages: u64,
    /// The page before, or empty.
    previous_href: String,
    /// The page after, or empty.
    next_href: String,
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
    let page_number = filter.page();
    let (found, units) = blocking(move || {
        let offset = (page_number - 1).saturating_mul(PAGE_SIZE);
        let found = cases::queue(store.as_ref(), &person, &wanted, now_ms, offset, PAGE_SIZE)?;
        let units = store.units()?;
        let tree = UnitTree::new(&units);
        let mine: Vec<_> = units
            .into_iter()
            .filter(|u| person.role == Role::Admin || tree.is_within(&u.id, &person.unit))
            .collect();
        Ok((found, mine))
    })
    .await?;
    let names = Names::new(lang, &units);
    let lines = found
        .lines
        .iter()
        .map(|c| Line {
            id: c.case_id.clone(),
            category: c
                .category
                .as_deref()
                .map(|k| names.category(k))
                .unwrap_or_default(),
            status: lang.status(c.status),
            unit: names.unit(&c.unit),
            level: lang.level(c.level),
            department: c
                .department
                .as_deref()
                .map(|d| names.department(d))
                .unwrap_or_default(),
            reported: c.reported_at_ms.map(show_date).unwrap_or_default(),
            due: c.due_ms.map(show_date).unwrap_or_default(),
            overdue: cases::overdue(c, now_ms),
        })
        .collect();
    let pages = found.total.div_ceil(PAGE_SIZE).max(1);
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
    let page_href = |page: u64| {
        let mut kept: Vec<String> = query
            .as_deref()
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("page="))
            .map(str::to_string)
            .collect();
        kept.push(format!("page={page}"));
        format!("/console/queue?{}", kept.join("&"))
    };
    let previous_href = if page_number > 1 {
        page_href(page_number - 1)
    } else {
        String::new()
    };
    let next_href = if page_number < pages {
        page_href(page_number + 1)
    } else {
        String::new()
    };
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
        total: found.total,
        page: page_number,
        pages,
        previous_href,
        next_href,
    };
    Ok(html(&page))
}
