//! What awaits a desk person by role: the queue, filtered, sorted and paged in SQL
//! over the case rows' indexed columns. Whether a case is visible is
//! [`crate::scope::read_access`]'s rule on an event of the case that someone else
//! recorded (what a phone of the same person would pull): their area's cases, or
//! their department's.

use gridwalk_model::hazard::{Level, Status};
use gridwalk_model::org::OrgUnit;
use gridwalk_model::profile::Role;
use gridwalk_model::protocol::Person;

use crate::scope::UnitTree;
use crate::storage::case_index::{CaseLine, CasePage, CaseQuery, OPEN_STATUSES, level_rank};
use crate::storage::{RecordStore, StoreError};

/// The queue's filter, from the page's query.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Filter {
    /// A category code, or empty for all.
    #[serde(default)]
    pub category: String,
    /// `open` (the default), `all`, or one status.
    #[serde(default)]
    pub status: String,
    /// A unit: the case's unit or one above it; empty for all.
    #[serde(default)]
    pub unit: String,
    /// Only cases past their due time.
    #[serde(default)]
    pub overdue: Option<String>,
    /// The page, from 1 (the queue shows [`PAGE_SIZE`] lines a page).
    #[serde(default)]
    pub page: Option<String>,
}

impl Filter {
    /// The page asked for, from 1; anything else is the first.
    pub fn page(&self) -> u64 {
        self.page
            .as_deref()
            .and_then(|p| p.parse::<u64>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    }
}

/// Lines on a page of the queue.
pub const PAGE_SIZE: u64 = 50;

/// The units of the tree within `area` (itself included, when the tree holds it).
fn units_within(tree: &UnitTree, units: &[OrgUnit], area: &str) -> Vec<String> {
    units
        .iter()
        .filter(|u| tree.is_within(&u.id, area))
        .map(|u| u.id.clone())
        .collect()
}

/// The query for `person`'s queue with `filter`, as of `now_ms`: the cases they may
/// see (their area, or their department's cases) that await them by
/// their role (community staff the cases of their community, street officers those
/// called in to their street or higher, department officers those assigned to their
/// department; supervisors and admins everything they see) and pass the filter.
/// `None` when no case can.
pub fn queue_query(
    person: &Person,
    filter: &Filter,
    units: &[OrgUnit],
    tree: &UnitTree,
    now_ms: i64,
) -> Option<CaseQuery> {
    let mut query = CaseQuery::default();
    match person.role {
        Role::Admin => {}
        Role::DepartmentOfficer => query.department = Some(person.department.clone()?),
        Role::Supervisor | Role::GridWorker | Role::CommunityStaff | Role::StreetOfficer => {
            query.units = Some(units_within(tree, units, &person.unit));
        }
    }
    if person.role == Role::StreetOfficer {
        query.min_level = Some(level_rank(Level::Street));
    }
    if !filter.unit.is_empty() {
        let wanted = units_within(tree, units, &filter.unit);
        query.units = Some(match query.units.take() {
            Some(seen) => wanted.into_iter().filter(|u| seen.contains(u)).collect(),
            None => wanted,
        });
    }
    if !filter.category.is_empty() {
        query.category = Some(filter.category.clone());
    }
    query.statuses = match filter.status.as_str() {
        "" | "open" => Some(OPEN_STATUSES.iter().map(|s| (*s).to_string()).collect()),
        "all" => None,
        other => Some(vec![other.to_string()]),
    };
    if filter.overdue.as_deref().is_some_and(|o| !o.is_empty()) {
        query.overdue_at_ms = Some(now_ms);
    }
    Some(query)
}

/// A page of `person`'s queue: the cases of [`queue_query`], soonest due first (cases
/// without a due time last), `limit` lines after `offset`, read from the case rows'
/// indexed columns.
pub fn queue(
    store: &dyn RecordStore,
    person: &Person,
    filter: &Filter,
    now_ms: i64,
    offset: u64,
    limit: u64,
) -> Result<CasePage, StoreError> {
    let units = store.units()?;
    let tree = UnitTree::new(&units);
    match queue_query(person, filter, &units, &tree, now_ms) {
        Some(mut query) => {
            query.offset = offset;
            query.limit = limit;
            store.case_page(&query)
        }
        None => Ok(CasePage::default()),
    }
}

/// Whether a queue line is open past its due time as of `now_ms`.
pub fn overdue(line: &CaseLine, now_ms: i64) -> bool {
    line.status.is_open() && line.due_ms.is_some_and(|due| now_ms > due)
}

/// The statuses a queue can be filtered by.
pub const STATUSES: [Status; 6] = [
    Status::Reported,
    Status::Assigned,
    Status::InProgress,
    Status::Rectified,
    Status::Verified,
    Status::Closed,
];
