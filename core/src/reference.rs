//! Reference data on the device: checklist templates, org units and sites.
//! It flows down from the server (or a CSV file in the terminal shell); imports are
//! all-or-nothing, so a bad row leaves the store as it was.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::checklist::{SITE_KINDS, Template};
use crate::error::{CoreError, Result};
use crate::store::{Store, now};

/// The levels of the organisation tree, from the top.
pub const UNIT_LEVELS: [&str; 4] = ["district", "street", "community", "grid"];

/// A node of the organisation tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OrgUnit {
    /// Unit id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// One of [`UNIT_LEVELS`].
    pub level: String,
    /// The parent unit; `None` only for a district.
    pub parent: Option<String>,
}

/// A place that gets inspected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Site {
    /// Site id (also what its QR code holds).
    pub id: String,
    /// Display name.
    pub name: String,
    /// One of [`SITE_KINDS`]; decides which checklist items apply.
    pub kind: String,
    /// The org unit (normally a grid) the site belongs to.
    pub unit: String,
    /// Street address.
    pub address: String,
    /// Latitude in degrees, when known.
    pub lat: Option<f64>,
    /// Longitude in degrees, when known.
    pub lon: Option<f64>,
}

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

#[derive(Debug, Deserialize)]
struct SiteRow {
    id: String,
    name: String,
    kind: String,
    unit: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
}

#[derive(Debug, Deserialize)]
struct UnitRow {
    id: String,
    name: String,
    level: String,
    #[serde(default)]
    parent: String,
}

impl Store {
    /// Imports a template version. Importing the same version again is a no-op; a
    /// different body under an existing version is refused, because inspections are
    /// pinned to versions and a version must never change under them.
    pub fn import_template(&mut self, template: &Template) -> Result<()> {
        template.validate(&format!("{} v{}", template.id, template.version))?;
        let body = serde_json::to_string(template)
            .map_err(|e| CoreError::InvalidInput(format!("template cannot be stored: {e}")))?;
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
            .map_err(|e| CoreError::InvalidInput(format!("template cannot be stored: {e}")))?;
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
    /// the same file or already be stored; a parent must be exactly one level up.
    pub fn import_units_csv(&mut self, path: &Path) -> Result<usize> {
        let file = path.display().to_string();
        let rows: Vec<(u64, UnitRow)> = read_csv(path)?;
        let mut levels: HashMap<String, String> = {
            let mut stmt = self.conn.prepare("SELECT id, level FROM org_units")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        for (_, row) in &rows {
            levels.insert(row.id.trim().to_string(), row.level.trim().to_string());
        }
        let bad = |line: u64, reason: String| CoreError::BadImportRow {
            file: file.clone(),
            line,
            reason,
        };
        let mut units = Vec::with_capacity(rows.len());
        for (line, row) in rows {
            let unit = OrgUnit {
                id: row.id.trim().to_string(),
                name: row.name.trim().to_string(),
                level: row.level.trim().to_string(),
                parent: Some(row.parent.trim().to_string()).filter(|p| !p.is_empty()),
            };
            if unit.id.is_empty() || unit.name.is_empty() {
                return Err(bad(line, "id and name are required".into()));
            }
            let Some(depth) = UNIT_LEVELS.iter().position(|l| *l == unit.level) else {
                return Err(bad(line, format!("unknown level `{}`", unit.level)));
            };
            match (&unit.parent, depth) {
                (None, 0) => {}
                (Some(_), 0) => return Err(bad(line, "a district has no parent".into())),
                (None, _) => return Err(bad(line, format!("a {} needs a parent", unit.level))),
                (Some(parent), _) => match levels.get(parent) {
                    None => return Err(bad(line, format!("unknown parent `{parent}`"))),
                    Some(pl) if pl != UNIT_LEVELS[depth - 1] => {
                        return Err(bad(
                            line,
                            format!(
                                "parent `{parent}` is a {pl}, expected a {}",
                                UNIT_LEVELS[depth - 1]
                            ),
                        ));
                    }
                    Some(_) => {}
                },
            }
            units.push(unit);
        }
        let tx = self.conn.transaction()?;
        tx.execute_batch("PRAGMA defer_foreign_keys = ON")?;
        for u in &units {
            tx.execute(
                "INSERT INTO org_units(id, name, level, parent_id) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, level = excluded.level,
                   parent_id = excluded.parent_id",
                params![u.id, u.name, u.level, u.parent],
            )?;
        }
        tx.commit()?;
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
        let file = path.display().to_string();
        let rows: Vec<(u64, SiteRow)> = read_csv(path)?;
        let mut sites = Vec::with_capacity(rows.len());
        for (line, row) in rows {
            let site = site_from_row(row).map_err(|reason| CoreError::BadImportRow {
                file: file.clone(),
                line,
                reason,
            })?;
            sites.push(site);
        }
        self.upsert_sites(&sites)?;
        Ok(sites.len())
    }

    /// Inserts or updates sites in one transaction, validating each first.
    pub fn upsert_sites(&mut self, sites: &[Site]) -> Result<()> {
        for site in sites {
            validate_site(site).map_err(CoreError::InvalidInput)?;
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
    Ok(Template::from_json("stored template", body)?)
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

/// Reads every record of a CSV file with a header row, each with its 1-based line number.
fn read_csv<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<(u64, T)>> {
    let file = path.display().to_string();
    let bad = |line: u64, reason: String| CoreError::BadImportRow {
        file: file.clone(),
        line,
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(io) => CoreError::io(path, io),
            other => CoreError::InvalidInput(format!("{file}: {other:?}")),
        })?;
    let headers = reader.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    let mut out = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|e| bad(e.position().map(|p| p.line()).unwrap_or(0), e.to_string()))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let row = record.deserialize(Some(&headers)).map_err(|e| {
            let reason = match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
                _ => e.to_string(),
            };
            bad(line, reason)
        })?;
        out.push((line, row));
    }
    Ok(out)
}

fn parse_coordinate(text: &str, name: &str, limit: f64) -> Result<Option<f64>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{name} `{text}` is not a number"))?;
    if !value.is_finite() || value.abs() > limit {
        return Err(format!("{name} {value} is out of range ±{limit}"));
    }
    Ok(Some(value))
}

fn site_from_row(row: SiteRow) -> Result<Site, String> {
    let site = Site {
        lat: parse_coordinate(row.lat.trim(), "lat", 90.0)?,
        lon: parse_coordinate(row.lon.trim(), "lon", 180.0)?,
        id: row.id,
        name: row.name,
        kind: row.kind,
        unit: row.unit,
        address: row.address,
    };
    validate_site(&site)?;
    Ok(site)
}

fn validate_site(site: &Site) -> Result<(), String> {
    if site.id.trim().is_empty() {
        return Err("site id is empty".into());
    }
    if site.name.trim().is_empty() {
        return Err(format!("site {} has no name", site.id));
    }
    if !SITE_KINDS.contains(&site.kind.as_str()) {
        return Err(format!(
            "site {} has unknown kind `{}` (expected one of {})",
            site.id,
            site.kind,
            SITE_KINDS.join(", ")
        ));
    }
    if site.unit.trim().is_empty() {
        return Err(format!("site {} has no unit", site.id));
    }
    Ok(())
}
