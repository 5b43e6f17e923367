//! The store object the shells hold: one per device, shared by all screens.

use std::path::{Path, PathBuf};
use std::sync::{Arc, MutexGuard};

use gridwalk_core::checklist::Template;
use gridwalk_core::evidence::PhotoSize;
use gridwalk_core::hazard::{
    CampaignReport, CaseFilter, CaseSummary, CaseView, Event, HazardReport, Payload,
};
use gridwalk_core::inspection::{
    Checklist, Inspection, InspectionFilter, InspectionKind, InspectionStatus, InspectionSummary,
    NewInspection, Outcome,
};
use gridwalk_core::outbox::PendingSync;
use gridwalk_core::photo::IngestOptions;
use gridwalk_core::profile::Profile;
use gridwalk_core::reference::{OrgUnit, Site, TemplateSummary};
use gridwalk_core::store::{OpenOptions, StoreKey};
use gridwalk_core::sync::QueueItem;
use gridwalk_core::{SharedStore, Store};

use crate::signer::Foreign;
use crate::{DeviceSigner, GridwalkError, IngestedPhoto};

/// The device's local store. Calls are synchronous and short; shells call them from a
/// background dispatcher (see docs/adr/0002-synchronous-ffi.md). A `GridwalkSync` made
/// from it works on the same connection.
#[derive(uniffi::Object)]
pub struct GridwalkStore {
    inner: SharedStore,
}

impl GridwalkStore {
    /// The core store, for one call (see [`SharedStore::lock`]).
    fn store(&self) -> MutexGuard<'_, Store> {
        self.inner.lock()
    }

    /// The shared store, for the sync handle.
    pub(crate) fn shared(&self) -> SharedStore {
        self.inner.clone()
    }
}

#[uniffi::export]
impl GridwalkStore {
    /// Opens (creating if needed) the store file at `path`, encrypted with `key` (32
    /// bytes the shell keeps in the platform keystore), signing this device's records
    /// with `signer`. A plain store from an earlier version is encrypted in place on
    /// the first open. A key that does not open the store is `WrongKey`.
    #[uniffi::constructor]
    pub fn open(
        path: String,
        key: Vec<u8>,
        signer: Arc<dyn DeviceSigner>,
    ) -> Result<Arc<Self>, GridwalkError> {
        let options = OpenOptions {
            key: Some(StoreKey::from_bytes(&key)?),
            signer: Some(Arc::new(Foreign(signer))),
        };
        Ok(Arc::new(GridwalkStore {
            inner: SharedStore::new(Store::open_with(path, options)?),
        }))
    }

    /// Stored checklist templates, newest version first.
    pub fn list_templates(&self) -> Result<Vec<TemplateSummary>, GridwalkError> {
        Ok(self.store().list_templates()?)
    }

    /// A template; `version` `None` for the newest.
    pub fn template(&self, id: String, version: Option<u32>) -> Result<Template, GridwalkError> {
        Ok(self.store().template(&id, version)?)
    }

    /// Imports org units from a CSV file (`id,name,level,parent`); returns how many.
    pub fn import_units_csv(&self, path: String) -> Result<u32, GridwalkError> {
        Ok(self.store().import_units_csv(Path::new(&path))? as u32)
    }

    /// Org units, top level first.
    pub fn list_units(&self) -> Result<Vec<OrgUnit>, GridwalkError> {
        Ok(self.store().list_units()?)
    }

    /// Imports sites from a CSV file (`id,name,kind,unit,address,lat,lon`); returns how many.
    pub fn import_sites_csv(&self, path: String) -> Result<u32, GridwalkError> {
        Ok(self.store().import_sites_csv(Path::new(&path))? as u32)
    }

    /// All sites by name.
    pub fn list_sites(&self) -> Result<Vec<Site>, GridwalkError> {
        Ok(self.store().list_sites()?)
    }

    /// Starts a draft inspection of a site with the default template; returns its id.
    pub fn start_inspection(
        &self,
        site_id: String,
        kind: InspectionKind,
        inspector: String,
    ) -> Result<String, GridwalkError> {
        Ok(self.store().start_inspection(&NewInspection {
            site_id,
            template_id: None,
            template_version: None,
            kind,
            inspector,
        })?)
    }

    /// Records or changes the answer to one item of a draft.
    pub fn answer(
        &self,
        inspection_id: String,
        item: String,
        outcome: Outcome,
        note: Option<String>,
    ) -> Result<(), GridwalkError> {
        Ok(self
            .store()
            .answer(&inspection_id, &item, outcome, note.as_deref())?)
    }

    /// The applicable items grouped by category, with progress.
    pub fn checklist(&self, inspection_id: String) -> Result<Checklist, GridwalkError> {
        Ok(self.store().checklist(&inspection_id)?)
    }

    /// Submits a draft; `IncompleteInspection` names what is missing.
    pub fn submit(&self, inspection_id: String) -> Result<(), GridwalkError> {
        Ok(self.store().submit(&inspection_id)?)
    }

    /// An inspection with its answers.
    pub fn inspection(&self, inspection_id: String) -> Result<Inspection, GridwalkError> {
        Ok(self.store().inspection(&inspection_id)?)
    }

