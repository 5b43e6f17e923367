//! `gridwalk inspect start|answer|submit|show|list|checklist`.

use clap::Subcommand;
use gridwalk_core::checklist::Item;
use gridwalk_core::inspection::{
    Checklist, InspectionFilter, InspectionKind, InspectionStatus, NewInspection, Outcome,
};
use gridwalk_core::{CoreError, Result, Store};
use serde_json::json;

use crate::commands::photo;
use crate::ids;
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
        /// The inspection id or an unambiguous start of it.
        id: String,
        /// The item code, e.g. `fire-02`.
        item: String,
        /// ok, hazard or na.
        outcome: Outcome,
        /// A note for the record.
        #[arg(long)]
        note: Option<String>,
        /// An evidence photo to attach (repeatable): a camera file to ingest, or the
        /// SHA-256 of a photo already stored here (`gridwalk photo ingest`).
        #[arg(long = "photo", value_name = "FILE|SHA256")]
        photos: Vec<String>,
    },
    /// Submit a draft; refused while applicable items are unanswered.
    Submit {
        /// The inspection id or an unambiguous start of it.
        id: String,
    },
    /// Show an inspection with its answers.
    Show {
        /// The inspection id or an unambiguous start of it.
        id: String,
    },
    /// The applicable items grouped by category, with progress.
    Checklist {
        /// The inspection id or an unambiguous start of it.
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
            let id = ids::inspection(store, &id)?;
            let known = item_of_template(store, &id, &item)?;
            let attached =
                photo::answer_with_photos(store, &id, &item, outcome, note.as_deref(), &photos)?;
            let checklist = store.checklist(&id)?;
            let held: usize = store
                .inspection(&id)?
                .answers
                .iter()
                .find(|a| a.item == item)
                .map_or(0, |a| a.photos.len());
            // Said at once, not only when the inspector tries to submit.
            let warnings: Vec<String> =
                if outcome == Outcome::Hazard && known.photo_required && held == 0 {
                    vec![format!(
                        "{item} needs a photo when it is a hazard: the answer is saved, but \
                         submit is refused until one is attached (--photo FILE|SHA256)"
                    )]
                } else {
                    Vec::new()
                };
            for w in &warnings {
                eprintln!("gridwalk: warning: {w}");
            }
            out.print(
                &json!({ "id": id, "item": item, "outcome": outcome, "answered": checklist.answered,
                         "applicable": checklist.applicable, "photos": attached,
                         "warnings": warnings }),
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
            let id = ids::inspection(store, &id)?;
            store.submit(&id)?;
            let inspection = store.inspection(&id)?;
            out.print(&inspection, |i| format!("submitted {}", i.id));
        }
        InspectCommand::Show { id } => {
            let id = ids::inspection(store, &id)?;
            let inspection = store.inspection(&id)?;
            out.print(&inspection, |i| {
                let mut lines = vec![format!(
                    "{}  {}  {}  site {}  by {}, started {}",
                    i.id,
                    i.kind,
                    i.status,
                    i.site_id,
                    i.inspector,
                    out.time(&i.started_at)
                )];
                for a in &i.answers {
                    let note = a
                        .note
                        .as_deref()
                        .map(|n| format!("  — {n}"))
                        .unwrap_or_default();
                    lines.push(format!("  {:<16} {}{note}", a.item, a.outcome));
                    for sha in &a.photos {
                        lines.push(format!("  {:<16}   photo {sha}", ""));
                    }
                }
                lines.join("\n")
            });
        }
        InspectCommand::Checklist { id } => {
            let id = ids::inspection(store, &id)?;
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
    let mut lines = vec![
        format!(
            "{}  {}  {}/{} answered",
            c.inspection_id, c.status, c.answered, c.applicable
        ),
        "answer each item: ok, hazard or na; [photo] = a hazard needs a photo".to_string(),
    ];
    for cat in &c.categories {
        lines.push(format!(
            "\n{} {}  {}/{}",
            cat.title_en, cat.title_zh, cat.answered, cat.applicable
        ));
        for e in &cat.entries {
            let mark = e.answer.as_ref().map_or("-", |a| a.outcome.as_str());
            let photo = if e.item.photo_required {
                "  [photo]"
            } else {
                ""
            };
            lines.push(format!(
                "  [{mark:^6}] {:<16} {}{photo}",
                e.item.code, e.item.title_en
            ));
        }
    }
    lines.join("\n")
}

/// The template item `code` of the inspection `id`; an unknown code is refused, naming
/// the nearest codes (a typo such as `fire-2` is not "not applicable", it does not
/// exist).
fn item_of_template(store: &Store, id: &str, code: &str) -> Result<Item> {
    let inspection = store.inspection(id)?;
    let template = store.template(&inspection.template_id, Some(inspection.template_version))?;
    let items: Vec<&Item> = template.categories.iter().flat_map(|c| &c.items).collect();
    if let Some(item) = items.iter().find(|i| i.code == code) {
        return Ok((*item).clone());
    }
    let mut nearest: Vec<(usize, &str)> = items
        .iter()
        .map(|i| (edit_distance(code, &i.code), i.code.as_str()))
        .collect();
    nearest.sort();
    let names: Vec<&str> = nearest.iter().take(3).map(|(_, c)| *c).collect();
    Err(CoreError::InvalidInput(format!(
        "checklist item `{code}` does not exist in {} v{}; nearest: {} \
         (`gridwalk inspect checklist {id}` lists them)",
        template.id,
        template.version,
        names.join(", ")
    )))
}

/// Levenshtein distance over characters: how many single edits turn `a` into `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("fire-2", "fire-02"), 1);
        assert_eq!(edit_distance("fire-02", "fire-02"), 0);
        assert_eq!(edit_distance("fire-02", "fire-03"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
