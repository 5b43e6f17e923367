//! The `answers` table: one row per answered item of an inspection. The one module that
//! reads and writes it.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{CoreError, Result};
use gridwalk_model::inspection::{Answer, Outcome};

/// Records the answer to `item`, replacing an earlier answer to it.
pub(crate) fn put(
    conn: &Connection,
    inspection_id: &str,
    item: &str,
    outcome: Outcome,
    note: Option<&str>,
    answered_at: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO answers(inspection_id, item_code, outcome, note, answered_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(inspection_id, item_code) DO UPDATE SET
           outcome = excluded.outcome, note = excluded.note, answered_at = excluded.answered_at",
    )?
    .execute(params![
        inspection_id,
        item,
        outcome.as_str(),
        note,
        answered_at
    ])?;
    Ok(())
}

/// Inserts an answer received with an inspection; a second answer to the same item is
/// refused (a received inspection answers each item once).
pub(crate) fn insert(conn: &Connection, inspection_id: &str, answer: &Answer) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO answers(inspection_id, item_code, outcome, note, answered_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        inspection_id,
        answer.item,
        answer.outcome.as_str(),
        answer.note,
        answer.answered_at
    ])?;
    Ok(())
}

/// Whether `item` of the inspection has an answer.
pub(crate) fn exists(conn: &Connection, inspection_id: &str, item: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM answers WHERE inspection_id = ?1 AND item_code = ?2")?
        .query_row(params![inspection_id, item], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The inspection's answers in no particular order, each with an empty photo list
/// (the photo links are `answer_photos`').
pub(crate) fn of_inspection(conn: &Connection, inspection_id: &str) -> Result<Vec<Answer>> {
    let mut stmt = conn.prepare_cached(
        "SELECT item_code, outcome, note, answered_at FROM answers WHERE inspection_id = ?1",
    )?;
    let rows = stmt.query_map([inspection_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    rows.map(|row| {
        let (item, outcome, note, answered_at) = row?;
        Ok(Answer {
            item,
            outcome: CoreError::parse_stored(&outcome, "an answer's outcome")?,
            note,
            photos: Vec::new(),
            answered_at,
        })
    })
    .collect()
}

/// How many items of the inspection are answered.
pub(crate) fn count(conn: &Connection, inspection_id: &str) -> Result<u32> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM answers WHERE inspection_id = ?1")?
        .query_row([inspection_id], |r| r.get(0))?)
}

/// Deletes every answer of a draft (their photo links must be gone first).
pub(crate) fn delete_all(conn: &Connection, inspection_id: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM answers WHERE inspection_id = ?1")?
        .execute([inspection_id])?;
    Ok(())
}
