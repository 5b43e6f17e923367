//! Reference data from the server: who this device's person is (the local profile),
//! the org units and sites of their area, and the checklist templates.

use gridwalk_model::protocol::{ReferenceResponse, paths};

use crate::error::Result;
use crate::store::{SharedStore, settings};
use crate::sync::client::Client;
use crate::sync::progress::{Progress, SyncPhase};
use crate::sync::{PERSON_ID_KEY, SyncReport};

/// Fetches the reference data and stores it, all in one transaction: the profile,
/// units, sites, templates. A template the device cannot store (a changed body under a
/// stored version) is reported, not fatal: inspections pinned to the stored version go
/// on working.
pub(crate) async fn fetch_and_store(
    client: &Client,
    store: &SharedStore,
    progress: Progress<'_>,
    report: &mut SyncReport,
) -> Result<()> {
    progress.report(SyncPhase::Reference, 0, 1);
    let reference: ReferenceResponse = client.get_json(paths::REFERENCE, &[]).await?;
    let refused = store.with(|s| {
        s.write(|tx, _| {
            crate::profile::save(tx, &reference.me.profile())
                .map_err(|e| e.sent_by_server("the reference data's person"))?;
            settings::set(tx, PERSON_ID_KEY, &reference.me.id)?;
            crate::reference::upsert_units(tx, &reference.units)
                .map_err(|e| e.sent_by_server("the reference data's units"))?;
            crate::reference::upsert_sites(tx, &reference.sites)
                .map_err(|e| e.sent_by_server("the reference data's sites"))?;
            let mut refused = Vec::new();
            for template in &reference.templates {
                // Refused before anything of it is written, so the rest still commits.
                if let Err(e) = crate::reference::import_template(tx, template) {
                    refused.push(format!(
                        "template {} v{} not stored: {e}",
                        template.id, template.version
                    ));
                }
            }
            Ok(refused)
        })
    })?;
    report.errors.extend(refused);
    progress.report(SyncPhase::Reference, 1, 1);
    Ok(())
}
