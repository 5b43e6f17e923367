//! `gridwalk profile set|show`: who uses this device. Inspections and case events are
//! recorded as this person; `gridwalk enrol` fills the same profile from the server.

use clap::Subcommand;
use gridwalk_core::profile::{Profile, Role};
use gridwalk_core::{CoreError, Result, Store};

use crate::output::Output;

/// Profile commands.
#[derive(Subcommand)]
pub enum ProfileCommand {
    /// Set the local profile (replaces any earlier one).
    Set {
        /// The person's name, recorded on every inspection and hazard event.
        #[arg(long)]
        name: String,
        /// grid-worker, community-staff, street-officer, department-officer, supervisor
        /// or admin.
        #[arg(long)]
        role: Role,
        /// The org unit the person works for.
        #[arg(long)]
        unit: String,
        /// Department code (department officers only), e.g. `fire-rescue`.
        #[arg(long)]
        department: Option<String>,
    },
    /// Show the local profile.
    Show,
}

/// Runs a profile command.
pub fn run(cmd: ProfileCommand, store: &mut Store, out: &Output) -> Result<()> {
    let profile = match cmd {
        ProfileCommand::Set {
            name,
            role,
            unit,
            department,
        } => store.set_profile(&Profile {
            name,
            role,
            unit,
            department,
        })?,
        ProfileCommand::Show => store.profile()?.ok_or(CoreError::NoProfile)?,
    };
    out.print(&profile, human);
    Ok(())
}

fn human(p: &Profile) -> String {
    let department = p
        .department
        .as_deref()
        .map(|d| format!(", department {d}"))
        .unwrap_or_default();
    format!("{} — {} of {}{department}", p.name, p.role, p.unit)
}
