//! The store object the shells hold: one per device, shared by all screens.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use gridwalk_core::Store;
use gridwalk_core::checklist::Template;
use gridwalk_core::inspection::{
    Checklist, Inspection, InspectionFilter, InspectionKind, InspectionStatus, InspectionSummary,
    NewInspection, Outcome,
};
use gridwalk_core::reference::{OrgUnit, Site, TemplateSummary};

use crate::GridwalkError;

/// The device's local store. Calls are synchronous and short; shells call them from a
/// background dispatcher (see docs/adr/0002-synchronous-ffi.md).
#[derive(uniffi::Object)]
pub struct GridwalkStore {
    inner: Mutex<Store>,
}

impl GridwalkStore {
    /// The core store. A poisoned lock means an earlier call panicked mid-way; SQLite's
    /// transactions kept the file consistent, so carrying on is safe.
    fn store(&self) -> MutexGuard<'_, Store> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[uniffi::export]
impl GridwalkStore {
    /// Opens (creating if needed) the store file at `path`.
    #[uniffi::constructor]
    pub fn open(path: String) -> Result<Arc<Self>, GridwalkError> {
        Ok(Arc::new(GridwalkStore {
            inner: Mutex::new(Store::open(path)?),
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
}
