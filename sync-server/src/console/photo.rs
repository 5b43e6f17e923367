//! Photos in the console: a photo of a fix stored through the same bookkeeping as a
//! phone's tus upload (the photo size limit, the device's open-upload caps, the bytes
//! hashed to their name, the uploader recorded), and a photo shown to whoever the API
//! would give it to ([`may_read_blob`]), or its thumbnail while the full photo is
//! pending.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::session::Viewer;
use super::{ConsoleError, blocking};
use crate::scope::{BlobReference, may_read_blob};
use crate::state::AppState;
use crate::storage::Upload;
use crate::storage::{FinishOutcome, UploadAdmission, UploadCap, sha256_hex};

/// The first bytes of every JPEG file (start of image, then a marker).
const JPEG_START: [u8; 3] = [0xFF, 0xD8, 0xFF];

/// Stores a photo the viewer sent with a form and returns its name (SHA-256). A photo
/// that is empty, over the limit or not a JPEG is refused and nothing is stored.
pub async fn store_photo(
    state: &AppState,
    viewer: &Viewer,
    bytes: Vec<u8>,
) -> Result<String, ConsoleError> {
    let max = state.limits.max_photo_bytes;
    let length = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if length == 0 {
        return Err(ConsoleError::BadRequest(
            "an empty file is not a photo".into(),
        ));
    }
    if length > max {
        return Err(ConsoleError::TooLarge(format!(
            "the photo is {length} bytes, the limit is {max} bytes"
        )));
    }
    if !bytes.starts_with(&JPEG_START) {
        return Err(ConsoleError::BadRequest(
            "the photo is not a JPEG file; take it with a camera or save it as JPEG".into(),
        ));
    }
    let sha256 = sha256_hex(&bytes);
    let now = Utc::now();
    let upload = Upload {
        id: uuid::Uuid::now_v7().to_string(),
        sha256: sha256.clone(),
        length,
        device: viewer.device.clone(),
        person: viewer.person.id.clone(),
        done: false,
        created_at: now,
        // A photo of a fix, not a thumbnail.
        thumbnail_of: None,
    };
    let cap = UploadCap {
        max_open: state.limits.max_open_uploads_per_device,
        max_bytes: state.limits.max_upload_bytes_per_device,
        live_since: now - state.limits.upload_expiry(),
    };
    let (store, blobs) = (state.store.clone(), state.blobs.clone());
    blocking(move || {
        // As the tus route does: the file first, then the row, then the bytes, then
        // the hash check and the uploader in one finish.
        blobs.start_upload(&upload.id)?;
        let admission = store.create_upload(&upload, &cap)?;
        if admission != UploadAdmission::Admitted {
            blobs.discard_upload(&upload.id)?;
            return Err(ConsoleError::BadRequest(format!(
                "too many photos are being uploaded from your console ({admission:?}); try again later"
            )));
        }
        blobs.append(&upload.id, 0, &bytes)?;
        match blobs.finish(&upload.id, &upload.sha256)? {
            FinishOutcome::Stored => {
                store.finish_upload(&upload.id)?;
                Ok(())
            }
            FinishOutcome::HashMismatch { actual } => {
                store.delete_upload(&upload.id)?;
                Err(ConsoleError::Internal(format!(
                    "the stored photo hashes to {actual}, not {}",
                    upload.sha256
                )))
            }
        }
    })
    .await?;
    Ok(sha256)
}

/// `GET /console/photos/{sha256}`: a photo, for whoever the API would give it to; any
/// other is answered as absent, so its existence does not leak.
pub async fn photo(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(sha256): Path<String>,
) -> Result<Response, ConsoleError> {
    serve(state, viewer, sha256, false).await
}

/// `GET /console/photos/{sha256}/thumbnail`: the thumbnail a phone sent ahead of its
/// photo, shown while the full photo is pending, for whoever may see it through the
/// records of the person who linked it (as `GET /v1/blobs/{sha256}/thumbnail`).
pub async fn thumbnail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(sha256): Path<String>,
) -> Result<Response, ConsoleError> {
    serve(state, viewer, sha256, true).await
}

/// A photo, or its thumbnail, as a JPEG answer; absent when the viewer may not see it.
async fn serve(
    state: AppState,
    viewer: Viewer,
    sha256: String,
    thumbnail: bool,
) -> Result<Response, ConsoleError> {
    let well_formed = sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !well_formed {
        return Err(ConsoleError::NotFound);
    }
    let (store, blobs) = (state.store.clone(), state.blobs.clone());
    let bytes = blocking(move || {
        let register = store.register()?;
        let mut referring = Vec::new();
        for link in store.records_with_blob(&sha256)? {
            let case = match &link.record.case_id {
                Some(id) => store.case_scope(id)?,
                None => None,
            };
            referring.push(BlobReference { link, case });
        }
        if !thumbnail {
            let uploaders = store.blob_uploaders(&sha256)?;
            if !may_read_blob(&viewer.person, &uploaders, &referring, &register.tree) {
                return Ok(None);
            }
            return Ok(blobs.read_blob(&sha256)?);
        }
        // Each link on its own: the linker stands in for the photo's uploader.
        for (person, linked) in store.thumbnail_links(&sha256)? {
            if may_read_blob(
                &viewer.person,
                std::slice::from_ref(&person),
                &referring,
                &register.tree,
            ) && let Some(bytes) = blobs.read_blob(&linked)?
            {
                return Ok(Some(bytes));
            }
        }
        Ok(None)
    })
    .await?
    .ok_or(ConsoleError::NotFound)?;
    let mut response = Body::from(bytes).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}
