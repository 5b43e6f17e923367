//! The `chain_marks` table: where the server placed each pulled record in its device's
//! signed chain (`linked`, `gap`, `fork`), as the pull said. The one module that reads
//! and writes it.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

/// One record's place in its device's chain, as the server judged it at receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ChainMark {
    /// The record (an event id).
    pub record: String,
    /// `linked`, `gap` (its predecessor never reached the server) or `fork` (another
    /// record of the device follows the same predecessor: a cloned or restored store).
    pub chain: String,
}

/// Keeps what a pull said about `record_id`; a later pull of it replaces it. A value the
/// protocol does not have is refused, and the transaction with it.
pub(crate) fn set(conn: &Connection, record_id: &str, chain: &str) -> Result<()> {
    if !matches!(chain, "linked" | "gap" | "fork") {
        return Err(CoreError::Protocol(format!(
            "the server placed {record_id} in its chain as `{chain}`, which is not linked, gap or fork"
        )));
    }
    conn.prepare_cached("INSERT OR REPLACE INTO chain_marks(record_id, chain) VALUES (?1, ?2)")?
        .execute(params![record_id, chain])?;
    Ok(())
}

/// The marks held for `record_ids`, by record.
pub(crate) fn of(conn: &Connection, record_ids: &[&str]) -> Result<HashMap<String, String>> {
    let mut stmt = conn.prepare_cached("SELECT chain FROM chain_marks WHERE record_id = ?1")?;
    let mut marks = HashMap::new();
    for id in record_ids {
        let mut rows = stmt.query([id])?;
        if let Some(row) = rows.next()? {
            marks.insert((*id).to_string(), row.get(0)?);
        }
    }
    Ok(marks)
}
