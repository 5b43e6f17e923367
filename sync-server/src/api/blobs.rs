//! Photo blobs over tus 1.0 (core, creation and checksum extensions) and their download.
//!
//! - `OPTIONS /v1/blobs`: what this tus server supports.
//! - `POST /v1/blobs` with `Upload-Length` and `Upload-Metadata: sha256 <base64 of the
//!   hex name>`: creates an upload; `201` with its `Location`.
//! - `HEAD /v1/blobs/uploads/{id}`: the stored offset, to resume after a drop. It
//!   equals the length only once the blob is stored: an upload whose bytes are all
//!   written but which a crash kept from finishing is finished first.
//! - `PATCH /v1/blobs/uploads/{id}` with `Upload-Offset` (and optionally
//!   `Upload-Checksum: sha256 <base64>`): appends a chunk. When the last byte arrives
//!   the whole upload must hash to its name, or it is discarded with `422`.
//! - `GET /v1/blobs/{sha256}`: the photo, for its uploaders and for callers who may
//!   read a record its uploader attached it to ([`crate::scope::may_read_blob`]).
//! - `POST /v1/blobs` with `thumbnail-of <base64 of the photo's name>` in its metadata
//!   as well: a thumbnail (at most [`MAX_THUMBNAIL_BYTES`]), checked against its own
//!   name like any blob; when it finishes, its uploader's link to the photo is kept.
//! - `GET /v1/blobs/{sha256}/thumbnail`: the photo's thumbnail, with `Photo-State:
//!   stored` or `pending` (the full photo has not arrived yet), so records and their
//!   thumbnails can travel before the full photos over a slow link. A link counts
//!   only as its person's word: it is served through the records *that person*
//!   attached the photo to, as if they had uploaded the photo, and grants nothing on
//!   the photo itself.
//!
//! A chunk without a checksum that is cut off mid-way keeps the bytes that arrived, so
//! the client resumes from there; a chunk with a checksum is stored whole or not at all.
//!
//! No PATCH can wedge its upload: the upload's lock is held only while its offset is
//! checked and a chunk is written, never while a body is read. A PATCH at the stored
//! offset takes the upload over; a PATCH still reading a body for it (a phone that
//! switched networks mid-chunk leaves one on a half-open connection) is told, stops at
//! once without writing, and its connection is closed. A body that stalls with nobody
//! taking over ends after the body read timeout.
//!
//! Unfinished uploads expire [`Limits::upload_expiry`] after they were created
//! (`Upload-Expires` on every answer about one, as in the tus expiration extension);
//! [`sweep_expired_uploads`] removes them and their bytes. A device holding
//! [`Limits::max_open_uploads_per_device`] unfinished uploads, or whose unfinished
//! uploads declare [`Limits::max_upload_bytes_per_device`] bytes, cannot create another
//! (`429 upload_limit`, with `Retry-After` until its oldest one expires).
//!
//! [`Limits::upload_expiry`]: crate::config::Limits::upload_expiry
//! [`Limits::max_open_uploads_per_device`]: crate::config::Limits::max_open_uploads_per_device
//! [`Limits::max_upload_bytes_per_device`]: crate::config::Limits::max_upload_bytes_per_device

use std::collections::HashSet;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, head, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::BytesMut;
use chrono::{DateTime, Utc};
use gridwalk_model::evidence::is_sha256_hex;
use gridwalk_model::protocol::paths;
use http_body_util::BodyExt;

use super::{AppState, BodyFailure, body_failure, drain};
use crate::auth::Caller;
use crate::error::{ApiError, blocking};
use crate::scope::{CaseScopes, blob_references, may_read_blob, may_read_photo};
use crate::state::UploadWriter;
use crate::storage::{FinishOutcome, Upload, UploadAdmission, UploadCap, sha256_hex};

const TUS_VERSION: &str = "1.0.0";

/// The blob routes, each answer carrying `Tus-Resumable`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::BLOBS, post(create).options(options))
        .route("/v1/blobs/uploads/{id}", head(offset).patch(patch))
        .route("/v1/blobs/{sha256}", get(download))
        .route("/v1/blobs/{sha256}/thumbnail", get(thumbnail))
        .layer(axum::middleware::map_response(
            |mut response: Response| async move {
                response
                    .headers_mut()
                    .insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
                response
            },
        ))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn require_tus(headers: &HeaderMap) -> Result<(), ApiError> {
    match header_str(headers, "tus-resumable") {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(ApiError::TusVersion),
    }
}

