//! `GET /v1/reference`: the units, sites, people and checklist templates the caller's
//! device needs, limited to the caller's area (see [`crate::scope`]).
//!
//! The answer carries an `ETag`, a digest of exactly the JSON it holds for this caller;
//! a request whose `If-None-Match` names it is answered `304 Not Modified` with no body,
//! so a device that already holds the reference pays a few header bytes, not the whole
//! reference, per sync. A request without `If-None-Match` (a `/v1` client from before
//! the tag) gets the whole reference as always.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridwalk_model::protocol::ReferenceResponse;
use sha2::{Digest, Sha256};

use super::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, blocking};
use crate::kinds::templates;
use crate::scope::{UnitTree, sees_person, sees_site, sees_unit};
use crate::storage::RecordStore;

/// Hex digits of the SHA-256 kept in a tag: 64 bits tell one reference from the next
/// without spending header bytes on the full digest.
const TAG_HEX_DIGITS: usize = 16;

/// Handles a reference-data request.
pub async fn reference(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let store = state.store.clone();
    let (body, tag) = blocking(move || {
        let body = encode(&reference_of(store.as_ref(), &caller)?)?;
        let tag = etag_of(&body);
        Ok((body, tag))
    })
    .await?;
    let etag = HeaderValue::from_str(&tag)
        .map_err(|e| ApiError::Internal(format!("reference tag {tag}: {e}")))?;
    if matches_if_none_match(&headers, &tag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::ETAG, etag),
        ],
        body,
    )
        .into_response())
}

/// The caller's current reference tag, as `GET /v1/reference` would send it in `ETag`
/// (the pull compares it with the tag a device holds).
pub fn current_tag(store: &dyn RecordStore, caller: &Caller) -> Result<String, ApiError> {
    Ok(etag_of(&encode(&reference_of(store, caller)?)?))
}

/// The reference data the caller may see.
fn reference_of(store: &dyn RecordStore, caller: &Caller) -> Result<ReferenceResponse, ApiError> {
    let units = store.units()?;
    let tree = UnitTree::new(&units);
    let me = &caller.person;
    Ok(ReferenceResponse {
        units: units
            .into_iter()
            .filter(|u| sees_unit(me, &u.id, &tree))
            .collect(),
        sites: store
            .sites()?
            .into_iter()
            .filter(|s| sees_site(me, &s.unit, &tree))
            .collect(),
        people: store
            .people()?
            .into_iter()
            .filter(|p| sees_person(me, p, &tree))
            .collect(),
        templates: templates().to_vec(),
        device_id: caller.device.clone(),
        me: caller.person.clone(),
    })
}

fn encode(reference: &ReferenceResponse) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(reference)
        .map_err(|e| ApiError::Internal(format!("cannot encode the reference: {e}")))
}

/// A strong entity tag (quoted) for exactly these body bytes.
fn etag_of(body: &[u8]) -> String {
    let digest = hex::encode(Sha256::digest(body));
    format!("\"{}\"", &digest[..TAG_HEX_DIGITS])
}

/// Whether `If-None-Match` names `tag` (or is `*`), as RFC 9110 §13.1.2 compares:
/// weakly, so `W/"x"` matches `"x"`.
fn matches_if_none_match(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|list| list.split(','))
        .map(|candidate| candidate.trim())
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn if_none_match_compares_weakly_and_lists() {
        let tag = etag_of(b"{}");
        assert_eq!(tag.len(), TAG_HEX_DIGITS + 2);
        assert!(matches_if_none_match(&with(&tag), &tag));
        assert!(matches_if_none_match(&with(&format!("W/{tag}")), &tag));
        assert!(matches_if_none_match(&with(&format!("\"x\", {tag}")), &tag));
        assert!(matches_if_none_match(&with("*"), &tag));
        assert!(!matches_if_none_match(&with("\"0000\""), &tag));
        assert!(!matches_if_none_match(&HeaderMap::new(), &tag));
        assert_ne!(etag_of(b"{}"), etag_of(b"{ }"));
    }
}
