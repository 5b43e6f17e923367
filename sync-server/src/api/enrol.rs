//! `POST /v1/enrol`: a one-time enrolment code becomes a device token.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use gridwalk_model::protocol::{EnrolRequest, EnrolResponse};

use super::{AppState, parse_json, read_body};
use crate::auth::{device_token_hash, enrolment_code_hash, new_device_token};
use crate::error::{ApiError, blocking};

/// Redeems a code. A used or unknown code gets `401`; a lost answer means asking an
/// admin for a new code, because the token cannot be shown twice.
pub async fn enrol(
    State(state): State<AppState>,
    body: Body,
) -> Result<Json<EnrolResponse>, ApiError> {
    let bytes = read_body(body, state.limits.max_body_bytes).await?;
    let request: EnrolRequest = parse_json(&bytes)?;
    let token = new_device_token().map_err(|e| ApiError::Internal(e.to_string()))?;
    let device_id = uuid::Uuid::now_v7().to_string();
    let code_hash = enrolment_code_hash(&request.code);
    let token_hash = device_token_hash(&token);
    let store = state.store.clone();
    let device = device_id.clone();
    let person = blocking(move || Ok(store.redeem_enrolment(&code_hash, &device, &token_hash)?))
        .await?
        .ok_or_else(|| ApiError::Unauthorized("unknown or already used enrolment code".into()))?;
    tracing::info!(device = %device_id, person = %person.id, "device enrolled");
    Ok(Json(EnrolResponse {
        device_id,
        token,
        person,
    }))
}