fn header_value(text: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(text).map_err(|e| ApiError::Internal(format!("header value: {e}")))
}

/// `OPTIONS /v1/blobs`: the tus capabilities. Needs no token: it reveals nothing but
/// the protocol, and tus clients ask before they authenticate.
pub async fn options(State(state): State<AppState>) -> Result<Response, ApiError> {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert("tus-version", HeaderValue::from_static(TUS_VERSION));
    h.insert(
        "tus-extension",
        HeaderValue::from_static("creation,checksum"),
    );
    h.insert("tus-checksum-algorithm", HeaderValue::from_static("sha256"));
    h.insert(
        "tus-max-size",
        header_value(&state.limits.max_photo_bytes.to_string())?,
    );
    Ok(response)
}

/// Most bytes a thumbnail may have: a 256 px JPEG is a few KiB, so anything larger is
/// not one, and a link to a photo cannot carry a photo's worth of bytes.
pub const MAX_THUMBNAIL_BYTES: u64 = 64 * 1024;

/// Reads the `key` entry of `Upload-Metadata` (`key base64,key base64`) as a photo name
/// (lower-case hex SHA-256); `None` when the entry is absent.
fn metadata_hash(headers: &HeaderMap, key: &str) -> Result<Option<String>, ApiError> {
    let Some(metadata) = header_str(headers, "upload-metadata") else {
        return Ok(None);
    };
    for pair in metadata.split(',') {
        let mut parts = pair.trim().splitn(2, ' ');
        if parts.next() != Some(key) {
            continue;
        }
        let value = parts.next().ok_or_else(|| {
            ApiError::BadRequest(format!("Upload-Metadata {key} carries no value"))
        })?;
        let decoded = STANDARD
            .decode(value.trim())
            .map_err(|_| ApiError::BadRequest(format!("Upload-Metadata {key} is not base64")))?;
        let name = String::from_utf8(decoded)
            .map_err(|_| ApiError::BadRequest(format!("Upload-Metadata {key} is not text")))?;
        if !is_sha256_hex(&name) {
            return Err(ApiError::BadRequest(format!(
                "Upload-Metadata {key} `{name}` is not a lower-case hex SHA-256"
            )));
        }
        return Ok(Some(name));
    }
    Ok(None)
}

/// Reads the `sha256` entry of `Upload-Metadata`, which every upload must carry.
fn metadata_sha256(headers: &HeaderMap) -> Result<String, ApiError> {
    metadata_hash(headers, "sha256")?.ok_or_else(|| {
        ApiError::BadRequest(
            "Upload-Metadata must carry `sha256 <base64 of the photo's hex SHA-256>`".into(),
        )
    })
}

