//! Evidence photos as this device knows them, by the SHA-256 of the stored file: which
//! are held, which an answer or a hazard event names, which the server still needs, and
//! where an unfinished upload stands. (Processing camera files is the photo pipeline's
//! job; this module keeps the records.)

use std::path::PathBuf;

use rusqlite::Connection;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::photo::PhotoError;
use crate::store::{
    Store, answer_photos, hazard_events, now, pending_photos, photo_uploads, photos,
};

pub use crate::store::{PendingPhoto, PhotoRef};
pub use gridwalk_model::evidence::is_sha256_hex;

/// Which picture of a photo a screen asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum PhotoSize {
    /// The evidence photo itself (up to 1600 px).
    Full,
    /// Its 256 px thumbnail, for lists; a photo no larger than a thumbnail is its own.
    Thumbnail,
}

/// What this device holds of a photo a record names: what a screen can show, and
/// whether to mark it "full photo pending".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum PhotoState {
    /// The photo is here (taken here, or downloaded in full): both sizes can be shown.
    Held,
    /// Only its thumbnail arrived; the full photo is pending (its author sends full
    /// photos last, or the server does not hold it yet).
    ThumbnailOnly,
    /// Nothing of it is here yet: named by a pulled record, not yet fetched.
    NotHeld,
}

/// One photo a record names, with what this device holds of it (answers and cases list
/// these in the records the shells display).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PhotoView {
    /// The photo's SHA-256 (what [`Store::photo_bytes`] takes).
    pub sha256: String,
    /// What is held of it here.
    pub state: PhotoState,
}

/// What this device holds of photo `sha256`: the one place that decides it, so the
/// bytes call and every record's photo state agree.
pub(crate) fn state_of(conn: &Connection, sha256: &str) -> Result<PhotoState> {
    if photos::held(conn, sha256)? {
        return Ok(PhotoState::Held);
    }
    Ok(match pending_photos::get(conn, sha256)? {
        Some(pending) if pending.thumbnail => PhotoState::ThumbnailOnly,
        _ => PhotoState::NotHeld,
    })
}

/// The views of `shas`, in their order.
pub(crate) fn views(conn: &Connection, shas: &[String]) -> Result<Vec<PhotoView>> {
    shas.iter()
        .map(|sha| {
            Ok(PhotoView {
                sha256: sha.clone(),
                state: state_of(conn, sha)?,
            })
        })
        .collect()
}

/// Which references make a photo worth uploading.
#[derive(Clone, Copy)]
enum NamedBy {
    /// A submitted inspection's answer has it as evidence (a draft's photos wait).
    Answer,
    /// A hazard event names it.
    Event,
    /// Either.
    Any,
}

/// Photos held here, not yet on the server and named as `named`, oldest first. The one
/// place that decides what is still to upload.
fn to_upload(conn: &Connection, named: NamedBy) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for sha in photos::not_uploaded(conn)? {
        let wanted = match named {
            NamedBy::Answer => answer_photos::submitted_links(conn, &sha)?,
            NamedBy::Event => hazard_events::name_photo(conn, &sha)?,
            NamedBy::Any => {
                answer_photos::submitted_links(conn, &sha)?
                    || hazard_events::name_photo(conn, &sha)?
            }
        };
        if wanted {
            out.push(sha);
        }
    }
    Ok(out)
}

/// Refuses a hash that is not lower-case hex SHA-256 (the only names photos have).
pub(crate) fn check_sha256(sha256: &str) -> Result<()> {
    if is_sha256_hex(sha256) {
        Ok(())
    } else {
        Err(CoreError::InvalidInput(format!(
            "`{sha256}` is not a lower-case hex SHA-256"
        )))
    }
}

impl Store {
    /// Records a processed photo. Recording the same hash again keeps the first record:
    /// the bytes are the same, so the photo is the same.
    pub fn register_photo(&mut self, photo: &PhotoRef) -> Result<()> {
        check_sha256(&photo.sha256)?;
        photos::insert_if_absent(&self.conn, photo, &now())
    }

    /// What this device holds of photo `sha256` (held, thumbnail only, not held).
    pub fn photo_state(&self, sha256: &str) -> Result<PhotoState> {
        check_sha256(sha256)?;
        state_of(&self.conn, sha256)
    }

    /// The plaintext JPEG of a photo or its thumbnail, sealed or not, for a screen to
    /// show (and for upload). The full photo is checked against its SHA-256; a photo no
    /// larger than a thumbnail is its own thumbnail; a pending photo's thumbnail is
    /// there before the photo. What is not here is `PhotoNotHeld`; a file that is here
    /// but does not read back (changed, or sealed under another key) is `Corrupt`.
    pub fn photo_bytes(&self, sha256: &str, size: PhotoSize) -> Result<Vec<u8>> {
        let state = self.photo_state(sha256)?;
        let layout = self.photo_layout();
        let key = self.photo_key();
        let damaged = |e: PhotoError| CoreError::Corrupt {
            what: format!("photo {sha256}"),
            detail: e.to_string(),
        };
        let not_held = || CoreError::PhotoNotHeld {
            sha256: sha256.to_string(),
        };
        match (state, size) {
            (PhotoState::Held, PhotoSize::Full) => {
                layout.read_evidence(sha256, key).map_err(damaged)
            }
            (PhotoState::Held, PhotoSize::Thumbnail) => {
                match layout.read_thumbnail(sha256, key).map_err(damaged)? {
                    Some(thumbnail) => Ok(thumbnail),
                    None => layout.read_evidence(sha256, key).map_err(damaged),
                }
            }
            (PhotoState::ThumbnailOnly, PhotoSize::Thumbnail) => layout
                .read_thumbnail(sha256, key)
                .map_err(damaged)?
                .ok_or_else(not_held),
            (PhotoState::ThumbnailOnly | PhotoState::NotHeld, _) => Err(not_held()),
        }
    }

