//! A case's state: what the fold of its events yields. Plain data, serialisable, equal
//! on every device that holds the same events.

use serde::{Deserialize, Serialize};

use crate::hazard::event::{HazardReport, Level};
use crate::hazard::refusal::Rule;

/// Where a case is in the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Status {
    /// Events of the case are known but its `reported` event has not arrived yet.
    Unreported,
    /// Open, no department responsible yet.
    Reported,
    /// A department is responsible and has not accepted yet.
    Assigned,
    /// The department accepted and is working on it.
    InProgress,
    /// Reported fixed, waiting for verification.
    Rectified,
    /// The fix was verified: solved.
    Verified,
    /// Closed.
    Closed,
}

impl Status {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unreported => "unreported",
            Status::Reported => "reported",
            Status::Assigned => "assigned",
            Status::InProgress => "in-progress",
            Status::Rectified => "rectified",
            Status::Verified => "verified",
            Status::Closed => "closed",
        }
    }

    /// Whether work on the case is still outstanding (not solved, not closed).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Reported | Status::Assigned | Status::InProgress | Status::Rectified
        )
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When and at which level a case was solved (its fix verified).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Solved {
    /// HLC time of the passing verification, ms since the Unix epoch.
    pub at_ms: i64,
    /// The level the case had been called in to when it was solved.
    pub level: Level,
}

/// Why a set of concurrent events conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ConflictKind {
    /// Two people closed the case unaware of each other.
    TwoCloses,
    /// One person closed the case while another reopened it.
    CloseAndReopen,
    /// Two different departments were assigned unaware of each other.
    DifferentDepartments,
    /// One re-inspection passed the fix while another failed it.
    VerificationsDisagree,
    /// An event became invalid once concurrent events were merged before it.
    Refused {
        /// The rule the event broke in the merged order.
        rule: Rule,
    },
}

/// Concurrent, incompatible events. All of them stay in the history; the fold resolved
/// them one way (the same everywhere) and a person should look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Conflict {
    /// What kind of conflict.
    pub kind: ConflictKind,
    /// The events involved, in fold order.
    pub events: Vec<String>,
    /// The first event by a street officer, supervisor or admin recorded after seeing
    /// all of them: someone with authority has looked. `None` while unresolved.
    pub resolved_by: Option<String>,
}

/// An event the fold kept in the history but did not let change the state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Ignored {
    /// The event.
    pub event: String,
    /// The rule it broke at its place in the merged order.
    pub rule: Rule,
}

/// The state of one case, folded from its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CaseState {
    /// The case id.
    pub case_id: String,
    /// Where the case is in the workflow.
    pub status: Status,
    /// What was reported (from the `reported` event).
    pub report: Option<HazardReport>,
    /// Who reported it.
    pub reported_by: Option<String>,
    /// HLC time of the report, ms since the Unix epoch.
    pub reported_at_ms: Option<i64>,
    /// The level the case has been called in to.
    pub level: Level,
    /// The responsible department.
    pub department: Option<String>,
    /// HLC time of the standing rectification (cleared when a verification fails or the
    /// case reopens).
    pub rectified_at_ms: Option<i64>,
    /// Photos of the standing rectification.
    pub rectification_photos: Vec<String>,
    /// Set while the case counts as solved.
    pub solved: Option<Solved>,
    /// HLC time the case was closed.
    pub closed_at_ms: Option<i64>,
    /// HLC time of the last event that changed the state.
    pub updated_at_ms: i64,
    /// Number of distinct events.
    pub event_count: u32,
    /// Every event id, in fold order (HLC, then id).
    pub history: Vec<String>,
    /// Events no other event names as a parent: what a new local event builds on.
    pub heads: Vec<String>,
    /// Concurrent incompatible events, resolved or not.
    pub conflicts: Vec<Conflict>,
    /// Events that did not change the state, with the rule they broke.
    pub ignored: Vec<Ignored>,
    /// Whether an unresolved conflict needs a person to look.
    pub contested: bool,
}

impl CaseState {
    /// The state before any event.
    pub fn empty(case_id: &str) -> CaseState {
        CaseState {
            case_id: case_id.to_string(),
            status: Status::Unreported,
            report: None,
            reported_by: None,
            reported_at_ms: None,
            level: Level::Community,
            department: None,
            rectified_at_ms: None,
            rectification_photos: Vec::new(),
            solved: None,
            closed_at_ms: None,
            updated_at_ms: 0,
            event_count: 0,
            history: Vec::new(),
            heads: Vec::new(),
            conflicts: Vec::new(),
            ignored: Vec::new(),
            contested: false,
        }
    }
}
