//! The `sites` table: the places this device may inspect. The one module that reads and
//! writes it.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;
use gridwalk_model::org::Site;

/// Inserts a site or updates the one with its id.
pub(crate) fn upsert(conn: &Connection, s: &Site) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sites(id, name, kind, unit_id, address, lat, lon)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
           unit_id = excluded.unit_id, address = excluded.address,
           lat = excluded.lat, lon = excluded.lon",
    )?
    .execute(params![
        s.id, s.name, s.kind, s.unit, s.address, s.lat, s.lon
    ])?;
    Ok(())
}

/// Every site, by name.
pub(crate) fn all(conn: &Connection) -> Result<Vec<Site>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, kind, unit_id, address, lat, lon FROM sites ORDER BY name, id",
    )?;
    let sites = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
    Ok(sites)
}

/// The site `id`, if known.
pub(crate) fn get(conn: &Connection, id: &str) -> Result<Option<Site>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, name, kind, unit_id, address, lat, lon FROM sites WHERE id = ?1",
        )?
        .query_row([id], from_row)
        .optional()?)
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Site> {
    Ok(Site {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        unit: r.get(3)?,
        address: r.get(4)?,
        lat: r.get(5)?,
        lon: r.get(6)?,
    })
}
