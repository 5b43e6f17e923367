//! The hazard cases a desk person may see, read from the cases' kept rows (their
//! scope and fold) rather than from every event, and what awaits them by role.
//!
//! Whether a case is visible is [`crate::scope::read_access`] itself, asked about an
//! event of the case that someone else recorded: what a phone of the same person
//! would pull.

use gridwalk_model::hazard::{CaseState, DeadlinePolicy, Level, Status, deadline};
use gridwalk_model::profile::Role;
use gridwalk_model::protocol::{Person, RecordKind};

use crate::kinds::CaseFold;
use crate::scope::{Access, UnitTree, read_access};
use crate::storage::console::KeptCase;
use crate::storage::{CaseScope, RecordStore, StoreError, StoredRecord};

/// A case the viewer may see, with its state as the server keeps it.
#[derive(Debug, Clone)]
pub struct SeenCase {
    /// Its scope (unit, department, personal).
    pub scope: CaseScope,
    /// Its state (the kept fold's; conflicts and heads are only on the case page).
    pub state: CaseState,
    /// How much the viewer sees of it.
    pub access: Access,
    /// Due time, ms since the Unix epoch.
    pub due_ms: Option<i64>,
    /// Open past its due time.
    pub overdue: bool,
}

/// Whether and how `person` sees the events of a case with this scope that someone
/// else recorded: the API's read rule, on such an event.
pub fn case_access(person: &Person, scope: &CaseScope, tree: &UnitTree) -> Option<Access> {
    let event = StoredRecord {
        seq: 0,
        id: String::new(),
        kind: RecordKind::HazardEvent.as_str().to_string(),
        body: String::new(),
        unit: scope.unit.clone(),
        department: None,
        case_id: Some(scope.case_id.clone()),
        author_person: String::new(),
        author_device: String::new(),
        draft: false,
        personal: scope.personal,
        received_at: String::new(),
        chain: None,
    };
    read_access(person, &event, Some(scope), tree)
}

/// Every case `person` may see, as of `now_ms`.
pub fn seen_cases(
    store: &dyn RecordStore,
    person: &Person,
    tree: &UnitTree,
    now_ms: i64,
) -> Result<Vec<SeenCase>, StoreError> {
    let policy = DeadlinePolicy::default();
    let mut seen = Vec::new();
    for KeptCase { scope, fold } in store.kept_cases()? {
        let Some(access) = case_access(person, &scope, tree) else {
            continue;
        };
        let state = match fold.as_deref().map(serde_json::from_str::<CaseFold>) {
            Some(Ok(kept)) => kept.folding.state,
            // A row from before folds were kept, or one this build cannot read: fold
            // the case's events (as the push path would).
            _ => gridwalk_model::hazard::fold(
                &scope.case_id,
                &crate::kinds::case_events(store, &scope.case_id)?,
            ),
        };
        let due = deadline::deadline(&state, &policy, now_ms);
        seen.push(SeenCase {
            scope,
            due_ms: due.map(|d| d.due_ms),
            overdue: due.is_some_and(|d| d.overdue),
            state,
            access,
        });
    }
    Ok(seen)
}

/// Whether a case awaits `person` by their role: community staff the cases of their
/// community, street officers those called in to their street (or higher),
/// department officers those assigned to their department; supervisors and admins
/// everything they see.
pub fn awaits(person: &Person, case: &SeenCase) -> bool {
    match person.role {
        Role::StreetOfficer => case.state.level >= Level::Street,
        Role::DepartmentOfficer => {
            person.department.is_some() && case.state.department == person.department
        }
        Role::CommunityStaff | Role::Supervisor | Role::Admin | Role::GridWorker => true,
    }
}

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
}

impl Filter {
    /// Whether a case passes.
    pub fn passes(&self, case: &SeenCase, tree: &UnitTree) -> bool {
        let report = case.state.report.as_ref();
        if !self.category.is_empty() && report.is_none_or(|r| r.category != self.category) {
            return false;
        }
        let status_ok = match self.status.as_str() {
            "" | "open" => case.state.status.is_open(),
            "all" => true,
            other => case.state.status.as_str() == other,
        };
        if !status_ok {
            return false;
        }
        if !self.unit.is_empty() && !tree.is_within(&case.scope.unit, &self.unit) {
            return false;
        }
        if self.overdue.as_deref().is_some_and(|o| !o.is_empty()) && !case.overdue {
            return false;
        }
        true
    }
}

/// The queue of `person`: the cases awaiting them that pass `filter`, soonest due
/// first (cases without a due time last).
pub fn queue(
    store: &dyn RecordStore,
    person: &Person,
    filter: &Filter,
    tree: &UnitTree,
    now_ms: i64,
) -> Result<Vec<SeenCase>, StoreError> {
    let mut cases: Vec<SeenCase> = seen_cases(store, person, tree, now_ms)?
        .into_iter()
        .filter(|c| awaits(person, c) && filter.passes(c, tree))
        .collect();
    cases.sort_by(|a, b| {
        (a.due_ms.is_none(), a.due_ms, &a.scope.case_id).cmp(&(
            b.due_ms.is_none(),
            b.due_ms,
            &b.scope.case_id,
        ))
    });
    Ok(cases)
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
