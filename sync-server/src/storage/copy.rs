//! Table rows as plain values, so one store's tables can be copied into another's
//! (`gridwalk-server migrate`, embedded SQLite → PostgreSQL) by a copier that knows no
//! SQL dialect: every store reads a table's rows in key order after a given key, writes
//! rows it already holds as no-ops, and names the last key it holds, which is where a
//! killed copy resumes.
//!
//! Keys compare bytewise (SQLite's `BINARY`, PostgreSQL's `COLLATE "C"`), so both
//! sides page through a table in the same order.

use super::StoreResult;

/// One column's value, as both stores can read and write it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL `NULL`.
    Null,
    /// An integer (SQLite `INTEGER`, PostgreSQL `BIGINT`).
    Int(i64),
    /// A float (`REAL`, `DOUBLE PRECISION`).
    Real(f64),
    /// Text.
    Text(String),
    /// A boolean (SQLite keeps 0/1, PostgreSQL `BOOLEAN`).
    Bool(bool),
}

impl Cell {
    /// A stable byte form for the verification digest: a tag, then the value, so
    /// `NULL`, `""` and `0` differ.
    pub fn digest_into(&self, hasher: &mut impl sha2::Digest) {
        match self {
            Cell::Null => hasher.update([0]),
            Cell::Int(v) => {
                hasher.update([1]);
                hasher.update(v.to_be_bytes());
            }
            Cell::Real(v) => {
                hasher.update([2]);
                hasher.update(v.to_bits().to_be_bytes());
            }
            Cell::Text(v) => {
                hasher.update([3]);
                hasher.update((v.len() as u64).to_be_bytes());
                hasher.update(v.as_bytes());
            }
            Cell::Bool(v) => hasher.update([4, u8::from(*v)]),
        }
    }

    /// The text, for the text columns the copier reads blob names from.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Cell::Text(text) => Some(text),
            _ => None,
        }
    }
}

/// What a column holds, so a store reads it as the right [`Cell`] and types a `NULL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// [`Cell::Int`].
    Int,
    /// [`Cell::Real`].
    Real,
    /// [`Cell::Text`].
    Text,
    /// [`Cell::Bool`].
    Bool,
}

/// A table copied by `migrate`: its columns, the leading ones forming its key.
#[derive(Debug)]
pub struct CopiedTable {
    /// The table's name in both stores.
    pub name: &'static str,
    /// Every copied column with its type; the first `key` of them are the key.
    pub columns: &'static [(&'static str, ColumnType)],
    /// How many leading columns form the key the rows are paged by.
    pub key: usize,
    /// A condition on the rows that are copied (SQL both dialects read alike), or
    /// `None` for every row.
    pub only: Option<&'static str>,
    /// Whether the key is a number the target draws itself (the records' pull cursor):
    /// the copy keeps the source's numbers and moves the target's counter past them.
    pub drawn_key: bool,
}

impl CopiedTable {
    /// The key's columns.
    pub fn key_columns(&self) -> &'static [(&'static str, ColumnType)] {
        &self.columns[..self.key]
    }

    /// The column names, comma-separated.
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

use ColumnType::{Bool, Int, Real, Text};

/// Every table `migrate` copies, parents before the rows that refer to them (people
/// before their devices, devices before console accounts).
pub const COPIED_TABLES: &[CopiedTable] = &[
    CopiedTable {
        name: "units",
        columns: &[
            ("id", Text),
            ("name", Text),
            ("level", Text),
            ("parent", Text),
        ],
        key: 1,
        only: None,
        drawn_key: false,
    },
    CopiedTable {
        name: "sites",
        columns: &[
            ("id", Text),
            ("name", Text),
            ("kind", Text),
            ("unit", Text),
            ("address", Text),
            ("lat", Real),
            ("lon", Real),
        ],
        key: 1,
        only: None,
        drawn_key: false,
    },
    CopiedTable {
        name: "people",
        columns: &[
            ("id", Text),
            ("name", Text),
            ("role", Text),
            ("unit", Text),
            ("department", Text),
            ("disabled_at", Text),
        ],
        key: 1,
        only: None,
        drawn_key: false,
    },
    CopiedTable {
        name: "enrolment_codes",
        columns: &[("code_hash", Text), ("person", Text), ("used_at", Text)],
        key: 1,
        only: None,
        drawn_key: false,
    },
    CopiedTable {
        name: "devices",
        columns: &[
            ("id", Text),
            ("person", Text),
            ("token_hash", Text),
            ("enrolled_at", Text),
            ("revoked_at", Text),
            ("last_seen_at", Text),
            ("expires_at", Text),
            ("public_key", Text),
        ],
        key: 1,
        only: None,
        drawn_key: false,
    },
    CopiedTable {
        name: "records",
        columns: &[
            ("seq", Int),
            ("id", Text),
            ("kind", Text),
            ("body", Text),
            ("body_hash", Text),
            ("unit", Text),
            ("department", Text),
            ("author_person", Text),
            ("author_device", Text),
            ("draft", Bool),
            ("personal", Bool),
            ("received_at", Text),
            ("case_id", Text),
            ("proof_prev", Text),
            ("proof_signature", Text),
            ("proof_link", Text),
            ("chain", Text),
            ("proof_chained", Bool),
        ],
        key: 1,
        only: None,
        drawn_key: true,
    },
    CopiedTable {
        name: "cases",
        columns: &[
            ("case_id", Text),
            ("unit", Text),
            ("department", Text),
            ("personal", Bool),
            ("fold", Text),
        ],
        key: 1,
        only: None,
        drawn_key: false,
    },
    // After the records and case rows it is kept beside.
    CopiedTable {
        name: "cases_awaiting_report",
        columns: &[("case_id", Text)],
        key: 1,
        only: None,
        drawn_key: false,
    },
    CopiedTable {
        name: "record_blobs",
        columns: &[
            ("record", Text),
            ("sha256", Text),
            ("personal", Bool),
            ("before_uploaders", Bool),
        ],
        key: 2,
        only: None,
        drawn_key: false,
    },
    // Finished uploads only: an unfinished one's bytes are in the source's upload
    // folder, which no blob store reads from another; its device starts it again.
    CopiedTable {
        name: "uploads",
        columns: &[
            ("id", Text),
            ("sha256", Text),
            ("length", Int),
            ("device", Text),
            ("person", Text),
            ("done", Bool),
            ("created_at", Text),
            ("thumbnail_of", Text),
        ],
        key: 1,
        only: Some("done"),
        drawn_key: false,
    },
    CopiedTable {
        name: "blob_uploaders",
        columns: &[("sha256", Text), ("person", Text), ("uploaded_at", Text)],
        key: 2,
        only: None,
        drawn_key: false,
    },
    CopiedTable {
        name: "thumbnails",
        columns: &[
            ("photo", Text),
            ("person", Text),
            ("thumbnail", Text),
            ("linked_at", Text),
        ],
        key: 2,
        only: None,
        drawn_key: false,
    },
    CopiedTable {
        name: "console_accounts",
        columns: &[
            ("login", Text),
            ("person", Text),
            ("device", Text),
            ("password_hash", Text),
            ("set_at", Text),
        ],
        key: 1,
        only: None,
        drawn_key: false,
    },
];

