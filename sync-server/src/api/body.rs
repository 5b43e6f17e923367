//! Reading request bodies so that none can hold a request open or fill memory: every
//! body ends with an error once it goes the body read timeout without a byte
//! ([`with_timeout`]), and a JSON body is counted against its route's limit as it is
//! sent ([`with_cap`], before decompression) and again as it is decompressed
//! ([`read_body`]), all before any of it is parsed.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use bytes::{Bytes, BytesMut};
use http_body::Frame;
use http_body_util::BodyExt;
use tower_http::timeout::{TimeoutBody, TimeoutError};

use crate::error::ApiError;

/// Ends a request's body with an error once no byte arrived for `timeout`.
pub fn with_timeout(
    req: Request<Body>,
    timeout: Duration,
) -> Result<Request<Body>, std::convert::Infallible> {
    Ok(req.map(|body| Body::new(TimeoutBody::new(timeout, body))))
}

/// Ends a request's body with [`CapExceeded`] once more than `limit` bytes were sent,
/// after reading and dropping up to `drain` more, so that a client that is not hostile
/// is done sending when the `413` comes and does not see a reset connection instead.
pub fn with_cap(
    req: Request<Body>,
    limit: usize,
    drain: usize,
) -> Result<Request<Body>, std::convert::Infallible> {
    Ok(req.map(|inner| {
        Body::new(CappedBody {
            inner,
            seen: 0,
            limit,
            drain,
            over: false,
        })
    }))
}

/// A body sent past its route's limit.
#[derive(Debug, thiserror::Error)]
#[error("the request body is larger than its limit of {limit} bytes")]
pub struct CapExceeded {
    /// The limit, in bytes as sent.
    pub limit: usize,
}

/// A body counted as it streams; see [`with_cap`].
struct CappedBody {
    inner: Body,
    seen: usize,
    limit: usize,
    drain: usize,
    over: bool,
}

impl http_body::Body for CappedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let exceeded = |limit| Poll::Ready(Some(Err(axum::Error::new(CapExceeded { limit }))));
        loop {
            match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                Some(Ok(frame)) => {
                    let len = frame.data_ref().map_or(0, Bytes::len);
                    this.seen = this.seen.saturating_add(len);
                    if !this.over && this.seen <= this.limit {
                        return Poll::Ready(Some(Ok(frame)));
                    }
                    this.over = true;
                    if this.seen > this.limit.saturating_add(this.drain) {
                        return exceeded(this.limit);
                    }
                    // Over the limit: drop what comes until the client is done.
                }
                _ if this.over => return exceeded(this.limit),
                end => return Poll::Ready(end),
            }
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
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
        if e.is::<CapExceeded>() {
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

/// Why reading a request body failed, as the client should hear it: a body that
/// stalled (`408`), one past a size limit (`413`), or one that broke off (`400`).
fn body_error(error: &axum::Error, limit: usize) -> ApiError {
    match body_failure(error) {
        BodyFailure::TimedOut => ApiError::BodyTimeout(
            "the request body stopped arriving for too long; send it again".into(),
        ),
        BodyFailure::TooLarge => too_large(limit),
        BodyFailure::Broken => {
            ApiError::BadRequest(format!("could not read the request body: {error}"))
        }
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::TooLarge(format!(
        "the request body is larger than the limit of {limit} bytes \
         (after decompression); send smaller batches"
    ))
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
            return Err(too_large(limit));
        }
        buf.extend_from_slice(&data);
    }
    Ok(buf.freeze())
}

/// Reads and drops a bounded amount of what the client is still sending, so that it is
/// done writing and reads the error response instead of seeing a reset connection.
pub async fn drain(mut body: Body, bound: usize) {
    let mut seen = 0usize;
    while seen <= bound {
        match body.frame().await {
            Some(Ok(frame)) => seen += frame.data_ref().map_or(0, |d| d.len()),
            _ => return,
        }
    }
}
