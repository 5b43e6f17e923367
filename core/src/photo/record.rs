//! Photo records (record kind `photo`, [`gridwalk_model::photo_record`]): the first time
//! a record this device sends names one of its own photos (a submitted inspection's
//! answer, a hazard event), a photo record is queued in the same transaction, after
//! that record, so the server already knows who attached the photo when the photo
//! record arrives. It is chained (and sealed at push) by the store like every queued record.

use rusqlite::Connection;

use gridwalk_model::photo_record::PhotoRecord;
use gridwalk_model::protocol::RecordKind;

use crate::error::{CoreError, Result};
use crate::store::{now, outbox, photos};

/// Queues the photo record of each photo in `shas` that this device ingested (a photo
/// downloaded from the server, or ingested before originals were hashed, has none) and
/// has not queued one for yet; call in the transaction that queues the record naming
/// them.
pub(crate) fn queue_for(conn: &Connection, shas: &[String]) -> Result<()> {
    for sha in shas {
        let id = PhotoRecord::id_for(sha);
        if outbox::holds(conn, RecordKind::Photo, &id)? {
            continue;
        }
        let Some(record) = photos::record(conn, sha)? else {
            continue;
        };
        let body = serde_json::to_value(&record).map_err(|e| {
            CoreError::Internal(format!("photo record {id} cannot be encoded: {e}"))
        })?;
        outbox::enqueue(conn, RecordKind::Photo, &id, &body, &now())?;
    }
    Ok(())
}
