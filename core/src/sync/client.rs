//! The HTTP client of the sync protocol: one `reqwest` client (rustls), the bearer
//! token, the mapping of network failures and error answers to [`CoreError`], and
//! JSON requests with retries.
//!
//! Push bodies are gzip-compressed by the client (the server accepts gzip and zstd
//! request bodies); pull and reference answers arrive compressed because the client
//! asks for gzip or zstd and decompresses them transparently.

use std::io::Write;

use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderName};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{CoreError, Result};
use crate::sync::SyncOptions;
use crate::sync::retry::RetryPolicy;
use gridwalk_model::protocol::ErrorBody;
use gridwalk_model::wire::{self, SyncRequest, SyncResponse, codec};

/// A connection to one sync server, as one enrolled device (or, before enrolment,
/// as nobody).
pub(crate) struct Client {
    http: reqwest::Client,
    /// For `/v2`, whose bodies carry their own compression: no `Accept-Encoding` and no
    /// `User-Agent`, which would be a quarter of an idle sync's bytes.
    lean: reqwest::Client,
    base: String,
    token: Option<String>,
    pub(crate) retry: RetryPolicy,
}

impl Client {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:8750`).
    pub(crate) fn new(base: &str, token: Option<String>, options: &SyncOptions) -> Result<Client> {
        let base = normalise_server_url(base)?;
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .user_agent(concat!("gridwalk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CoreError::Internal(format!("cannot build the HTTP client: {e}")))?;
        let lean = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .no_gzip()
            .no_zstd()
            .build()
            .map_err(|e| CoreError::Internal(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            lean,
            base,
            token,
            retry: options.retry,
        })
    }

    /// The server's base URL, without a trailing slash.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The absolute URL of `path` (absolute already when it starts with a scheme).
    pub(crate) fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// A request with the bearer token, when the client has one.
    pub(crate) fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        let builder = self.http.request(method, self.url(path));
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// Sends once; a network failure or an error status becomes the matching error.
    pub(crate) async fn send(&self, url: &str, request: RequestBuilder) -> Result<Response> {
        let response = request.send().await.map_err(|e| unreachable(url, &e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(status_error(response).await)
    }

    /// `GET path?query` with extra request headers, retried; the answer's headers come
    /// along, and `304 Not Modified` (to an `If-None-Match`) is an answer without a body.
    pub(crate) async fn get_json_answer<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        headers: &[(HeaderName, String)],
    ) -> Result<Answer<T>> {
        let url = &self.url(path);
        self.retry
            .run(|| async move {
                let mut request = self.request(reqwest::Method::GET, path).query(query);
                for (name, value) in headers {
                    request = request.header(name, value);
                }
                let response = request.send().await.map_err(|e| unreachable(url, &e))?;
                let headers = response.headers().clone();
                if response.status() == StatusCode::NOT_MODIFIED {
                    return Ok(Answer {
                        body: None,
                        headers,
                    });
                }
                if !response.status().is_success() {
                    return Err(status_error(response).await);
                }
                Ok(Answer {
                    body: Some(read_json(url, response).await?),
                    headers,
                })
            })
            .await
    }

    /// `POST path` with a gzip-compressed JSON body, answered with JSON. Retried only
    /// when `idempotent` (a push is; an enrolment burns its code and is not).
    pub(crate) async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        idempotent: bool,
    ) -> Result<T> {
        let url = &self.url(path);
        let compressed = &gzip_json(body)?;
        let once = || async move {
            let request = self
                .request(reqwest::Method::POST, path)
                .header(CONTENT_TYPE, "application/json")
                .header(CONTENT_ENCODING, "gzip")
                .body(compressed.clone());
            let response = self.send(url, request).await?;
            read_json(url, response).await
        };
        if idempotent {
            self.retry.run(once).await
        } else {
            once().await
        }
    }
}

impl Client {
    /// One `/v2` exchange (`GET` without a batch, `POST` with one), retried (a push is
    /// idempotent by record id): the batch is sent as compact JSON compressed with the
    /// current dictionary, and the answer read with the dictionary it names.
    pub(crate) async fn exchange(
        &self,
        query: &[(&str, String)],
        batch: Option<&SyncRequest>,
    ) -> Result<SyncResponse> {
        let url = &self.url(wire::SYNC);
        let body = match batch {
            Some(batch) => Some(compress(&serde_json::to_vec(batch).map_err(|e| {
                CoreError::Internal(format!("cannot encode the batch: {e}"))
            })?)?),
            None => None,
        };
        let body = &body;
        self.retry
            .run(|| async move {
                let mut request = match body {
                    Some(bytes) => self.lean.post(url).body(bytes.clone()),
                    None => self.lean.get(url),
                };
                request = request
                    .query(query)
                    .header(wire::DICTIONARY_HEADER, wire::CURRENT_DICTIONARY);
                if let Some(token) = &self.token {
                    request = request.bearer_auth(token);
                }
                let response = self.send(url, request).await?;
                let dictionary = match response.headers().get(wire::DICTIONARY_HEADER) {
                    None => None,
                    Some(value) => Some(
                        value
                            .to_str()
                            .ok()
                            .and_then(|v| v.parse::<u32>().ok())
                            .filter(|id| wire::dictionary(*id).is_some())
                            .ok_or_else(|| {
                                CoreError::Protocol(format!(
                                    "{url} answered with a dictionary this app does not hold"
                                ))
                            })?,
                    ),
                };
                let bytes = response.bytes().await.map_err(|e| unreachable(url, &e))?;
                let json = match dictionary {
                    Some(id) => codec::decompress(&bytes, id, MAX_ANSWER_BYTES).map_err(|e| {
                        CoreError::Protocol(format!("{url} answered with a bad zstd frame: {e}"))
                    })?,
                    None => bytes.to_vec(),
                };
                serde_json::from_slice(&json).map_err(|e| {
                    CoreError::Protocol(format!("{url} answered with unexpected JSON: {e}"))
                })
            })
            .await
    }
}

/// The most a `/v2` answer may decompress to (the server's pages are far smaller).
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// `json` compressed with the current dictionary ([`codec`]), thoroughly: a push goes
/// once over what may be a weak link.
fn compress(json: &[u8]) -> Result<Vec<u8>> {
    codec::compress(json, wire::CURRENT_DICTIONARY, codec::Effort::Thorough)
        .map_err(|e| CoreError::Internal(format!("cannot compress the batch: {e}")))
}

/// A JSON answer with its headers; `body` is `None` for `304 Not Modified`.
pub(crate) struct Answer<T> {
    /// The parsed body, or `None` when the server said the client's copy is current.
    pub(crate) body: Option<T>,
    /// The answer's headers (an `ETag`, a pull's `Reference-ETag`).
    pub(crate) headers: HeaderMap,
}

impl<T> Answer<T> {
    /// A header's value as text, when present and readable.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

/// Checks and normalises a server URL: `http(s)://host[:port]`, no trailing slash.
pub(crate) fn normalise_server_url(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| CoreError::InvalidInput(format!("server URL `{url}` is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(CoreError::InvalidInput(format!(
            "server URL `{url}` must be http:// or https:// with a host"
        )));
    }
    Ok(url.to_string())
}

