//! `gridwalk enroll --server URL --code CODE` and `gridwalk sync [--json]`: the core's
//! sync client on a tokio runtime of the terminal shell's own.

use clap::Args;
use gridwalk_core::sync::{self, Enrolment, SyncPhase, SyncProgress, SyncReport};
use gridwalk_core::{CoreError, Result, SharedStore};

use crate::output::Output;

/// Arguments of `gridwalk enroll`.
#[derive(Args)]
pub struct EnrollArgs {
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
pub fn enroll(args: EnrollArgs, store: &SharedStore, out: &Output) -> Result<()> {
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

/// Syncs this device and prints the report.
pub fn sync(args: SyncArgs, store: &SharedStore, out: &Output) -> Result<()> {
    let sink = StderrProgress;
    let progress: Option<&dyn SyncProgress> = if args.progress { Some(&sink) } else { None };
    let report = runtime()?.block_on(sync::sync(store, progress))?;
    out.print(&report, human_report);
    Ok(())
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
    for error in &r.errors {
        lines.push(format!("  note: {error}"));
    }
    lines.join("\n")
}
