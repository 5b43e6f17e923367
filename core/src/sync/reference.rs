//! Reference data from the server: who this device's person is (the local profile),
//! the org units and sites of their area, and the checklist templates.
//!
//! The reference is fetched conditionally: the `ETag` of the last one stored is sent as
//! `If-None-Match`, and an unchanged reference comes back as a bodiless `304`. The tag
//! is stored with the data in one transaction, so a tag never names data the device
//! does not hold. A reference with a template the device could not store leaves no tag,
//! so the next sync fetches it whole again and reports the template again.

use gridwalk_model::protocol::{ReferenceResponse, paths};
use reqwest::header::{ETAG, IF_NONE_MATCH};

use crate::error::Result;
use crate::store::{SharedStore, settings};
use crate::sync::client::Client;
use crate::sync::progress::{Progress, SyncPhase};
use crate::sync::{PERSON_ID_KEY, REFERENCE_ETAG_KEY, SyncReport};

/// The `ETag` of the reference data this device holds, if it holds a whole one.
pub(crate) fn held_tag(store: &SharedStore) -> Result<Option<String>> {
    store.with(|s| s.setting(REFERENCE_ETAG_KEY))
}

/// Fetches the reference data, unless the server says the held copy is current, and
/// stores it, all in one transaction: the profile, units, sites, templates and the tag.
/// A template the device cannot store (a changed body under a stored version) is
/// reported, not fatal: inspections pinned to the stored version go on working.
pub(crate) async fn fetch_and_store(
    client: &Client,
    store: &SharedStore,
    progress: Progress<'_>,
    report: &mut SyncReport,
) -> Result<()> {
    progress.report(SyncPhase::Reference, 0, 1);
    let conditions: Vec<_> = held_tag(store)?
        .into_iter()
        .map(|tag| (IF_NONE_MATCH, tag))
        .collect();
    let answer = client
        .get_json_answer::<ReferenceResponse>(paths::REFERENCE, &[], &conditions)
        .await?;
    let tag = answer.header(ETAG.as_str());
    let Some(reference) = answer.body else {
        // 304: what this device holds is what the server would send.
        progress.report(SyncPhase::Reference, 1, 1);
        return Ok(());
    };
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
            match &tag {
                Some(tag) if refused.is_empty() => settings::set(tx, REFERENCE_ETAG_KEY, tag)?,
                _ => settings::remove(tx, REFERENCE_ETAG_KEY)?,
            }
            Ok(refused)
        })
    })?;
    report.errors.extend(refused);
    progress.report(SyncPhase::Reference, 1, 1);
    Ok(())
}
