//! `gridwalk inspect start|answer|submit|show|list|checklist`.

use clap::Subcommand;
use gridwalk_core::inspection::{
    Checklist, InspectionFilter, InspectionKind, InspectionStatus, NewInspection, Outcome,
};
use gridwalk_core::{Result, Store};
use serde_json::json;

use crate::output::Output;

/// Inspection commands.
#[derive(Subcommand)]
pub enum InspectCommand {
    /// Start an inspection of a site as the profile's person; prints its id. Refused
    /// until `gridwalk profile set` (or `gridwalk enrol`) has said who that is.
    Start {
        /// The site to inspect.
        #[arg(long)]
        site: String,
        /// routine, spot-check or reinspection.
        #[arg(long, default_value = "routine")]
        kind: InspectionKind,
        /// Template id; `safe-community` when omitted.
        #[arg(long)]
        template: Option<String>,
    },
    /// Answer one checklist item (answers of a draft may be changed).
    Answer {
        /// The inspection id.
        id: String,
        /// The item code, e.g. `fire-02`.
        item: String,
        /// ok, hazard or na.
        outcome: Outcome,
        /// A note for the record.
        #[arg(long)]
        note: Option<String>,
        /// An evidence photo to ingest and attach (repeatable).
        #[arg(long = "photo", value_name = "FILE")]
        photos: Vec<std::path::PathBuf>,
    },
    /// Submit a draft; refused while applicable items are unanswered.
    Submit {
        /// The inspection id.
        id: String,
    },
    /// Show an inspection with its answers.
    Show {
        /// The inspection id.
        id: String,
    },
    /// The applicable items grouped by category, with progress.
    Checklist {
        /// The inspection id.
        id: String,
    },
    /// List inspections, newest first.
    List {
        /// Only drafts or only submitted.
        #[arg(long)]
        status: Option<InspectionStatus>,
        /// Only this inspector's.
        #[arg(long)]
        inspector: Option<String>,
    },
}

/// Runs an inspection command.
pub fn run(cmd: InspectCommand, store: &mut Store, out: &Output) -> Result<()> {
    match cmd {
        InspectCommand::Start {
            site,
            kind,
            template,
        } => {
            // An inspection records who made it: refused until the profile says who.
            let inspector = store.require_profile()?.name;
            let id = store.start_inspection(&NewInspection {
                site_id: site,
                template_id: template,
                template_version: None,
                kind,
                inspector,
            })?;
            out.print(&json!({ "id": id }), |_| id.clone());
        }
        InspectCommand::Answer {
            id,
            item,
            outcome,
            note,
            photos,
        } => {
            let attached = if photos.is_empty() {
                store.answer(&id, &item, outcome, note.as_deref())?;
                Vec::new()
            } else {
                crate::commands::photo::answer_with_photos(
                    store,
                    &id,
                    &item,
                    outcome,
                    note.as_deref(),
                    &photos,
                )?
            };
            let checklist = store.checklist(&id)?;
            out.print(
                &json!({ "id": id, "item": item, "outcome": outcome, "answered": checklist.answered,
                         "applicable": checklist.applicable, "photos": attached }),
                |_| {
                    let mut text = format!(
                        "{item}: {outcome}  ({}/{} answered)",
                        checklist.answered, checklist.applicable
                    );
                    for sha in &attached {
                        text.push_str(&format!("\n  photo {sha}"));
                    }
                    text
                },
            );
        }
        InspectCommand::Submit { id } => {
            store.submit(&id)?;
            let inspection = store.inspection(&id)?;
            out.print(&inspection, |i| format!("submitted {}", i.id));
        }
        InspectCommand::Show { id } => {
            let inspection = store.inspection(&id)?;
            out.print(&inspection, |i| {
                let mut lines = vec![format!(
                    "{}  {}  {}  site {}  by {}",
                    i.id, i.kind, i.status, i.site_id, i.inspector
                )];
                for a in &i.answers {
                    let note = a
                        .note
                        .as_deref()
                        .map(|n| format!("  — {n}"))
                        .unwrap_or_default();
                    lines.push(format!("  {:<16} {}{note}", a.item, a.outcome));
                }
                lines.join("\n")
            });
        }
        InspectCommand::Checklist { id } => {
            let checklist = store.checklist(&id)?;
            out.print(&checklist, human_checklist);
        }
        InspectCommand::List { status, inspector } => {
            let list = store.list_inspections(&InspectionFilter {
                inspector,
                status,
                limit: None,
            })?;
            out.print(&list, |l| {
                l.iter()
                    .map(|i| {
                        format!(
                            "{}  {:<9} {:<12} {} ({} answers)",
                            i.id, i.status, i.kind, i.site_name, i.answered
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

fn human_checklist(c: &Checklist) -> String {
    let mut lines = vec![format!(
        "{}  {}  {}/{} answered",
        c.inspection_id, c.status, c.answered, c.applicable
    )];
    for cat in &c.categories {
        lines.push(format!(
            "\n{} {}  {}/{}",
            cat.title_en, cat.title_zh, cat.answered, cat.applicable
        ));
        for e in &cat.entries {
            let mark = e.answer.as_ref().map_or("-", |a| a.outcome.as_str());
            lines.push(format!(
                "  [{mark:^6}] {:<16} {}",
                e.item.code, e.item.title_en
            ));
        }
    }
    lines.join("\n")
}
