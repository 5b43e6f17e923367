//! The campaign report, computed from hazard events alone: per category (the nine) and
//! per org unit (rolled up district ← street ← community ← grid), the numbers the
//! campaign is judged by. JSON and CSV.
//!
//! Definitions, as of the report time `as_of` (only events with an HLC time at or before
//! it count):
//! - **found**: cases reported;
//! - **open**: found, neither solved nor closed;
//! - **overdue**: open past the due date ([`super::deadline`]);
//! - **rectified**: with a standing rectification (a fix reported and not since failed
//!   or reopened), verified or not;
//! - **verified**: solved — the fix passed verification and the case was not reopened;
//! - **closed**: closed, solved or not;
//! - **solved at community / street / district**: verified, by the level the case had
//!   been called in to when it was solved;
//! - **median days to fix**: median of report → passing verification, in days, over the
//!   verified cases (two decimals; empty when none).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::checklist::CATEGORIES;
use crate::error::{ModelError, Result};
use crate::hazard::deadline::{self, DeadlinePolicy};
use crate::hazard::event::{Event, Level};
use crate::hazard::fold::fold;
use crate::hazard::state::{CaseState, Status};
use crate::org::OrgUnit;

/// Which breakdown a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum RowGroup {
    /// All cases.
    Total,
    /// One of the nine categories.
    Category,
    /// One org unit and everything below it.
    Unit,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReportRow {
    /// The breakdown.
    pub group: RowGroup,
    /// Category code or unit id (`all` for the total).
    pub key: String,
    /// Display name.
    pub name: String,
    /// The unit's level (`district` … `grid`, or `unknown` for a unit not in the tree);
    /// empty for other rows.
    pub level: String,
    /// Cases reported.
    pub found: u32,
    /// Neither solved nor closed.
    pub open: u32,
    /// Open past the due date.
    pub overdue: u32,
    /// With a standing rectification.
    pub rectified: u32,
    /// Solved (fix verified).
    pub verified: u32,
    /// Closed.
    pub closed: u32,
    /// Solved at community level.
    pub solved_community: u32,
    /// Solved at street/town level.
    pub solved_street: u32,
    /// Solved at district level.
    pub solved_district: u32,
    /// Median days from report to verified fix.
    pub median_days_to_fix: Option<f64>,
}

impl ReportRow {
    fn new(group: RowGroup, key: &str, name: &str, level: &str) -> ReportRow {
        ReportRow {
            group,
            key: key.to_string(),
            name: name.to_string(),
            level: level.to_string(),
            found: 0,
            open: 0,
            overdue: 0,
            rectified: 0,
            verified: 0,
            closed: 0,
            solved_community: 0,
            solved_street: 0,
            solved_district: 0,
            median_days_to_fix: None,
        }
    }
}

/// The campaign report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CampaignReport {
    /// The report time, ms since the Unix epoch.
    pub as_of_ms: i64,
    /// All cases.
    pub total: ReportRow,
    /// The nine categories, in campaign order.
    pub by_category: Vec<ReportRow>,
    /// Every org unit (district first, then its streets, …), then units named by cases
    /// but missing from the tree.
    pub by_unit: Vec<ReportRow>,
    /// Cases of which only later events have arrived, not yet their report.
    pub awaiting_report: u32,
}

/// What one case, or a group of cases summed (by a database's aggregates), adds to
/// every row it counts in: the part of a [`ReportRow`] that adds up. The median does
/// not add up, so the days to fix travel beside it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Cases reported.
    pub found: u32,
    /// Neither solved nor closed.
    pub open: u32,
    /// Open past the due date.
    pub overdue: u32,
    /// With a standing rectification.
    pub rectified: u32,
    /// Solved (fix verified).
    pub verified: u32,
    /// Closed.
    pub closed: u32,
    /// Solved at community level.
    pub solved_community: u32,
    /// Solved at street/town level.
    pub solved_street: u32,
    /// Solved at district level.
    pub solved_district: u32,
}