    /// Whether this device holds a photo.
    pub fn has_photo(&self, sha256: &str) -> Result<bool> {
        photos::held(&self.conn, sha256)
    }

    /// The stored evidence file of a recorded photo (for upload or display).
    pub fn photo_path(&self, sha256: &str) -> Result<PathBuf> {
        if !self.has_photo(sha256)? {
            return Err(CoreError::NotFound {
                kind: "photo",
                id: sha256.to_string(),
            });
        }
        Ok(self.photo_layout().evidence_path(sha256))
    }

    /// Hashes of recorded photos that no answer references (candidates for cleanup; a
    /// photo taken and then not used), oldest first.
    pub fn unreferenced_photos(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for sha in photos::all(&self.conn)? {
            if !answer_photos::links(&self.conn, &sha)? {
                out.push(sha);
            }
        }
        Ok(out)
    }

    /// Hashes of photos referenced by a submitted inspection's answer and not yet
    /// uploaded, oldest first. A draft's photos are not offered until it is submitted.
    pub fn photos_to_upload(&self) -> Result<Vec<String>> {
        to_upload(&self.conn, NamedBy::Answer)
    }

    /// Hashes of photos named by hazard events, held here and not yet uploaded, oldest
    /// first.
    pub fn hazard_photos_to_upload(&self) -> Result<Vec<String>> {
        to_upload(&self.conn, NamedBy::Event)
    }

    /// Every photo this device must still upload: those of answers and those named by
    /// hazard events, oldest first, each once.
    pub fn all_photos_to_upload(&self) -> Result<Vec<String>> {
        to_upload(&self.conn, NamedBy::Any)
    }

    /// Marks a photo as held by the server and forgets its upload's progress, together.
    /// Marking twice is harmless.
    pub fn mark_photo_uploaded(&mut self, sha256: &str) -> Result<()> {
        self.write(|tx, _| {
            photos::mark_uploaded(tx, sha256, &now())?;
            photo_uploads::forget(tx, sha256)
        })
    }

    /// Records a photo downloaded from the server (its file already written to the
    /// photo folder): known, and not to be uploaded again.
    pub fn record_downloaded_photo(
        &mut self,
        sha256: &str,
        bytes: u64,
        width: u32,
        height: u32,
    ) -> Result<()> {
        check_sha256(sha256)?;
        let photo = PhotoRef {
            sha256: sha256.to_string(),
            bytes,
            width,
            height,
            taken_at: None,
            lat: None,
            lon: None,
            camera: None,
        };
        self.write(|tx, _| {
            let at = now();
            photos::insert_if_absent(tx, &photo, &at)?;
            photos::mark_uploaded(tx, sha256, &at)?;
            pending_photos::arrived(tx, sha256, bytes, width, height)?;
            photo_uploads::forget(tx, sha256)
        })
    }

    /// Photos named by records pulled from other devices whose full file has not
    /// arrived yet, oldest first, each saying whether its thumbnail is here: what a
    /// screen shows as "pending" (with the thumbnail at
    /// [`crate::photo::layout::Layout::thumbnail_path`] when there is one).
    pub fn pending_photos(&self) -> Result<Vec<PendingPhoto>> {
        pending_photos::all(&self.conn)
    }

    /// Whether a photo is known here only through a pulled record, its file not here
    /// yet.
    pub fn is_photo_pending(&self, sha256: &str) -> Result<bool> {
        pending_photos::is_pending(&self.conn, sha256)
    }

    /// Records that a pending photo's thumbnail was stored in the photo folder.
    pub(crate) fn record_pending_thumbnail(&mut self, sha256: &str) -> Result<()> {
        pending_photos::thumbnail_stored(&self.conn, sha256, &now())
    }

    /// Photos to upload whose thumbnail is not on the server yet, oldest first: sent
    /// before any full photo, so others see a picture of the hazard early.
    pub(crate) fn thumbnails_to_send(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for sha in to_upload(&self.conn, NamedBy::Any)? {
            if !photos::thumbnail_sent(&self.conn, &sha)? {
                out.push(sha);
            }
        }
        Ok(out)
    }

    /// Marks this device's thumbnail of a photo as on the server.
    pub(crate) fn mark_thumbnail_sent(&mut self, sha256: &str) -> Result<()> {
        photos::mark_thumbnail_sent(&self.conn, sha256, &now())
    }

    /// Where the photo's unfinished upload stands on the server (its tus location).
    pub(crate) fn upload_location(&self, sha256: &str) -> Result<Option<String>> {
        photo_uploads::location(&self.conn, sha256)
    }

    /// Remembers (or with `None` forgets) where the photo's upload stands.
    pub(crate) fn save_upload_location(&self, sha256: &str, location: Option<&str>) -> Result<()> {
        match location {
            Some(location) => photo_uploads::save(&self.conn, sha256, location, &now()),
            None => photo_uploads::forget(&self.conn, sha256),
        }
    }
}
