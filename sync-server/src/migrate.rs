//! `gridwalk-server migrate`: moving a district up from the embedded store to the city
//! backend (issue 14 item 6). Every kept table is copied row by row through
//! [`TableRows`] and every photo blob through [`BlobStore`], so any pair of stores can
//! be source and target; the blob side in particular knows nothing of files or buckets.
//!
//! Resumable: each page of rows is one transaction in the target, in key order, so
//! after a kill the target holds a prefix of every table and the copy continues after
//! its last key; rows and blobs already there are left alone, never doubled. Verified
//! at the end: per table the row count and a SHA-256 over every row in key order on
//! both sides, and per blob the SHA-256 of the bytes the target gives back.

use std::collections::BTreeSet;
use std::fmt;

use sha2::Digest;

use crate::storage::copy::{COPIED_TABLES, Cell, CopiedTable, LEFT_BEHIND, TableRows};
use crate::storage::{BlobStore, FinishOutcome, StoreError, StoreResult, sha256_hex};

/// What can stop a migration.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// A store failed (the copy so far is kept; run again to continue).
    #[error("{side}: {source}")]
    Store {
        /// `source` or `target`.
        side: &'static str,
        /// What failed.
        #[source]
        source: StoreError,
    },
    /// The target's store refused a blob's bytes as not hashing to its name.
    #[error("blob {sha256}: the target stored bytes hashing to {actual}")]
    BlobRefused {
        /// The blob.
        sha256: String,
        /// What the bytes the target received hash to.
        actual: String,
    },
}

fn at_source(source: StoreError) -> MigrateError {
    MigrateError::Store {
        side: "source",
        source,
    }
}

fn at_target(source: StoreError) -> MigrateError {
    MigrateError::Store {
        side: "target",
        source,
    }
}

/// One step of the copy, for progress output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// A page of `rows` rows of `table` was committed in the target.
    Rows {
        /// The table.
        table: &'static str,
        /// How many rows the page held.
        rows: usize,
    },
    /// A blob was copied (`copied`) or found already in the target.
    Blob {
        /// Its SHA-256.
        sha256: String,
        /// Whether this run copied it.
        copied: bool,
    },
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Progress::Rows { table, rows } => write!(f, "copied {rows} rows of {table}"),
            Progress::Blob {
                sha256,
                copied: true,
            } => write!(f, "copied blob {sha256}"),
            Progress::Blob {
                sha256,
                copied: false,
            } => write!(f, "blob {sha256} already in the target"),
        }
    }
}

/// One table's verification.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableCheck {
    /// The table.
    pub table: &'static str,
    /// Rows in the source (those copied: finished uploads only).
    pub source_rows: u64,
    /// Rows in the target.
    pub target_rows: u64,
    /// Whether every row reads back the same, in the same key order.
    pub same_rows: bool,
}

impl TableCheck {
    /// Whether the table was copied whole and unchanged.
    pub fn ok(&self) -> bool {
        self.source_rows == self.target_rows && self.same_rows
    }
}

/// The blobs' verification.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BlobCheck {
    /// Blobs the source's records name and it holds.
    pub source_blobs: u64,
    /// Of them, those the target gives back with bytes hashing to their name.
    pub verified: u64,
    /// Those missing in the target or hashing to something else.
    pub bad: Vec<String>,
}

/// What `migrate` checked at the end.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verification {
    /// Per copied table.
    pub tables: Vec<TableCheck>,
    /// Over the blobs.
    pub blobs: BlobCheck,
    /// Tables left behind on purpose, with why.
    pub left_behind: Vec<(&'static str, &'static str)>,
}

impl Verification {
    /// Whether everything matched.
    pub fn ok(&self) -> bool {
        self.tables.iter().all(TableCheck::ok) && self.blobs.bad.is_empty()
    }
}

impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in &self.tables {
            writeln!(
                f,
                "{:<18} source {:>8}  target {:>8}  rows {}  {}",
                t.table,
                t.source_rows,
                t.target_rows,
                if t.same_rows { "same" } else { "DIFFER" },
                if t.ok() { "ok" } else { "MISMATCH" }
            )?;
        }
        writeln!(
            f,
            "{:<18} source {:>8}  target {:>8}  sha256 checked  {}",
            "blobs",
            self.blobs.source_blobs,
            self.blobs.verified,
            if self.blobs.bad.is_empty() {
                "ok"
            } else {
                "MISMATCH"
            }
        )?;
        for sha in &self.blobs.bad {
            writeln!(f, "  missing or wrong in the target: {sha}")?;
        }
        for (table, why) in &self.left_behind {
            writeln!(f, "{table:<18} not copied: {why}")?;
        }
        Ok(())
    }
}

/// The source and target of a migration.
pub struct Migration<'a> {
    /// The store copied from.
    pub from: &'a dyn TableRows,
    /// The store copied into.
    pub to: &'a dyn TableRows,
    /// Photos copied from.
    pub from_blobs: &'a dyn BlobStore,
    /// Photos copied into.
    pub to_blobs: &'a dyn BlobStore,
    /// Rows per transaction in the target.
    pub page_rows: usize,
}

