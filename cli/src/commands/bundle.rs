//! `gridwalk verify-bundle FILE.zip`: checks a case bundle written by `gridwalk-server
//! export-case`, offline — no server, no store. The zip is only unpacked here; every
//! check is the model's (`gridwalk_core::model::bundle`), the definition the server
//! writes bundles with.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use gridwalk_core::CoreError;
use gridwalk_core::model::bundle::{self, BundleReport};

use crate::output::Output;

/// Most files a bundle may hold: far above any case (a case of 5,000 events with a
/// photo each), far below what would exhaust memory on names alone.
const MAX_FILES: usize = 50_000;
/// Most bytes a bundle may unpack to: a zip's declared sizes are not trusted, the bytes
/// read are counted.
const MAX_UNPACKED_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// What `verify-bundle` takes.
#[derive(Args)]
pub struct VerifyBundleArgs {
    /// The bundle (`gridwalk-server export-case CASE --out FILE.zip`).
    pub file: PathBuf,
}

/// Exit status help for `verify-bundle`.
pub const EXIT_STATUS_HELP: &str = "Exit status:\n  0  every file, signature, chain link and photo checks out (warnings allowed)\n  1  a problem was found (each is named) or the file is not a readable bundle";

/// Checks the bundle and prints the report (with the timeline); exit status 1 when
/// anything is wrong.
pub fn verify(args: &VerifyBundleArgs, out: &Output) -> Result<ExitCode, CoreError> {
    let files = unpack(&args.file)?;
    let report = bundle::verify_files(&files);
    out.print(&report, |r: &BundleReport| r.to_text(out.zone()));
    Ok(if report.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The bundle's files by path. A file named twice, a path that climbs out (`..`) or is
/// absolute, too many files or too many bytes make it unreadable.
fn unpack(path: &Path) -> Result<BTreeMap<String, Vec<u8>>, CoreError> {
    let bad = |detail: String| CoreError::InvalidInput(format!("{}: {detail}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| bad(format!("not a zip bundle: {e}")))?;
    if archive.len() > MAX_FILES {
        return Err(bad(format!(
            "{} files, more than a bundle holds ({MAX_FILES})",
            archive.len()
        )));
    }
    let mut files = BTreeMap::new();
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| bad(format!("file {i} of the zip: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry
            .name()
            .map_err(|e| bad(format!("file {i} of the zip has no readable name: {e}")))?
            .to_string();
        if entry.enclosed_name().is_none() {
            return Err(bad(format!("`{name}` is not a path inside the bundle")));
        }
        let mut bytes = Vec::new();
        let left = MAX_UNPACKED_BYTES - total;
        (&mut entry)
            .take(left + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("{name}: {e}")))?;
        total += bytes.len() as u64;
        if total > MAX_UNPACKED_BYTES {
            return Err(bad(format!(
                "unpacks to more than {MAX_UNPACKED_BYTES} bytes"
            )));
        }
        if files.insert(name.clone(), bytes).is_some() {
            return Err(bad(format!("`{name}` is in the zip twice")));
        }
    }
    Ok(files)
}
