//! The campaign report on the server (issue 15 item 8): read from the case rows'
//! indexed columns by SQL aggregates ([`crate::storage::case_index`]) and assembled by
//! the model's [`ReportBuilder`], the same assembly [`report::compute`] gives the fold
//! of every event — so `gridwalk-server report`, the console's dashboard and its
//! exports answer in milliseconds on 100,000 cases and with the same numbers
//! (`sync-server/tests/report_sql.rs` compares the two on a varied store).
//!
//! A report as of a time before some case's latest event (`report --as-of` in the
//! past) needs the events themselves, since the kept columns are the state after all
//! of them: that one is folded from the events, as before.

use std::collections::HashMap;

use gridwalk_model::hazard::deadline::DAY_MS;
use gridwalk_model::hazard::{CampaignReport, DeadlinePolicy, Event, ReportBuilder, report};
use gridwalk_model::inspection::DEFAULT_TEMPLATE;
use gridwalk_model::protocol::RecordKind;

use crate::kinds::templates;
use crate::storage::{RecordStore, StoreError};

/// The nine categories' English names (code, name), as the report names its rows.
fn category_names() -> Vec<(String, String)> {
    templates()
        .iter()
        .find(|t| t.id == DEFAULT_TEMPLATE)
        .map(|t| {
            t.categories
                .iter()
                .map(|c| (c.code.clone(), c.title_en.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The campaign report as of `as_of_ms`: from the indexed columns when every case's
/// latest event is at or before then (always so for "now", bar a device clock running
/// ahead), else folded from the events.
pub fn campaign_report(
    store: &dyn RecordStore,
    as_of_ms: i64,
) -> Result<CampaignReport, StoreError> {
    match store.latest_case_hlc()? {
        Some(latest) if latest > as_of_ms => from_events(store, as_of_ms),
        _ => from_columns(store, as_of_ms),
    }
}

/// The report from the indexed columns: grouped counts, the times to fix, the cases
/// still awaiting their report.
pub fn from_columns(store: &dyn RecordStore, as_of_ms: i64) -> Result<CampaignReport, StoreError> {
    let units = store.units()?;
    let names = category_names();
    let mut days: HashMap<(String, String), Vec<f64>> = HashMap::new();
    for fix in store.fix_times()? {
        days.entry((fix.unit, fix.category))
            .or_default()
            .push(fix.ms as f64 / DAY_MS as f64);
    }
    let mut builder = ReportBuilder::new(&units, &names);
    for group in store.report_groups(as_of_ms)? {
        let key = (group.unit, group.category);
        let group_days = days.remove(&key).unwrap_or_default();
        builder.add(&key.0, &key.1, &group.tally, &group_days);
    }
    Ok(builder.finish(as_of_ms, store.cases_awaiting_report()?))
}

/// The report folded by the model from every stored hazard event (the same numbers a
/// device computes from the events it holds), as of `as_of_ms`.
pub fn from_events(store: &dyn RecordStore, as_of_ms: i64) -> Result<CampaignReport, StoreError> {
    let events = store
        .records_of_kind(RecordKind::HazardEvent)?
        .iter()
        .map(|r| {
            serde_json::from_str::<Event>(&r.body)
                .map_err(|e| StoreError::Corrupt(format!("stored hazard event {}: {e}", r.id)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(report::compute(
        &events,
        &store.units()?,
        &category_names(),
        &DeadlinePolicy::default(),
        as_of_ms,
    ))
}
