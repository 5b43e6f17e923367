//! `GET /v1/pull?cursor=&limit=`: the records the caller may see, in the server's
//! sequence order, a page at a time.
//!
//! The cursor is the server-assigned sequence number of the last record *examined*
//! (not just the last one returned), so records the caller may not see are never
//! scanned again. Treat it as opaque: store `next_cursor` and send it back.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use serde::Serialize;

use super::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, blocking};
use crate::kinds;
use crate::scope::{Access, UnitTree, read_access};

/// How many rows one pull examines at most, so a caller who may see little of a big
/// server still gets a quick answer (with `has_more`) instead of a long scan.
const MAX_SCAN: usize = 20_000;
const SCAN_BATCH: u32 = 500;

/// One record as pulled.
#[derive(Debug, Serialize)]
pub struct PulledItem {
    /// Server sequence number.
    pub seq: i64,
    /// Record id.
    pub id: String,
    /// Item kind.
    pub kind: String,
    /// The record; with personal details removed when `redacted`.
    pub body: serde_json::Value,
    /// Whether personal details were removed for this caller.
    pub redacted: bool,
    /// The person whose device pushed it.
    pub author: String,
    /// When the server stored it (server clock).
    pub received_at: String,
}

/// A page of records.
#[derive(Debug, Serialize)]
pub struct PullResponse {
    /// The records, in sequence order.
    pub items: Vec<PulledItem>,
    /// The cursor for the next pull.
    pub next_cursor: String,
    /// Whether more records may be waiting after `next_cursor`.
    pub has_more: bool,
}

/// Handles a pull.
pub async fn pull(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<PullResponse>, ApiError> {
    let mut cursor: i64 = match params.get("cursor").map(String::as_str) {
        None | Some("") => 0,
        Some(text) => text.parse().ok().filter(|c| *c >= 0).ok_or_else(|| {
            ApiError::BadRequest(format!("cursor `{text}` is not one this server gave out"))
        })?,
    };
    let max = state.limits.max_pull_limit;
    let limit: u32 = match params.get("limit") {
        None => state.limits.default_pull_limit,
        Some(text) => text
            .parse()
            .ok()
            .filter(|l| (1..=max).contains(l))
            .ok_or_else(|| {
                ApiError::BadRequest(format!("limit must be a number from 1 to {max}"))
            })?,
    };
    let store = state.store.clone();
    let response = blocking(move || {
        let tree = UnitTree::new(&store.units()?);
        let mut items = Vec::new();
        let mut scanned = 0usize;
        'scan: loop {
            let batch = store.records_after(cursor, SCAN_BATCH)?;
            if batch.is_empty() {
                break;
            }
            for record in batch {
                cursor = record.seq;
                scanned += 1;
                if let Some(access) = read_access(&caller.person, &record, &tree) {
                    let redacted = access == Access::Redacted;
                    let body = if redacted {
                        kinds::redact(&record.kind, &record.body)?
                    } else {
                        serde_json::from_str(&record.body).map_err(|e| {
                            ApiError::Internal(format!("stored record {}: {e}", record.id))
                        })?
                    };
                    items.push(PulledItem {
                        seq: record.seq,
                        id: record.id,
                        kind: record.kind,
                        body,
                        redacted,
                        author: record.author_person,
                        received_at: record.received_at,
                    });
                    if items.len() >= limit as usize {
                        break 'scan;
                    }
                }
                if scanned >= MAX_SCAN {
                    break 'scan;
                }
            }
        }
        let has_more = cursor < store.max_seq()?;
        Ok(PullResponse {
            items,
            next_cursor: cursor.to_string(),
            has_more,
        })
    })
    .await?;
    tracing::info!(items = response.items.len(), cursor = %response.next_cursor, "pull");
    Ok(Json(response))
}
