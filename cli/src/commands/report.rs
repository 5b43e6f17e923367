//! `gridwalk report [--csv] [--as-of TIME]`: the campaign report from the hazard events
//! on this device (JSON with the global `--json`).

use clap::Args;
use gridwalk_core::hazard::{CampaignReport, ReportRow};
use gridwalk_core::model::time;
use gridwalk_core::{CoreError, Result, Store};

use crate::output::{Output, pad};

/// Terminal columns of the report's first column (names of units and categories).
const LABEL_WIDTH: usize = 40;

/// Report options.
#[derive(Args)]
pub struct ReportArgs {
    /// Print CSV (one row per total, category and unit) instead of a table or JSON.
    #[arg(long)]
    csv: bool,
    /// Report as of this time: RFC 3339 (2026-05-01T18:00:00+08:00) or a date
    /// (2026-05-01: the end of that day, local time or UTC with --utc); now when omitted.
    #[arg(long)]
    as_of: Option<String>,
}

/// Runs the report command.
pub fn run(args: ReportArgs, store: &mut Store, out: &Output) -> Result<()> {
    if args.csv && out.is_json() {
        return Err(CoreError::InvalidInput(
            "--csv and --json are two formats for the same report: give one".into(),
        ));
    }
    let as_of_ms = match &args.as_of {
        None => chrono::Utc::now().timestamp_millis(),
        Some(text) => time::parse_as_of(text, out.zone())
            .map_err(|e| CoreError::InvalidInput(e.to_string()))?,
    };
    let report = store.campaign_report(as_of_ms)?;
    if args.csv {
        out.raw(&report.to_csv()?);
        return Ok(());
    }
    out.print(&report, human);
    Ok(())
}

fn human(r: &CampaignReport) -> String {
    let header = format!(
        "{:<LABEL_WIDTH$} {:>5} {:>5} {:>7} {:>9} {:>8} {:>6} {:>9} {:>6} {:>8} {:>11}",
        "",
        "found",
        "open",
        "overdue",
        "rectified",
        "verified",
        "closed",
        "community",
        "street",
        "district",
        "median days"
    );
    let line = |row: &ReportRow| {
        let label = match row.level.as_str() {
            "" => row.name.clone(),
            level => format!("{} ({level})", row.name),
        };
        format!(
            "{} {:>5} {:>5} {:>7} {:>9} {:>8} {:>6} {:>9} {:>6} {:>8} {:>11}",
            pad(&label, LABEL_WIDTH),
            row.found,
            row.open,
            row.overdue,
            row.rectified,
            row.verified,
            row.closed,
            row.solved_community,
            row.solved_street,
            row.solved_district,
            row.median_days_to_fix
                .map(|d| format!("{d:.1}"))
                .unwrap_or_else(|| "-".into())
        )
    };
    let mut lines = vec![header, line(&r.total), String::from("\nBy category")];
    lines.extend(r.by_category.iter().map(line));
    if !r.by_unit.is_empty() {
        lines.push(String::from(
            "\nBy unit (solved columns: level that solved it)",
        ));
        lines.extend(r.by_unit.iter().map(line));
    }
    if r.awaiting_report > 0 {
        lines.push(format!(
            "\n{} case(s) await their report event",
            r.awaiting_report
        ));
    }
    lines.join("\n")
}
