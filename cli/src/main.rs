//! `gridwalk`, the terminal shell over the gridwalk core. Like the phone shells it only
//! parses, forwards and prints: every rule lives in `gridwalk-core`.

mod commands;
mod data_folder;
mod ids;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gridwalk_core::model::time::Zone;
use gridwalk_core::store::{OpenOptions, key_file};
use gridwalk_core::{SharedStore, Store};

use crate::output::Output;

#[derive(Parser)]
#[command(
    name = "gridwalk",
    version,
    about = "Safe-community field inspections from the terminal"
)]
struct Cli {
    /// Folder holding this device's store (encrypted with the key in its `store.key`, made
    /// 0600 on first use, or in `GRIDWALK_STORE_KEY`) and photos.
    #[arg(
        long,
        global = true,
        env = "GRIDWALK_DATA",
        default_value = "gridwalk-data"
    )]
    data: PathBuf,
    /// Print machine-readable JSON (errors go to stderr as JSON too).
    #[arg(long, global = true)]
    json: bool,
    /// Show times in UTC instead of local time (JSON keeps its RFC 3339 offsets).
    #[arg(long, global = true)]
    utc: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Checklist templates.
    #[command(subcommand)]
    Templates(commands::templates::TemplatesCommand),
    /// Organisation units (district, street/town, community/village, grid).
    #[command(subcommand)]
    Units(commands::sites::UnitsCommand),
    /// Sites to inspect.
    #[command(subcommand)]
    Sites(commands::sites::SitesCommand),
    /// Start, answer, submit and show inspections.
    #[command(subcommand)]
    Inspect(commands::inspect::InspectCommand),
    /// Who uses this device: name, role, unit (and department).
    #[command(subcommand)]
    Profile(commands::profile::ProfileCommand),
    /// Hazard cases: list, show, open from a public report, act on.
    #[command(subcommand)]
    Hazards(commands::hazards::HazardsCommand),
    /// The campaign report: found, open, overdue, solved by level, per category and unit.
    Report(commands::report::ReportArgs),
    /// Photo evidence: ingest camera files.
    #[command(subcommand)]
    Photo(commands::photo::PhotoCommand),
    /// Enrol this device with a sync server using a one-time code.
    ///
    /// `enroll` works too; the project spells it "enrol" everywhere, as the server's
    /// `/v1/enrol` does.
    #[command(alias = "enroll")]
    Enrol(commands::sync::EnrolArgs),
    /// Sync with the server: upload photos, push what was recorded, pull what others did.
    #[command(after_help = commands::sync::EXIT_STATUS_HELP)]
    Sync(commands::sync::SyncArgs),
    /// Check a case bundle from `gridwalk-server export-case` offline (no server, no
    /// store): every file's hash, signature, chain link and photo; prints the case's
    /// timeline and names each problem.
    #[command(after_help = commands::bundle::EXIT_STATUS_HELP)]
    VerifyBundle(commands::bundle::VerifyBundleArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let zone = if cli.utc { Zone::Utc } else { Zone::Local };
    let out = Output::new(cli.json, zone);
    match run(cli, &out) {
        Ok(code) => code,
        Err(error) => {
            out.error(&error);
            ExitCode::FAILURE
        }
    }
}

/// Runs the command; a command that succeeded may still ask for a non-zero exit status
/// (`gridwalk sync` when the server refused something).
fn run(cli: Cli, out: &Output) -> Result<ExitCode, gridwalk_core::CoreError> {
    // Anyone may check a bundle: no data folder, no store.
    if let Command::VerifyBundle(args) = &cli.command {
        return commands::bundle::verify(args, out);
    }
    data_folder::prepare(&cli.data, !cli.json)?;
    // Encrypted at rest with the key from GRIDWALK_STORE_KEY or the data folder's 0600
    // key file (made on first use); the core's software key signs the records.
    let options = OpenOptions {
        key: Some(key_file::resolve(&cli.data)?),
        signer: None,
    };
    let mut store = Store::open_with(cli.data.join("gridwalk.db"), options)?;
    let done = match cli.command {
        // The sync client works on the shared store, as the phone shells' sync does.
        Command::Enrol(args) => commands::sync::enrol(args, &SharedStore::new(store), out),
        Command::Sync(args) => return commands::sync::sync(args, &SharedStore::new(store), out),
        Command::Templates(cmd) => commands::templates::run(cmd, &mut store, out),
        Command::Units(cmd) => commands::sites::run_units(cmd, &mut store, out),
        Command::Sites(cmd) => commands::sites::run_sites(cmd, &mut store, out),
        Command::Inspect(cmd) => commands::inspect::run(cmd, &mut store, out),
        Command::Profile(cmd) => commands::profile::run(cmd, &mut store, out),
        Command::Hazards(cmd) => commands::hazards::run(cmd, &mut store, out),
        Command::Report(args) => commands::report::run(args, &mut store, out),
        Command::Photo(cmd) => commands::photo::run(cmd, &mut store, out),
        Command::VerifyBundle(args) => return commands::bundle::verify(&args, out),
    };
    done.map(|()| ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own consistency checks over every subcommand and argument: what would
    /// otherwise panic only when a user reaches that command (as `verify` once did).
    #[test]
    fn the_command_line_passes_clap_debug_assert() {
        super::Cli::command().debug_assert();
    }
}
