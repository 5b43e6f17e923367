//! `gridwalk photo ingest`, and the `--photo FILE` evidence of `gridwalk inspect answer`.

use std::path::PathBuf;

use clap::Subcommand;
use gridwalk_core::inspection::Outcome;
use gridwalk_core::photo::{IngestOptions, IngestedPhoto};
use gridwalk_core::{Result, Store};

use crate::output::Output;

/// Photo commands.
#[derive(Subcommand)]
pub enum PhotoCommand {
    /// Ingest a camera file (JPEG or PNG) as evidence: upright, shrunk, re-encoded
    /// without metadata, stored by its SHA-256 with a thumbnail. Prints its hash.
    Ingest {
        /// The camera file.
        file: PathBuf,
        /// Longest side of the stored image, in pixels.
        #[arg(long, default_value_t = IngestOptions::default().long_edge)]
        long_edge: u32,
        /// JPEG quality, 1-100.
        #[arg(long, default_value_t = IngestOptions::default().quality)]
        quality: u8,
    },
}

/// Runs a photo command.
pub fn run(cmd: PhotoCommand, store: &mut Store, out: &Output) -> Result<()> {
    match cmd {
        PhotoCommand::Ingest {
            file,
            long_edge,
            quality,
        } => {
            let options = IngestOptions {
                long_edge,
                quality,
                // A thumbnail never larger than the evidence it stands for.
                thumbnail_edge: IngestOptions::default().thumbnail_edge.min(long_edge),
                ..IngestOptions::default()
            };
            let photo = store.ingest_photo(&file, &options)?;
            out.print(&photo, describe);
        }
    }
    Ok(())
}

/// Records an answer with its `--photo` files through the core, which refuses the whole
/// answer if any photo is bad.
pub fn answer_with_photos(
    store: &mut Store,
    id: &str,
    item: &str,
    outcome: Outcome,
    note: Option<&str>,
    photos: &[PathBuf],
) -> Result<Vec<String>> {
    let ingested =
        store.answer_with_photos(id, item, outcome, note, photos, &IngestOptions::default())?;
    Ok(ingested.into_iter().map(|p| p.sha256).collect())
}

fn describe(p: &IngestedPhoto) -> String {
    let mut line = format!(
        "{}  {}x{}  {} bytes{}\n  {}",
        p.sha256,
        p.width,
        p.height,
        p.bytes,
        if p.already_stored {
            "  (already stored)"
        } else {
            ""
        },
        p.path.display()
    );
    if let Some(t) = &p.taken_at {
        line.push_str(&format!("\n  taken {t}"));
    }
    if let (Some(lat), Some(lon)) = (p.lat, p.lon) {
        line.push_str(&format!("\n  at {lat:.6}, {lon:.6}"));
    }
    if let Some(c) = &p.camera {
        line.push_str(&format!("\n  camera {c}"));
    }
    line
}
