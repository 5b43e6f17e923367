//! `--data DIR`: the folder must be there, or be one new folder in a folder that is.
//! A typo in a path never leaves a tree of new folders behind.

use std::path::Path;

use gridwalk_core::{CoreError, Result};

/// Makes sure `dir` is a folder to keep the store in: an existing folder is used; a
/// missing one is created if its parent exists (saying so on stderr when `tell`, that
/// is, unless the output is JSON); anything else is refused and nothing is created.
pub fn prepare(dir: &Path, tell: bool) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if dir.exists() {
        return Err(CoreError::InvalidInput(format!(
            "--data {}: that is a file, not a folder",
            dir.display()
        )));
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(CoreError::InvalidInput(format!(
            "--data {}: the folder {} does not exist; create it first (only the last \
             folder of the path is created)",
            dir.display(),
            parent.display()
        )));
    }
    std::fs::create_dir(dir).map_err(|e| CoreError::io(dir, e))?;
    if tell {
        eprintln!("gridwalk: created the data folder {}", dir.display());
    }
    Ok(())
}
