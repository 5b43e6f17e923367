//! The `record_proofs` table and this device's signer: each record queued in the outbox
//! is chained to the one queued before it, in the queuing transaction, and the last
//! record of each push is signed when the push is built, sealing every record before
//! it (ADR 12, `docs/signing.md`). The one module that reads and writes them.
//!
//! Linking belongs to the store, not to the table owners that queue records (they only
//! get a connection): queuing notes the record in a connection-local temporary table,
//! and [`Store::write`](super::Store::write) links what was noted just before it
//! commits. A record is therefore never committed unchained. It is not signed there: a
//! phone's keystore takes 50–100 ms per signature and its signature is ~71 bytes on
//! the wire, so the device signs once per push ([`seal`]); a signer that fails then (a
//! locked keystore) fails the sync, which is retried, and never a recording.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use gridwalk_model::protocol::RecordKind;
use gridwalk_model::signing::{GENESIS, Proof, chained_link_of, from_hex, seal_message, to_hex};

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

/// The connection-local table of records queued in the open transaction and not linked
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

/// Links, in queuing order, every record noted in this transaction to the one before
/// it (chained, unsigned: ADR 12), and forgets the notes; call last in the transaction.
pub(crate) fn link_queued(conn: &Connection) -> Result<()> {
    let queued: Vec<(i64, String, String, String)> = conn
        .prepare_cached(
            "SELECT outbox_seq, kind, record_id, body FROM temp.unsigned_records
             ORDER BY outbox_seq",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (seq, kind, record_id, body) in queued {
        let body: Value = serde_json::from_str(&body).map_err(|e| {
            CoreError::Internal(format!("{kind} {record_id} was queued unreadable: {e}"))
        })?;
        let prev: String = conn
            .prepare_cached("SELECT link FROM record_proofs ORDER BY outbox_seq DESC LIMIT 1")?
            .query_row([], |r| r.get(0))
            .optional()?
            .unwrap_or_else(|| GENESIS.to_string());
        let own_link = chained_link_of(&kind, &record_id, &body, &prev).map_err(|e| {
            CoreError::Internal(format!("{kind} {record_id} cannot be chained: {e}"))
        })?;
        conn.prepare_cached(
            "INSERT INTO record_proofs(outbox_seq, body, prev, signature, link, chained)
             VALUES (?1, ?2, ?3, NULL, ?4, 1)",
        )?
        .execute(params![seq, body.to_string(), prev, own_link])?;
    }
    conn.prepare_cached("DELETE FROM temp.unsigned_records")?
        .execute([])?;
    Ok(())
}

/// Signs, of the outbox rows `seqs` about to be pushed in this order, each chained,
/// unsigned record that ends a chain segment in the request: the last; one the next
/// row does not continue (it names another `prev`, or it is not the record it was
/// chained as); and one that is not itself the record it was chained as (its stored
/// body changed since: its seal is over the link it was chained with, so the server
/// names it `bad_signature` and the records before it, sealed apart, still go up).
pub(crate) fn seal_push(conn: &Connection, signing: &Signing, seqs: &[i64]) -> Result<()> {
    let mut rows = Vec::with_capacity(seqs.len());
    for seq in seqs {
        rows.push(chain_row(conn, *seq)?);
    }
    for (i, seq) in seqs.iter().enumerate() {
        let Some(row) = &rows[i] else {
            continue;
        };
        let continued = match rows.get(i + 1) {
            Some(Some(next)) => next.prev == row.link && next.intact,
            _ => false,
        };
        if !continued || !row.intact {
            seal(conn, signing, *seq)?;
        }
    }
    Ok(())
}

/// What [`seal_push`] needs to know of a row: its `prev`, its stored link, and whether
/// its stored body still gives that link.
struct ChainRow {
    prev: String,
    link: String,
    intact: bool,
}

/// The chain facts of outbox row `seq`; `None` for a row without a proof.
fn chain_row(conn: &Connection, seq: i64) -> Result<Option<ChainRow>> {
    let row: Option<(String, String, String, String, String, bool)> = conn
        .prepare_cached(
            "SELECT o.kind, o.record_id, p.body, p.prev, p.link, p.chained FROM record_proofs p
             JOIN outbox o ON o.seq = p.outbox_seq WHERE p.outbox_seq = ?1",
        )?
        .query_row([seq], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .optional()?;
    Ok(row.map(|(kind, record_id, body, prev, link, chained)| {
        let recomputed = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|body| chained_link_of(&kind, &record_id, &body, &prev).ok());
        ChainRow {
            intact: !chained || recomputed.as_deref() == Some(link.as_str()),
            prev,
            link,
        }
    }))
}

/// Signs the chained record of outbox row `seq` (one that ends a push's segment), which
/// seals it and every chained record before it back to the previous signature; keeps
/// the signature, so a retried push sends the same one. A row already signed, or one
/// without a proof (queued before records were signed), is left as it is. A shell's
/// signer is code this crate does not control: its signature is checked against its
/// public key before it is kept.
fn seal(conn: &Connection, signing: &Signing, seq: i64) -> Result<()> {
    let link: Option<String> = conn
        .prepare_cached(
            "SELECT link FROM record_proofs
             WHERE outbox_seq = ?1 AND signature IS NULL AND chained = 1",
        )?
        .query_row([seq], |r| r.get(0))
        .optional()?;
    let Some(link) = link else {
        return Ok(());
    };
    let message = seal_message(&link);
    let signer = signing.signer(conn)?;
    let signature = signer.sign(&message)?;
    if let Signing::Given(_) = signing {
        let public_key = public_key_hex(signer.as_ref())?;
        gridwalk_model::signing::verify(&public_key, &message, &to_hex(&signature)).map_err(
            |e| CoreError::SignerUnavailable {
                reason: format!("its signature does not verify with its public key: {e}"),
            },
        )?;
    }
    conn.prepare_cached("UPDATE record_proofs SET signature = ?2 WHERE outbox_seq = ?1")?
        .execute(params![seq, to_hex(&signature)])?;
    Ok(())
}