/// Serialises `body` as JSON and gzips it (push batches shrink several times: the
/// records repeat their keys and item codes).
pub(crate) fn gzip_json<B: Serialize>(body: &B) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(body)
        .map_err(|e| CoreError::Internal(format!("cannot encode the request: {e}")))?;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder
        .write_all(&json)
        .and_then(|()| encoder.finish())
        .map_err(|e| CoreError::Internal(format!("cannot compress the request: {e}")))
}

/// Reads a whole JSON answer. A body cut off mid-way is a network failure (retryable);
/// a complete body that is not the expected JSON is a protocol error.
pub(crate) async fn read_json<T: DeserializeOwned>(url: &str, response: Response) -> Result<T> {
    let bytes = response.bytes().await.map_err(|e| unreachable(url, &e))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| CoreError::Protocol(format!("{url} answered with unexpected JSON: {e}")))
}

/// A network-level failure as the core's error.
pub(crate) fn unreachable(url: &str, error: &reqwest::Error) -> CoreError {
    // The error's source chain holds the useful part ("connection refused", ...).
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    CoreError::NetworkUnreachable {
        url: url.to_string(),
        reason,
    }
}

/// An error status as the core's error, with the server's code and message.
pub(crate) async fn status_error(response: Response) -> CoreError {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let body: ErrorBody = serde_json::from_str(&text).unwrap_or(ErrorBody {
        error: String::new(),
        message: text.chars().take(300).collect(),
    });
    if status == StatusCode::UNAUTHORIZED {
        return CoreError::Unauthorised {
            message: body.message,
        };
    }
    CoreError::ServerStatus {
        status: status.as_u16(),
        code: body.error,
        message: body.message,
    }
}
