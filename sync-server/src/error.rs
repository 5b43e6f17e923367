//! The API's error type and its one mapping to HTTP responses.
//!
//! Every handler returns [`ApiError`]; the body is always the protocol's [`ErrorBody`],
//! `{"error": "<code>", "message": "<what to do>"}`, so clients can branch on `error`
//! and show `message`. Error answers that axum or a tower layer make on their own
//! (a method a route does not serve, an unknown `Content-Encoding`, a path that is not
//! UTF-8) are given the same body by [`json_error_bodies`].

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridwalk_model::protocol::ErrorBody;
use http_body_util::{BodyExt, Limited};

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
    /// A `/v2` request names a compression dictionary this server does not hold (or
    /// its body does not decompress with it).
    #[error("{0}")]
    UnknownDictionary(String),
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
            ApiError::UnknownDictionary(_) => (
                StatusCode::BAD_REQUEST,
                gridwalk_model::wire::UNKNOWN_DICTIONARY,
            ),
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

/// The error code of an error answer that no [`ApiError`] made, by its status.
fn code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "timeout",
        409 => "conflict",
        413 => "too_large",
        415 => "unsupported_media_type",
        429 => "rate_limited",
        s if s >= 500 => "internal",
        _ => "bad_request",
    }
}

/// The most of a plain-text error body kept as the message; such bodies are one line.
const MAX_PLAIN_ERROR_BYTES: usize = 4096;

/// Gives an error answer (4xx or 5xx) that is not JSON the protocol's [`ErrorBody`],
/// keeping its status and headers (`Allow`, `Accept-Encoding`, `Tus-Resumable`...):
/// axum answers a method a route does not serve with an empty `405`, a path that is
/// not UTF-8 with a plain-text `400`, and the request decompression layer an unknown
/// `Content-Encoding` with an empty `415`. Clients branch on `error` in every answer.
/// A plain-text 4xx body becomes the `message`; a 5xx one is logged, not shown.
pub async fn json_error_bodies(response: Response) -> Response {
    let status = response.status();
    let is_error = status.is_client_error() || status.is_server_error();
    if !is_error || is_json(response.headers()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match Limited::new(body, MAX_PLAIN_ERROR_BYTES).collect().await {
        Ok(collected) => String::from_utf8_lossy(&collected.to_bytes())
            .trim()
            .to_string(),
        Err(_) => String::new(),
    };
    let message = if status.is_server_error() {
        // As for `ApiError::Internal`: the cause goes to the log, not to the client.
        tracing::error!(status = status.as_u16(), cause = %text, "request failed");
        "the server failed; try again later".to_string()
    } else if text.is_empty() {
        default_message(status, &parts.headers)
    } else {
        text
    };
    let mut answer = (
        status,
        axum::Json(ErrorBody {
            error: code_for_status(status).to_string(),
            message,
        }),
    )
        .into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().append(name, value.clone());
        }
    }
    answer
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// What an error answer that came without a body says, from its status and headers.
fn default_message(status: StatusCode, headers: &HeaderMap) -> String {
    match status {
        // axum adds `Allow` after this layer has run, so it cannot be quoted here.
        StatusCode::METHOD_NOT_ALLOWED => {
            "this route does not serve that method; `Allow` lists those it does".to_string()
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => format!(
            "this Content-Encoding is not supported; send the body uncompressed or as {}",
            headers
                .get(header::ACCEPT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("identity")
        ),
        other => other
            .canonical_reason()
            .unwrap_or("the request failed")
            .to_string(),
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
