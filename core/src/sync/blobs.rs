//! Photos over tus 1.0: a resumable upload that survives a dropped link, and the
//! download of photos that pulled records refer to.
//!
//! Upload of one photo: `HEAD /v1/blobs/{sha256}` first (the server may hold it
//! already: another device, or an earlier upload whose answer was lost); otherwise
//! create an upload (`POST /v1/blobs`), remember its location in the store (its
//! `photo_uploads` table, until the photo is marked uploaded) so a sync killed
//! mid-upload resumes it next time, and `PATCH` it in chunks, each with its SHA-256 in
//! `Upload-Checksum`. After any failure, `HEAD` on the upload tells the offset the
//! server really stored, and the upload goes on from there.
//!
//! A server that holds too many unfinished uploads of this device refuses a new one
//! (`429 upload_limit`, see [`is_upload_limit`]); that is not retried within a sync,
//! since only finishing or expiring uploads clears it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};

use crate::error::{CoreError, Result};
use crate::sync::chunking::ChunkSizer;
use crate::sync::client::{Client, status_error, unreachable};
use crate::sync::retry::is_retryable;

const TUS: &str = "1.0.0";

/// Lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether the server refused to open another upload because this device holds too
/// many (or too large) unfinished ones: no retry within a sync clears that.
pub(crate) fn is_upload_limit(error: &CoreError) -> bool {
    matches!(error, CoreError::ServerStatus { status: 429, code, .. } if code == "upload_limit")
}

impl Client {
    /// Whether the server holds the photo (and lets this device read it), retried.
    pub(crate) async fn server_has_blob(&self, sha256: &str) -> Result<bool> {
        let path = format!("/v1/blobs/{sha256}");
        let url = &self.url(&path);
        let path = &path;
        self.retry
            .run(|| async move {
                let response = self
                    .request(Method::HEAD, path)
                    .send()
                    .await
                    .map_err(|e| unreachable(url, &e))?;
                match response.status() {
                    StatusCode::OK => Ok(true),
                    StatusCode::NOT_FOUND => Ok(false),
                    _ => Err(status_error(response).await),
                }
            })
            .await
    }

    /// Downloads a photo and checks it hashes to its name, retried.
    pub(crate) async fn download_blob(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let path = format!("/v1/blobs/{sha256}");
        let url = &self.url(&path);
        let path = &path;
        self.retry
            .run(|| async move {
                let response = self
                    .request(Method::GET, path)
                    .send()
                    .await
                    .map_err(|e| unreachable(url, &e))?;
                if response.status() == StatusCode::NOT_FOUND {
                    return Ok(None);
                }
                if !response.status().is_success() {
                    return Err(status_error(response).await);
                }
                let bytes = response.bytes().await.map_err(|e| unreachable(url, &e))?;
                if sha256_hex(&bytes) != sha256 {
                    // A cut-off or damaged transfer: retry rather than store it.
                    return Err(CoreError::NetworkUnreachable {
                        url: url.clone(),
                        reason: "the downloaded photo does not hash to its name".into(),
                    });
                }
                Ok(Some(bytes.to_vec()))
            })
            .await
    }

    /// Downloads the thumbnail of photo `sha256`, retried: the bytes and whether the
    /// server holds the full photo yet (`Photo-State: stored`); `None` when the server
    /// has none this device may see.
    pub(crate) async fn download_thumbnail(&self, sha256: &str) -> Result<Option<(Vec<u8>, bool)>> {
        let path = format!("/v1/blobs/{sha256}/thumbnail");
        let url = &self.url(&path);
        let path = &path;
        self.retry
            .run(|| async move {
                let response = self
                    .request(Method::GET, path)
                    .send()
                    .await
                    .map_err(|e| unreachable(url, &e))?;
                if response.status() == StatusCode::NOT_FOUND {
                    return Ok(None);
                }
                if !response.status().is_success() {
                    return Err(status_error(response).await);
                }
                let stored = response
                    .headers()
                    .get("photo-state")
                    .and_then(|v| v.to_str().ok())
                    == Some("stored");
                let bytes = response.bytes().await.map_err(|e| unreachable(url, &e))?;
                Ok(Some((bytes.to_vec(), stored)))
            })
            .await
    }

    /// Creates a tus upload for `len` bytes named `sha256` (a thumbnail of the photo
    /// `thumbnail_of`, when given); returns its location.
    async fn create_upload(
        &self,
        sha256: &str,
        len: u64,
        thumbnail_of: Option<&str>,
    ) -> Result<String> {
        let url = self.url("/v1/blobs");
        let mut metadata = format!("sha256 {}", STANDARD.encode(sha256));
        if let Some(photo) = thumbnail_of {
            metadata.push_str(&format!(",thumbnail-of {}", STANDARD.encode(photo)));
        }
        let response = self
            .send(
                &url,
                self.request(Method::POST, "/v1/blobs")
                    .header("Tus-Resumable", TUS)
                    .header("Upload-Length", len.to_string())
                    .header("Upload-Metadata", metadata),
            )
            .await?;
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| CoreError::Protocol("a tus create answer without Location".into()))
    }

    /// The offset the server stored for an upload; `None` when the upload is gone.
    async fn upload_offset(&self, location: &str) -> Result<Option<u64>> {
        let url = self.url(location);
        let response = self
            .request(Method::HEAD, location)
            .header("Tus-Resumable", TUS)
            .send()
            .await
            .map_err(|e| unreachable(&url, &e))?;
        match response.status() {
            StatusCode::NOT_FOUND | StatusCode::GONE => Ok(None),
            s if s.is_success() => header_u64(&response, "upload-offset").map(Some),
            _ => Err(status_error(response).await),
        }
    }

    /// Sends one chunk at `offset`; returns the server's new offset.
    async fn patch_chunk(&self, location: &str, offset: u64, chunk: &[u8]) -> Result<u64> {
        let url = self.url(location);
        let digest = Sha256::digest(chunk);
        let response = self
            .send(
                &url,
                self.request(Method::PATCH, location)
                    .header("Tus-Resumable", TUS)
                    .header("Content-Type", "application/offset+octet-stream")
                    .header("Upload-Offset", offset.to_string())
                    .header(
                        "Upload-Checksum",
                        format!("sha256 {}", STANDARD.encode(digest)),
                    )
                    .body(chunk.to_vec()),
            )
            .await?;
        header_u64(&response, "upload-offset")
    }
}

