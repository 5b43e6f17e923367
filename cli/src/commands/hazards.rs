//! `gridwalk hazards list|show|open|act`: hazard cases, acting as the local profile.
//! Case ids may be shortened to any unique prefix.

use clap::Subcommand;
use gridwalk_core::checklist::Severity;
use gridwalk_core::hazard::{
    CaseFilter, CaseSummary, CaseView, Event, HazardReport, Level, Payload, ReportSource,
    ServerRefusal, Status,
};
use gridwalk_core::model::provenance::{
    DEFAULT_MAX_CAPTURE_GAP_MS, DEFAULT_MAX_DISTANCE_M, FlagKind, ProvenanceConfig, ProvenanceFlag,
};
use gridwalk_core::{Result, Store};
use serde::Serialize;

use crate::ids;
use crate::output::Output;

/// Hazard-case commands.
#[derive(Subcommand)]
pub enum HazardsCommand {
    /// List cases, newest report first.
    List {
        /// Only cases still open (not solved, not closed).
        #[arg(long)]
        open: bool,
        /// Only contested cases (concurrent, incompatible events to look at).
        #[arg(long)]
        contested: bool,
        /// Only cases in this status (reported, assigned, in-progress, rectified,
        /// verified, closed).
        #[arg(long, value_parser = parse_status)]
        status: Option<Status>,
    },
    /// Show a case: its state, deadline, conflicts, clock-skew flags, provenance flags
    /// and history.
    Show {
        /// The case id or a unique prefix of it.
        id: String,
        /// Flag photos whose GPS is farther than this many metres from the site.
        #[arg(long, default_value_t = DEFAULT_MAX_DISTANCE_M)]
        max_distance_m: f64,
        /// Flag photos captured more than this many hours from their answer or event.
        #[arg(long, default_value_t = DEFAULT_MAX_CAPTURE_GAP_MS as f64 / 3_600_000.0)]
        max_capture_gap_hours: f64,
    },
    /// Open a case from a resident, hotline or online report (community staff).
    Open {
        /// resident, hotline or online-platform.
        #[arg(long, value_parser = parse_source)]
        source: ReportSource,
        /// One of the nine category codes, e.g. `fire`.
        #[arg(long)]
        category: String,
        /// low, medium, high or critical.
        #[arg(long, value_parser = parse_severity)]
        severity: Severity,
        /// The org unit (grid or community) where the hazard is.
        #[arg(long)]
        unit: String,
        /// What was reported.
        #[arg(long)]
        description: String,
        /// The checklist item, when one fits, e.g. `fire-03`.
        #[arg(long)]
        item: Option<String>,
        /// The site, when the hazard is at a known site.
        #[arg(long)]
        site: Option<String>,
    },
    /// Record a workflow step on a case.
    Act {
        /// The case id or a unique prefix of it.
        id: String,
        /// What to record.
        #[command(subcommand)]
        action: Action,
    },
}

