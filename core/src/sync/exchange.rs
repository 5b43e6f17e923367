//! The `/v2` record exchange: each request pushes one outbox batch and pulls the page
//! after the cursor together (`gridwalk_model::wire`), so a sync with nothing new is
//! one small `GET` and one with a few records one `POST`. Results are applied and the
//! page stored exactly as the `/v1` push and pull do ([`super::push::Outbox`],
//! [`super::pull::store_page`]), in that order: the results first, so a record the
//! server refused is never marked sent, then the page with its cursor.
//!
//! A server that answers `404` to the first request does not serve `/v2` (it predates
//! it): [`Exchanged::NotServed`], and the caller syncs over `/v1` instead. Nothing was
//! stored by either side then.

use gridwalk_model::protocol::PulledItem;
use gridwalk_model::wire::{self, SyncRequest};

use crate::error::{CoreError, Result};
use crate::store::SharedStore;
use crate::sync::client::Client;
use crate::sync::progress::{Progress, SyncPhase};
use crate::sync::push::Outbox;
use crate::sync::{CURSOR_KEY, MAX_ROUNDS, SyncOptions, SyncReport, pull, reference};

/// Records per page the server uses when a request names none.
const SERVER_DEFAULT_PAGE: u32 = 200;

/// How the exchange went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exchanged {
    /// Everything pushed and pulled over `/v2`.
    Done,
    /// The server does not serve `/v2`; nothing was exchanged.
    NotServed,
}

/// Pushes the outbox and pulls until neither side has more, over `/v2`.
pub(crate) async fn exchange(
    client: &Client,
    store: &SharedStore,
    options: &SyncOptions,
    progress: Progress<'_>,
    report: &mut SyncReport,
) -> Result<Exchanged> {
    let mut outbox = Outbox::start(store, options, progress)?;
    let mut templates = store.with(|s| s.all_templates())?;
    let mut outbox_done = false;
    let mut received = 0u64;
    for round in 0..MAX_ROUNDS {
        let batch = match outbox_done {
            true => None,
            false => outbox.next_batch(store, report)?,
        };
        // A batch shorter than the batch size was the outbox's last: no request
        // without records is needed after it.
        outbox_done = batch.is_none() || outbox.exhausted();
        let cursor = store.with(|s| Ok(s.setting(CURSOR_KEY)?.unwrap_or_default()))?;
        let mut query = Vec::new();
        if !cursor.is_empty() {
            query.push((wire::CURSOR, cursor.clone()));
        }
        if options.pull_page != SERVER_DEFAULT_PAGE {
            query.push((wire::LIMIT, options.pull_page.max(1).to_string()));
        }
        // Once per sync: whether the reference changed since the held one.
        let held_reference = match round {
            0 => reference::held_tag(store)?,
            _ => None,
        };
        if let Some(tag) = &held_reference {
            query.push((wire::REFERENCE, tag.trim_matches('"').to_string()));
        }
        let request = batch
            .as_ref()
            .filter(|b| !b.items.is_empty())
            .map(|b| SyncRequest {
                items: wire::compact_items(b.items.clone(), &templates),
            });
        let answer = match client.exchange(&query, request.as_ref()).await {
            Err(CoreError::ServerStatus { status: 404, .. }) if round == 0 => {
                return Ok(Exchanged::NotServed);
            }
            other => other?,
        };
        if let Some(batch) = &batch {
            let sent = request.as_ref().map_or(0, |r| r.items.len());
            if answer.results.len() != sent {
                return Err(CoreError::Protocol(format!(
                    "the server answered {} results for {sent} records",
                    answer.results.len()
                )));
            }
            let results: Vec<_> = batch
                .items
                .iter()
                .zip(answer.results)
                .map(|(item, outcome)| wire::item_result(&item.id, outcome))
                .collect();
            outbox.apply(store, batch, &results, report)?;
        }
        if held_reference.is_some() && answer.reference.is_some() {
            reference::fetch_and_store(client, store, progress, report).await?;
            templates = store.with(|s| s.all_templates())?;
        }
        let items = answer
            .items
            .into_iter()
            .map(|item| {
                let id = item.id.clone();
                wire::expand_pulled(item, &templates).map_err(|e| {
                    CoreError::Protocol(format!("pulled record {id} is not readable: {e}"))
                })
            })
            .collect::<Result<Vec<PulledItem>>>()?;
        let count = pull::store_page(store, items, &answer.cursor, report).await?;
        received += count;
        progress.report(SyncPhase::Pulling, received, received);
        if outbox_done && !answer.has_more {
            outbox.finish(store, report)?;
            return Ok(Exchanged::Done);
        }
        if outbox_done && answer.cursor == cursor && count == 0 {
            return Err(CoreError::Protocol(
                "the server says it has more but its cursor does not move".into(),
            ));
        }
    }
    Err(CoreError::Protocol(format!(
        "the exchange did not finish within {MAX_ROUNDS} rounds"
    )))
}
