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
pub mod body;
pub mod enrol;
pub mod health;
pub mod pull;
pub mod push;
pub mod reference;
pub mod sync;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::{get, post};
use gridwalk_model::protocol::paths;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::auth::ClientAddr;
use crate::error::{ApiError, json_error_bodies};
pub use crate::state::AppState;
pub use body::{BodyFailure, body_failure, drain, read_body};

/// Every route the router serves, with its methods (lower case), so the OpenAPI test
/// can check the documentation against what is served. (`GET` routes also answer
/// `HEAD`, as HTTP requires.)
pub const ROUTES: &[(&str, &[&str])] = &[
    ("/health", &["get"]),
    (paths::ENROL, &["post"]),
    (paths::PUSH, &["post"]),
    (paths::PULL, &["get"]),
    (paths::REFERENCE, &["get"]),
    (gridwalk_model::wire::SYNC, &["get", "post"]),
    (paths::BLOBS, &["options", "post"]),
    ("/v1/blobs/uploads/{id}", &["head", "patch"]),
    ("/v1/blobs/{sha256}", &["get", "head"]),
    ("/v1/blobs/{sha256}/thumbnail", &["get"]),
];

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let limits = state.limits.clone();
    // Enrolment needs no token, so a stranger's body is held to the small enrolment
    // limit; the routes that need a token refuse a bad one before reading the body.
    // What is sent beyond a limit is read and dropped up to this bound, so that an
    // honest client is done sending and hears the 413 instead of a reset.
    let drain = limits.max_body_bytes.saturating_mul(2);
    let enrol_route = json_routes(
        Router::new().route(paths::ENROL, post(enrol::enrol)),
        limits.max_enrol_body_bytes,
        drain,
    );
    let token_routes = json_routes(
        Router::new()
            .route(paths::PUSH, post(push::push))
            .route(paths::PULL, get(pull::pull))
            .route(paths::REFERENCE, get(reference::reference)),
        limits.max_body_bytes,
        drain,
    );
    // `/v2` bodies carry their own compression (a shared dictionary, `sync.rs`): no
    // HTTP content coding either way, only the limit on what is sent.
    let max_body = limits.max_body_bytes;
    let v2_routes = Router::new()
        .route(gridwalk_model::wire::SYNC, get(sync::sync).post(sync::sync))
        .layer(axum::middleware::map_request(move |req: Request<Body>| {
            std::future::ready(body::with_cap(req, max_body, drain))
        }));
    let body_timeout = limits.body_read_timeout;
    Router::new()
        .route("/health", get(health::health))
        .merge(enrol_route)
        .merge(token_routes)
        .merge(v2_routes)
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
        .layer(axum::middleware::map_request(move |req: Request<Body>| {
            std::future::ready(body::with_timeout(req, body_timeout))
        }))
        .with_state(state)
}

/// Answers smaller than this go uncompressed even when the client asks: a tiny JSON
/// body barely shrinks, and compressing it costs more than it saves (the encoding and
/// `Vary` headers, chunked framing instead of a length, the frame's own header), which
/// is most of an idle pull's answer.
const MIN_COMPRESSED_BYTES: u16 = 512;

/// JSON routes: compressed answers when asked (and worth it); request bodies decompressed, with what
/// is sent (compressed) counted against `limit` as it streams, so a body too large is
/// refused as soon as it passes the limit, however it is encoded.
fn json_routes(routes: Router<AppState>, limit: usize, drain: usize) -> Router<AppState> {
    routes
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .zstd(true)
                .compress_when(DefaultPredicate::new().and(SizeAbove::new(MIN_COMPRESSED_BYTES))),
        )
        .layer(RequestDecompressionLayer::new().gzip(true).zstd(true))
        .layer(axum::middleware::map_request(move |req: Request<Body>| {
            std::future::ready(body::with_cap(req, limit, drain))
        }))
}

/// Parses a JSON request body into `T`, with a clear `400` when it does not fit.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("the request body is not valid: {e}")))
}
