//! `gridwalk enrol --server URL --code CODE` and `gridwalk sync [--json]`: the core's
//! sync client on a tokio runtime of the terminal shell's own.

use std::process::ExitCode;

use clap::Args;
use gridwalk_core::sync::{self, Enrolment, SyncPhase, SyncProgress, SyncReport};
use gridwalk_core::{CoreError, Result, SharedStore};

use crate::output::Output;

/// Arguments of `gridwalk enrol`.
#[derive(Args)]
pub struct EnrolArgs {
    /// The sync server's URL, e.g. `http://127.0.0.1:8750`.
    #[arg(long)]
    server: String,
    /// The one-time enrolment code an administrator gave you.
    #[arg(long)]
    code: String,
}

/// Arguments of `gridwalk sync`.
#[derive(Args)]
pub struct SyncArgs {
    /// Print progress lines on stderr while syncing.
    #[arg(long)]
    progress: bool,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CoreError::io("tokio runtime", e))
}

/// Enrols this device.
pub fn enrol(args: EnrolArgs, store: &SharedStore, out: &Output) -> Result<()> {
    let enrolment = runtime()?.block_on(sync::enroll(store, &args.server, &args.code))?;
    out.print(&enrolment, human_enrolment);
    Ok(())
}

fn human_enrolment(e: &Enrolment) -> String {
    let department = e
        .person
        .department
        .as_deref()
        .map(|d| format!(", department {d}"))
        .unwrap_or_default();
    format!(
        "enrolled with {} as device {}\nprofile: {} ({} of {}{department})",
        e.server, e.device_id, e.person.name, e.person.role, e.person.unit
    )
}

/// Progress lines on stderr, one per phase change or tenth of the way.
struct StderrProgress;

impl SyncProgress for StderrProgress {
    fn on_progress(&self, phase: SyncPhase, done: u64, total: u64) {
        eprintln!("sync: {phase:?} {done}/{total}");
    }
}

/// Exit status of a sync that finished but left something the server refused (in this
/// sync, or held back from earlier ones): distinct from 1 (an error) and 2 (bad usage).
pub const REFUSED_EXIT_STATUS: u8 = 3;

/// The exit statuses, as `gridwalk sync --help` lists them.
pub const EXIT_STATUS_HELP: &str = "Exit status:
  0  synced; the server took everything this device sent
  1  the sync failed (network, server, store); nothing is lost, sync again
  2  bad command line
  3  synced, but the server refused records or some are held back after repeated
     refusals; each is listed with the server's reason, and `gridwalk hazards show`
     marks a refused event on its case (it no longer counts in the case's state)";

/// Syncs this device and prints the report; exits with [`REFUSED_EXIT_STATUS`] when the
/// server refused anything, so a script cannot take a partial sync for a clean one.
pub fn sync(args: SyncArgs, store: &SharedStore, out: &Output) -> Result<ExitCode> {
    let sink = StderrProgress;
    let progress: Option<&dyn SyncProgress> = if args.progress { Some(&sink) } else { None };
    let report = runtime()?.block_on(sync::sync(store, progress))?;
    out.print(&report, human_report);
    if report.rejected.is_empty() && report.held_back.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(REFUSED_EXIT_STATUS))
    }
}

fn human_report(r: &SyncReport) -> String {
    let mut lines = vec![
        format!("synced with {}", r.server),
        format!(
            "photos: {} uploaded ({} bytes sent), {} downloaded ({} bytes)",
            r.uploaded_blobs, r.uploaded_bytes, r.downloaded_blobs, r.downloaded_bytes
        ),
        format!(
            "pushed {}: {} accepted, {} already on the server, {} refused",
            r.pushed,
            r.accepted,
            r.duplicates,
            r.rejected.len()
        ),
        format!("pulled {} ({} new here)", r.pulled, r.pulled_new),
    ];
    for item in &r.rejected {
        lines.push(format!(
            "  refused {} {} ({}): {}",
            item.kind, item.id, item.code, item.reason
        ));
    }
    for item in &r.held_back {
        lines.push(format!(
            "  held back after {} refusals: {} {} ({}): {}",
            item.times_refused, item.kind, item.id, item.code, item.reason
        ));
    }
    if !r.rejected.is_empty() || !r.held_back.is_empty() {
        lines.push(
            "the server refused records: they stay on this device, marked on their cases \
             (`gridwalk hazards show`), and do not count there"
                .into(),
        );
    }
    for error in &r.errors {
        lines.push(format!("  note: {error}"));
    }
    lines.join("\n")
}
