//! Signed, chained records on the server (`docs/signing.md`): the check every pushed
//! record passes before it is stored, and `gridwalk-server verify`, which re-checks the
//! whole store (every signature, every chain, every photo's hash) and names what is
//! broken, record by record.
//!
//! A device enrolled with a public key must sign every record: a missing signature, a
//! malformed one or one that does not verify with the caller device's key over the
//! record (as the server stores it) is refused with `bad_signature`. A gap or fork in
//! the device's chain is not refused (a phone restored from a backup, a cloned store,
//! a record the server refused) but kept with the record and reported. A device
//! enrolled without a key (an older client) pushes unsigned records; `verify` counts
//! them.

use std::collections::{HashMap, HashSet};

use gridwalk_model::signing::{GENESIS, Proof, SignatureError, is_link, link, signed_bytes};
use serde::Serialize;

use crate::storage::{
    BlobStore, ChainStatus, ProvenRow, RecordProof, RecordStore, StoreError, sha256_hex,
};

/// Why a pushed record's proof was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// The proof is missing, malformed or does not verify; a sentence for people.
    #[error("{0}")]
    Refused(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks a pushed record's proof against the caller device's `key` (registered at
/// enrolment, `None` for a device enrolled without one), over the body as it will be
/// stored (`stored_body`, canonical JSON text), and places it in the device's chain.
/// `Ok(None)`: an unsigned record of a device enrolled without a key.
pub fn check_pushed(
    store: &dyn RecordStore,
    device: &str,
    key: Option<&str>,
    kind: &str,
    id: &str,
    stored_body: &str,
    proof: Option<&Proof>,
) -> Result<Option<RecordProof>, ProofError> {
    let (key, proof) = match (key, proof) {
        // Enrolled without a key (by an older client): nothing to check a proof
        // against, so the record is stored unsigned, proof or not. A device updated
        // after enrolling signs its records but cannot have them refused for it.
        (None, _) => return Ok(None),
        (Some(_), None) => {
            return Err(ProofError::Refused(
                "this device registered a public key at enrolment; its records must be signed"
                    .into(),
            ));
        }
        (Some(key), Some(proof)) => (key, proof),
    };
    let own_link = verified_link(key, kind, id, stored_body, &proof.prev, &proof.signature)
        .map_err(|e| ProofError::Refused(format!("{e} (device {device})")))?;
    let chain = store.chain_status(device, id, &proof.prev)?;
    if chain != ChainStatus::Linked {
        tracing::warn!(
            device,
            record = id,
            chain = chain.as_str(),
            "device chain broken"
        );
    }
    Ok(Some(RecordProof {
        prev: proof.prev.clone(),
        signature: proof.signature.clone(),
        link: own_link,
        chain,
    }))
}

/// Verifies one record's signature and returns its link.
fn verified_link(
    key: &str,
    kind: &str,
    id: &str,
    body: &str,
    prev: &str,
    signature: &str,
) -> Result<String, SignatureError> {
    if !is_link(prev) {
        return Err(SignatureError::Malformed(
            "`prev` is not a lower-case hex SHA-256".into(),
        ));
    }
    let body: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| SignatureError::NotCanonical(format!("the body is not JSON: {e}")))?;
    let signed = signed_bytes(kind, id, &body, prev)?;
    let der = gridwalk_model::signing::verify(key, &signed, signature)?;
    Ok(link(&signed, &der))
}

/// One thing `verify` found wrong, naming the record (or photo) it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The record's id, or the photo's SHA-256 for a `blob_hash` problem.
    pub record: String,
    /// The record's kind (`photo` for a blob).
    pub kind: String,
    /// The device that pushed the record (empty for a blob).
    pub device: String,
    /// `bad_signature`, `link_mismatch`, `gap`, `fork`, `missing_key` or
    /// `blob_hash`.
    pub problem: String,
    /// A sentence saying what is wrong.
    pub detail: String,
}

impl Problem {
    /// A problem with a stored record.
    fn of(row: &ProvenRow, problem: &str, detail: String) -> Problem {
        Problem {
            record: row.id.clone(),
            kind: row.kind.clone(),
            device: row.device.clone(),
            problem: problem.into(),
            detail,
        }
    }
}