/// The body as chained (and signed) and the proof of outbox row `seq`; `None` for a
/// row queued before records were signed.
pub(crate) fn of(conn: &Connection, seq: i64) -> Result<Option<(Value, Proof)>> {
    let row: Option<(String, String, Option<String>, bool)> = conn
        .prepare_cached(
            "SELECT body, prev, signature, chained FROM record_proofs WHERE outbox_seq = ?1",
        )?
        .query_row([seq], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    row.map(|(body, prev, signature, chained)| {
        let body = serde_json::from_str(&body).map_err(|e| CoreError::Corrupt {
            what: format!("the signed body of outbox row {seq}"),
            detail: e.to_string(),
        })?;
        Ok((
            body,
            Proof {
                prev,
                signature,
                chained,
            },
        ))
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
    fn queued_records_are_chained_in_order_and_a_push_signs_only_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("device.db")).unwrap();
        let bodies = [serde_json::json!({"n": 1}), serde_json::json!({"n": 2})];
        store
            .write(|tx, _| {
                outbox::enqueue(tx, RecordKind::HazardEvent, "e1", &bodies[0], "t")?;
                outbox::enqueue(tx, RecordKind::Inspection, "i2", &bodies[1], "t")
            })
            .unwrap();
        let rows = store.pending_outbox(10).unwrap();
        assert_eq!(rows.len(), 2);
        // Committed chained and unsigned: no key was needed to record.
        assert_eq!(store.setting(SIGNING_KEY).unwrap(), None);
        let mut prev = GENESIS.to_string();
        let mut chain = Vec::new();
        for ((row, body), kind) in rows.iter().zip(&bodies).zip(["hazard-event", "inspection"]) {
            let (signed_body, proof) = store.signed_record(row.seq).unwrap().unwrap();
            assert_eq!(&signed_body, body);
            assert_eq!(proof.prev, prev);
            assert_eq!(proof.signature, None);
            assert!(proof.chained);
            prev = chained_link_of(kind, &row.record_id, body, &proof.prev).unwrap();
            chain.push(seal_message(&prev));
        }

        let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
        store.seal_push(&seqs).unwrap();
        let key = store.signing_public_key().unwrap();
        let (_, first) = store.signed_record(seqs[0]).unwrap().unwrap();
        let (_, last) = store.signed_record(seqs[1]).unwrap().unwrap();
        assert_eq!(
            first.signature, None,
            "sealed by the last, not signed itself"
        );
        verify(&key, &chain[1], last.signature.as_deref().unwrap()).unwrap();
        // Sealing again (a retried push) keeps the same signature.
        store.seal_push(&seqs).unwrap();
        assert_eq!(store.signed_record(seqs[1]).unwrap().unwrap().1, last);
        // A push of the first alone signs it too: it ends that request's segment.
        store.seal_push(&seqs[..1]).unwrap();
        let (_, first) = store.signed_record(seqs[0]).unwrap().unwrap();
        verify(&key, &chain[0], first.signature.as_deref().unwrap()).unwrap();
        // The key is kept: reopening gives the same one.
        drop(store);
        let mut store = Store::open(dir.path().join("device.db")).unwrap();
        assert_eq!(store.signing_public_key().unwrap(), key);
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
    fn a_given_signer_seals_pushes_and_a_locked_one_never_stops_recording() {
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
        // A locked keystore does not stop recording: nothing is signed at commit.
        keystore
            .locked
            .store(true, std::sync::atomic::Ordering::SeqCst);
        store
            .write(|tx, _| outbox::enqueue(tx, RecordKind::HazardEvent, "e1", &body, "t"))
            .unwrap();
        let row = store.pending_outbox(10).unwrap()[0].clone();
        // It stops the push being built, and leaves the record as it was.
        let refused = store.seal_push(&[row.seq]);
        assert!(matches!(refused, Err(CoreError::SignerUnavailable { .. })));
        assert_eq!(
            store.signed_record(row.seq).unwrap().unwrap().1.signature,
            None
        );

        keystore
            .locked
            .store(false, std::sync::atomic::Ordering::SeqCst);
        store.seal_push(&[row.seq]).unwrap();
        let key = store.signing_public_key().unwrap();
        assert_eq!(key, to_hex(&keystore.public_key().unwrap()));
        let (_, proof) = store.signed_record(row.seq).unwrap().unwrap();
        let link = chained_link_of("hazard-event", "e1", &body, GENESIS).unwrap();
        verify(
            &key,
            &seal_message(&link),
            proof.signature.as_deref().unwrap(),
        )
        .unwrap();
        assert_eq!(store.setting(SIGNING_KEY).unwrap(), None);
    }
}
