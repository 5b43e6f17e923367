//! The `record_proofs` table and this device's signer: each record queued in the outbox
//! is signed and chained to the one queued before it, in the queuing transaction
//! (`docs/signing.md`). The one module that reads and writes them.
//!
//! The signer belongs to the store, not to the table owners that queue records (they
//! only get a connection): queuing notes the record in a connection-local temporary
//! table, and [`Store::write`](super::Store::write) signs what was noted just before it
//! commits. A record is therefore never committed unsigned, and a signer that fails
//! (a phone's keystore that is locked) refuses the whole change, which the user sees.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use gridwalk_model::protocol::RecordKind;
use gridwalk_model::signing::{GENESIS, Proof, from_hex, link, signed_bytes, to_hex};

use crate::error::{CoreError, Result};
use crate::signer::{DeviceSigner, SoftwareSigner};
use crate::store::settings;

/// Settings key of this device's private signing key (hex P-256 scalar), made the first
/// time it is needed (the first record, or enrolment, whichever comes first). Only a
/// store that signs with [`Signing::Kept`] has one.
pub const SIGNING_KEY: &str = "device.signing_key";

/// Where a store's signatures come from.
#[derive(Clone)]
pub(crate) enum Signing {
    /// The core's software key, kept in the store's settings (the terminal shell, tests).
    Kept,
    /// A signer the shell handed in (the platform keystore): the private key never
    /// enters the store.
    Given(Arc<dyn DeviceSigner>),
}

impl Signing {
    /// The signer to use now; works inside the caller's transaction (the kept key is
    /// made there the first time).
    pub(crate) fn signer(&self, conn: &Connection) -> Result<Arc<dyn DeviceSigner>> {
        match self {
            Signing::Kept => Ok(Arc::new(kept_signer(conn)?)),
            Signing::Given(signer) => Ok(Arc::clone(signer)),
        }
    }
}

/// The connection-local table of records queued in the open transaction and not signed
/// yet; made on every connection the store opens.
pub(crate) const QUEUE_TABLE: &str = "CREATE TEMP TABLE IF NOT EXISTS unsigned_records (
    outbox_seq INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    body       TEXT NOT NULL
)";

/// This device's software signer, its key made (and kept) the first time it is asked
/// for; works inside the caller's transaction.
fn kept_signer(conn: &Connection) -> Result<SoftwareSigner> {
    let secret = match settings::get(conn, SIGNING_KEY)? {
        Some(secret) => secret,
        // Another connection may make one at the same moment: the first one written wins.
        None => settings::get_or_insert(
            conn,
            SIGNING_KEY,
            &to_hex(&SoftwareSigner::generate().secret()),
        )?,
    };
    let bytes = from_hex(&secret).ok_or_else(|| CoreError::Corrupt {
        what: "this device's signing key".into(),
        detail: "the stored key is not hex".into(),
    })?;
    SoftwareSigner::from_secret(&bytes)
}

/// The signer's public key as hex, refused unless it is the 65-byte uncompressed SEC1
/// point every verifier of this device's records expects.
pub(crate) fn public_key_hex(signer: &dyn DeviceSigner) -> Result<String> {
    let key = signer.public_key()?;
    if key.len() != 65 || key[0] != 0x04 {
        return Err(CoreError::SignerUnavailable {
            reason: format!(
                "its public key is {} bytes, not the 65-byte uncompressed SEC1 point (04 ‖ X ‖ Y)",
                key.len()
            ),
        });
    }
    Ok(to_hex(&key))
}

/// Notes outbox row `seq` (the record `body`) for signing when its transaction commits.
pub(crate) fn queue(
    conn: &Connection,
    seq: i64,
    kind: RecordKind,
    record_id: &str,
    body: &Value,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO temp.unsigned_records(outbox_seq, kind, record_id, body)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![seq, kind.as_str(), record_id, body.to_string()])?;
    Ok(())
}

/// Signs, in queuing order, every record noted in this transaction, and forgets the
/// notes; call last in the transaction. The signer is only asked for when there is
/// something to sign, so a change that queues nothing never makes a key.
pub(crate) fn sign_queued(conn: &Connection, signing: &Signing) -> Result<()> {
    let queued: Vec<(i64, String, String, String)> = conn
        .prepare_cached(
            "SELECT outbox_seq, kind, record_id, body FROM temp.unsigned_records
             ORDER BY outbox_seq",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if queued.is_empty() {
        return Ok(());
    }
    let signer = signing.signer(conn)?;
    // A shell's signer is code this crate does not control: its answers are checked
    // before they are kept, so a wrong key or a malformed signature is refused here and
    // not by the server after the record was committed.
    let check = match signing {
        Signing::Kept => None,
        Signing::Given(_) => Some(public_key_hex(signer.as_ref())?),
    };
    for (seq, kind, record_id, body) in queued {
        let body: Value = serde_json::from_str(&body).map_err(|e| {
            CoreError::Internal(format!("{kind} {record_id} was queued unreadable: {e}"))
        })?;
        sign(
            conn,
            signer.as_ref(),
            check.as_deref(),
            seq,
            &kind,
            &record_id,
            &body,
        )?;
    }
    conn.prepare_cached("DELETE FROM temp.unsigned_records")?
        .execute([])?;
    Ok(())
}