/// `POST /v1/blobs`: creates an upload.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_tus(&headers)?;
    if headers.contains_key("upload-defer-length") {
        return Err(ApiError::BadRequest(
            "Upload-Defer-Length is not supported; send Upload-Length".into(),
        ));
    }
    let length: u64 = header_str(&headers, "upload-length")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| ApiError::BadRequest("send Upload-Length: <bytes>".into()))?;
    let max = state.limits.max_photo_bytes;
    if length > max {
        return Err(ApiError::TooLarge(format!(
            "the photo is {length} bytes, the limit is {max} bytes"
        )));
    }
    if length == 0 {
        return Err(ApiError::BadRequest("an empty file is not a photo".into()));
    }
    let per_device = state.limits.max_upload_bytes_per_device;
    if length > per_device {
        // It could never fit, however long the device waited.
        return Err(ApiError::TooLarge(format!(
            "the photo is {length} bytes, more than the {per_device} bytes a device's \
             unfinished uploads may declare"
        )));
    }
    let sha256 = metadata_sha256(&headers)?;
    let thumbnail_of = metadata_hash(&headers, "thumbnail-of")?;
    if thumbnail_of.is_some() && length > MAX_THUMBNAIL_BYTES {
        return Err(ApiError::TooLarge(format!(
            "a thumbnail is at most {MAX_THUMBNAIL_BYTES} bytes; this one declares {length}"
        )));
    }
    if thumbnail_of.as_deref() == Some(sha256.as_str()) {
        return Err(ApiError::BadRequest(
            "a photo is not a thumbnail of itself".into(),
        ));
    }
    let now = Utc::now();
    let upload = Upload {
        id: uuid::Uuid::now_v7().to_string(),
        sha256,
        length,
        device: caller.device.clone(),
        person: caller.person.id.clone(),
        done: false,
        thumbnail_of,
        created_at: now,
    };
    let location = format!("{}/uploads/{}", paths::BLOBS, upload.id);
    let expiry = state.limits.upload_expiry();
    let cap = UploadCap {
        max_open: state.limits.max_open_uploads_per_device,
        max_bytes: state.limits.max_upload_bytes_per_device,
        live_since: now - expiry,
    };
    let (store, blobs) = (state.store.clone(), state.blobs.clone());
    let created = upload.clone();
    let admission = blocking(move || {
        // The file first: a crash before the row leaves only a file, which the sweep
        // removes; a row never names a missing file.
        blobs.start_upload(&created.id)?;
        let admission = store.create_upload(&created, &cap)?;
        if admission != UploadAdmission::Admitted {
            blobs.discard_upload(&created.id)?;
        }
        Ok(admission)
    })
    .await?;
    if let UploadAdmission::Refused {
        open,
        bytes,
        oldest,
    } = admission
    {
        let retry_after_secs = oldest
            .map(|at| (at + expiry - now).num_seconds())
            .unwrap_or(0)
            .max(1) as u64;
        tracing::warn!(open, bytes, length, "upload refused: device at its cap");
        return Err(ApiError::UploadLimit {
            message: format!(
                "this device holds {open} unfinished uploads declaring {bytes} bytes;                  the limit is {} uploads and {} bytes. Finish or resume them before                  starting more; unfinished uploads expire after {} hours",
                cap.max_open,
                cap.max_bytes,
                expiry.num_hours()
            ),
            retry_after_secs,
        });
    }
    tracing::info!(upload = %upload.id, length, "upload created");
    let mut response = StatusCode::CREATED.into_response();
    let h = response.headers_mut();
    h.insert(header::LOCATION, header_value(&location)?);
    h.insert("upload-offset", HeaderValue::from_static("0"));
    h.insert("upload-expires", expires_header(&state, &upload)?);
    Ok(response)
}

/// When an unfinished upload expires.
fn expires_at(state: &AppState, upload: &Upload) -> DateTime<Utc> {
    upload.created_at + state.limits.upload_expiry()
}

/// `Upload-Expires`: the expiry as an HTTP date, as the tus expiration extension has it.
fn expires_header(state: &AppState, upload: &Upload) -> Result<HeaderValue, ApiError> {
    header_value(
        &expires_at(state, upload)
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string(),
    )
}

/// The caller's own upload; another device's upload is reported as absent.
async fn own_upload(state: &AppState, caller: &Caller, id: String) -> Result<Upload, ApiError> {
    let store = state.store.clone();
    let upload = blocking(move || Ok(store.upload(&id)?)).await?;
    let upload = upload
        .filter(|u| u.device == caller.device)
        .ok_or_else(|| ApiError::NotFound("no such upload; create a new one".into()))?;
    if !upload.done && expires_at(state, &upload) <= Utc::now() {
        // The sweep removes it soon; until then it is as gone as after.
        return Err(ApiError::NotFound(
            "the upload expired; create a new one".into(),
        ));
    }
    Ok(upload)
}

/// Removes every unfinished upload older than the upload expiry, with its bytes, and
/// upload files no upload names that are as old (a crash between writing the file and
/// recording the upload). A PATCH still writing an expired upload is stopped first.
/// Returns how many uploads were removed.
pub async fn sweep_expired_uploads(state: &AppState) -> Result<usize, ApiError> {
    let expiry = state.limits.upload_expiry();
    let cutoff = Utc::now() - expiry;
    let store = state.store.clone();
    let expired = blocking(move || Ok(store.unfinished_uploads_created_before(cutoff)?)).await?;
    for id in &expired {
        let slot = state.uploads.slot(id);
        let _guard = slot.commit.lock().await;
        slot.stop_writers();
        let (st, upload_id) = (state.clone(), id.clone());
        blocking(move || {
            st.blobs.discard_upload(&upload_id)?;
            st.store.delete_upload(&upload_id)?;
            Ok(())
        })
        .await?;
        state.uploads.forget(id);
        tracing::info!(upload = %id, "unfinished upload expired and removed");
    }
    let st = state.clone();
    let files_before = std::time::SystemTime::now()
        .checked_sub(expiry.to_std().unwrap_or_default())
        .unwrap_or(std::time::UNIX_EPOCH);
    let orphans = blocking(move || {
        let open: HashSet<String> = st.store.unfinished_upload_ids()?.into_iter().collect();
        Ok(st.blobs.remove_stale_upload_files(files_before, &open)?)
    })
    .await?;
    if orphans > 0 {
        tracing::info!(files = orphans, "removed upload files no upload names");
    }
    Ok(expired.len())
}

