//! Deadlines: when a case is due, from its severity and category; whether it is overdue;
//! and at which level it was solved.
//!
//! The due date counts from the case's report (its HLC time, which no device's wrong
//! clock can move before an event it had seen). The days per severity are configurable
//! for the whole campaign and per category, because a food-safety case at a school
//! canteen cannot wait as long as a noise complaint.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::checklist::Severity;
use crate::error::{CoreError, Result};
use crate::hazard::event::Level;
use crate::hazard::state::CaseState;
use crate::store::Store;

/// Settings key of the configured policy (JSON).
const POLICY_KEY: &str = "hazard.deadlines";

/// Milliseconds in a day.
pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Days allowed to fix a case, per severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityDays {
    /// Days for a low-severity case.
    pub low: u32,
    /// Days for a medium-severity case.
    pub medium: u32,
    /// Days for a high-severity case.
    pub high: u32,
    /// Days for a critical case.
    pub critical: u32,
}

impl SeverityDays {
    /// The days for one severity.
    pub fn get(&self, severity: Severity) -> u32 {
        match severity {
            Severity::Low => self.low,
            Severity::Medium => self.medium,
            Severity::High => self.high,
            Severity::Critical => self.critical,
        }
    }
}

/// The deadline policy: days per severity, overridable per category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlinePolicy {
    /// Days per severity for every category without its own entry.
    pub default: SeverityDays,
    /// Per-category overrides, by category code.
    #[serde(default)]
    pub categories: BTreeMap<String, SeverityDays>,
}

impl Default for DeadlinePolicy {
    /// A campaign default: a critical hazard within a day, a low one within a month.
    fn default() -> Self {
        DeadlinePolicy {
            default: SeverityDays {
                low: 30,
                medium: 14,
                high: 7,
                critical: 1,
            },
            categories: BTreeMap::new(),
        }
    }
}

impl DeadlinePolicy {
    /// Days allowed for a case of this category and severity.
    pub fn days(&self, category: &str, severity: Severity) -> u32 {
        self.categories
            .get(category)
            .unwrap_or(&self.default)
            .get(severity)
    }
}

/// A case's deadline as of some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// Due time, ms since the Unix epoch.
    pub due_ms: i64,
    /// Still open (not solved, not closed) after the due time.
    pub overdue: bool,
}

/// The deadline of a reported case as of `now_ms`; `None` before its report arrived.
pub fn deadline(state: &CaseState, policy: &DeadlinePolicy, now_ms: i64) -> Option<Deadline> {
    let report = state.report.as_ref()?;
    let reported = state.reported_at_ms?;
    let days = i64::from(policy.days(&report.category, report.severity));
    let due_ms = reported.saturating_add(days.saturating_mul(DAY_MS));
    Some(Deadline {
        due_ms,
        overdue: state.status.is_open() && now_ms > due_ms,
    })
}

/// The level that solved the case, while it counts as solved.
pub fn solved_level(state: &CaseState) -> Option<Level> {
    state.solved.map(|s| s.level)
}

/// Days from report to verified fix, while the case counts as solved.
pub fn days_to_fix(state: &CaseState) -> Option<f64> {
    let solved = state.solved?;
    let reported = state.reported_at_ms?;
    Some((solved.at_ms - reported) as f64 / DAY_MS as f64)
}

impl Store {
    /// The configured deadline policy, or the default.
    pub fn deadline_policy(&self) -> Result<DeadlinePolicy> {
        match self.setting(POLICY_KEY)? {
            None => Ok(DeadlinePolicy::default()),
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                CoreError::InvalidInput(format!("the stored deadline policy is unreadable: {e}"))
            }),
        }
    }

    /// Replaces the deadline policy. Category codes must be among the nine.
    pub fn set_deadline_policy(&self, policy: &DeadlinePolicy) -> Result<()> {
        if let Some(code) = policy
            .categories
            .keys()
            .find(|c| !crate::checklist::CATEGORIES.contains(&c.as_str()))
        {
            return Err(CoreError::InvalidInput(format!(
                "deadline policy names unknown category `{code}`"
            )));
        }
        let json = serde_json::to_string(policy)
            .map_err(|e| CoreError::InvalidInput(format!("policy cannot be stored: {e}")))?;
        self.set_setting(POLICY_KEY, &json)
    }
}