/// Signs the record queued as outbox row `seq`, chained to the last record signed
/// before it, and keeps the proof; with `check` (the signer's public key, hex), only a
/// signature that verifies with it.
fn sign(
    conn: &Connection,
    signer: &dyn DeviceSigner,
    check: Option<&str>,
    seq: i64,
    kind: &str,
    record_id: &str,
    body: &Value,
) -> Result<()> {
    let prev: String = conn
        .prepare_cached("SELECT link FROM record_proofs ORDER BY outbox_seq DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or_else(|| GENESIS.to_string());
    let signed = signed_bytes(kind, record_id, body, &prev)
        .map_err(|e| CoreError::Internal(format!("{kind} {record_id} cannot be signed: {e}")))?;
    let signature = signer.sign(&signed)?;
    if let Some(public_key) = check {
        gridwalk_model::signing::verify(public_key, &signed, &to_hex(&signature)).map_err(|e| {
            CoreError::SignerUnavailable {
                reason: format!("its signature does not verify with its public key: {e}"),
            }
        })?;
    }
    let own_link = link(&signed, &signature);
    conn.prepare_cached(
        "INSERT INTO record_proofs(outbox_seq, body, prev, signature, link)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        seq,
        body.to_string(),
        prev,
        to_hex(&signature),
        own_link
    ])?;
    Ok(())
}

/// The body as signed and the proof of outbox row `seq`; `None` for a row queued
/// before records were signed.
pub(crate) fn of(conn: &Connection, seq: i64) -> Result<Option<(Value, Proof)>> {
    let row: Option<(String, String, String)> = conn
        .prepare_cached("SELECT body, prev, signature FROM record_proofs WHERE outbox_seq = ?1")?
        .query_row([seq], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    row.map(|(body, prev, signature)| {
        let body = serde_json::from_str(&body).map_err(|e| CoreError::Corrupt {
            what: format!("the signed body of outbox row {seq}"),
            detail: e.to_string(),
        })?;
        Ok((body, Proof { prev, signature }))
    })
    .transpose()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::{Store, outbox};
    use gridwalk_model::signing::verify;

    #[test]
    fn queued_records_are_signed_with_the_kept_key_and_chained_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("device.db")).unwrap();
        let bodies = [serde_json::json!({"n": 1}), serde_json::json!({"n": 2})];
        store
            .write(|tx, _| {
                outbox::enqueue(tx, RecordKind::HazardEvent, "e1", &bodies[0], "t")?;
                outbox::enqueue(tx, RecordKind::Inspection, "i2", &bodies[1], "t")
            })
            .unwrap();
        let key = store.signing_public_key().unwrap();
        // The key is kept: asking again (or reopening) gives the same one.
        drop(store);
        let mut store = Store::open(dir.path().join("device.db")).unwrap();
        assert_eq!(store.signing_public_key().unwrap(), key);

        let rows = store.pending_outbox(10).unwrap();
        let mut prev = GENESIS.to_string();
        for ((row, body), kind) in rows.iter().zip(&bodies).zip(["hazard-event", "inspection"]) {
            let (signed_body, proof) = store.signed_record(row.seq).unwrap().unwrap();
            assert_eq!(&signed_body, body);
            assert_eq!(proof.prev, prev);
            let signed = signed_bytes(kind, &row.record_id, body, &proof.prev).unwrap();
            let der = verify(&key, &signed, &proof.signature).unwrap();
            prev = link(&signed, &der);
        }
        assert_eq!(rows.len(), 2);
    }

    /// A signer that counts its signatures and can be switched off, like a phone's
    /// keystore that is locked.
    struct Keystore {
        inner: SoftwareSigner,
        locked: std::sync::atomic::AtomicBool,
    }

    impl DeviceSigner for Keystore {
        fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
            if self.locked.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(CoreError::SignerUnavailable {
                    reason: "the keystore is locked".into(),
                });
            }
            self.inner.sign(message)
        }
        fn public_key(&self) -> Result<Vec<u8>> {
            self.inner.public_key()
        }
    }

    #[test]
    fn a_given_signer_signs_and_the_store_never_holds_a_private_key() {
        let dir = tempfile::tempdir().unwrap();
        let keystore = Arc::new(Keystore {
            inner: SoftwareSigner::generate(),
            locked: false.into(),
        });
        let options = crate::store::OpenOptions {
            key: None,
            signer: Some(keystore.clone()),
        };
        let mut store = Store::open_with(dir.path().join("device.db"), options).unwrap();
        let body = serde_json::json!({"n": 1});
        store
            .write(|tx, _| outbox::enqueue(tx, RecordKind::HazardEvent, "e1", &body, "t"))
            .unwrap();
        let key = store.signing_public_key().unwrap();
        assert_eq!(key, to_hex(&keystore.public_key().unwrap()));
        let row = &store.pending_outbox(10).unwrap()[0];
        let (_, proof) = store.signed_record(row.seq).unwrap().unwrap();
        let signed = signed_bytes("hazard-event", "e1", &body, GENESIS).unwrap();
        verify(&key, &signed, &proof.signature).unwrap();
        assert_eq!(store.setting(SIGNING_KEY).unwrap(), None);

        // A signer that cannot sign refuses the change: nothing is queued unsigned.
        keystore
            .locked
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let refused =
            store.write(|tx, _| outbox::enqueue(tx, RecordKind::HazardEvent, "e2", &body, "t"));
        assert!(matches!(refused, Err(CoreError::SignerUnavailable { .. })));
        assert_eq!(store.pending_outbox(10).unwrap().len(), 1);
        assert_eq!(store.setting(SIGNING_KEY).unwrap(), None);
    }
}