/// Checks a complete upload's bytes against its name, stores the blob and records the
/// uploader. Idempotent, so it also finishes what a crash interrupted: the blob may
/// already be stored (renamed) while the upload row still says unfinished.
fn finish_complete(state: &AppState, up: &Upload) -> Result<(), ApiError> {
    if state.blobs.upload_offset(&up.id)?.is_none() {
        // The bytes became the blob before the crash; only the bookkeeping is left.
        if state.blobs.has_blob(&up.sha256)? {
            state.store.finish_upload(&up.id)?;
            return Ok(());
        }
        state.store.delete_upload(&up.id)?;
        return Err(ApiError::NotFound(
            "the upload's bytes are gone; create a new one".into(),
        ));
    }
    match state.blobs.finish(&up.id, &up.sha256)? {
        FinishOutcome::Stored => {
            state.store.finish_upload(&up.id)?;
            Ok(())
        }
        FinishOutcome::HashMismatch { actual } => {
            state.store.delete_upload(&up.id)?;
            Err(ApiError::HashMismatch(format!(
                "the uploaded bytes hash to {actual}, not to their name {}; \
                 the upload was discarded, upload the photo again",
                up.sha256
            )))
        }
    }
}

/// The offset an upload really has, settling what a crash left behind first: an
/// unfinished upload whose bytes are all stored is finished now (hash checked, blob
/// stored, uploader recorded), so the answer never claims `Upload-Length` for a blob
/// that does not exist. Call with the upload's `commit` lock held.
async fn settled_offset(state: &AppState, upload: &Upload) -> Result<u64, ApiError> {
    if upload.done {
        return Ok(upload.length);
    }
    let (st, up) = (state.clone(), upload.clone());
    let result = blocking(move || {
        let stored = st.blobs.upload_offset(&up.id)?;
        match stored {
            Some(at) if at < up.length => Ok(at),
            // Complete bytes (or already renamed into the blob): finish them now.
            _ => finish_complete(&st, &up).map(|()| up.length),
        }
    })
    .await;
    if !matches!(result, Ok(at) if at < upload.length) {
        // Finished or discarded: nobody will change this upload again.
        state.uploads.forget(&upload.id);
        if result.is_ok() {
            tracing::info!(upload = %upload.id, "complete upload finished after an interruption");
        }
    }
    result
}

/// `HEAD /v1/blobs/uploads/{id}`: how much of the upload is stored.
pub async fn offset(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_tus(&headers)?;
    let upload = own_upload(&state, &caller, id).await?;
    let slot = state.uploads.slot(&upload.id);
    let offset = {
        // Never waits on a body being read: the lock is only held to write.
        let _guard = slot.commit.lock().await;
        settled_offset(&state, &upload).await?
    };
    let mut response = StatusCode::OK.into_response();
    let h = response.headers_mut();
    h.insert("upload-offset", header_value(&offset.to_string())?);
    h.insert("upload-length", header_value(&upload.length.to_string())?);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if offset < upload.length {
        h.insert("upload-expires", expires_header(&state, &upload)?);
    }
    Ok(response)
}

/// Parses `Upload-Checksum: sha256 <base64>` into the expected digest bytes.
fn chunk_checksum(headers: &HeaderMap) -> Result<Option<Vec<u8>>, ApiError> {
    let Some(value) = header_str(headers, "upload-checksum") else {
        return Ok(None);
    };
    let (algorithm, digest) = value
        .trim()
        .split_once(' ')
        .ok_or_else(|| ApiError::BadRequest("Upload-Checksum is `<algorithm> <base64>`".into()))?;
    if algorithm != "sha256" {
        return Err(ApiError::BadRequest(format!(
            "checksum algorithm `{algorithm}` is not supported; use sha256"
        )));
    }
    STANDARD
        .decode(digest.trim())
        .map(Some)
        .map_err(|_| ApiError::BadRequest("Upload-Checksum digest is not base64".into()))
}

