//! The HTTP API: the sync protocol under `/v1` plus `/health`, as documented in
//! `sync-server/openapi.yaml`.
//!
//! JSON routes (enrol, push, pull, reference) accept gzip/zstd request bodies and
//! compress responses when the client asks; blob routes carry photo bytes as they are.

pub mod blobs;
pub mod enrol;
pub mod health;
pub mod pull;
pub mod push;
pub mod reference;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::{get, post};
use bytes::{Bytes, BytesMut};
use gridwalk_model::protocol::paths;
use http_body_util::BodyExt;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::auth::ClientAddr;
use crate::error::{ApiError, json_error_bodies};
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
    let json_routes = Router::new()
        .route(paths::ENROL, post(enrol::enrol))
        .route(paths::PUSH, post(push::push))
        .route(paths::PULL, get(pull::pull))
        .route(paths::REFERENCE, get(reference::reference))
        .layer(CompressionLayer::new().gzip(true).zstd(true))
        .layer(RequestDecompressionLayer::new().gzip(true).zstd(true));
    Router::new()
        .route("/health", get(health::health))
        .merge(json_routes)
        .merge(blobs::router())
        .fallback(|| async { ApiError::NotFound("no such route; see openapi.yaml".into()) })
        // After every route, layer and fallback: what they answer on their own gets the
        // JSON error body too.
        .layer(axum::middleware::map_response(json_error_bodies))
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
        .with_state(state)
}

/// Reads a whole request body, refusing more than `limit` bytes (after decompression)
/// with a `413` that names the limit.
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let mut body = body;
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|e| ApiError::BadRequest(format!("could not read the request body: {e}")))?;
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
