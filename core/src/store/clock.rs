//! This device's hybrid logical clock (hazard events and photo ingest), persisted in the store's settings so that an
//! event recorded after a restart still sorts after everything seen before it. The clock
//! itself ([`Hlc`]) is the model's.

use rusqlite::Connection;

use crate::error::{CoreError, Result};
use crate::store::settings;
use gridwalk_model::hazard::Hlc;

/// Settings key holding the last timestamp this device issued or observed.
const CLOCK_KEY: &str = "hazard.hlc";

/// The last timestamp this device issued or observed (the zero timestamp at first).
pub(crate) fn last(conn: &Connection) -> Result<Hlc> {
    match settings::get(conn, CLOCK_KEY)? {
        None => Ok(Hlc::default()),
        Some(text) => CoreError::parse_stored(&text, "the stored hybrid logical clock"),
    }
}

/// Issues the timestamp of a new local event that must follow everything in `after`
/// (the events it builds on) and persists the clock; call inside the event's transaction.
pub(crate) fn issue(conn: &Connection, now_ms: i64, after: Hlc) -> Result<Hlc> {
    let at = Hlc::next(last(conn)?.max(after), now_ms);
    settings::set(conn, CLOCK_KEY, &at.to_string())?;
    Ok(at)
}

/// Moves the clock past a received timestamp, so later local events sort after it.
pub(crate) fn observe(conn: &Connection, seen: Hlc) -> Result<()> {
    if seen > last(conn)? {
        settings::set(conn, CLOCK_KEY, &seen.to_string())?;
    }
    Ok(())
}
