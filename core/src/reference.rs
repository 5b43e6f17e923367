//! Reference data on the device: checklist templates, org units and sites.
//! It flows down from the server (or a CSV file in the terminal shell); imports are
//! all-or-nothing, so a bad row leaves the store as it was.

use std::path::Path;

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use gridwalk_model::org;

use crate::checklist::Template;
use crate::error::{CoreError, Result};
use crate::store::{Store, now};

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

impl Store {
    /// Imports a template version. Importing the same version again is a no-op; a
    /// different body under an existing version is refused, because inspections are
    /// pinned to versions and a version must never change under them.
    pub fn import_template(&mut self, template: &Template) -> Result<()> {
        template.validate(&format!("{} v{}", template.id, template.version))?;
        let body = serde_json::to_string(template)
            .map_err(|e| CoreError::Internal(format!("template cannot be encoded: {e}")))?;
        let existing: Option<String> = self
            .conn
            .query_row(
                "SELECT body FROM templates WHERE id = ?1 AND version = ?2",
                params![template.id, template.version],
                |r| r.get(0),
            )
            .optional()?;
        match existing {
            Some(stored) if stored == body => Ok(()),
            Some(_) => Err(CoreError::InvalidInput(format!(
                "template {} version {} already exists with different content; publish a new version",
                template.id, template.version
            ))),
            None => {
                self.conn.execute(
                    "INSERT INTO templates(id, version, body, imported_at) VALUES (?1, ?2, ?3, ?4)",
                    params![template.id, template.version, body, now()],
                )?;
                Ok(())
            }
        }
    }

    /// Imports a template unless that version is already present (used for built-ins).
    pub(crate) fn import_template_if_absent(&mut self, template: &Template) -> Result<()> {
        let present = self
            .conn
            .query_row(
                "SELECT 1 FROM templates WHERE id = ?1 AND version = ?2",
                params![template.id, template.version],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if present {
            return Ok(());
        }
        let body = serde_json::to_string(template)
            .map_err(|e| CoreError::Internal(format!("template cannot be encoded: {e}")))?;
        self.conn.execute(
            "INSERT OR IGNORE INTO templates(id, version, body, imported_at) VALUES (?1, ?2, ?3, ?4)",
            params![template.id, template.version, body, now()],
        )?;
        Ok(())
    }

    /// Lists every stored template version, newest version first within an id.
    pub fn list_templates(&self) -> Result<Vec<TemplateSummary>> {
        let mut stmt = self
            .conn
            .prepare("SELECT body FROM templates ORDER BY id, version DESC")?;
        let bodies = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for body in bodies {
            let t = parse_stored_template(&body?)?;
            out.push(TemplateSummary {
                items: t.items().count() as u32,
                id: t.id,
                version: t.version,
                title_zh: t.title_zh,
                title_en: t.title_en,
            });
        }
        Ok(out)
    }

    /// Loads a template; `version: None` means the newest stored version.
    pub fn template(&self, id: &str, version: Option<u32>) -> Result<Template> {
        let version = match version {
            Some(v) => v,
            None => self
                .conn
                .query_row(
                    "SELECT MAX(version) FROM templates WHERE id = ?1",
                    [id],
                    |r| r.get::<_, Option<u32>>(0),
                )?
                .ok_or_else(|| CoreError::NotFound {
                    kind: "template",
                    id: id.to_string(),
                })?,
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
        let units = org::units_from_csv(&path.display().to_string(), file, &self.list_units()?)?;
        self.upsert_units(&units)?;
        Ok(units.len())
    }

    /// Lists org units, top level first.
    pub fn list_units(&self) -> Result<Vec<OrgUnit>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, level, parent_id FROM org_units
             ORDER BY CASE level WHEN 'district' THEN 0 WHEN 'street' THEN 1
                      WHEN 'community' THEN 2 ELSE 3 END, id",
        )?;
        let units = stmt
            .query_map([], |r| {
                Ok(OrgUnit {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    level: r.get(2)?,
                    parent: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(units)
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
        for site in sites {
            org::validate_site(site)?;
        }
        let tx = self.conn.transaction()?;
        for s in sites {
            tx.execute(
                "INSERT INTO sites(id, name, kind, unit_id, address, lat, lon)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                   unit_id = excluded.unit_id, address = excluded.address,
                   lat = excluded.lat, lon = excluded.lon",
                params![s.id, s.name, s.kind, s.unit, s.address, s.lat, s.lon],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Lists sites by name.
    pub fn list_sites(&self) -> Result<Vec<Site>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, kind, unit_id, address, lat, lon FROM sites ORDER BY name, id",
        )?;
        let sites = stmt
            .query_map([], site_from_sql)?
            .collect::<Result<_, _>>()?;
        Ok(sites)
    }

    /// Loads one site.
    pub fn site(&self, id: &str) -> Result<Site> {
        self.conn
            .query_row(
                "SELECT id, name, kind, unit_id, address, lat, lon FROM sites WHERE id = ?1",
                [id],
                site_from_sql,
            )
            .optional()?
            .ok_or_else(|| CoreError::NotFound {
                kind: "site",
                id: id.to_string(),
            })
    }
}

fn parse_stored_template(body: &str) -> Result<Template> {
    Template::from_json("stored template", body).map_err(CoreError::unreadable("a stored template"))
}

fn site_from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<Site> {
    Ok(Site {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        unit: r.get(3)?,
        address: r.get(4)?,
        lat: r.get(5)?,
        lon: r.get(6)?,
    })
}
