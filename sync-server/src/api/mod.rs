//! The HTTP API: the sync protocol under `/v1` plus `/health`, as documented in
//! `sync-server/openapi.yaml`.
//!
//! JSON routes (enrol, push, pull, reference) accept gzip/zstd request bodies and
//! compress responses when the client asks; blob routes carry photo bytes as they are.
//!
//! No body can hold a request open or fill memory: every body that goes
//! [`Limits::body_read_timeout`] without a byte ends its request with `408`, and a JSON
//! body is counted against its route's limit twice as it streams, before any of it is
//! parsed or the caller is known: as sent (compressed) and after decompression.
//!
//! [`Limits::body_read_timeout`]: crate::config::Limits::body_read_timeout

pub mod blobs;
pub mod enrol;
pub mod health;
pub mod pull;
pub mod push;
pub mod reference;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::{get, post};
use bytes::{Bytes, BytesMut};
use gridwalk_model::protocol::paths;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::timeout::{TimeoutBody, TimeoutError};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::auth::ClientAddr;
use crate::error::ApiError;
pub use crate::state::AppState;

/// Every route the router serves, with its methods (lower case), so the OpenAPI test
/// can check the documentation against what is served. (`GET` routes also answer
/// `HEAD`, as HTTP requires.)
pub const ROUTES: &[(&str, &[&str])] = &[
    ("/health", &["get"]),
    (paths::ENROL, &["post"]),
    (paths::PUSH, &["post"]),
    (paths::PULL, &["get"]),
    (paths::REFERENCE, &["get"]),
    (paths::BLOBS, &["options", "post"]),
    ("/v1/blobs/uploads/{id}", &["head", "patch"]),
    ("/v1/blobs/{sha256}", &["get", "head"]),
];

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let limits = state.limits.clone();
    // Enrolment needs no token, so a stranger's body is held to the small enrolment
    // limit; the routes that need a token refuse a bad one before reading the body.
    let enrol_route = json_routes(
        Router::new().route(paths::ENROL, post(enrol::enrol)),
        limits.max_enrol_body_bytes,
    );
    let token_routes = json_routes(
        Router::new()
            .route(paths::PUSH, post(push::push))
            .route(paths::PULL, get(pull::pull))
            .route(paths::REFERENCE, get(reference::reference)),
        limits.max_body_bytes,
    );
    let body_timeout = limits.body_read_timeout;
    Router::new()
        .route("/health", get(health::health))
        .merge(enrol_route)
        .merge(token_routes)
        .merge(blobs::router())
        .fallback(|| async { ApiError::NotFound("no such route; see openapi.yaml".into()) })
        .layer(
            TraceLayer::new_for_http()
                // Every line logged for a request names where it came from and, once
                // the token is known (`Caller`) or a code redeemed (enrol), who.
                .make_span_with(|req: &Request<Body>| {
                    tracing::info_span!(
                        "request",
                        method = %req.method(),
                        path = %req.uri().path(),
                        client = %ClientAddr::of(req.extensions()).label(),
                        device = tracing::field::Empty,
                        person = tracing::field::Empty,
                    )
                })
                // One INFO line per answered request, with status and latency.
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(axum::middleware::map_request(move |req: Request<Body>| {
            std::future::ready(with_body_timeout(req, body_timeout))
        }))
        .with_state(state)
}

/// JSON routes: compressed answers when asked; request bodies decompressed, with what
/// is sent (compressed) counted against `limit` as it streams, so a body too large is
/// refused as soon as it passes the limit, however it is encoded.
fn json_routes(routes: Router<AppState>, limit: usize) -> Router<AppState> {
    routes
        .layer(CompressionLayer::new().gzip(true).zstd(true))
        .layer(RequestDecompressionLayer::new().gzip(true).zstd(true))
        .layer(axum::middleware::map_request(move |req: Request<Body>| {
            std::future::ready(Ok::<_, std::convert::Infallible>(
                req.map(|body| Body::new(Limited::new(body, limit))),
            ))
        }))
}

/// Ends a request's body with an error once no byte arrived for `timeout`.
fn with_body_timeout(
    req: Request<Body>,
    timeout: Duration,
) -> Result<Request<Body>, std::convert::Infallible> {
    Ok(req.map(|body| Body::new(TimeoutBody::new(timeout, body))))
}

/// Why reading a request body failed, as the client should hear it: a body that
/// stalled (`408`), one past a size limit (`413`), or one that broke off (`400`).
pub fn body_error(error: &axum::Error, limit: usize) -> ApiError {
    match body_failure(error) {
        BodyFailure::TimedOut => ApiError::BodyTimeout(
            "the request body stopped arriving for too long; send it again".into(),
        ),
        BodyFailure::TooLarge => ApiError::TooLarge(format!(
            "the request body is larger than the limit of {limit} bytes; send smaller batches"
        )),
        BodyFailure::Broken => {
            ApiError::BadRequest(format!("could not read the request body: {error}"))
        }
    }
}

/// What ended a request body early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFailure {
    /// No byte arrived for the body read timeout.
    TimedOut,
    /// More bytes were sent than the route's limit.
    TooLarge,
    /// The connection broke, or the body could not be decoded.
    Broken,
}

/// Finds the cause of a body error among its sources (decompression wraps them in
/// `io::Error`s).
pub fn body_failure(error: &(dyn std::error::Error + 'static)) -> BodyFailure {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.is::<TimeoutError>() {
            return BodyFailure::TimedOut;
        }
        if e.is::<LengthLimitError>() {
            return BodyFailure::TooLarge;
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            let found = body_failure(inner);
            if found != BodyFailure::Broken {
                return found;
            }
        }
        next = e.source();
    }
    BodyFailure::Broken
}

/// Reads a whole request body, refusing more than `limit` bytes (after decompression)
/// with a `413` that names the limit, and a body that stalls with a `408`.
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let mut body = body;
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| body_error(&e, limit))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if buf.len() + data.len() > limit {
            drain(body, limit).await;
            return Err(ApiError::TooLarge(format!(
                "the request body is larger than the limit of {limit} bytes \
                 (after decompression); send smaller batches"
            )));
        }
        buf.extend_from_slice(&data);
    }
    Ok(buf.freeze())
}

/// Reads and drops a bounded amount of what the client is still sending, so that it is
/// done writing and reads the error response instead of seeing a reset connection.
async fn drain(mut body: Body, bound: usize) {
    let mut seen = 0usize;
    while seen <= bound {
        match body.frame().await {
            Some(Ok(frame)) => seen += frame.data_ref().map_or(0, |d| d.len()),
            _ => return,
        }
    }
}

/// Parses a JSON request body into `T`, with a clear `400` when it does not fit.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("the request body is not valid: {e}")))
}