/// What `gridwalk-server verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Records checked.
    pub records: usize,
    /// Of those, signed ones (signature and chain checked).
    pub signed: usize,
    /// Of those, unsigned ones (from devices enrolled without a key).
    pub unsigned: usize,
    /// Photos checked against their names.
    pub blobs: usize,
    /// Everything broken, record by record.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Whether nothing is broken.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// The report for people: a summary line and one line per problem.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{} records ({} signed, {} unsigned), {} photos: {}",
            self.records,
            self.signed,
            self.unsigned,
            self.blobs,
            if self.is_clean() {
                "nothing broken".to_string()
            } else {
                format!("{} problems", self.problems.len())
            }
        );
        for p in &self.problems {
            text.push_str(&format!(
                "\n{} {} {}: {}",
                p.problem, p.kind, p.record, p.detail
            ));
        }
        text
    }
}

/// Re-checks the whole store: every stored signature against its device's key and the
/// record as stored, every device's chain (recomputed, not read from the flags kept at
/// push), and every photo a record refers to against its name.
pub fn verify_store(
    records: &dyn RecordStore,
    blobs: &dyn BlobStore,
) -> Result<VerifyReport, StoreError> {
    let rows = records.proven_rows()?;
    let mut report = VerifyReport {
        records: rows.len(),
        ..VerifyReport::default()
    };
    // Per device: the links of its records, and which records follow each predecessor.
    let mut links: HashMap<&str, HashSet<String>> = HashMap::new();
    let mut followers: HashMap<(&str, &str), Vec<&ProvenRow>> = HashMap::new();
    for row in &rows {
        let Some((prev, signature, stored_link, _)) = &row.proof else {
            report.unsigned += 1;
            continue;
        };
        report.signed += 1;
        let problem = |problem: &str, detail: String| Problem::of(row, problem, detail);
        let Some(key) = &row.public_key else {
            report.problems.push(problem(
                "missing_key",
                "the record is signed but its device has no public key on record".into(),
            ));
            continue;
        };
        match verified_link(key, &row.kind, &row.id, &row.body, prev, signature) {
            Ok(own) if &own == stored_link => {}
            Ok(own) => report.problems.push(problem(
                "link_mismatch",
                format!("the stored link {stored_link} is not the record's link {own}"),
            )),
            Err(e) => report
                .problems
                .push(problem("bad_signature", e.to_string())),
        }
        links
            .entry(&row.device)
            .or_default()
            .insert(stored_link.clone());
        followers.entry((&row.device, prev)).or_default().push(row);
    }
    for row in &rows {
        let Some((prev, ..)) = &row.proof else {
            continue;
        };
        let problem = |problem: &str, detail: String| Problem::of(row, problem, detail);
        let siblings = followers
            .get(&(row.device.as_str(), prev.as_str()))
            .map_or(0, Vec::len);
        if siblings > 1 {
            report.problems.push(problem(
                "fork",
                format!("{siblings} records of device {} follow {prev}", row.device),
            ));
        } else if prev != GENESIS
            && !links
                .get(row.device.as_str())
                .is_some_and(|l| l.contains(prev))
        {
            report.problems.push(problem(
                "gap",
                format!("its predecessor {prev} is not on the server"),
            ));
        }
    }
    for sha in records.referenced_blobs()? {
        // A store that checks hashes as it reads (S3) refuses the bytes instead.
        let read = match blobs.read_blob(&sha) {
            Err(StoreError::BlobMismatch { actual, .. }) => Some(Err(actual)),
            other => other?.map(Ok),
        };
        match read {
            // A photo not uploaded yet is not broken: its device sends it in a later sync.
            None => {}
            Some(bytes) => {
                report.blobs += 1;
                let actual = match bytes {
                    Ok(bytes) => sha256_hex(&bytes),
                    Err(actual) => actual,
                };
                if actual != sha {
                    report.problems.push(Problem {
                        record: sha.clone(),
                        kind: "photo".into(),
                        device: String::new(),
                        problem: "blob_hash".into(),
                        detail: format!("the stored photo's SHA-256 is {actual}"),
                    });
                }
            }
        }
    }
    Ok(report)
}
