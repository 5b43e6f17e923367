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
//!
//! A chunk without a checksum that is cut off mid-way keeps the bytes that arrived, so
//! the client resumes from there; a chunk with a checksum is stored whole or not at all.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, head, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::BytesMut;
use gridwalk_model::evidence::is_sha256_hex;
use gridwalk_model::protocol::paths;
use http_body_util::BodyExt;

use super::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, blocking};
use crate::scope::{BlobReference, UnitTree, may_read_blob};
use crate::storage::{FinishOutcome, Upload, sha256_hex};

const TUS_VERSION: &str = "1.0.0";

/// The blob routes, each answer carrying `Tus-Resumable`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::BLOBS, post(create).options(options))
        .route("/v1/blobs/uploads/{id}", head(offset).patch(patch))
        .route("/v1/blobs/{sha256}", get(download))
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

/// Reads the `sha256` entry of `Upload-Metadata` (`key base64,key base64`).
fn metadata_sha256(headers: &HeaderMap) -> Result<String, ApiError> {
    let missing = || {
        ApiError::BadRequest(
            "Upload-Metadata must carry `sha256 <base64 of the photo's hex SHA-256>`".into(),
        )
    };
    let metadata = header_str(headers, "upload-metadata").ok_or_else(missing)?;
    for pair in metadata.split(',') {
        let mut parts = pair.trim().splitn(2, ' ');
        if parts.next() != Some("sha256") {
            continue;
        }
        let value = parts.next().ok_or_else(missing)?;
        let decoded = STANDARD
            .decode(value.trim())
            .map_err(|_| ApiError::BadRequest("Upload-Metadata sha256 is not base64".into()))?;
        let name = String::from_utf8(decoded)
            .map_err(|_| ApiError::BadRequest("Upload-Metadata sha256 is not text".into()))?;
        if !is_sha256_hex(&name) {
            return Err(ApiError::BadRequest(format!(
                "Upload-Metadata sha256 `{name}` is not a lower-case hex SHA-256"
            )));
        }
        return Ok(name);
    }
    Err(missing())
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
    let sha256 = metadata_sha256(&headers)?;
    let upload = Upload {
        id: uuid::Uuid::now_v7().to_string(),
        sha256,
        length,
        device: caller.device.clone(),
        person: caller.person.id.clone(),
        done: false,
    };
    let location = format!("{}/uploads/{}", paths::BLOBS, upload.id);
    let (store, blobs) = (state.store.clone(), state.blobs.clone());
    let id = upload.id.clone();
    blocking(move || {
        blobs.start_upload(&upload.id)?;
        store.create_upload(&upload)?;
        Ok(())
    })
    .await?;
    tracing::info!(upload = %id, length, "upload created");
    let mut response = StatusCode::CREATED.into_response();
    response
        .headers_mut()
        .insert(header::LOCATION, header_value(&location)?);
    response
        .headers_mut()
        .insert("upload-offset", HeaderValue::from_static("0"));
    Ok(response)
}

/// The caller's own upload; another device's upload is reported as absent.
async fn own_upload(state: &AppState, caller: &Caller, id: String) -> Result<Upload, ApiError> {
    let store = state.store.clone();
    let upload = blocking(move || Ok(store.upload(&id)?)).await?;
    upload
        .filter(|u| u.device == caller.device)
        .ok_or_else(|| ApiError::NotFound("no such upload; create a new one".into()))
}

/// The lock that lets one request at a time change an upload.
fn upload_lock(state: &AppState, id: &str) -> Result<Arc<tokio::sync::Mutex<()>>, ApiError> {
    let mut locks = state
        .upload_locks
        .lock()
        .map_err(|_| ApiError::Internal("upload lock poisoned".into()))?;
    Ok(Arc::clone(locks.entry(id.to_string()).or_default()))
}

/// Forgets the lock of an upload nobody will change again (finished or discarded).
fn forget_lock(state: &AppState, id: &str) {
    if let Ok(mut locks) = state.upload_locks.lock() {
        locks.remove(id);
    }
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
/// that does not exist. Call with the upload's lock held.
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
        forget_lock(state, &upload.id);
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
    let lock = upload_lock(&state, &upload.id)?;
    let offset = {
        let _guard = lock.lock().await;
        settled_offset(&state, &upload).await?
    };
    let mut response = StatusCode::OK.into_response();
    let h = response.headers_mut();
    h.insert("upload-offset", header_value(&offset.to_string())?);
    h.insert("upload-length", header_value(&upload.length.to_string())?);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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

    // One PATCH at a time per upload: a client that resumes while its dropped request
    // is still being handled waits for it instead of interleaving bytes.
    let lock = upload_lock(&state, &upload.id)?;
    let _guard = lock.lock().await;

    let offset = settled_offset(&state, &upload).await?;
    if claimed != offset {
        return Err(ApiError::Conflict(format!(
            "Upload-Offset {claimed} does not match the stored offset {offset}; \
             HEAD the upload and resume from there"
        )));
    }
    let remaining = upload.length - offset;
    let (chunk, cut_off) = read_chunk(body, remaining).await?;
    if let Some(expected) = &checksum {
        if cut_off {
            return Err(ApiError::BadRequest(
                "the chunk was cut off; it was not stored".into(),
            ));
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
        return offset_answer(offset);
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
        forget_lock(&state, &upload.id);
    }
    let new_offset = new_offset?;
    if cut_off {
        tracing::warn!(upload = %upload.id, offset = new_offset, "chunk cut off; kept what arrived");
        return Err(ApiError::BadRequest("the chunk was cut off".into()));
    }
    tracing::info!(upload = %upload.id, offset = new_offset, length = upload.length, "chunk stored");
    offset_answer(new_offset)
}

/// `204` with the upload's new offset.
fn offset_answer(offset: u64) -> Result<Response, ApiError> {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert("upload-offset", header_value(&offset.to_string())?);
    Ok(response)
}

/// Reads a chunk of at most `remaining` bytes; `true` when the connection broke first.
async fn read_chunk(body: Body, remaining: u64) -> Result<(Vec<u8>, bool), ApiError> {
    let mut body = body;
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Ok((buf.to_vec(), true));
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
    Ok((buf.to_vec(), false))
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
        let tree = UnitTree::new(&store.units()?);
        let mut referring = Vec::new();
        for link in store.records_with_blob(&name)? {
            let case = match &link.record.case_id {
                Some(id) => store.case_scope(id)?,
                None => None,
            };
            referring.push(BlobReference { link, case });
        }
        let uploaders = store.blob_uploaders(&name)?;
        if !may_read_blob(&caller.person, &uploaders, &referring, &tree) {
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
