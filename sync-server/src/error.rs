//! The API's error type and its one mapping to HTTP responses.
//!
//! Every handler returns [`ApiError`]; the body is always the protocol's [`ErrorBody`],
//! `{"error": "<code>", "message": "<what to do>"}`, so clients can branch on `error`
//! and show `message`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridwalk_model::protocol::ErrorBody;

use crate::storage::StoreError;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No bearer token, or one the server does not know.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller is known but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing here, or nothing the caller may see (the two are not told apart).
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The request is larger than a configured limit.
    #[error("{0}")]
    TooLarge(String),
    /// The request conflicts with the current state (e.g. a tus offset mismatch).
    #[error("{0}")]
    Conflict(String),
    /// A tus request without `Tus-Resumable: 1.0.0`.
    #[error("this server speaks tus 1.0.0; send `Tus-Resumable: 1.0.0`")]
    TusVersion,
    /// The request body has the wrong content type.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A tus chunk did not match its `Upload-Checksum` (tus status 460).
    #[error("{0}")]
    ChecksumMismatch(String),
    /// A finished upload does not hash to the SHA-256 it was named with.
    #[error("{0}")]
    HashMismatch(String),
    /// Too many attempts from one client address (enrolment); answered with
    /// `Retry-After`.
    #[error("{message}")]
    RateLimited {
        /// What was limited and when to try again.
        message: String,
        /// Whole seconds until an attempt is allowed again.
        retry_after_secs: u64,
    },
    /// A device holds too many (or too large) unfinished uploads to create another;
    /// answered with `Retry-After` (when its oldest unfinished upload expires).
    #[error("{message}")]
    UploadLimit {
        /// What the device holds and what the cap is.
        message: String,
        /// Whole seconds until the oldest unfinished upload expires.
        retry_after_secs: u64,
    },
    /// The request body stopped arriving for longer than the body read timeout.
    #[error("{0}")]
    BodyTimeout(String),
    /// Storage failed; details go to the log, not to the client.
    #[error("storage error: {0}")]
    Store(#[from] StoreError),
    /// A bug or a failed background task; details go to the log.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status and the stable error code for this error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::TusVersion => (StatusCode::PRECONDITION_FAILED, "tus_version"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            // 460 is the tus checksum extension's "Checksum Mismatch".
            ApiError::ChecksumMismatch(_) => (
                StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST),
                "checksum_mismatch",
            ),
            ApiError::HashMismatch(_) => (StatusCode::UNPROCESSABLE_ENTITY, "hash_mismatch"),
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::UploadLimit { .. } => (StatusCode::TOO_MANY_REQUESTS, "upload_limit"),
            ApiError::BodyTimeout(_) => (StatusCode::REQUEST_TIMEOUT, "body_timeout"),
            ApiError::Store(_) | ApiError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            ApiError::Store(_) | ApiError::Internal(_) => {
                // Log the cause with the request's span; the client gets no internals.
                tracing::error!(error = %self, "request failed");
                "the server failed; try again later".to_string()
            }
            other => other.to_string(),
        };
        let mut response = (
            status,
            axum::Json(ErrorBody {
                error: code.to_string(),
                message,
            }),
        )
            .into_response();
        match self {
            ApiError::TusVersion => {
                response
                    .headers_mut()
                    .insert("tus-version", HeaderValue::from_static("1.0.0"));
            }
            ApiError::RateLimited {
                retry_after_secs, ..
            }
            | ApiError::UploadLimit {
                retry_after_secs, ..
            } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            _ => {}
        }
        response
    }
}

/// Runs blocking storage work off the async threads and flattens its errors.
pub async fn blocking<T, F>(work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(format!("background task failed: {e}")))?
}