/// `PATCH /v1/blobs/uploads/{id}`: appends one chunk.
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let accepted = async {
        require_tus(&headers)?;
        if header_str(&headers, "content-type") != Some("application/offset+octet-stream") {
            return Err(ApiError::UnsupportedMediaType(
                "a PATCH body must be Content-Type: application/offset+octet-stream".into(),
            ));
        }
        let claimed: u64 = header_str(&headers, "upload-offset")
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| ApiError::BadRequest("send Upload-Offset: <bytes>".into()))?;
        let checksum = chunk_checksum(&headers)?;
        let upload = own_upload(&state, &caller, id).await?;

        // Check the offset and take the upload over, under its lock; then read the body
        // without it, so a newer PATCH can take over from this one if it stalls.
        let slot = state.uploads.slot(&upload.id);
        let _guard = slot.commit.lock().await;
        let offset = settled_offset(&state, &upload).await?;
        if claimed != offset {
            return Err(ApiError::Conflict(format!(
                "Upload-Offset {claimed} does not match the stored offset {offset}; \
                 HEAD the upload and resume from there"
            )));
        }
        let writer = slot.take_over();
        Ok((checksum, upload, slot.clone(), offset, writer))
    }
    .await;
    let (checksum, upload, slot, offset, mut writer) = match accepted {
        Ok(accepted) => accepted,
        Err(refusal) => {
            // The device (authenticated) is still sending its chunk: read it to the end,
            // at most one photo's worth, so that it hears the refusal (a stale offset is
            // the usual one, after a lost answer) instead of a reset connection.
            let bound = usize::try_from(state.limits.max_photo_bytes).unwrap_or(usize::MAX);
            drain(body, bound).await;
            return Err(refusal);
        }
    };
    let remaining = upload.length - offset;
    let (chunk, cut_off) = match read_chunk(body, remaining, &mut writer).await? {
        Chunk::Whole(bytes) => (bytes, None),
        Chunk::CutOff(bytes, why) => (bytes, Some(why)),
        Chunk::Superseded => {
            tracing::info!(upload = %upload.id, offset, "a newer PATCH took the upload over");
            return Err(ApiError::Conflict(
                "a newer PATCH of this upload took over; this one was dropped".into(),
            ));
        }
    };
    if let Some(expected) = &checksum {
        if let Some(why) = cut_off {
            return Err(cut_off_error(why, "it was not stored"));
        }
        let actual =
            hex::decode(sha256_hex(&chunk)).map_err(|e| ApiError::Internal(format!("hex: {e}")))?;
        if &actual != expected {
            return Err(ApiError::ChecksumMismatch(
                "the chunk does not match its Upload-Checksum; it was not stored".into(),
            ));
        }
    }
    if offset == upload.length {
        // Already finished (perhaps just now, after a restart): an empty PATCH at the
        // end is answered with the offset, as tus asks; read_chunk refused any bytes.
        return offset_answer(&state, &upload, offset);
    }
    let _guard = slot.commit.lock().await;
    if !slot.is_current(&writer) {
        // Taken over while the last bytes arrived: the newer PATCH writes them.
        return Err(ApiError::Conflict(
            "a newer PATCH of this upload took over; this one was dropped".into(),
        ));
    }
    let (st, up) = (state.clone(), upload.clone());
    let new_offset = blocking(move || {
        let new_offset = if chunk.is_empty() {
            offset
        } else {
            st.blobs.append(&up.id, offset, &chunk)?
        };
        if new_offset < up.length {
            return Ok(new_offset);
        }
        finish_complete(&st, &up).map(|()| new_offset)
    })
    .await;
    if new_offset.as_ref().map_or(true, |o| *o == upload.length) {
        // Finished or discarded: nobody will PATCH this upload again.
        state.uploads.forget(&upload.id);
    }
    let new_offset = new_offset?;
    if let Some(why) = cut_off {
        tracing::warn!(upload = %upload.id, offset = new_offset, "chunk cut off; kept what arrived");
        return Err(cut_off_error(why, "what arrived was kept"));
    }
    tracing::info!(upload = %upload.id, offset = new_offset, length = upload.length, "chunk stored");
    offset_answer(&state, &upload, new_offset)
}

/// The answer to a chunk that ended early: `408` when it stalled, `400` when the
/// connection broke.
fn cut_off_error(why: BodyFailure, kept: &str) -> ApiError {
    match why {
        BodyFailure::TimedOut => ApiError::BodyTimeout(format!(
            "the chunk stopped arriving for too long; {kept}. HEAD the upload and resume"
        )),
        _ => ApiError::BadRequest(format!("the chunk was cut off; {kept}")),
    }
}

