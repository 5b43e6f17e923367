//! `POST /v1/enrol`: a one-time enrolment code becomes a device token.
//!
//! Attempts are rate-limited per client address: at most
//! [`Limits::enrol_attempts`](crate::config::Limits::enrol_attempts) per
//! [`Limits::enrol_window`](crate::config::Limits::enrol_window) (10 a minute) that did
//! not enrol a device. Every attempt is counted when it arrives, atomically in the
//! database (so parallel guesses are counted too, and replicas on one database share
//! the count); one that enrols a device is then forgotten, so a whole office enrolling
//! behind one address is never held up, while a guesser gets 10 tries a minute.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use chrono::Utc;
use gridwalk_model::protocol::{EnrolRequest, EnrolResponse};
use gridwalk_model::signing::check_public_key;

use super::{AppState, parse_json, read_body};
use crate::auth::{
    ClientAddr, device_token_hash, enrolment_code_hash, expiry_from, new_device_token,
};
use crate::error::{ApiError, blocking};
use crate::storage::{EnrolAttempt, NewDevice, Redeemed};

/// Redeems a code. Too many attempts from one address get `429` with `Retry-After`
/// before the body is read; a used, replaced or unknown code, or one of a disabled
/// person, gets `401`. A lost answer means asking an admin for a new code
/// (`people reissue`), because the token cannot be shown twice.
pub async fn enrol(
    State(state): State<AppState>,
    client: ClientAddr,
    body: Body,
) -> Result<Json<EnrolResponse>, ApiError> {
    let attempt = count_attempt(&state, client).await?;
    let bytes = read_body(body, state.limits.max_enrol_body_bytes).await?;
    let request: EnrolRequest = parse_json(&bytes)?;
    if let Some(key) = &request.public_key {
        check_public_key(key).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    }
    let token = new_device_token().map_err(|e| ApiError::Internal(e.to_string()))?;
    let device_id = uuid::Uuid::now_v7().to_string();
    let code_hash = enrolment_code_hash(&request.code);
    let token_hash = device_token_hash(&token);
    let store = state.store.clone();
    let device = device_id.clone();
    let now = Utc::now();
    let expires_at = expiry_from(now, &state.limits);
    let redeemed = blocking(move || {
        let enrolment = NewDevice {
            code_hash: &code_hash,
            device_id: &device,
            token_hash: &token_hash,
            public_key: request.public_key.as_deref(),
        };
        let redeemed = store.redeem_enrolment(&enrolment, now, expires_at)?;
        if matches!(redeemed, Redeemed::Enrolled(_)) {
            store.forget_enrol_attempt(attempt)?;
        }
        Ok(redeemed)
    })
    .await?;
    let person = match redeemed {
        Redeemed::Enrolled(person) => person,
        Redeemed::UnknownCode => {
            return Err(ApiError::Unauthorized(
                "unknown or already used enrolment code".into(),
            ));
        }
        Redeemed::PersonDisabled => {
            return Err(ApiError::Unauthorized(
                "this person is disabled; ask an admin".into(),
            ));
        }
    };
    let span = tracing::Span::current();
    span.record("device", tracing::field::display(&device_id));
    span.record("person", tracing::field::display(&person.id));
    tracing::info!("device enrolled");
    Ok(Json(EnrolResponse {
        device_id,
        token,
        person,
    }))
}

/// Counts this attempt against the client address's allowance and returns its id, or
/// refuses it with `429`.
async fn count_attempt(state: &AppState, client: ClientAddr) -> Result<i64, ApiError> {
    let store = state.store.clone();
    let limits = state.limits.clone();
    let window_ms = i64::try_from(limits.enrol_window.as_millis()).unwrap_or(i64::MAX);
    let label = client.label();
    let key = label.clone();
    let now_ms = Utc::now().timestamp_millis();
    let counted = blocking(move || {
        Ok(store.note_enrol_attempt(&key, now_ms, window_ms, limits.enrol_attempts)?)
    })
    .await?;
    let wait_ms = match counted {
        EnrolAttempt::Allowed(id) => return Ok(id),
        EnrolAttempt::Refused { retry_after_ms } => retry_after_ms,
    };
    let retry_after_secs = u64::try_from(wait_ms.saturating_add(999) / 1000)
        .unwrap_or(1)
        .max(1);
    tracing::warn!(retry_after_secs, "enrolment attempts rate-limited");
    Err(ApiError::RateLimited {
        message: format!(
            "too many enrolment attempts from {label}: at most {} per {} s; \
             try again in {retry_after_secs} s",
            state.limits.enrol_attempts,
            state.limits.enrol_window.as_secs()
        ),
        retry_after_secs,
    })
}