impl Tally {
    /// What one reported case counts, `overdue` as of the report time.
    pub fn of(case: &CaseState, overdue: bool) -> Tally {
        let (mut community, mut street, mut district) = (0, 0, 0);
        if let Some(solved) = case.solved {
            match solved.level {
                Level::Community => community = 1,
                Level::Street => street = 1,
                Level::District => district = 1,
            }
        }
        Tally {
            found: 1,
            open: u32::from(case.status.is_open()),
            overdue: u32::from(overdue),
            rectified: u32::from(case.rectified_at_ms.is_some()),
            verified: u32::from(case.solved.is_some()),
            closed: u32::from(case.status == Status::Closed),
            solved_community: community,
            solved_street: street,
            solved_district: district,
        }
    }

    fn add_to(&self, row: &mut ReportRow) {
        row.found += self.found;
        row.open += self.open;
        row.overdue += self.overdue;
        row.rectified += self.rectified;
        row.verified += self.verified;
        row.closed += self.closed;
        row.solved_community += self.solved_community;
        row.solved_street += self.solved_street;
        row.solved_district += self.solved_district;
    }
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    let m = if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    };
    Some((m * 100.0).round() / 100.0)
}

/// Assembles a report from groups of cases by unit and category: the one place that
/// rolls units up the tree, names rows and orders them, whether the groups are single
/// cases folded from events ([`compute`]) or a database's aggregates over its kept
/// case columns (the server's console and `report`), so both give the same report.
#[derive(Debug)]
pub struct ReportBuilder<'a> {
    units: &'a [OrgUnit],
    unit_by_id: HashMap<&'a str, &'a OrgUnit>,
    total: (ReportRow, Vec<f64>),
    categories: Vec<(ReportRow, Vec<f64>)>,
    unit_rows: BTreeMap<String, (ReportRow, Vec<f64>)>,
}

