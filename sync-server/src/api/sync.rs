//! `GET|POST /v2/sync`: one request that pushes a batch and pulls the page after the
//! cursor, in the compact `/v2` encoding, compressed with a shared zstd dictionary
//! (`gridwalk_model::wire`). The push is the `/v1` push ([`super::push::store_batch`]),
//! the page the `/v1` pull's ([`super::pull::page`]) without the caller device's own
//! records; only the encoding differs, so a record stored through either route is the
//! same record, signed bytes and all.
//!
//! The body is counted as sent (compressed) against the JSON limit by the router and
//! decompressed into at most that limit again, before it is parsed.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use gridwalk_model::wire::codec::{self, CodecError};
use gridwalk_model::wire::{
    self, CURSOR, DICTIONARY_HEADER, LIMIT, REFERENCE, SyncRequest, SyncResponse,
};

use super::{AppState, parse_json, pull, push, read_body};
use crate::auth::Caller;
use crate::error::{ApiError, blocking};
use crate::kinds::templates;

/// Handles a `/v2` sync.
pub async fn sync(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let dictionary = requested_dictionary(&headers)?;
    let cursor = pull::parse_cursor(params.get(CURSOR).map(String::as_str))?;
    let limit = pull::parse_limit(&state, params.get(LIMIT).map(String::as_str))?;
    let held_reference = params.get(REFERENCE).cloned();
    let limit_bytes = state.limits.max_body_bytes;
    let bytes = read_body(body, limit_bytes).await?;
    let request: SyncRequest = if bytes.is_empty() {
        SyncRequest::default()
    } else {
        match dictionary {
            Some(id) => parse_json(&decompress(&bytes, id, limit_bytes)?)?,
            None => parse_json(&bytes)?,
        }
    };
    let items = wire::expand_items(request.items, templates());
    let (results, register) = push::store_batch(&state, caller.clone(), items).await?;
    let store = state.store.clone();
    // The page is read, encoded and compressed off the async workers: a full page at
    // level 19 is milliseconds of CPU.
    let (body, compressed_with) = blocking(move || {
        let (page, reference) = pull::page(
            store.as_ref(),
            &caller,
            cursor,
            limit,
            true,
            held_reference,
            register,
        )?;
        let answer = SyncResponse {
            results: results.into_iter().map(wire::outcome).collect(),
            items: page
                .items
                .into_iter()
                .map(|item| wire::compact_pulled(item, templates()))
                .collect(),
            cursor: page.next_cursor,
            has_more: page.has_more,
            reference,
        };
        let json = serde_json::to_vec(&answer)
            .map_err(|e| ApiError::Internal(format!("cannot encode the answer: {e}")))?;
        match dictionary {
            Some(id) if json.len() > wire::COMPRESS_ABOVE => {
                // Quickly: the server answers every device (`codec::Effort`).
                let compressed = codec::compress(&json, id, codec::Effort::Quick)
                    .map_err(|e| ApiError::Internal(format!("cannot compress the answer: {e}")))?;
                Ok((compressed, Some(id)))
            }
            _ => Ok((json, None)),
        }
    })
    .await?;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    match compressed_with {
        Some(id) => {
            // A zstd frame (RFC 8878's type), to be read with the dictionary named.
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/zstd"));
            headers.insert(DICTIONARY_HEADER, HeaderValue::from(id));
        }
        None => {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
    }
    Ok(response)
}

/// The dictionary the request names, if any; one this server does not hold is refused.
fn requested_dictionary(headers: &HeaderMap) -> Result<Option<u32>, ApiError> {
    let Some(value) = headers.get(DICTIONARY_HEADER) else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let known: Vec<String> = wire::DICTIONARIES
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    text.parse::<u32>()
        .ok()
        .filter(|id| wire::dictionary(*id).is_some())
        .map(Some)
        .ok_or_else(|| {
            ApiError::UnknownDictionary(format!(
                "this server does not hold compression dictionary `{text}` (it holds {}); \
                 update the app",
                known.join(", ")
            ))
        })
}

/// The body decompressed with its dictionary, at most `limit` bytes.
fn decompress(bytes: &[u8], id: u32, limit: usize) -> Result<Vec<u8>, ApiError> {
    codec::decompress(bytes, id, limit).map_err(|e| match e {
        CodecError::TooLarge { limit, .. } => ApiError::TooLarge(format!(
            "the request body is larger than the limit of {limit} bytes (after decompression)"
        )),
        CodecError::UnknownDictionary(_) | CodecError::Corrupt { .. } => {
            ApiError::UnknownDictionary(format!("the body is {e}"))
        }
        CodecError::Compress(_) => ApiError::Internal(e.to_string()),
    })
}