/// The workflow steps a person records on a case.
#[derive(Subcommand)]
pub enum Action {
    /// Call the case in to a higher level: street or district.
    CallIn {
        /// street or district.
        level: Level,
        /// Why.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Make a department responsible, e.g. `fire-rescue`.
    Assign {
        /// The department code.
        department: String,
        /// Instructions.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Accept the case for your department.
    Accept {
        /// Free text.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Add a progress note.
    Progress {
        /// What was done.
        note: String,
    },
    /// Report the hazard fixed, with photos.
    Rectify {
        /// A camera file to ingest, or the SHA-256 of a photo stored here; repeat for
        /// several.
        #[arg(long = "photo", value_name = "FILE|SHA256", required = true)]
        photos: Vec<String>,
        /// What was done.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Record a re-inspection of the fix: pass or fail.
    Verify {
        /// pass or fail.
        verdict: Verdict,
        /// The re-inspection's id.
        #[arg(long)]
        inspection: Option<String>,
        /// Findings.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Reopen a verified or closed case.
    Reopen {
        /// Why.
        reason: String,
    },
    /// Close the case.
    Close {
        /// Why; required to close a case that was not verified.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Add a comment.
    Comment {
        /// The comment.
        text: String,
    },
}

/// The outcome of a re-inspection. An enum, not a `bool`: clap takes a positional `bool`
/// for a flag and panics (`verify --help` crashed that way).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Verdict {
    /// The fix holds.
    Pass,
    /// The hazard is still there.
    Fail,
}

impl Action {
    fn into_payload(self) -> Payload {
        match self {
            Action::CallIn { level, note } => Payload::CalledIn { level, note },
            Action::Assign { department, note } => Payload::Assigned { department, note },
            Action::Accept { note } => Payload::Accepted { note },
            Action::Progress { note } => Payload::Progress { note },
            Action::Rectify { photos, note } => Payload::Rectified { photos, note },
            Action::Verify {
                verdict,
                inspection,
                note,
            } => Payload::Verified {
                passed: verdict == Verdict::Pass,
                inspection_id: inspection,
                note,
            },
            Action::Reopen { reason } => Payload::Reopened { reason },
            Action::Close { note } => Payload::Closed { note },
            Action::Comment { text } => Payload::Comment { text },
        }
    }
}

/// Runs a hazard command.
pub fn run(cmd: HazardsCommand, store: &mut Store, out: &Output) -> Result<()> {
    match cmd {
        HazardsCommand::List {
            open,
            contested,
            status,
        } => {
            let cases = store.list_cases(&CaseFilter {
                status,
                open_only: open,
                contested_only: contested,
            })?;
            out.print(&cases, |list| {
                list.iter().map(summary_line).collect::<Vec<_>>().join("\n")
            });
        }
        HazardsCommand::Show {
            id,
            max_distance_m,
            max_capture_gap_hours,
        } => {
            let id = ids::case(store, &id)?;
            let view = store.hazard_case(&id)?;
            let config = ProvenanceConfig {
                max_distance_m,
                max_capture_gap_ms: (max_capture_gap_hours * 3_600_000.0) as i64,
                max_skew_ms: store.max_clock_skew_ms()?,
            };
            let shown = ShownCase {
                provenance: store.case_provenance(&id, &config)?,
                view,
            };
            out.print(&shown, |c| human_case(&c.view, &c.provenance, out));
        }
        HazardsCommand::Open {
            source,
            category,
            severity,
            unit,
            description,
            item,
            site,
        } => {
            let event = store.open_case(HazardReport {
                source,
                category,
                item,
                severity,
                unit,
                site_id: site,
                description,
                photos: Vec::new(),
                suggested_department: None,
            })?;
            out.print(&event, |e| format!("opened case {}", e.case_id));
        }
        HazardsCommand::Act { id, mut action } => {
            let id = ids::case(store, &id)?;
            if let Action::Rectify { photos, .. } = &mut action {
                *photos = crate::commands::photo::photo_shas(store, photos)?;
            }
            let event = store.act(&id, action.into_payload())?;
            let len = ids::case_short_len(store)?;
            let state = store.case_state(&id)?;
            out.print(
                &serde_json::json!({ "event": event, "status": state.status,
                                     "contested": state.contested }),
                |_| {
                    format!(
                        "{} {}: {}",
                        event.kind(),
                        ids::short(&id, len),
                        now_line(&state)
                    )
                },
            );
        }
    }
    Ok(())
}

/// Where a case stands after an action, so the line says what changed:
/// `case is now at street level (reported)`.
fn now_line(state: &gridwalk_core::hazard::CaseState) -> String {
    let department = state
        .department
        .as_deref()
        .map(|d| format!(", with {d}"))
        .unwrap_or_default();
    let contested = if state.contested {
        " — CONTESTED"
    } else {
        ""
    };
    format!(
        "case is now at {} level ({}{department}){contested}",
        state.level, state.status
    )
}

fn parse_status(s: &str) -> std::result::Result<Status, String> {
    serde_json::from_value(serde_json::Value::from(s)).map_err(|_| {
        format!(
            "unknown status `{s}` (reported, assigned, in-progress, rectified, verified, closed)"
        )
    })
}

fn parse_severity(s: &str) -> std::result::Result<Severity, String> {
    serde_json::from_value(serde_json::Value::from(s))
        .map_err(|_| format!("unknown severity `{s}` (low, medium, high, critical)"))
}

fn parse_source(s: &str) -> std::result::Result<ReportSource, String> {
    match s {
        "resident" => Ok(ReportSource::Resident),
        "hotline" => Ok(ReportSource::Hotline),
        "online-platform" => Ok(ReportSource::OnlinePlatform),
        other => Err(format!(
            "unknown source `{other}` (resident, hotline, online-platform; inspection hazards \
             open their cases on submit)"
        )),
    }
}

fn severity_str(s: Severity) -> &'static str {
    match s {
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

fn summary_line(c: &CaseSummary) -> String {
    let mut flags = Vec::new();
    if c.overdue {
        flags.push("OVERDUE".to_string());
    }
    if c.contested {
        flags.push("CONTESTED".to_string());
    }
    if c.refused_events > 0 {
        flags.push(format!("{} REFUSED BY THE SERVER", c.refused_events));
    }
    format!(
        "{}  {:<11} {:<12} {:<8} {:<9} {}{}",
        c.case_id,
        c.status.as_str(),
        c.category,
        c.severity.map_or("-", severity_str),
        c.level.as_str(),
        c.description,
        if flags.is_empty() {
            String::new()
        } else {
            format!("  [{}]", flags.join(", "))
        }
    )
}

fn event_line(e: &Event, refused: Option<&ServerRefusal>, out: &Output) -> String {
    let detail = match &e.payload {
        Payload::Reported(r) => format!("{} at {}: {}", r.category, r.unit, r.description),
        Payload::CalledIn { level, note } => format!("to {level} {note}"),
        Payload::Assigned { department, note } => format!("{department} {note}"),
        Payload::Accepted { note } | Payload::Progress { note } | Payload::Closed { note } => {
            note.clone()
        }
        Payload::Rectified { photos, note } => format!("{note} ({} photo(s))", photos.len()),
        Payload::Verified { passed, note, .. } => {
            format!("{} {note}", if *passed { "passed" } else { "failed" })
        }
        Payload::Reopened { reason } => reason.clone(),
        Payload::Comment { text } => text.clone(),
    };
    let line = format!(
        "  {}  {:<10} {} ({})  {}",
        out.time_ms(e.hlc.ms),
        e.kind().as_str(),
        e.actor.name,
        e.actor.role,
        detail.trim()
    );
    match refused {
        Some(r) => format!(
            "{line}\n      REFUSED by the server ({}, {} time(s)), not counted: {}",
            r.code, r.times_refused, r.reason
        ),
        None => line,
    }
}

/// `hazards show`: the case and its provenance flags (JSON: the case's fields and
/// `provenance`).
#[derive(Serialize)]
struct ShownCase {
    #[serde(flatten)]
    view: CaseView,
    provenance: Vec<ProvenanceFlag>,
}

fn human_case(v: &CaseView, provenance: &[ProvenanceFlag], out: &Output) -> String {
    let s = &v.state;
    // Event ids printed short, as long as this case's events need to stay distinct.
    let len = ids::short_len(v.events.iter().map(|e| e.id.as_str()));
    let mut lines = vec![format!(
        "case {}  {}  level {}",
        s.case_id, s.status, s.level
    )];
    if let Some(r) = &s.report {
        lines.push(format!(
            "  {} / {} at {}: {}",
            r.category,
            severity_str(r.severity),
            r.unit,
            r.description
        ));
    }
    if let Some(d) = &s.department {
        lines.push(format!("  department: {d}"));
    }
    if let Some(d) = v.deadline {
        let overdue = if d.overdue { "  OVERDUE" } else { "" };
        lines.push(format!("  due: {}{overdue}", out.time_ms(d.due_ms)));
    }
    if let Some(solved) = s.solved {
        lines.push(format!(
            "  solved at {} level, {}",
            solved.level,
            out.time_ms(solved.at_ms)
        ));
    }
    for c in &s.conflicts {
        let state = match &c.resolved_by {
            Some(by) => format!("resolved by {}", ids::short(by, len)),
            None => "UNRESOLVED".to_string(),
        };
        let events: Vec<&str> = c.events.iter().map(|e| ids::short(e, len)).collect();
        lines.push(format!(
            "  conflict {:?}: {} — {state}",
            c.kind,
            events.join(", ")
        ));
    }
    for i in &s.ignored {
        lines.push(format!(
            "  ignored {}: rule {}",
            ids::short(&i.event, len),
            i.rule
        ));
    }
    for f in &v.skew {
        lines.push(format!(
            "  clock skew on {} (device {}): {:+} min ({:?})",
            ids::short(&f.event, len),
            f.device,
            f.skew_ms / 60_000,
            f.kind
        ));
    }
    // A gap or a fork in a device's signed chain, as the server found it at receipt.
    for m in v.chain.iter().filter(|m| m.chain != "linked") {
        let meaning = if m.chain == "fork" {
            "another record of its device follows the same one: a cloned or restored store"
        } else {
            "the record before it in its device's chain never reached the server"
        };
        lines.push(format!(
            "  chain {} on {}: {meaning}",
            m.chain,
            ids::short(&m.record, len)
        ));
    }
    // Clock skew is listed just above; the other provenance flags follow it.
    for f in provenance
        .iter()
        .filter(|f| !matches!(f.flag, FlagKind::ClockSkew { .. }))
    {
        // An event id is shortened like the others; `inspection/item` is kept whole.
        let on = if f.record.contains('/') {
            f.record.as_str()
        } else {
            ids::short(&f.record, len)
        };
        lines.push(format!("  provenance: {} (on {on})", f.message));
    }
    if !v.refused.is_empty() {
        lines.push(format!(
            "  {} event(s) refused by the server: marked below, left out of the state",
            v.refused.len()
        ));
    }
    lines.push("history:".into());
    lines.extend(
        v.events
            .iter()
            .map(|e| event_line(e, v.refused.iter().find(|r| r.event == e.id), out)),
    );
    lines.join("\n")
}
