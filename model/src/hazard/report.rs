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

/// Counts one case into a row, collecting its days to fix.
fn count(row: &mut ReportRow, days: &mut Vec<f64>, case: &CaseState, overdue: bool) {
    row.found += 1;
    if case.status.is_open() {
        row.open += 1;
    }
    if overdue {
        row.overdue += 1;
    }
    if case.rectified_at_ms.is_some() {
        row.rectified += 1;
    }
    if case.status == Status::Closed {
        row.closed += 1;
    }
    if let Some(solved) = case.solved {
        row.verified += 1;
        match solved.level {
            Level::Community => row.solved_community += 1,
            Level::Street => row.solved_street += 1,
            Level::District => row.solved_district += 1,
        }
    }
    if let Some(d) = deadline::days_to_fix(case) {
        days.push(d);
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
    let cases: Vec<CaseState> = by_case.iter().map(|(id, ev)| fold(id, ev)).collect();

    let unit_by_id: HashMap<&str, &OrgUnit> = units.iter().map(|u| (u.id.as_str(), u)).collect();
    let mut total = (
        ReportRow::new(RowGroup::Total, "all", "All cases", ""),
        Vec::new(),
    );
    let mut categories: Vec<(ReportRow, Vec<f64>)> = CATEGORIES
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
    let mut unit_rows: BTreeMap<String, (ReportRow, Vec<f64>)> = BTreeMap::new();
    let mut awaiting_report = 0;

    for case in &cases {
        let Some(report) = &case.report else {
            awaiting_report += 1;
            continue;
        };
        let overdue = deadline::deadline(case, policy, as_of_ms).is_some_and(|d| d.overdue);
        count(&mut total.0, &mut total.1, case, overdue);
        if let Some((row, days)) = categories
            .iter_mut()
            .find(|(r, _)| r.key == report.category)
        {
            count(row, days, case, overdue);
        }
        // The case's unit and every unit above it; a guard stops a malformed cyclic tree.
        let mut next = Some(report.unit.as_str());
        let mut hops = 0;
        while let Some(id) = next.filter(|_| hops <= units.len()) {
            hops += 1;
            let entry = unit_rows.entry(id.to_string()).or_insert_with(|| {
                let (name, level) = unit_by_id
                    .get(id)
                    .map_or((id, "unknown"), |u| (u.name.as_str(), u.level.as_str()));
                (ReportRow::new(RowGroup::Unit, id, name, level), Vec::new())
            });
            count(&mut entry.0, &mut entry.1, case, overdue);
            next = unit_by_id.get(id).and_then(|u| u.parent.as_deref());
        }
    }

    let finish = |(mut row, days): (ReportRow, Vec<f64>)| {
        row.median_days_to_fix = median(days);
        row
    };
    let mut by_unit = Vec::new();
    for unit in tree_order(units) {
        let entry = unit_rows.remove(&unit.id).unwrap_or_else(|| {
            (
                ReportRow::new(RowGroup::Unit, &unit.id, &unit.name, &unit.level),
                Vec::new(),
            )
        });
        by_unit.push(finish(entry));
    }
    by_unit.extend(unit_rows.into_values().map(finish));
    CampaignReport {
        as_of_ms,
        total: finish(total),
        by_category: categories.into_iter().map(finish).collect(),
        by_unit,
        awaiting_report,
    }
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
