//! Evidence photos on answers: attaching a photo the device holds, or camera files that
//! are ingested on the way. Each attachment is one transaction with the checks it needs
//! (a draft, an answered or applicable item), so a refused one leaves no trace: not in
//! the store, and not in the photo folder.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::error::{CoreError, Result};
use crate::hazard::Payload;
use crate::inspection::{Loaded, Outcome, put_answer};
use crate::photo::{IngestOptions, IngestedPhoto, PhotoKey, ingest_as};
use crate::store::{Store, answer_photos, answers, hazard_events, inspections, now, photos};
use gridwalk_model::checklist::PERSONAL_DATA_CATEGORIES;

/// Attaches the held photo `sha256` after the answer's other photos, inside the
/// caller's transaction: refused on a submitted inspection, an unanswered item or a
/// photo this device does not hold.
fn attach(conn: &Connection, loaded: &Loaded, item: &str, sha256: &str) -> Result<()> {
    loaded.ensure_draft()?;
    if !answers::exists(conn, &loaded.row.id, item)? {
        return Err(CoreError::InvalidInput(format!(
            "item {item} has no answer yet; answer it before attaching photos"
        )));
    }
    if !photos::held(conn, sha256)? {
        return Err(CoreError::NotFound {
            kind: "photo",
            id: sha256.to_string(),
        });
    }
    answer_photos::append(conn, &loaded.row.id, item, sha256, &now())
}

impl Store {
    /// Attaches a stored photo (by SHA-256) as evidence to an answered item of a draft.
    pub fn attach_photo(&mut self, inspection_id: &str, item: &str, sha256: &str) -> Result<()> {
        self.write(|tx, cache| {
            let loaded = Loaded::load(tx, cache, inspection_id)?;
            attach(tx, &loaded, item, sha256)
        })
    }

    /// Ingests a camera file and attaches it as evidence to an answered item of a draft
    /// inspection. If the attachment is refused (no such answer, already submitted),
    /// neither the store nor the photo folder keeps anything new.
    pub fn attach_photo_file(
        &mut self,
        inspection_id: &str,
        item: &str,
        path: &Path,
        options: &IngestOptions,
    ) -> Result<IngestedPhoto> {
        self.ensure_room_for_photo()?;
        let seal = self.seal_for(inspection_id, item)?;
        let photo = ingest_as(path, &self.photos_dir(), options, seal.as_ref())?;
        let attached = self.write(|tx, cache| {
            let loaded = Loaded::load(tx, cache, inspection_id)?;
            photos::insert_if_absent(tx, &photo.to_photo_ref(), &now())?;
            photos::note_ingest(tx, &photo.sha256, &photo.original_sha256)?;
            attach(tx, &loaded, item, &photo.sha256)
        });
        if let Err(e) = attached {
            self.forget_new_files(std::slice::from_ref(&photo));
            return Err(e);
        }
        Ok(photo)
    }

    /// Records an answer together with its evidence photos, all or nothing. Every file
    /// is ingested first, so a bad photo refuses the whole answer; then the answer, the
    /// photos' records and their links to the answer are written in one transaction. If
    /// anything fails, the store keeps none of it (an earlier answer to the item stays
    /// as it was) and the photo folder loses the files this call added.
    pub fn answer_with_photos(
        &mut self,
        inspection_id: &str,
        item: &str,
        outcome: Outcome,
        note: Option<&str>,
        photos: &[PathBuf],
        options: &IngestOptions,
    ) -> Result<Vec<IngestedPhoto>> {
        if !photos.is_empty() {
            self.ensure_room_for_photo()?;
        }
        let photos_dir = self.photos_dir();
        let seal = self.seal_for(inspection_id, item)?;
        let mut ingested: Vec<IngestedPhoto> = Vec::with_capacity(photos.len());
        for path in photos {
            match ingest_as(path, &photos_dir, options, seal.as_ref()) {
                Ok(p) => ingested.push(p),
                Err(e) => {
                    self.forget_new_files(&ingested);
                    return Err(e.into());
                }
            }
        }
        let recorded = self.write(|tx, cache| {
            let loaded = Loaded::load(tx, cache, inspection_id)?;
            put_answer(tx, &loaded, item, outcome, note)?;
            let at = now();
            for p in &ingested {
                photos::insert_if_absent(tx, &p.to_photo_ref(), &at)?;
                photos::note_ingest(tx, &p.sha256, &p.original_sha256)?;
                answer_photos::append(tx, inspection_id, item, &p.sha256, &at)?;
            }
            Ok(())
        });
        if let Err(e) = recorded {
            self.forget_new_files(&ingested);
            return Err(e);
        }
        Ok(ingested)
    }

    /// The key to seal the photos of `item` with: the store's photo key when the item
    /// concerns named people (the model's [`Template::is_personal`]) and the store is
    /// encrypted; otherwise `None`, and the photos are kept plain like the store.
    ///
    /// [`Template::is_personal`]: gridwalk_model::checklist::Template::is_personal
    fn seal_for(&self, inspection_id: &str, item: &str) -> Result<Option<PhotoKey>> {
        let Some(key) = self.photo_key() else {
            return Ok(None);
        };
        let loaded = Loaded::load(&self.conn, &self.templates, inspection_id)?;
        Ok(loaded.template.is_personal(item).then(|| key.clone()))
    }

    /// The key to seal a photo that arrives from the server with (its thumbnail first,
    /// later the photo): the store's photo key when any answer here names it at a
    /// personal-detail item, or any hazard event here names it on a case of a personal
    /// category (the model's [`PERSONAL_DATA_CATEGORIES`], judged by the case's
    /// report); otherwise `None`, and it is kept plain like the store. The records naming
    /// a pulled photo are stored before it is fetched, so they are here to ask.
    ///
    /// [`PERSONAL_DATA_CATEGORIES`]: gridwalk_model::checklist::PERSONAL_DATA_CATEGORIES
    pub(crate) fn seal_for_named(&self, sha256: &str) -> Result<Option<PhotoKey>> {
        let Some(key) = self.photo_key() else {
            return Ok(None);
        };
        let sealed = Some(key.clone());
        for (inspection_id, item, _, _) in answer_photos::answers_with(&self.conn, sha256)? {
            let row = inspections::get(&self.conn, &inspection_id)?;
            let Some(row) = row else { continue };
            let template =
                self.templates
                    .get(&self.conn, &row.template_id, row.template_version)?;
            if template.is_personal(&item) {
                return Ok(sealed);
            }
        }
        for event in hazard_events::naming_photo(&self.conn, sha256)? {
            let case = hazard_events::of_case(&self.conn, &event.case_id)?;
            let personal = case.iter().chain(std::iter::once(&event)).any(|e| {
                matches!(&e.payload, Payload::Reported(r)
                    if PERSONAL_DATA_CATEGORIES.contains(&r.category.as_str()))
            });
            if personal {
                return Ok(sealed);
            }
        }
        Ok(None)
    }

    /// Removes the files an ingest added to the photo folder (those not there before),
    /// after the records that would have named them were refused.
    fn forget_new_files(&self, ingested: &[IngestedPhoto]) {
        let layout = self.photo_layout();
        for p in ingested.iter().filter(|p| !p.already_stored) {
            layout.remove(&p.sha256);
        }
    }
}
