//! This device's identity: the id every event recorded here names, and the public
//! half of the key its records are signed with. Before enrolment it
//! is a UUID made here the first time it is asked for; enrolment replaces it with the id
//! the server gave the device, so the events recorded from then on name the device the
//! server knows (earlier events keep the id they were made with).

use rusqlite::Connection;

use crate::error::Result;

use crate::store::{Store, new_id, proofs, settings};

/// Settings key of this device's id.
pub const DEVICE_ID_KEY: &str = "device.id";

/// This device's id, created the first time it is asked for; works inside the caller's
/// transaction.
pub(crate) fn id(conn: &Connection) -> Result<String> {
    match settings::get(conn, DEVICE_ID_KEY)? {
        Some(id) => Ok(id),
        // Another connection may create it at the same moment: the first one written wins.
        None => settings::get_or_insert(conn, DEVICE_ID_KEY, &new_id()),
    }
}

/// Takes on the id the server gave this device at enrolment.
pub(crate) fn set_id(conn: &Connection, id: &str) -> Result<()> {
    settings::set(conn, DEVICE_ID_KEY, id)
}

impl Store {
    /// This device's id, created (UUIDv7) the first time it is asked for.
    pub fn device_id(&self) -> Result<String> {
        id(&self.conn)
    }

    /// The public half of this device's signing key (SEC1 uncompressed P-256 point,
    /// hex), asked of the signer the store was opened with; the kept software key is
    /// made the first time it is asked for. Sent at enrolment.
    pub fn signing_public_key(&mut self) -> Result<String> {
        let signing = self.signing.clone();
        self.write(|tx, _| proofs::public_key_hex(signing.signer(tx)?.as_ref()))
    }
}