/// `204` with the upload's new offset (and, while unfinished, its expiry).
fn offset_answer(state: &AppState, upload: &Upload, offset: u64) -> Result<Response, ApiError> {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert("upload-offset", header_value(&offset.to_string())?);
    if offset < upload.length {
        h.insert("upload-expires", expires_header(state, upload)?);
    }
    Ok(response)
}

/// How reading a chunk ended.
enum Chunk {
    /// The whole body arrived.
    Whole(Vec<u8>),
    /// The body ended early (the connection broke, or it stalled past the body read
    /// timeout); these bytes arrived before.
    CutOff(Vec<u8>, BodyFailure),
    /// Another PATCH took the upload over; nothing read counts.
    Superseded,
}

/// Reads a chunk of at most `remaining` bytes, giving up at once when `writer` is
/// superseded.
async fn read_chunk(
    body: Body,
    remaining: u64,
    writer: &mut UploadWriter,
) -> Result<Chunk, ApiError> {
    let mut body = body;
    let mut buf = BytesMut::new();
    loop {
        let frame = tokio::select! {
            frame = body.frame() => frame,
            () = writer.superseded() => return Ok(Chunk::Superseded),
        };
        let Some(frame) = frame else {
            return Ok(Chunk::Whole(buf.to_vec()));
        };
        let frame = match frame {
            Ok(frame) => frame,
            Err(e) => return Ok(Chunk::CutOff(buf.to_vec(), body_failure(&e))),
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if (buf.len() + data.len()) as u64 > remaining {
            return Err(ApiError::TooLarge(format!(
                "the chunk goes past Upload-Length; only {remaining} more bytes are expected"
            )));
        }
        buf.extend_from_slice(&data);
    }
}

/// `GET /v1/blobs/{sha256}`: a stored photo, for callers who may see it. A photo the
/// caller may not see is reported as absent, so its existence does not leak.
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("no photo {sha256} that you may see"));
    if !is_sha256_hex(&sha256) {
        return Err(not_found());
    }
    let (store, blobs) = (state.store.clone(), state.blobs.clone());
    let name = sha256.clone();
    let bytes = blocking(move || {
        let register = store.register()?;
        if !may_read_photo(
            &caller.person,
            &name,
            store.as_ref(),
            &register.tree,
            &mut CaseScopes::default(),
        )? {
            return Ok(None);
        }
        Ok(blobs.read_blob(&name)?)
    })
    .await?
    .ok_or_else(not_found)?;
    let mut response = Body::from(bytes).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    Ok(response)
}

/// `GET /v1/blobs/{sha256}/thumbnail`: the thumbnail of a photo, for callers who may
/// see the photo through the records of whoever linked the thumbnail (see the module
/// docs), with `Photo-State` saying whether the full photo is stored yet. Absent for
/// anyone else, as the photo is.
pub async fn thumbnail(
    State(state): State<AppState>,
    caller: Caller,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("no thumbnail of {sha256} that you may see"));
    if !is_sha256_hex(&sha256) {
        return Err(not_found());
    }
    let (store, blobs) = (state.store.clone(), state.blobs.clone());
    let name = sha256.clone();
    let found = blocking(move || {
        let links = store.thumbnail_links(&name)?;
        if links.is_empty() {
            return Ok(None);
        }
        let register = store.register()?;
        let referring = blob_references(&name, store.as_ref(), &mut CaseScopes::default())?;
        // Each link on its own: the linker stands in for the photo's uploader, so only
        // records they attached the photo to (or their own link) let the caller see it.
        for (person, thumbnail) in links {
            if !may_read_blob(
                &caller.person,
                std::slice::from_ref(&person),
                &referring,
                &register.tree,
            ) {
                continue;
            }
            let Some(bytes) = blobs.read_blob(&thumbnail)? else {
                continue;
            };
            let stored = blobs.has_blob(&name)?;
            return Ok(Some((bytes, stored)));
        }
        Ok(None)
    })
    .await?
    .ok_or_else(not_found)?;
    let (bytes, stored) = found;
    let mut response = Body::from(bytes).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    // The state changes when the full photo arrives, so the answer is not cached.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "photo-state",
        HeaderValue::from_static(if stored { "stored" } else { "pending" }),
    );
    Ok(response)
}
