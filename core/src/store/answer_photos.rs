//! The `answer_photos` table: which evidence photos an answer has, in the order the
//! inspector attached them (the same on every device). The one module that reads and
//! writes it.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

/// Attaches photo `sha256` to an answer after its other photos; attaching it again
/// changes nothing.
pub(crate) fn append(
    conn: &Connection,
    inspection_id: &str,
    item: &str,
    sha256: &str,
    attached_at: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO answer_photos(inspection_id, item_code, sha256, attached_at,
                                             position)
         SELECT ?1, ?2, ?3, ?4, COALESCE(MAX(position) + 1, 0) FROM answer_photos
         WHERE inspection_id = ?1 AND item_code = ?2",
    )?
    .execute(params![inspection_id, item, sha256, attached_at])?;
    Ok(())
}

/// Attaches photo `sha256` to an answer at `position` (an author's order, received);
/// a link already held changes nothing.
pub(crate) fn insert_at(
    conn: &Connection,
    inspection_id: &str,
    item: &str,
    sha256: &str,
    attached_at: &str,
    position: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO answer_photos(inspection_id, item_code, sha256, attached_at,
                                             position)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![inspection_id, item, sha256, attached_at, position])?;
    Ok(())
}

/// The inspection's photo links as `(item, sha256)`, by item, each item's in order.
pub(crate) fn of_inspection(
    conn: &Connection,
    inspection_id: &str,
) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT item_code, sha256 FROM answer_photos WHERE inspection_id = ?1
         ORDER BY item_code, position, sha256",
    )?;
    let links = stmt
        .query_map([inspection_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(links)
}

/// Deletes every photo link of a draft's answers (the photos themselves stay).
pub(crate) fn delete_all(conn: &Connection, inspection_id: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM answer_photos WHERE inspection_id = ?1")?
        .execute([inspection_id])?;
    Ok(())
}

/// Whether any answer on this device has photo `sha256` as evidence.
pub(crate) fn links(conn: &Connection, sha256: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM answer_photos WHERE sha256 = ?1 LIMIT 1")?
        .query_row([sha256], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Whether a *submitted* inspection's answer has photo `sha256` as evidence. A draft's
/// photos stay on the device until the draft is submitted: the inspector may still
/// take them back, and the server has no record that could name them yet.
pub(crate) fn submitted_links(conn: &Connection, sha256: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM answer_photos AS link
             JOIN inspections AS inspection ON inspection.id = link.inspection_id
             WHERE link.sha256 = ?1 AND inspection.status = 'submitted' LIMIT 1",
        )?
        .query_row([sha256], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Every answer on this device with photo `sha256` as evidence: `(inspection id, item,
/// site id, answered_at)`.
pub(crate) fn answers_with(
    conn: &Connection,
    sha256: &str,
) -> Result<Vec<(String, String, String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT link.inspection_id, link.item_code, inspection.site_id, answer.answered_at
         FROM answer_photos AS link
         JOIN inspections AS inspection ON inspection.id = link.inspection_id
         JOIN answers AS answer
           ON answer.inspection_id = link.inspection_id AND answer.item_code = link.item_code
         WHERE link.sha256 = ?1 ORDER BY link.inspection_id, link.item_code",
    )?;
    let rows = stmt
        .query_map([sha256], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