    /// Inspections, newest first, optionally only one inspector's or one status.
    pub fn list_inspections(
        &self,
        inspector: Option<String>,
        status: Option<InspectionStatus>,
    ) -> Result<Vec<InspectionSummary>, GridwalkError> {
        Ok(self.store().list_inspections(&InspectionFilter {
            inspector,
            status,
            limit: None,
        })?)
    }

    /// This device's id (stable, made on first use).
    pub fn device_id(&self) -> Result<String, GridwalkError> {
        Ok(self.store().device_id()?)
    }

    /// The person this device acts as, if set (enrolment sets it).
    pub fn profile(&self) -> Result<Option<Profile>, GridwalkError> {
        Ok(self.store().profile()?)
    }

    /// Sets the person this device acts as; returns it as stored (validated).
    pub fn set_profile(&self, profile: Profile) -> Result<Profile, GridwalkError> {
        Ok(self.store().set_profile(&profile)?)
    }

    /// Hazard cases on this device, newest first.
    pub fn list_cases(&self, filter: CaseFilter) -> Result<Vec<CaseSummary>, GridwalkError> {
        Ok(self.store().list_cases(&filter)?)
    }

    /// One case: state, events, deadline, clock-skew flags and the actions this device's
    /// person may take on it now.
    pub fn hazard_case(&self, case_id: String) -> Result<CaseView, GridwalkError> {
        Ok(self.store().hazard_case(&case_id)?)
    }

    /// Opens a case from a resident, hotline or online report as this device's person.
    pub fn open_case(&self, report: HazardReport) -> Result<Event, GridwalkError> {
        Ok(self.store().open_case(report)?)
    }

    /// Records an action on a case as this device's person; refused actions name the rule.
    pub fn act(&self, case_id: String, payload: Payload) -> Result<Event, GridwalkError> {
        Ok(self.store().act(&case_id, payload)?)
    }

    /// The campaign report over the cases on this device, as of `as_of_ms` (ms since the
    /// Unix epoch).
    pub fn campaign_report(&self, as_of_ms: i64) -> Result<CampaignReport, GridwalkError> {
        Ok(self.store().campaign_report(as_of_ms)?)
    }

    /// Turns a camera file (JPEG or PNG; the shell converts HEIC) into stored evidence
    /// with the default size and quality.
    pub fn ingest_photo(&self, path: String) -> Result<IngestedPhoto, GridwalkError> {
        let photo = self
            .store()
            .ingest_photo(Path::new(&path), &IngestOptions::default())?;
        Ok(photo.into())
    }

    /// The plaintext JPEG of a photo or its thumbnail, sealed on disk or not (personal
    /// details are sealed at rest, so a screen shows photos from these bytes, never from
    /// a file path). A photo no larger than a thumbnail is its own thumbnail. What is
    /// not here yet (a pulled photo whose file, or whose thumbnail, has not arrived) is
    /// `PhotoNotHeld`: show the photo's state from the record instead and sync later.
    pub fn photo_bytes(&self, sha256: String, size: PhotoSize) -> Result<Vec<u8>, GridwalkError> {
        Ok(self.store().photo_bytes(&sha256, size)?)
    }

    /// Answers an item and attaches camera files as evidence in one step; one bad photo
    /// refuses the whole answer and stores nothing.
    pub fn answer_with_photos(
        &self,
        inspection_id: String,
        item: String,
        outcome: Outcome,
        note: Option<String>,
        photo_paths: Vec<String>,
    ) -> Result<Vec<IngestedPhoto>, GridwalkError> {
        let paths: Vec<PathBuf> = photo_paths.into_iter().map(PathBuf::from).collect();
        let photos = self.store().answer_with_photos(
            &inspection_id,
            &item,
            outcome,
            note.as_deref(),
            &paths,
            &IngestOptions::default(),
        )?;
        Ok(photos.into_iter().map(IngestedPhoto::from).collect())
    }

    /// Attaches already-ingested evidence (by SHA-256) to an answered item of a draft.
    pub fn attach_photo(
        &self,
        inspection_id: String,
        item: String,
        sha256: String,
    ) -> Result<(), GridwalkError> {
        Ok(self.store().attach_photo(&inspection_id, &item, &sha256)?)
    }

    /// How many records and photos wait for the next sync.
    pub fn pending_sync(&self) -> Result<PendingSync, GridwalkError> {
        Ok(self.store().pending_sync()?)
    }

    /// Every photo and record still to reach the server, photos first: what it is,
    /// bytes left, the server's last refusal, whether it is held back.
    pub fn sync_queue(&self) -> Result<Vec<QueueItem>, GridwalkError> {
        Ok(self.store().sync_queue()?)
    }

    /// Bytes free for the app where the store lives.
    pub fn free_bytes(&self) -> Result<u64, GridwalkError> {
        Ok(self.store().free_bytes()?)
    }

    /// The free-space floor below which new photos are refused (`LowStorage`).
    pub fn min_free_bytes(&self) -> Result<u64, GridwalkError> {
        Ok(self.store().min_free_bytes()?)
    }

    /// Sets the free-space floor (0: never refuse); nothing is ever deleted for it.
    pub fn set_min_free_bytes(&self, bytes: u64) -> Result<(), GridwalkError> {
        Ok(self.store().set_min_free_bytes(bytes)?)
    }
}
