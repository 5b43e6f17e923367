//! `gridwalk units import|list` and `gridwalk sites import|list`.

use std::path::PathBuf;

use clap::Subcommand;
use gridwalk_core::{Result, Store};
use serde_json::json;

use crate::output::Output;

/// Org-unit commands.
#[derive(Subcommand)]
pub enum UnitsCommand {
    /// Import units from a CSV file with columns `id,name,level,parent`.
    Import {
        /// The CSV file.
        file: PathBuf,
    },
    /// List units, top level first.
    List,
}

/// Site commands.
#[derive(Subcommand)]
pub enum SitesCommand {
    /// Import sites from a CSV file with columns `id,name,kind,unit,address,lat,lon`.
    Import {
        /// The CSV file.
        file: PathBuf,
    },
    /// List sites.
    List,
}

/// Runs a unit command.
pub fn run_units(cmd: UnitsCommand, store: &mut Store, out: &Output) -> Result<()> {
    match cmd {
        UnitsCommand::Import { file } => {
            let imported = store.import_units_csv(&file)?;
            out.print(&json!({ "imported": imported }), |_| {
                format!("imported {imported} units")
            });
        }
        UnitsCommand::List => {
            let units = store.list_units()?;
            out.print(&units, |us| {
                us.iter()
                    .map(|u| format!("{:<12} {:<10} {}", u.id, u.level, u.name))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

/// Runs a site command.
pub fn run_sites(cmd: SitesCommand, store: &mut Store, out: &Output) -> Result<()> {
    match cmd {
        SitesCommand::Import { file } => {
            let imported = store.import_sites_csv(&file)?;
            out.print(&json!({ "imported": imported }), |_| {
                format!("imported {imported} sites")
            });
        }
        SitesCommand::List => {
            let sites = store.list_sites()?;
            out.print(&sites, |ss| {
                ss.iter()
                    .map(|s| format!("{:<12} {:<16} {:<10} {}", s.id, s.kind, s.unit, s.name))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}
