//! Reference data from the server: who this device's person is (the local profile),
//! the org units and sites of their area, and the checklist templates.

use std::path::Path;

use crate::error::Result;
use crate::protocol::{ReferenceResponse, paths};
use crate::sync::client::Client;
use crate::sync::progress::{Progress, SyncPhase};
use crate::sync::{PERSON_ID_KEY, SyncReport, with_store};

/// Fetches the reference data and stores it: the profile, units, sites, templates.
/// A template the device cannot store (a changed body under a stored version) is
/// reported, not fatal: inspections pinned to the stored version go on working.
pub(crate) async fn fetch_and_store(
    client: &Client,
    path: &Path,
    progress: Progress<'_>,
    report: &mut SyncReport,
) -> Result<()> {
    progress.report(SyncPhase::Reference, 0, 1);
    let reference: ReferenceResponse = client.get_json(paths::REFERENCE, &[]).await?;
    with_store(path, |s| {
        s.set_profile(&reference.me.profile())
            .map_err(|e| e.sent_by_server("the reference data's person"))?;
        s.set_setting(PERSON_ID_KEY, &reference.me.id)?;
        s.upsert_units(&reference.units)
            .map_err(|e| e.sent_by_server("the reference data's units"))?;
        s.upsert_sites(&reference.sites)
            .map_err(|e| e.sent_by_server("the reference data's sites"))?;
        for template in &reference.templates {
            if let Err(e) = s.import_template(template) {
                report.errors.push(format!(
                    "template {} v{} not stored: {e}",
                    template.id, template.version
                ));
            }
        }
        Ok(())
    })?;
    progress.report(SyncPhase::Reference, 1, 1);
    Ok(())
}
