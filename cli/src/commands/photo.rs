//! `gridwalk photo ingest`, and the `--photo FILE|SHA256` of `gridwalk inspect answer`
//! and `gridwalk hazards act … rectify`.

use std::path::PathBuf;

use clap::Subcommand;
use gridwalk_core::inspection::Outcome;
use gridwalk_core::photo::{IngestOptions, IngestedPhoto};
use gridwalk_core::{CoreError, Result, Store};

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

/// What a `--photo` argument names: a camera file, or a photo already stored here.
enum PhotoArg {
    /// A file to ingest.
    File(PathBuf),
    /// The SHA-256 of a stored photo.
    Stored(String),
}

/// Reads a `--photo` argument: an existing file wins; otherwise 64 hex digits must name
/// a photo this device holds; anything else is a file that cannot be read.
fn photo_arg(store: &Store, arg: &str) -> Result<PhotoArg> {
    let path = PathBuf::from(arg);
    if path.exists() {
        return Ok(PhotoArg::File(path));
    }
    let sha = arg.trim().to_ascii_lowercase();
    if sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        if store.has_photo(&sha)? {
            return Ok(PhotoArg::Stored(sha));
        }
        return Err(CoreError::NotFound {
            kind: "photo",
            id: format!("{sha} (no file of that name, and no stored photo has that SHA-256)"),
        });
    }
    Ok(PhotoArg::File(path))
}

/// Records an answer with its `--photo` files and stored photos through the core, all
/// checked first: a bad file or an unknown SHA-256 refuses the whole answer.
pub fn answer_with_photos(
    store: &mut Store,
    id: &str,
    item: &str,
    outcome: Outcome,
    note: Option<&str>,
    photos: &[String],
) -> Result<Vec<String>> {
    let mut files = Vec::new();
    let mut stored = Vec::new();
    for arg in photos {
        match photo_arg(store, arg)? {
            PhotoArg::File(path) => files.push(path),
            PhotoArg::Stored(sha) => stored.push(sha),
        }
    }
    let ingested =
        store.answer_with_photos(id, item, outcome, note, &files, &IngestOptions::default())?;
    let mut shas: Vec<String> = ingested.into_iter().map(|p| p.sha256).collect();
    for sha in stored {
        store.attach_photo(id, item, &sha)?;
        shas.push(sha);
    }
    Ok(shas)
}

/// The SHA-256 of each `--photo` argument, ingesting the files among them.
pub fn photo_shas(store: &mut Store, photos: &[String]) -> Result<Vec<String>> {
    photos
        .iter()
        .map(|arg| match photo_arg(store, arg)? {
            PhotoArg::Stored(sha) => Ok(sha),
            PhotoArg::File(path) => {
                Ok(store.ingest_photo(&path, &IngestOptions::default())?.sha256)
            }
        })
        .collect()
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
