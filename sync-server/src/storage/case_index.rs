//! The kept case rows' indexed columns (issue 15 item 8): what the console's queue
//! filters, sorts and pages by and what the campaign report groups and counts, taken
//! from the case's fold and written with it in the same statement, so a page of the
//! queue or the dashboard is a few indexed SQL queries instead of reading and parsing
//! every case's fold. [`CaseIndex`] is part of every [`super::RecordStore`].
//!
//! The columns are a function of the kept fold ([`CaseColumns::of`]) and nothing else:
//! the store never writes one without the other, and a row from before the columns
//! existed is filled from its fold (or, without one, from its events) when the store
//! opens.

use std::collections::BTreeMap;

use gridwalk_model::hazard::{DeadlinePolicy, Event, Folding, Level, Status, Tally, deadline};
use serde::Deserialize;

use super::{StoreError, StoreResult};

/// The statuses of a case whose work is outstanding ([`Status::is_open`]), as stored.
pub const OPEN_STATUSES: [&str; 4] = ["reported", "assigned", "in-progress", "rectified"];

/// Every status a stored row can have.
const ALL_STATUSES: [Status; 7] = [
    Status::Unreported,
    Status::Reported,
    Status::Assigned,
    Status::InProgress,
    Status::Rectified,
    Status::Verified,
    Status::Closed,
];

/// A case's indexed columns: its state as the queue and the report read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseColumns {
    /// [`Status::as_str`].
    pub status: &'static str,
    /// The level it is called in to ([`level_rank`]).
    pub level: i64,
    /// The report's category; `None` while the fold holds no report.
    pub category: Option<String>,
    /// The unit the report names (the report's roll-up unit; the row's `unit` is the
    /// site's, which the scope uses).
    pub report_unit: Option<String>,
    /// The report's site.
    pub site: Option<String>,
    /// HLC time of the report.
    pub reported_at_ms: Option<i64>,
    /// Due time under the server's deadline policy.
    pub due_ms: Option<i64>,
    /// HLC time of the standing rectification.
    pub rectified_at_ms: Option<i64>,
    /// HLC time of the passing verification, while the case counts as solved.
    pub solved_at_ms: Option<i64>,
    /// The level it was solved at ([`level_rank`]).
    pub solved_level: Option<i64>,
    /// HLC time it was closed.
    pub closed_at_ms: Option<i64>,
    /// The HLC time of the last event in fold order: the latest event of the case, so
    /// a report as of a time at or after every case's can be read from the columns.
    pub last_hlc_ms: Option<i64>,
}

/// A level as stored: 0 community, 1 street, 2 district, so "called in to the street
/// or higher" is `level >= 1`.
pub fn level_rank(level: Level) -> i64 {
    match level {
        Level::Community => 0,
        Level::Street => 1,
        Level::District => 2,
    }
}

/// The level stored as `rank`.
pub fn level_of_rank(rank: i64) -> StoreResult<Level> {
    match rank {
        0 => Ok(Level::Community),
        1 => Ok(Level::Street),
        2 => Ok(Level::District),
        other => Err(StoreError::Corrupt(format!("case level {other}"))),
    }
}

/// The status stored as `text`.
pub fn status_of(text: &str) -> StoreResult<Status> {
    ALL_STATUSES
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| StoreError::Corrupt(format!("case status `{text}`")))
}

impl CaseColumns {
    /// The columns of a case whose kept fold is `folding`: the one function every
    /// write of a case row and the back-fill go through.
    pub fn of(folding: &Folding) -> CaseColumns {
        let state = &folding.state;
        let due = deadline::deadline(state, &DeadlinePolicy::default(), 0);
        CaseColumns {
            status: state.status.as_str(),
            level: level_rank(state.level),
            category: state.report.as_ref().map(|r| r.category.clone()),
            report_unit: state.report.as_ref().map(|r| r.unit.clone()),
            site: state.report.as_ref().and_then(|r| r.site_id.clone()),
            reported_at_ms: state.reported_at_ms,
            due_ms: due.map(|d| d.due_ms),
            rectified_at_ms: state.rectified_at_ms,
            solved_at_ms: state.solved.map(|s| s.at_ms),
            solved_level: state.solved.map(|s| level_rank(s.level)),
            closed_at_ms: state.closed_at_ms,
            last_hlc_ms: folding.last.as_ref().map(|p| p.hlc.ms),
        }
    }

