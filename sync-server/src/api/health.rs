//! `GET /health`: a real query against both stores, for load balancers and operators.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;
use crate::error::blocking;

/// `200 {"status":"ok"}` when both stores answer, `503` otherwise.
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let result = blocking(move || {
        state.store.check_health()?;
        state.blobs.check_health()?;
        Ok(())
    })
    .await;
    match result {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok" }))),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable" })),
            )
        }
    }
}