/// Tables `migrate` leaves behind on purpose, with why (printed by the command).
pub const LEFT_BEHIND: &[(&str, &str)] = &[
    (
        "enrol_attempts",
        "a minute's rate-limit window; the new server starts counting afresh",
    ),
    (
        "console_signin_failures",
        "a rate-limit window; the new server starts counting afresh",
    ),
    (
        "console_sessions",
        "sign-in cookies stay with the old server; desk staff sign in again",
    ),
    (
        "uploads (unfinished)",
        "their bytes are in the old server's upload folder; devices upload them again",
    ),
];

/// A store whose tables [`COPIED_TABLES`] can be read and written as [`Cell`] rows.
pub trait TableRows: Send + Sync {
    /// Up to `limit` rows of `table` (its copied ones), in key order, after the key
    /// `after` (from the first row when `None`).
    fn read_rows(
        &self,
        table: &CopiedTable,
        after: Option<&[Cell]>,
        limit: usize,
    ) -> StoreResult<Vec<Vec<Cell>>>;
    /// Writes rows in one transaction; a row whose key (or another unique column) is
    /// already stored is left as it is. A table with a drawn key has its counter moved
    /// past the largest key written, in the same transaction.
    fn write_rows(&self, table: &CopiedTable, rows: &[Vec<Cell>]) -> StoreResult<()>;
    /// The largest key of `table` held (its copied rows), or `None` when empty.
    fn last_key(&self, table: &CopiedTable) -> StoreResult<Option<Vec<Cell>>>;
    /// How many of `table`'s copied rows are held.
    fn count_rows(&self, table: &CopiedTable) -> StoreResult<u64>;
}

/// `(k1, k2, …) > (after…)` as nested comparisons with `placeholder(i)` for the i-th
/// key value (1-based) and `collate` after each text column, which both dialects
/// read the same way.
pub fn after_key_condition(
    table: &CopiedTable,
    placeholder: impl Fn(usize) -> String,
    collate: &str,
) -> String {
    let keys = table.key_columns();
    let column = |i: usize| {
        let (name, ty) = keys[i];
        if ty == ColumnType::Text {
            format!("{name}{collate}")
        } else {
            name.to_string()
        }
    };
    let mut alternatives = Vec::new();
    for last in 0..keys.len() {
        let mut terms: Vec<String> = (0..last)
            .map(|i| format!("{} = {}", column(i), placeholder(i + 1)))
            .collect();
        terms.push(format!("{} > {}", column(last), placeholder(last + 1)));
        alternatives.push(format!("({})", terms.join(" AND ")));
    }
    format!("({})", alternatives.join(" OR "))
}

/// `ORDER BY` over the key, bytewise.
pub fn key_order(table: &CopiedTable, collate: &str, descending: bool) -> String {
    let direction = if descending { " DESC" } else { "" };
    table
        .key_columns()
        .iter()
        .map(|(name, ty)| {
            if *ty == ColumnType::Text {
                format!("{name}{collate}{direction}")
            } else {
                format!("{name}{direction}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_composite_key_pages_after_the_whole_key() {
        let table = COPIED_TABLES
            .iter()
            .find(|t| t.name == "record_blobs")
            .expect("record_blobs");
        assert_eq!(
            after_key_condition(table, |i| format!("${i}"), " COLLATE \"C\""),
            "((record COLLATE \"C\" > $1) OR (record COLLATE \"C\" = $1 AND sha256 COLLATE \"C\" > $2))"
        );
        assert_eq!(key_order(table, "", true), "record DESC, sha256 DESC");
    }

    #[test]
    fn every_copied_tables_key_is_among_its_columns() {
        for table in COPIED_TABLES {
            assert!(
                table.key >= 1 && table.key <= table.columns.len(),
                "{}",
                table.name
            );
            assert!(!table.drawn_key || table.key_columns() == [(table.columns[0].0, Int)]);
        }
    }
}