    /// The columns of a stored row being back-filled: from its kept fold (JSON of the
    /// server's `CaseFold`), or, for a row without a readable one, from the fold of
    /// its stored events.
    pub fn of_stored(
        case_id: &str,
        kept: Option<&str>,
        events: impl FnOnce() -> StoreResult<Vec<Event>>,
    ) -> StoreResult<CaseColumns> {
        /// The part of the server's `CaseFold` the columns come from.
        #[derive(Deserialize)]
        struct Kept {
            folding: Folding,
        }
        if let Some(Ok(kept)) = kept.map(serde_json::from_str::<Kept>) {
            return Ok(CaseColumns::of(&kept.folding));
        }
        Ok(CaseColumns::of(&Folding::of(case_id, &events()?)))
    }
}

/// What the queue asks for: the visible, awaiting, filtered cases, soonest due first.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    /// Only cases whose (site's) unit is one of these; `None` for any unit.
    pub units: Option<Vec<String>>,
    /// Only cases assigned to this department.
    pub department: Option<String>,
    /// Only cases called in to this level ([`level_rank`]) or higher.
    pub min_level: Option<i64>,
    /// Only cases of this category.
    pub category: Option<String>,
    /// Only cases with one of these statuses; `None` for any.
    pub statuses: Option<Vec<String>>,
    /// Only open cases due before this time (overdue as of it).
    pub overdue_at_ms: Option<i64>,
    /// Lines skipped.
    pub offset: u64,
    /// Lines returned at most.
    pub limit: u64,
}

/// A line of the queue, from the indexed columns alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseLine {
    /// The case id.
    pub case_id: String,
    /// The unit of the case's site.
    pub unit: String,
    /// The responsible department.
    pub department: Option<String>,
    /// Its status.
    pub status: Status,
    /// The level it is called in to.
    pub level: Level,
    /// Its category.
    pub category: Option<String>,
    /// HLC time of the report.
    pub reported_at_ms: Option<i64>,
    /// Due time.
    pub due_ms: Option<i64>,
}

/// A page of the queue and how many lines all pages hold.
#[derive(Debug, Clone, Default)]
pub struct CasePage {
    /// The page's lines.
    pub lines: Vec<CaseLine>,
    /// Lines on all pages.
    pub total: u64,
}

/// The report's counts of the reported cases of one unit (as the report names it) and
/// one category.
#[derive(Debug, Clone)]
pub struct ReportGroup {
    /// The report's unit.
    pub unit: String,
    /// The category.
    pub category: String,
    /// The counts.
    pub tally: Tally,
}

/// The case rows of one report group (unit and category) with one status: how many,
/// and how many of them have a due time, a standing rectification, a solution.
#[derive(Debug, Clone)]
pub struct StatusCount {
    /// The report's unit.
    pub unit: String,
    /// The category.
    pub category: String,
    /// [`Status::as_str`].
    pub status: String,
    /// Rows.
    pub cases: i64,
    /// Rows with a due time.
    pub with_due: i64,
    /// Rows with a standing rectification.
    pub rectified: i64,
    /// Rows counted as solved.
    pub solved: i64,
}

/// How many cases of a report group (unit and category) a count is of, by a level or
/// none: the solved ones per level solved at, the open ones not yet due.
#[derive(Debug, Clone)]
pub struct GroupCount {
    /// The report's unit.
    pub unit: String,
    /// The category.
    pub category: String,
    /// The level ([`level_rank`]) solved at; `None` where the count has no level.
    pub level: Option<i64>,
    /// Cases.
    pub cases: i64,
}