impl<'a> ReportBuilder<'a> {
    /// An empty report over the org-unit tree, with the category names (code, name).
    pub fn new(units: &'a [OrgUnit], category_names: &[(String, String)]) -> ReportBuilder<'a> {
        let categories = CATEGORIES
            .iter()
            .map(|code| {
                let name = category_names
                    .iter()
                    .find(|(c, _)| c == code)
                    .map_or(*code, |(_, n)| n.as_str());
                (
                    ReportRow::new(RowGroup::Category, code, name, ""),
                    Vec::new(),
                )
            })
            .collect();
        ReportBuilder {
            units,
            unit_by_id: units.iter().map(|u| (u.id.as_str(), u)).collect(),
            total: (
                ReportRow::new(RowGroup::Total, "all", "All cases", ""),
                Vec::new(),
            ),
            categories,
            unit_rows: BTreeMap::new(),
        }
    }

    /// Counts a group of reported cases of one unit (as their report names it) and one
    /// category into the total, their category's row (if it is one of the nine) and
    /// the rows of the unit and every unit above it; `days` are the group's days to fix.
    pub fn add(&mut self, unit: &str, category: &str, tally: &Tally, days: &[f64]) {
        let count = |(row, all): &mut (ReportRow, Vec<f64>)| {
            tally.add_to(row);
            all.extend_from_slice(days);
        };
        count(&mut self.total);
        if let Some(entry) = self.categories.iter_mut().find(|(r, _)| r.key == category) {
            count(entry);
        }
        // The unit and every unit above it; a guard stops a malformed cyclic tree.
        let mut next = Some(unit);
        let mut hops = 0;
        while let Some(id) = next.filter(|_| hops <= self.units.len()) {
            hops += 1;
            let unit_by_id = &self.unit_by_id;
            let entry = self.unit_rows.entry(id.to_string()).or_insert_with(|| {
                let (name, level) = unit_by_id
                    .get(id)
                    .map_or((id, "unknown"), |u| (u.name.as_str(), u.level.as_str()));
                (ReportRow::new(RowGroup::Unit, id, name, level), Vec::new())
            });
            count(entry);
            next = self.unit_by_id.get(id).and_then(|u| u.parent.as_deref());
        }
    }

    /// The report as of `as_of_ms`, with the number of cases awaiting their report.
    pub fn finish(mut self, as_of_ms: i64, awaiting_report: u32) -> CampaignReport {
        let finish = |(mut row, days): (ReportRow, Vec<f64>)| {
            row.median_days_to_fix = median(days);
            row
        };
        let mut by_unit = Vec::new();
        for unit in tree_order(self.units) {
            let entry = self.unit_rows.remove(&unit.id).unwrap_or_else(|| {
                (
                    ReportRow::new(RowGroup::Unit, &unit.id, &unit.name, &unit.level),
                    Vec::new(),
                )
            });
            by_unit.push(finish(entry));
        }
        by_unit.extend(self.unit_rows.into_values().map(finish));
        CampaignReport {
            as_of_ms,
            total: finish(self.total),
            by_category: self.categories.into_iter().map(finish).collect(),
            by_unit,
            awaiting_report,
        }
    }
}

/// Computes the report from events (of any number of cases), the org-unit tree, the
/// category names (code, name) and the deadline policy.
pub fn compute(
    events: &[Event],
    units: &[OrgUnit],
    category_names: &[(String, String)],
    policy: &DeadlinePolicy,
    as_of_ms: i64,
) -> CampaignReport {
    let mut by_case: BTreeMap<&str, Vec<Event>> = BTreeMap::new();
    for e in events.iter().filter(|e| e.hlc.ms <= as_of_ms) {
        by_case
            .entry(e.case_id.as_str())
            .or_default()
            .push(e.clone());
    }
    let mut builder = ReportBuilder::new(units, category_names);
    let mut awaiting_report = 0;
    for (id, events) in &by_case {
        let case = fold(id, events);
        let Some(report) = &case.report else {
            awaiting_report += 1;
            continue;
        };
        let overdue = deadline::deadline(&case, policy, as_of_ms).is_some_and(|d| d.overdue);
        let days: Vec<f64> = deadline::days_to_fix(&case).into_iter().collect();
        builder.add(
            &report.unit,
            &report.category,
            &Tally::of(&case, overdue),
            &days,
        );
    }
    builder.finish(as_of_ms, awaiting_report)
}

/// Units depth first from each district, siblings by id; units whose parent is missing
/// come after, by id.
fn tree_order(units: &[OrgUnit]) -> Vec<&OrgUnit> {
    let ids: std::collections::HashSet<&str> = units.iter().map(|u| u.id.as_str()).collect();
    let mut children: BTreeMap<Option<&str>, Vec<&OrgUnit>> = BTreeMap::new();
    for u in units {
        let parent = u.parent.as_deref().filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(u);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| a.id.cmp(&b.id));
    }
    let mut out = Vec::with_capacity(units.len());
    let mut stack: Vec<&OrgUnit> = children.get(&None).cloned().unwrap_or_default();
    stack.reverse();
    while let Some(u) = stack.pop() {
        if out.len() > units.len() {
            break;
        }
        out.push(u);
        if let Some(kids) = children.get(&Some(u.id.as_str())) {
            stack.extend(kids.iter().rev());
        }
    }
    out
}

impl CampaignReport {
    /// Every row: the total, the categories, then the units.
    pub fn rows(&self) -> impl Iterator<Item = &ReportRow> {
        std::iter::once(&self.total)
            .chain(&self.by_category)
            .chain(&self.by_unit)
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self)
            .map_err(|e| ModelError::Invalid(format!("report cannot be serialised: {e}")))
    }

    /// The report as CSV: one header line, then every row (total, categories, units).
    pub fn to_csv(&self) -> Result<String> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let fail = |e: csv::Error| ModelError::Invalid(format!("report as CSV: {e}"));
        for row in self.rows() {
            writer.serialize(row).map_err(fail)?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| ModelError::Invalid(format!("report as CSV: {e}")))?;
        String::from_utf8(bytes).map_err(|e| ModelError::Invalid(format!("report as CSV: {e}")))
    }
}