impl Migration<'_> {
    /// Copies every table, then every blob, reporting each step to `progress`.
    pub fn copy(&self, progress: &mut dyn FnMut(Progress)) -> Result<(), MigrateError> {
        for table in COPIED_TABLES {
            self.copy_table(table, progress)?;
        }
        for sha256 in self.blob_names()? {
            let copied = self.copy_blob(&sha256)?;
            progress(Progress::Blob { sha256, copied });
        }
        Ok(())
    }

    /// Copies the rows of `table` after the last key the target holds.
    fn copy_table(
        &self,
        table: &'static CopiedTable,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), MigrateError> {
        let mut after = self.to.last_key(table).map_err(at_target)?;
        loop {
            let rows = self
                .from
                .read_rows(table, after.as_deref(), self.page_rows.max(1))
                .map_err(at_source)?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            let next = last[..table.key].to_vec();
            self.to.write_rows(table, &rows).map_err(at_target)?;
            progress(Progress::Rows {
                table: table.name,
                rows: rows.len(),
            });
            after = Some(next);
        }
    }

    /// Every blob the source's tables name (attached to records, uploaded, or linked as
    /// a thumbnail) that the source holds, in name order.
    fn blob_names(&self) -> Result<BTreeSet<String>, MigrateError> {
        let mut names = BTreeSet::new();
        for (table_name, column) in [
            ("record_blobs", "sha256"),
            ("uploads", "sha256"),
            ("blob_uploaders", "sha256"),
            ("thumbnails", "thumbnail"),
        ] {
            let Some(table) = COPIED_TABLES.iter().find(|t| t.name == table_name) else {
                continue;
            };
            let Some(index) = table.columns.iter().position(|(n, _)| *n == column) else {
                continue;
            };
            let mut after: Option<Vec<Cell>> = None;
            loop {
                let rows = self
                    .from
                    .read_rows(table, after.as_deref(), 1000)
                    .map_err(at_source)?;
                let Some(last) = rows.last() else { break };
                after = Some(last[..table.key].to_vec());
                for row in &rows {
                    if let Some(sha) = row[index].as_text()
                        && gridwalk_model::evidence::is_sha256_hex(sha)
                    {
                        names.insert(sha.to_string());
                    }
                }
            }
        }
        let mut held = BTreeSet::new();
        for sha in names {
            if self.from_blobs.has_blob(&sha).map_err(at_source)? {
                held.insert(sha);
            }
        }
        Ok(held)
    }

    /// Copies one blob unless the target holds it; whether it was copied. The target
    /// stores it the way it stores any upload: through an upload named by the blob's
    /// hash, hashed and checked before it becomes visible.
    fn copy_blob(&self, sha256: &str) -> Result<bool, MigrateError> {
        if self.to_blobs.has_blob(sha256).map_err(at_target)? {
            return Ok(false);
        }
        let Some(bytes) = self.from_blobs.read_blob(sha256).map_err(at_source)? else {
            return Ok(false);
        };
        // An upload a killed run left behind starts again from nothing.
        let upload = sha256;
        if self
            .to_blobs
            .upload_offset(upload)
            .map_err(at_target)?
            .is_some()
        {
            self.to_blobs.discard_upload(upload).map_err(at_target)?;
        }
        self.to_blobs.start_upload(upload).map_err(at_target)?;
        self.to_blobs.append(upload, 0, &bytes).map_err(at_target)?;
        match self.to_blobs.finish(upload, sha256).map_err(at_target)? {
            FinishOutcome::Stored => Ok(true),
            FinishOutcome::HashMismatch { actual } => Err(MigrateError::BlobRefused {
                sha256: sha256.to_string(),
                actual,
            }),
        }
    }

    /// Compares every copied table and blob between source and target.
    pub fn verify(&self) -> Result<Verification, MigrateError> {
        let mut tables = Vec::new();
        for table in COPIED_TABLES {
            let source_rows = self.from.count_rows(table).map_err(at_source)?;
            let target_rows = self.to.count_rows(table).map_err(at_target)?;
            let same_rows = digest(self.from, table, self.page_rows).map_err(at_source)?
                == digest(self.to, table, self.page_rows).map_err(at_target)?;
            tables.push(TableCheck {
                table: table.name,
                source_rows,
                target_rows,
                same_rows,
            });
        }
        let names = self.blob_names()?;
        let mut blobs = BlobCheck {
            source_blobs: names.len() as u64,
            ..BlobCheck::default()
        };
        for sha in names {
            match self.to_blobs.read_blob(&sha).map_err(at_target)? {
                Some(bytes) if sha256_hex(&bytes) == sha => blobs.verified += 1,
                _ => blobs.bad.push(sha),
            }
        }
        Ok(Verification {
            tables,
            blobs,
            left_behind: LEFT_BEHIND.to_vec(),
        })
    }
}

/// SHA-256 over a table's copied rows in key order.
fn digest(store: &dyn TableRows, table: &CopiedTable, page_rows: usize) -> StoreResult<String> {
    let mut hasher = sha2::Sha256::new();
    let mut after: Option<Vec<Cell>> = None;
    loop {
        let rows = store.read_rows(table, after.as_deref(), page_rows.max(500))?;
        let Some(last) = rows.last() else { break };
        after = Some(last[..table.key].to_vec());
        for row in &rows {
            for cell in row {
                cell.digest_into(&mut hasher);
            }
        }
    }
    Ok(hex::encode(hasher.finalize()))
}
