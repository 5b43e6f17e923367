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
use crate::error::{ModelError, Result};
use crate::hazard::event::Level;
use crate::hazard::state::CaseState;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Days allowed to fix a case, per severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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
    /// Checks that every per-category entry names one of the nine categories.
    pub fn validate(&self) -> Result<()> {
        match self
            .categories
            .keys()
            .find(|c| !crate::checklist::CATEGORIES.contains(&c.as_str()))
        {
            Some(code) => Err(ModelError::Invalid(format!(
                "deadline policy names unknown category `{code}`"
            ))),
            None => Ok(()),
        }
    }

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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::hazard::event::{HazardReport, ReportSource};
    use crate::hazard::state::{CaseState, Status};

    fn reported(category: &str, severity: Severity, at_ms: i64) -> CaseState {
        let mut state = CaseState::empty("k");
        state.status = Status::Reported;
        state.reported_at_ms = Some(at_ms);
        state.report = Some(HazardReport {
            source: ReportSource::Hotline,
            category: category.into(),
            item: None,
            severity,
            unit: "g1".into(),
            site_id: None,
            description: String::new(),
            photos: Vec::new(),
            suggested_department: None,
        });
        state
    }

    #[test]
    fn due_dates_come_from_severity_with_per_category_overrides() {
        let mut policy = DeadlinePolicy::default();
        policy.categories.insert(
            "food".into(),
            SeverityDays {
                low: 3,
                medium: 2,
                high: 1,
                critical: 1,
            },
        );
        let fire = reported("fire", Severity::Medium, 0);
        let food = reported("food", Severity::Medium, 0);
        assert_eq!(deadline(&fire, &policy, 0).unwrap().due_ms, 14 * DAY_MS);
        assert_eq!(deadline(&food, &policy, 0).unwrap().due_ms, 2 * DAY_MS);
        assert!(!deadline(&food, &policy, 2 * DAY_MS).unwrap().overdue);
        assert!(deadline(&food, &policy, 2 * DAY_MS + 1).unwrap().overdue);
        let mut closed = food.clone();
        closed.status = Status::Closed;
        assert!(!deadline(&closed, &policy, 100 * DAY_MS).unwrap().overdue);
        assert_eq!(deadline(&CaseState::empty("x"), &policy, 0), None);
    }
}
