//! The campaign settings this device holds — the deadline policy — and the campaign
//! report over the events it holds: load, ask the model, answer.

use crate::error::{CoreError, Result};
use crate::hazard::{CampaignReport, DeadlinePolicy, report};
use crate::store::Store;
use gridwalk_model::inspection::DEFAULT_TEMPLATE;

/// Settings key of the configured policy (JSON).
const POLICY_KEY: &str = "hazard.deadlines";

impl Store {
    /// The configured deadline policy, or the default.
    pub fn deadline_policy(&self) -> Result<DeadlinePolicy> {
        match self.setting(POLICY_KEY)? {
            None => Ok(DeadlinePolicy::default()),
            Some(json) => serde_json::from_str(&json)
                .map_err(CoreError::unreadable("the stored deadline policy")),
        }
    }

    /// Replaces the deadline policy. Category codes must be among the nine.
    pub fn set_deadline_policy(&self, policy: &DeadlinePolicy) -> Result<()> {
        policy.validate()?;
        let json = serde_json::to_string(policy)
            .map_err(|e| CoreError::Internal(format!("policy cannot be encoded: {e}")))?;
        self.set_setting(POLICY_KEY, &json)
    }

    /// The campaign report as of `as_of_ms`, from every hazard event on this device that
    /// counts (the server refused none of them).
    pub fn campaign_report(&self, as_of_ms: i64) -> Result<CampaignReport> {
        let names: Vec<(String, String)> = self
            .template(DEFAULT_TEMPLATE, None)?
            .categories
            .iter()
            .map(|c| (c.code.clone(), c.title_en.clone()))
            .collect();
        Ok(report::compute(
            &self.counted_hazard_events()?,
            &self.list_units()?,
            &names,
            &self.deadline_policy()?,
            as_of_ms,
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_naming_an_unknown_category_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.db")).unwrap();
        let mut policy = DeadlinePolicy::default();
        policy.categories.insert("weather".into(), policy.default);
        assert!(store.set_deadline_policy(&policy).is_err());
        policy.categories.clear();
        policy.default.low = 60;
        store.set_deadline_policy(&policy).unwrap();
        assert_eq!(store.deadline_policy().unwrap(), policy);
    }
}
