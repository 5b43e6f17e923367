//! `GET /console/dashboard?unit=`: the campaign report as tables and SVG charts — per
//! category (all nine) and per unit, drillable district → street → community → grid;
//! solved at community / street / district level; median days to fix; a weekly
//! trend (counted per unit and week by the store, over the case rows' indexed columns). The numbers are [`admin::campaign_report`]'s, the very function behind
//! `gridwalk-server report --json`; every cell names its row and column
//! (`data-row`, `data-col`) so a test can compare them.
//!
//! The report holds counts only, no case or person, so every desk role sees all of it.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use gridwalk_model::hazard::{CampaignReport, ReportRow};
use gridwalk_model::org::OrgUnit;
use serde::Deserialize;

use super::chart::{self, Series};
use super::i18n::Lang;
use super::names::{Names, show_date, show_time};
use super::session::Viewer;
use super::{Chrome, ConsoleError, blocking, html, percent_encode};
use crate::admin;
use crate::state::AppState;
use crate::storage::case_index::WeekCount;

/// Weeks the trend shows.
const TREND_WEEKS: i64 = 8;
const WEEK_MS: i64 = 7 * 24 * 3600 * 1000;

/// A row of a table, with its name and its drill-down link (units with units below).
#[derive(Debug)]
pub struct Row {
    /// Category code, unit id, or `all`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// The link to drill into it, or empty.
    pub href: String,
    /// The counts.
    pub row: ReportRow,
    /// The median, shown with two decimals, or empty.
    pub median: String,
}

/// The dashboard page.
#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    as_of: String,
    awaiting_report: u32,
    unit_name: String,
    up_href: String,
    selected: Row,
    categories: Vec<Row>,
    units: Vec<Row>,
    category_chart: String,
    level_chart: String,
    trend_chart: String,
}

/// The unit to show (`?unit=`).
#[derive(Debug, Deserialize)]
pub struct Selected {
    unit: Option<String>,
}

fn row(row: &ReportRow, href: String, name: String) -> Row {
    Row {
        key: row.key.clone(),
        name,
        href,
        median: row
            .median_days_to_fix
            .map(|m| format!("{m:.2}"))
            .unwrap_or_default(),
        row: row.clone(),
    }
}

/// Found and verified cases per week, the last [`TREND_WEEKS`] weeks up to `now_ms`,
/// of the cases in `area` (all when `None`), from the store's counts per unit and week.
fn weekly(
    counts: &[WeekCount],
    area: Option<&str>,
    tree: &crate::scope::UnitTree,
    now_ms: i64,
) -> (Vec<i64>, Vec<u32>, Vec<u32>) {
    let first = now_ms - TREND_WEEKS * WEEK_MS;
    let starts: Vec<i64> = (0..TREND_WEEKS).map(|w| first + w * WEEK_MS).collect();
    let mut found = vec![0u32; starts.len()];
    let mut verified = vec![0u32; starts.len()];
    for count in counts {
        if area.is_some_and(|a| !tree.is_within(&count.unit, a)) {
            continue;
        }
        let Some(w) = usize::try_from(count.week)
            .ok()
            .filter(|w| *w < starts.len())
        else {
            continue;
        };
        found[w] += count.found;
        verified[w] += count.verified;
    }
    (starts, found, verified)
}

/// `GET /console/dashboard`.
pub async fn dashboard(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Query(selected): Query<Selected>,
) -> Result<Response, ConsoleError> {
    let lang = Lang::of(&headers);
    let t = lang.texts();
    let store = state.store.clone();
    let now_ms = Utc::now().timestamp_millis();
    let (report, units, weeks): (CampaignReport, Vec<OrgUnit>, Vec<WeekCount>) =
        blocking(move || {
            let report = admin::campaign_report(store.as_ref(), now_ms)
                .map_err(|e| ConsoleError::Internal(e.to_string()))?;
            let weeks = store.week_counts(now_ms - TREND_WEEKS * WEEK_MS, WEEK_MS, now_ms)?;
            Ok((report, store.units()?, weeks))
        })
        .await?;
    let names = Names::new(lang, &units);
    let tree = crate::scope::UnitTree::new(&units);
    let unit = selected.unit.filter(|u| units.iter().any(|x| &x.id == u));
    let drill = |id: &str| format!("/console/dashboard?unit={}", percent_encode(id));
    let children: Vec<&OrgUnit> = units
        .iter()
        .filter(|u| u.parent.as_deref() == unit.as_deref())
        .collect();
    let unit_rows: Vec<Row> = children
        .iter()
        .filter_map(|child| {
            let r = report.by_unit.iter().find(|r| r.key == child.id)?;
            let has_children = units.iter().any(|u| u.parent.as_deref() == Some(&child.id));
            let href = if has_children {
                drill(&child.id)
            } else {
                String::new()
            };
            Some(row(r, href, format!("{} ({})", child.name, child.level)))
        })
        .collect();
    let selected_row = match &unit {
        Some(id) => report
            .by_unit
            .iter()
            .find(|r| &r.key == id)
            .map_or_else(|| report.total.clone(), Clone::clone),
        None => report.total.clone(),
    };
    let unit_name = unit.as_deref().map(|u| names.unit(u)).unwrap_or_default();
    let up_href = match &unit {
        Some(id) => match units
            .iter()
            .find(|u| &u.id == id)
            .and_then(|u| u.parent.clone())
        {
            Some(parent) => drill(&parent),
            None => "/console/dashboard".to_string(),
        },
        None => String::new(),
    };
    let categories: Vec<Row> = report
        .by_category
        .iter()
        .map(|r| row(r, String::new(), names.category(&r.key)))
        .collect();
    let category_chart = chart::bars(
        t.by_category,
        &categories
            .iter()
            .map(|r| r.name.clone())
            .collect::<Vec<_>>(),
        &[
            Series {
                name: t.found.into(),
                colour: "#c0392b",
                values: categories.iter().map(|r| r.row.found).collect(),
            },
            Series {
                name: t.verified.into(),
                colour: "#27ae60",
                values: categories.iter().map(|r| r.row.verified).collect(),
            },
        ],
    );
    let level_chart = chart::bars(
        t.solved_by_level,
        &[
            t.solved_community.to_string(),
            t.solved_street.to_string(),
            t.solved_district.to_string(),
        ],
        &[Series {
            name: t.verified.into(),
            colour: "#2c7be5",
            values: vec![
                selected_row.solved_community,
                selected_row.solved_street,
                selected_row.solved_district,
            ],
        }],
    );
    let (starts, found, verified) = weekly(&weeks, unit.as_deref(), &tree, now_ms);
    let trend_chart = chart::bars(
        t.weekly,
        &starts.iter().map(|s| show_date(*s)).collect::<Vec<_>>(),
        &[
            Series {
                name: t.found.into(),
                colour: "#c0392b",
                values: found,
            },
            Series {
                name: t.verified.into(),
                colour: "#27ae60",
                values: verified,
            },
        ],
    );
    let here = match &unit {
        Some(id) => drill(id),
        None => "/console/dashboard".to_string(),
    };
    let page = DashboardPage {
        chrome: Chrome::new(lang, &here, Some(&viewer)),
        as_of: show_time(report.as_of_ms),
        awaiting_report: report.awaiting_report,
        unit_name,
        up_href,
        selected: row(&selected_row, String::new(), String::new()),
        categories,
        units: unit_rows,
        category_chart,
        level_chart,
        trend_chart,
    };
    Ok(html(&page))
}