/// The report groups from the three grouped counts a store reads over its indexes
/// ([`CaseIndex::report_groups`]): the rows per status, the solved ones per level, and
/// the open ones due at or after the report's time. The overdue are the open ones
/// with a due time less those due later, so no count reads every open case's due
/// time. Ordered by unit and category.
pub fn report_groups_of(
    by_status: Vec<StatusCount>,
    solved_by_level: Vec<GroupCount>,
    due_later: Vec<GroupCount>,
) -> StoreResult<Vec<ReportGroup>> {
    let mut groups: BTreeMap<(String, String), Tally> = BTreeMap::new();
    let mut open_with_due: BTreeMap<(String, String), i64> = BTreeMap::new();
    for s in by_status {
        let open = OPEN_STATUSES.contains(&s.status.as_str());
        let key = (s.unit, s.category);
        if open {
            *open_with_due.entry(key.clone()).or_default() += s.with_due;
        }
        let t = groups.entry(key).or_default();
        t.found += count(s.cases)?;
        t.rectified += count(s.rectified)?;
        t.verified += count(s.solved)?;
        if open {
            t.open += count(s.cases)?;
        }
        if status_of(&s.status)? == Status::Closed {
            t.closed += count(s.cases)?;
        }
    }
    for s in solved_by_level {
        let t = groups.entry((s.unit, s.category)).or_default();
        let n = count(s.cases)?;
        match s.level.map(level_of_rank).transpose()? {
            Some(Level::Community) => t.solved_community += n,
            Some(Level::Street) => t.solved_street += n,
            Some(Level::District) => t.solved_district += n,
            None => {
                return Err(StoreError::Corrupt(
                    "a solved case without its level".into(),
                ));
            }
        }
    }
    let mut later: BTreeMap<(String, String), i64> = BTreeMap::new();
    for s in due_later {
        *later.entry((s.unit, s.category)).or_default() += s.cases;
    }
    for (key, with_due) in open_with_due {
        let overdue = with_due - later.get(&key).copied().unwrap_or(0);
        if let Some(t) = groups.get_mut(&key) {
            t.overdue = count(overdue)?;
        }
    }
    Ok(groups
        .into_iter()
        .map(|((unit, category), tally)| ReportGroup {
            unit,
            category,
            tally,
        })
        .collect())
}

/// A count read from the store, as the report holds it.
pub fn count(value: i64) -> StoreResult<u32> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("a count of {value}")))
}

/// A verified case's time to fix, with its group.
#[derive(Debug, Clone)]
pub struct FixTime {
    /// The report's unit.
    pub unit: String,
    /// The category.
    pub category: String,
    /// Milliseconds from the report to the passing verification.
    pub ms: i64,
}

/// Cases of a unit found and solved in one week of the trend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekCount {
    /// The unit of the cases' sites.
    pub unit: String,
    /// The week, 0 for the first.
    pub week: i64,
    /// Reported that week.
    pub found: u32,
    /// Solved that week.
    pub verified: u32,
}

/// The queries over the indexed columns.
pub trait CaseIndex: Send + Sync {
    /// One page of the queue.
    fn case_page(&self, query: &CaseQuery) -> StoreResult<CasePage>;
    /// The reported cases grouped by report unit and category, counted as the report
    /// counts them as of `as_of_ms`.
    fn report_groups(&self, as_of_ms: i64) -> StoreResult<Vec<ReportGroup>>;
    /// Every solved case's time to fix.
    fn fix_times(&self) -> StoreResult<Vec<FixTime>>;
    /// Cases of which only later events are stored, not yet their report.
    fn cases_awaiting_report(&self) -> StoreResult<u32>;
    /// The latest [`CaseColumns::last_hlc_ms`] of any case.
    fn latest_case_hlc(&self) -> StoreResult<Option<i64>>;
    /// Cases found and solved per unit and week, weeks of `week_ms` after `first_ms`
    /// up to `now_ms` (a case of the instant `first_ms` counts in none).
    fn week_counts(&self, first_ms: i64, week_ms: i64, now_ms: i64) -> StoreResult<Vec<WeekCount>>;
    /// How many open cases each site has, of the cases of `units` (any unit when
    /// `None`); sites without one are left out.
    fn open_cases_by_site(&self, units: Option<&[String]>) -> StoreResult<Vec<(String, u32)>>;
    /// A case's stored columns; `None` without a row (or before its back-fill).
    fn case_columns(&self, case_id: &str) -> StoreResult<Option<CaseColumns>>;
}
