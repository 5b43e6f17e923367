//! The `inspections` table: one row per visit, draft or submitted (the schema's triggers
//! refuse any change to a submitted one). The one module that reads and writes it.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{CoreError, Result};
use gridwalk_model::inspection::{InspectionKind, InspectionStatus};

/// An inspection's row, without its answers.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// Inspection id (UUIDv7).
    pub id: String,
    /// The site visited.
    pub site_id: String,
    /// The template it is pinned to.
    pub template_id: String,
    /// The template version it is pinned to.
    pub template_version: u32,
    /// Why the visit happens.
    pub kind: InspectionKind,
    /// Draft or submitted.
    pub status: InspectionStatus,
    /// Who inspects.
    pub inspector: String,
    /// When it was started.
    pub started_at: String,
    /// When it was submitted.
    pub submitted_at: Option<String>,
}

const COLUMNS: &str = "id, site_id, template_id, template_version, kind, status, inspector, \
                       started_at, submitted_at";

/// The columns as read, before the text columns are parsed.
type RawRow = (
    String,
    String,
    String,
    u32,
    String,
    String,
    String,
    String,
    Option<String>,
);

fn raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
    ))
}

fn parse(r: RawRow) -> Result<Row> {
    Ok(Row {
        id: r.0,
        site_id: r.1,
        template_id: r.2,
        template_version: r.3,
        kind: CoreError::parse_stored(&r.4, "an inspection's kind")?,
        status: CoreError::parse_stored(&r.5, "an inspection's status")?,
        inspector: r.6,
        started_at: r.7,
        submitted_at: r.8,
    })
}

/// The inspection `id`, if held.
pub(crate) fn get(conn: &Connection, id: &str) -> Result<Option<Row>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM inspections WHERE id = ?1"))?
        .query_row([id], raw)
        .optional()?
        .map(parse)
        .transpose()
}

/// Inserts `row` as a draft: its status and submission time are not written, because
/// the schema refuses answers on a submitted inspection; [`mark_submitted`] freezes it
/// once its answers are in.
pub(crate) fn insert_draft(conn: &Connection, row: &Row) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO inspections(id, site_id, template_id, template_version, kind, status,
                                 inspector, started_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'draft', ?6, ?7)",
    )?
    .execute(params![
        row.id,
        row.site_id,
        row.template_id,
        row.template_version,
        row.kind.as_str(),
        row.inspector,
        row.started_at
    ])?;
    Ok(())
}

/// Marks a draft submitted at `at`; from then on the schema refuses every change to it.
pub(crate) fn mark_submitted(conn: &Connection, id: &str, at: Option<&str>) -> Result<()> {
    conn.prepare_cached(
        "UPDATE inspections SET status = 'submitted', submitted_at = ?2 WHERE id = ?1",
    )?
    .execute(params![id, at])?;
    Ok(())
}

/// Deletes a draft (its answers must be gone first); the schema refuses for a submitted one.
pub(crate) fn delete_draft(conn: &Connection, id: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM inspections WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Inspections newest first, only `inspector`'s and only in `status` when given, at most
/// `limit` when given.
pub(crate) fn list(
    conn: &Connection,
    inspector: Option<&str>,
    status: Option<InspectionStatus>,
    limit: Option<u32>,
) -> Result<Vec<Row>> {
    // Conditions are added only when asked for, so SQLite can use the inspector index
    // instead of scanning every inspection the device ever made.
    let mut sql = format!("SELECT {COLUMNS} FROM inspections WHERE 1");
    let mut args: Vec<&dyn rusqlite::ToSql> = Vec::new();
    if let Some(inspector) = &inspector {
        sql.push_str(" AND inspector = ?");
        args.push(inspector);
    }
    let status = status.map(|s| s.as_str());
    if let Some(status) = &status {
        sql.push_str(" AND status = ?");
        args.push(status);
    }
    sql.push_str(" ORDER BY started_at DESC, id DESC LIMIT ?");
    let limit = limit.map_or(-1, i64::from);
    args.push(&limit);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(args.as_slice(), raw)?;
    rows.map(|r| parse(r?)).collect()
}
