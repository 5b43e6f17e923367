//! `gridwalk templates list|show`.

use clap::Subcommand;
use gridwalk_core::{Result, Store};

use crate::output::Output;

/// Template commands.
#[derive(Subcommand)]
pub enum TemplatesCommand {
    /// List stored template versions.
    List,
    /// Show a template with its categories and items.
    Show {
        /// Template id, e.g. `safe-community`.
        id: String,
        /// Version; the newest when omitted.
        #[arg(long)]
        version: Option<u32>,
    },
}

/// Runs a template command.
pub fn run(cmd: TemplatesCommand, store: &mut Store, out: &Output) -> Result<()> {
    match cmd {
        TemplatesCommand::List => {
            let templates = store.list_templates()?;
            out.print(&templates, |ts| {
                ts.iter()
                    .map(|t| format!("{} v{}  {} items  {}", t.id, t.version, t.items, t.title_en))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        TemplatesCommand::Show { id, version } => {
            let template = store.template(&id, version)?;
            out.print(&template, |t| {
                let mut lines = vec![format!("{} v{}  {}", t.id, t.version, t.title_en)];
                for c in &t.categories {
                    lines.push(format!("\n{} {} ({})", c.title_en, c.title_zh, c.code));
                    for i in &c.items {
                        let photo = if i.photo_required { "  [photo]" } else { "" };
                        lines.push(format!(
                            "  {:<16} {} {}{photo}",
                            i.code, i.title_en, i.title_zh
                        ));
                    }
                }
                lines.join("\n")
            });
        }
    }
    Ok(())
}
