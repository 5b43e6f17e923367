//! The admin subcommands' work: importing org units and sites, adding people.
//!
//! CSV files are validated by the core's own importers (the same rules a device
//! applies), run against a scratch core store; only what passes is written to the
//! server's store, all or nothing.

use std::io::Write;
use std::path::Path;

use gridwalk_core::Store as CoreStore;
use gridwalk_model::hazard::{CampaignReport, DeadlinePolicy, Event, report};
use gridwalk_model::org::UNIT_LEVELS;
use serde::Serialize;

use crate::auth::{enrolment_code_hash, new_enrolment_code};
use crate::kinds::{HAZARD_EVENT, templates};
use crate::people::{Person, Role, parse_role};
use crate::scope::UnitTree;
use crate::storage::{RecordStore, StoreError};

/// What an admin command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The input (file or arguments) is invalid; nothing was changed.
    #[error("{0}")]
    Invalid(String),
    /// The core's importer refused the file; nothing was changed.
    #[error(transparent)]
    Core(#[from] gridwalk_core::CoreError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A scratch file could not be written.
    #[error("scratch file: {0}")]
    Io(#[from] std::io::Error),
}

/// How many rows an import wrote.
#[derive(Debug, Serialize)]
pub struct ImportReport {
    /// Rows imported from the file.
    pub imported: usize,
}

/// A person added, with their one-time enrolment code.
#[derive(Debug, Serialize)]
pub struct AddedPerson {
    /// The new person.
    pub person: Person,
    /// The code to type into the app once; it is not stored and cannot be shown again.
    pub enrolment_code: String,
}

/// A scratch core store that already holds the server's units, so the core's importer
/// can check parents against them.
fn scratch_store(store: &dyn RecordStore, dir: &Path) -> Result<CoreStore, AdminError> {
    let mut scratch = CoreStore::open(dir.join("scratch.sqlite"))?;
    let existing = store.units()?;
    if !existing.is_empty() {
        let path = dir.join("existing-units.csv");
        let mut writer = csv::Writer::from_path(&path)
            .map_err(|e| AdminError::Invalid(format!("scratch csv: {e}")))?;
        writer
            .write_record(["id", "name", "level", "parent"])
            .map_err(|e| AdminError::Invalid(format!("scratch csv: {e}")))?;
        // Parents before children, as the importer reads top-down.
        let mut sorted = existing;
        sorted.sort_by_key(|u| UNIT_LEVELS.iter().position(|l| *l == u.level));
        for u in &sorted {
            writer
                .write_record([
                    u.id.as_str(),
                    u.name.as_str(),
                    u.level.as_str(),
                    u.parent.as_deref().unwrap_or(""),
                ])
                .map_err(|e| AdminError::Invalid(format!("scratch csv: {e}")))?;
        }
        writer.flush()?;
        scratch.import_units_csv(&path)?;
    }
    Ok(scratch)
}

/// Imports org units from `id,name,level,parent` CSV.
pub fn import_units(store: &dyn RecordStore, file: &Path) -> Result<ImportReport, AdminError> {
    let dir = tempfile::tempdir()?;
    let mut scratch = scratch_store(store, dir.path())?;
    let imported = scratch.import_units_csv(file)?;
    store.upsert_units(&scratch.list_units()?)?;
    Ok(ImportReport { imported })
}

/// Imports sites from `id,name,kind,unit,address,lat,lon` CSV; every site's unit must
/// be a known unit.
pub fn import_sites(store: &dyn RecordStore, file: &Path) -> Result<ImportReport, AdminError> {
    let dir = tempfile::tempdir()?;
    let mut scratch = CoreStore::open(dir.path().join("scratch.sqlite"))?;
    let imported = scratch.import_sites_csv(file)?;
    let sites = scratch.list_sites()?;
    let tree = UnitTree::new(&store.units()?);
    if let Some(bad) = sites.iter().find(|s| !tree.is_within(&s.unit, &s.unit)) {
        return Err(AdminError::Invalid(format!(
            "{}: site {} names unknown unit `{}`; import the units first",
            file.display(),
            bad.id,
            bad.unit
        )));
    }
    store.upsert_sites(&sites)?;
    Ok(ImportReport { imported })
}

/// Adds a person and makes their one-time enrolment code.
pub fn add_person(
    store: &dyn RecordStore,
    name: &str,
    role: &str,
    unit: &str,
    department: Option<&str>,
) -> Result<AddedPerson, AdminError> {
    let role = parse_role(role).map_err(AdminError::Invalid)?;
    if name.trim().is_empty() {
        return Err(AdminError::Invalid("a person needs a name".into()));
    }
    let tree = UnitTree::new(&store.units()?);
    if !tree.is_within(unit, unit) {
        return Err(AdminError::Invalid(format!(
            "unknown unit `{unit}`; import the units first"
        )));
    }
    let department = department.map(str::trim).filter(|d| !d.is_empty());
    match (role, department) {
        (Role::DepartmentOfficer, None) => {
            return Err(AdminError::Invalid(
                "a department officer needs --department CODE".into(),
            ));
        }
        (_, Some(code)) => {
            let known: Vec<&str> = templates()
                .iter()
                .flat_map(|t| t.departments.iter().map(|d| d.code.as_str()))
                .collect();
            if !known.contains(&code) {
                return Err(AdminError::Invalid(format!(
                    "unknown department `{code}` (expected one of: {})",
                    known.join(", ")
                )));
            }
        }
        (_, None) => {}
    }
    let code = new_enrolment_code().map_err(|e| AdminError::Invalid(e.to_string()))?;
    let person = Person {
        id: uuid::Uuid::now_v7().to_string(),
        name: name.trim().to_string(),
        role,
        unit: unit.to_string(),
        department: department.map(str::to_string),
    };
    store.add_person(&person, &enrolment_code_hash(&code))?;
    Ok(AddedPerson {
        person,
        enrolment_code: code,
    })
}

/// The campaign report over every hazard event on the server, computed by the core
/// (the same numbers a device computes from the events it holds), as of `as_of_ms`.
pub fn campaign_report(
    store: &dyn RecordStore,
    as_of_ms: i64,
) -> Result<CampaignReport, AdminError> {
    let events = store
        .records_of_kind(HAZARD_EVENT)?
        .iter()
        .map(|r| {
            serde_json::from_str::<Event>(&r.body)
                .map_err(|e| StoreError::Corrupt(format!("stored hazard event {}: {e}", r.id)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let names: Vec<(String, String)> = templates()
        .iter()
        .find(|t| t.id == gridwalk_model::inspection::DEFAULT_TEMPLATE)
        .map(|t| {
            t.categories
                .iter()
                .map(|c| (c.code.clone(), c.title_en.clone()))
                .collect()
        })
        .unwrap_or_default();
    Ok(report::compute(
        &events,
        &store.units()?,
        &names,
        &DeadlinePolicy::default(),
        as_of_ms,
    ))
}

/// Prints a command's result as JSON or as a line for people.
pub fn print<T: Serialize>(json: bool, value: &T, human: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
        writeln!(out, "{text}")
    } else {
        writeln!(out, "{human}")
    }
}