fn header_u64(response: &reqwest::Response, name: &str) -> Result<u64> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| CoreError::Protocol(format!("a tus answer without a valid {name}")))
}

/// What one step of an upload achieved.
enum Step {
    /// The server holds every byte.
    Done,
    /// A chunk was stored; more to send.
    Progress,
    /// The upload is gone on the server; create a new one.
    Restart,
}

/// Where an upload stands, saved between attempts (and between syncs).
pub(crate) trait UploadState: Sync {
    /// The saved location of the photo's unfinished upload.
    fn load(&self) -> Result<Option<String>>;
    /// Saves (or with `None` forgets) the location.
    fn save(&self, location: Option<&str>) -> Result<()>;
}

/// Uploads `bytes` named `sha256` (a thumbnail of the photo `thumbnail_of`, when
/// given) with tus, resuming a saved upload when there is one,
/// in chunks `sizer` sizes to the link (and learns from). `on_sent` is told each
/// chunk's size as the server confirms it. Returns the bytes sent. Retries are bounded: `client.retry.attempts` failures in a row without
/// progress give up with the last error.
pub(crate) async fn upload(
    client: &Client,
    sha256: &str,
    thumbnail_of: Option<&str>,
    bytes: &[u8],
    sizer: &mut ChunkSizer,
    state: &dyn UploadState,
    on_sent: &mut (dyn FnMut(u64) + Send),
) -> Result<u64> {
    let len = bytes.len() as u64;
    let mut sent = 0u64;
    let mut failures = 0u32;
    let mut location = state.load()?;
    // The server's offset, when known for sure (after a create or a confirmed chunk).
    let mut offset: Option<u64> = None;
    loop {
        let step: Result<Step> = async {
            let loc = match &location {
                Some(loc) => loc.clone(),
                None => {
                    let loc = client.create_upload(sha256, len, thumbnail_of).await?;
                    state.save(Some(&loc))?;
                    location = Some(loc.clone());
                    offset = Some(0);
                    loc
                }
            };
            let at = match offset {
                Some(at) => at,
                None => match client.upload_offset(&loc).await? {
                    Some(at) => at,
                    None => {
                        // The server forgot the upload (finished and cleaned up, or
                        // discarded): start over with a new one.
                        state.save(None)?;
                        location = None;
                        return Ok(Step::Restart);
                    }
                },
            };
            if at >= len {
                return Ok(Step::Done);
            }
            let end = (at as usize).saturating_add(sizer.next()).min(bytes.len());
            let chunk = &bytes[at as usize..end];
            offset = None;
            let started = std::time::Instant::now();
            let new_offset = client.patch_chunk(&loc, at, chunk).await?;
            sizer.confirmed(chunk.len(), started.elapsed());
            sent += chunk.len() as u64;
            on_sent(chunk.len() as u64);
            offset = Some(new_offset);
            failures = 0;
            Ok(if new_offset >= len {
                Step::Done
            } else {
                Step::Progress
            })
        }
        .await;
        match step {
            Ok(Step::Done) => {
                state.save(None)?;
                return Ok(sent);
            }
            Ok(Step::Progress) => {}
            Ok(Step::Restart) => {
                failures += 1;
                if failures >= client.retry.attempts.max(1) {
                    return Err(CoreError::Protocol(format!(
                        "the server keeps forgetting the upload of photo {sha256}"
                    )));
                }
            }
            Err(e) if is_upload_limit(&e) => return Err(e),
            Err(e) => {
                sizer.failed();
                let resumable = is_retryable(&e)
                    || matches!(&e, CoreError::ServerStatus { status, .. }
                        if *status == 409 || *status == 460 || *status == 400);
                if matches!(&e, CoreError::ServerStatus { status: 404, .. }) {
                    // The upload is gone (another device's, expired): start over.
                    state.save(None)?;
                    location = None;
                } else if matches!(&e, CoreError::ServerStatus { status: 422, .. }) {
                    // The finished bytes did not hash to their name: the local file is
                    // damaged; retrying sends the same bytes. Give up on this photo.
                    state.save(None)?;
                    return Err(e);
                } else if !resumable {
                    return Err(e);
                }
                failures += 1;
                if failures >= client.retry.attempts.max(1) {
                    return Err(e);
                }
                tokio::time::sleep(client.retry.delay(failures - 1)).await;
                offset = None;
            }
        }
    }
}
