//! The `hazard_events` table and its `hazard_event_photos` index: hazard cases as an
//! append-only log (the schema's triggers refuse UPDATE and DELETE). The one module that
//! reads and writes them.
//!
//! Events are only ever inserted, each with the photos it names; a case has no row of
//! its own (its state is the fold of its events).

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{CoreError, Result};
use gridwalk_model::hazard::event::Event;

/// Where a stored event was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// On this device.
    Local,
    /// Elsewhere, received by sync or a copy.
    Remote,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Local => "local",
            Origin::Remote => "remote",
        }
    }
}

/// The JSON body an event is stored as (compared byte for byte when a copy arrives).
pub(crate) fn encode(e: &Event) -> Result<String> {
    serde_json::to_string(e).map_err(|err| {
        CoreError::Internal(format!("hazard event {} cannot be encoded: {err}", e.id))
    })
}

fn decode(body: &str) -> Result<Event> {
    serde_json::from_str(body).map_err(CoreError::unreadable("a stored hazard event"))
}

/// Inserts event `e` with its encoded `body` and the photos it names. `received_ms` is
/// this device's clock when it stored the event.
pub(crate) fn insert(
    conn: &Connection,
    e: &Event,
    body: &str,
    origin: Origin,
    received_ms: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO hazard_events(id, case_id, hlc_ms, hlc_counter, kind, device, body, origin,
                                   received_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        e.id,
        e.case_id,
        e.hlc.ms,
        e.hlc.counter,
        e.kind().as_str(),
        e.device,
        body,
        origin.as_str(),
        received_ms
    ])?;
    let mut photo = conn.prepare_cached(
        "INSERT OR IGNORE INTO hazard_event_photos(event_id, sha256) VALUES (?1, ?2)",
    )?;
    for sha in e.payload.photos() {
        photo.execute(params![e.id, sha])?;
    }
    Ok(())
}

/// The stored body of event `id`, if held.
pub(crate) fn body(conn: &Connection, id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT body FROM hazard_events WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// Event `id`, if held.
pub(crate) fn get(conn: &Connection, id: &str) -> Result<Option<Event>> {
    body(conn, id)?.as_deref().map(decode).transpose()
}

/// A case's events in fold order (HLC, then id).
pub(crate) fn of_case(conn: &Connection, case_id: &str) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT body FROM hazard_events WHERE case_id = ?1 ORDER BY hlc_ms, hlc_counter, id",
    )?;
    let bodies = stmt.query_map([case_id], |r| r.get::<_, String>(0))?;
    bodies.map(|b| decode(&b?)).collect()
}

/// A case's events, each with this device's clock on arrival for events received from
/// elsewhere (`None` for its own), in no particular order.
pub(crate) fn of_case_with_receipt(
    conn: &Connection,
    case_id: &str,
) -> Result<Vec<(Event, Option<i64>)>> {
    let mut stmt = conn
        .prepare_cached("SELECT body, origin, received_ms FROM hazard_events WHERE case_id = ?1")?;
    let rows = stmt.query_map([case_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    rows.map(|row| {
        let (body, origin, received) = row?;
        let received = (origin == Origin::Remote.as_str()).then_some(received);
        Ok((decode(&body)?, received))
    })
    .collect()
}

/// Every event, by case, then in fold order.
pub(crate) fn all(conn: &Connection) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT body FROM hazard_events ORDER BY case_id, hlc_ms, hlc_counter, id",
    )?;
    let bodies = stmt.query_map([], |r| r.get::<_, String>(0))?;
    bodies.map(|b| decode(&b?)).collect()
}

/// Up to `limit` distinct case ids starting with `prefix`.
pub(crate) fn case_ids_starting_with(
    conn: &Connection,
    prefix: &str,
    limit: u32,
) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT case_id FROM hazard_events WHERE substr(case_id, 1, ?2) = ?1 LIMIT ?3",
    )?;
    let found = stmt
        .query_map(params![prefix, prefix.len() as i64, limit], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(found)
}

/// Whether any event on this device names photo `sha256`.
pub(crate) fn name_photo(conn: &Connection, sha256: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM hazard_event_photos WHERE sha256 = ?1 LIMIT 1")?
        .query_row([sha256], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Every event on this device naming photo `sha256`, decoded.
pub(crate) fn naming_photo(conn: &Connection, sha256: &str) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.body FROM hazard_event_photos AS p JOIN hazard_events AS e ON e.id = p.event_id
         WHERE p.sha256 = ?1 ORDER BY e.id",
    )?;
    let bodies = stmt.query_map([sha256], |r| r.get::<_, String>(0))?;
    bodies.map(|b| decode(&b?)).collect()
}
