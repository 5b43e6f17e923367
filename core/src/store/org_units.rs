//! The `org_units` table: the organisation tree as this device knows it. The one module
//! that reads and writes it.

use rusqlite::{Connection, params};

use crate::error::Result;
use gridwalk_model::org::OrgUnit;

/// Inserts or updates units. Parents may come after their children in `units`: the
/// tree is checked when the transaction commits, so call this inside one.
pub(crate) fn upsert_all(conn: &Connection, units: &[OrgUnit]) -> Result<()> {
    conn.execute_batch("PRAGMA defer_foreign_keys = ON")?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO org_units(id, name, level, parent_id) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, level = excluded.level,
           parent_id = excluded.parent_id",
    )?;
    for u in units {
        stmt.execute(params![u.id, u.name, u.level, u.parent])?;
    }
    Ok(())
}

/// Every unit, top level first, then by id.
pub(crate) fn all(conn: &Connection) -> Result<Vec<OrgUnit>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, level, parent_id FROM org_units
         ORDER BY CASE level WHEN 'district' THEN 0 WHEN 'street' THEN 1
                  WHEN 'community' THEN 2 ELSE 3 END, id",
    )?;
    let units = stmt
        .query_map([], |r| {
            Ok(OrgUnit {
                id: r.get(0)?,
                name: r.get(1)?,
                level: r.get(2)?,
                parent: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(units)
}
