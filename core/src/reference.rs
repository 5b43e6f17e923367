//! Reference data on the device: checklist templates, org units and sites.
//! It flows down from the server (or a CSV file in the terminal shell); imports are
//! all-or-nothing, so a bad row leaves the store as it was.

use std::path::Path;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use gridwalk_model::checklist::Template;
use gridwalk_model::org;

use crate::error::{CoreError, Result};
use crate::store::{Store, now, org_units, sites, templates};

pub use gridwalk_model::org::{OrgUnit, Site, UNIT_LEVELS};

/// A template as listed: id, version and titles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TemplateSummary {
    /// Template id.
    pub id: String,
    /// Version.
    pub version: u32,
    /// Chinese title.
    pub title_zh: String,
    /// English title.
    pub title_en: String,
    /// Number of items.
    pub items: u32,
}

/// Imports a template version through any connection or transaction: the same version
/// again is a no-op, a different body under an existing version is refused.
pub(crate) fn import_template(conn: &Connection, template: &Template) -> Result<()> {
    template.validate(&format!("{} v{}", template.id, template.version))?;
    let body = templates::encode(template)?;
    match templates::body(conn, &template.id, template.version)? {
        Some(stored) if stored == body => Ok(()),
        Some(_) => Err(CoreError::InvalidInput(format!(
            "template {} version {} already exists with different content; publish a new version",
            template.id, template.version
        ))),
        None => templates::insert_if_absent(conn, template, &body, &now()),
    }
}

/// Inserts or updates org units through a transaction (the tree is checked when it
/// commits). Each unit needs an id, a name and a known level; a bad one refuses them all.
pub(crate) fn upsert_units(conn: &Connection, units: &[OrgUnit]) -> Result<()> {
    for unit in units {
        org::validate_unit(unit)?;
    }
    org_units::upsert_all(conn, units)
}

/// Inserts or updates sites through any connection or transaction, each validated
/// first; a bad one refuses them all.
pub(crate) fn upsert_sites(conn: &Connection, sites: &[Site]) -> Result<()> {
    for site in sites {
        org::validate_site(site)?;
    }
    for site in sites {
        sites::upsert(conn, site)?;
    }
    Ok(())
}

impl Store {
    /// Imports a template version. Importing the same version again is a no-op; a
    /// different body under an existing version is refused, because inspections are
    /// pinned to versions and a version must never change under them.
    pub fn import_template(&mut self, template: &Template) -> Result<()> {
        self.write(|tx, _| import_template(tx, template))
    }

    /// Lists every stored template version, newest version first within an id.
    pub fn list_templates(&self) -> Result<Vec<TemplateSummary>> {
        Ok(templates::all(&self.conn)?
            .into_iter()
            .map(|t| TemplateSummary {
                items: t.items().count() as u32,
                id: t.id,
                version: t.version,
                title_zh: t.title_zh,
                title_en: t.title_en,
            })
            .collect())
    }

    /// Every stored template version, whole (the sync client reads compact records
    /// against them).
    pub fn all_templates(&self) -> Result<Vec<Template>> {
        templates::all(&self.conn)
    }

    /// Loads a template; `version: None` means the newest stored version.
    pub fn template(&self, id: &str, version: Option<u32>) -> Result<Template> {
        let version = match version {
            Some(v) => v,
            None => {
                templates::newest_version(&self.conn, id)?.ok_or_else(|| CoreError::NotFound {
                    kind: "template",
                    id: id.to_string(),
                })?
            }
        };
        Ok(self
            .templates
            .get(&self.conn, id, version)?
            .as_ref()
            .clone())
    }

    /// Imports org units from CSV (`id,name,level,parent`). Parents may come later in
    /// the same file or already be stored; a parent must be exactly one level up. Either
    /// every row is imported or none is.
    pub fn import_units_csv(&mut self, path: &Path) -> Result<usize> {
        let file = std::fs::File::open(path).map_err(|e| CoreError::io(path, e))?;
        let name = path.display().to_string();
        self.write(|tx, _| {
            let units = org::units_from_csv(&name, file, &org_units::all(tx)?)?;
            org_units::upsert_all(tx, &units)?;
            Ok(units.len())
        })
    }

    /// Lists org units, top level first.
    pub fn list_units(&self) -> Result<Vec<OrgUnit>> {
        org_units::all(&self.conn)
    }

    /// Inserts or updates org units (from the server's reference data) in one
    /// transaction; parents may come after their children in the list.
    pub fn upsert_units(&mut self, units: &[OrgUnit]) -> Result<()> {
        self.write(|tx, _| upsert_units(tx, units))
    }

    /// Imports sites from CSV (`id,name,kind,unit,address,lat,lon`); existing ids are
    /// updated. Either every row is imported or none is.
    pub fn import_sites_csv(&mut self, path: &Path) -> Result<usize> {
        let file = std::fs::File::open(path).map_err(|e| CoreError::io(path, e))?;
        let sites = org::sites_from_csv(&path.display().to_string(), file)?;
        self.upsert_sites(&sites)?;
        Ok(sites.len())
    }

    /// Inserts or updates sites in one transaction, validating each first.
    pub fn upsert_sites(&mut self, sites: &[Site]) -> Result<()> {
        self.write(|tx, _| upsert_sites(tx, sites))
    }

    /// Lists sites by name.
    pub fn list_sites(&self) -> Result<Vec<Site>> {
        sites::all(&self.conn)
    }

    /// Loads one site.
    pub fn site(&self, id: &str) -> Result<Site> {
        site(&self.conn, id)
    }
}

/// The site `id`, or `NotFound`; works inside the caller's transaction.
pub(crate) fn site(conn: &Connection, id: &str) -> Result<Site> {
    sites::get(conn, id)?.ok_or_else(|| CoreError::NotFound {
        kind: "site",
        id: id.to_string(),
    })
}
