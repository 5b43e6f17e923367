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

use gridwalk_model::protocol::PushItem;
use gridwalk_model::signing::{
    ChainLink, GENESIS, Proof, Sealed, SignatureError, chained_link_of, from_hex, is_link,
    link as link_over_signature, seal_message, sealed_by_chain, signed_bytes,
};
use gridwalk_model::wire::Unreadable;
use serde::Serialize;

use crate::storage::{
    BlobStore, ProvenRow, RecordProof, RecordStore, StoreError, StoredProof, sha256_hex,
};

/// Why a pushed record's proof was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// The proof is missing, malformed or does not verify; a sentence for people.
    #[error("{0}")]
    BadSignature(String),
    /// The record is chained but unsigned and no record of its request seals it.
    #[error("{0}")]
    Unsealed(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the request's chain says of one pushed item, decided for the whole request
/// before any item is stored ([`seal_request`]).
#[derive(Debug)]
pub enum Sealing {
    /// The device registered no key (an older client, or the desk console): nothing to
    /// check, the record is stored without a proof.
    Unchecked,
    /// Its own signature verifies, or a signature later in the request seals it
    /// through the chain; `link` as computed from the pushed body.
    Authentic {
        /// The proof as pushed.
        proof: Proof,
        /// The record's link.
        link: String,
    },
    /// Refused: a missing, malformed or failing signature (`bad_signature`), or a
    /// chained record no signature of the request seals (`unsealed`).
    Refused(ProofError),
}

/// Decides, for every item of one push by a device whose registered key is `key`,
/// whether it is authenticated: a record signed on its own (older clients) by its
/// signature; a chained record (ADR 12) by its seal, if it has one, or else by the
/// first later record of the request that names its link as `prev` and is itself
/// authenticated, walking forward to a seal. Unreadable items seal nothing.
pub fn seal_request(key: Option<&str>, items: &[Result<PushItem, Unreadable>]) -> Vec<Sealing> {
    let Some(key) = key else {
        return items.iter().map(|_| Sealing::Unchecked).collect();
    };
    let mut verdicts: Vec<Option<Sealing>> = Vec::with_capacity(items.len());
    let mut chain: Vec<ChainLink> = Vec::with_capacity(items.len());
    for item in items {
        let refused = |e: ProofError| {
            (
                Some(Sealing::Refused(e)),
                ChainLink {
                    link: String::new(),
                    prev: String::new(),
                    signature_ok: Some(false),
                },
            )
        };
        let (verdict, link) = match item {
            Err(_) => refused(ProofError::BadSignature("the item is unreadable".into())),
            Ok(item) => match item.proof.as_ref() {
                None => refused(ProofError::BadSignature(
                    "this device registered a public key at enrolment; its records must be \
                     signed or chained"
                        .into(),
                )),
                Some(proof) => match pushed_link(key, &item.kind, &item.id, &item.body, proof) {
                    // A failing seal still names its predecessor: what it would have
                    // sealed is refused for the same reason.
                    Err(e) => {
                        let (verdict, mut link) = refused(ProofError::BadSignature(e.to_string()));
                        link.prev = proof.prev.clone();
                        (verdict, link)
                    }
                    Ok(link) => (
                        None,
                        ChainLink {
                            link,
                            prev: proof.prev.clone(),
                            signature_ok: proof.signature.as_ref().map(|_| true),
                        },
                    ),
                },
            },
        };
        verdicts.push(verdict);
        chain.push(link);
    }
    let sealed = sealed_by_chain(&chain);
    verdicts
        .into_iter()
        .zip(items)
        .zip(chain)
        .zip(sealed)
        .map(|(((verdict, item), link), sealed)| match (verdict, item) {
            (Some(refused), _) => refused,
            (None, Ok(item)) if sealed == Sealed::Verified => Sealing::Authentic {
                proof: item.proof.clone().unwrap_or_else(|| Proof {
                    prev: GENESIS.into(),
                    signature: None,
                    chained: true,
                }),
                link: link.link,
            },
            (None, _) if sealed == Sealed::BadSeal => Sealing::Refused(ProofError::BadSignature(
                "the signature that seals its chain segment, on a later record of this request, \
                 does not verify"
                    .into(),
            )),
            _ => Sealing::Refused(ProofError::Unsealed(
                "it is chained but not signed, and no record of this request seals its chain \
                 segment (push it with the record that ends the segment, signed)"
                    .into(),
            )),
        })
        .collect()
}

/// Places an authenticated record, as the server will store it (`stored_body`,
/// canonical JSON text), in its device's chain. The link is computed again over the
/// stored body, so a body the server would store differently from how it was signed is
/// refused rather than kept as something the device never signed.
/// `Ok(None)`: an unchecked record of a device enrolled without a key.
pub fn check_pushed(
    device: &str,
    sealing: Sealing,
    kind: &str,
    id: &str,
    stored_body: &str,
) -> Result<Option<RecordProof>, ProofError> {
    let (proof, link) = match sealing {
        Sealing::Unchecked => return Ok(None),
        Sealing::Refused(e) => return Err(e),
        Sealing::Authentic { proof, link } => (proof, link),
    };
    let body: serde_json::Value = serde_json::from_str(stored_body)
        .map_err(|e| ProofError::BadSignature(format!("the stored body is not JSON: {e}")))?;
    let stored_link = match (&proof.signature, proof.chained) {
        (Some(_), false) => signed_bytes(kind, id, &body, &proof.prev)
            .map_err(|e| ProofError::BadSignature(e.to_string()))
            .and_then(|signed| {
                from_hex(proof.signature.as_deref().unwrap_or_default())
                    .map(|der| link_over_signature(&signed, &der))
                    .ok_or_else(|| ProofError::BadSignature("the signature is not hex".into()))
            })?,
        _ => chained_link_of(kind, id, &body, &proof.prev)
            .map_err(|e| ProofError::BadSignature(e.to_string()))?,
    };
    if stored_link != link {
        return Err(ProofError::BadSignature(format!(
            "the record as this server stores it is not the record as signed (device {device})"
        )));
    }
    // Its place in the device's chain is decided by the store as it inserts it.
    Ok(Some(RecordProof {
        prev: proof.prev,
        signature: proof.signature,
        chained: proof.chained,
        link,
    }))
}

/// A pushed record's link, its own signature checked when it has one: over its signed
/// bytes for a record signed on its own, over its seal message for a chained one.
fn pushed_link(
    key: &str,
    kind: &str,
    id: &str,
    body: &serde_json::Value,
    proof: &Proof,
) -> Result<String, SignatureError> {
    if !is_link(&proof.prev) {
        return Err(SignatureError::Malformed(
            "`prev` is not a lower-case hex SHA-256".into(),
        ));
    }
    match (&proof.signature, proof.chained) {
        (Some(signature), false) => {
            let signed = signed_bytes(kind, id, body, &proof.prev)?;
            let der = gridwalk_model::signing::verify(key, &signed, signature)?;
            Ok(link_over_signature(&signed, &der))
        }
        (signature, _) => {
            let own = chained_link_of(kind, id, body, &proof.prev)?;
            if let Some(signature) = signature {
                gridwalk_model::signing::verify(key, &seal_message(&own), signature)?;
            }
            Ok(own)
        }
    }
}

/// Verifies one stored record's own signature, if it has one, and returns its link.
fn verified_link(
    key: &str,
    kind: &str,
    id: &str,
    body: &str,
    proof: &StoredProof,
) -> Result<String, SignatureError> {
    let body: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| SignatureError::NotCanonical(format!("the body is not JSON: {e}")))?;
    pushed_link(
        key,
        kind,
        id,
        &body,
        &Proof {
            prev: proof.prev.clone(),
            signature: proof.signature.clone(),
            chained: proof.chained || proof.signature.is_none(),
        },
    )
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
    /// `bad_signature`, `link_mismatch`, `unsealed`, `gap`, `fork`, `missing_key` or
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
    /// Of those, chained ones without a signature of their own (ADR 12), checked by
    /// walking their device's chain forward to the signature that seals them.
    pub sealed: usize,
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
            "{} records ({} signed, {} sealed by a later signature, {} unsigned), {} photos: {}",
            self.records,
            self.signed,
            self.sealed,
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
    // Per device: its records as links recomputed from their content, for the walk from
    // each chained record to the signature that seals it; and which rows were named.
    let mut walks: HashMap<&str, Vec<(&ProvenRow, ChainLink)>> = HashMap::new();
    for row in &rows {
        let Some(proof) = &row.proof else {
            report.unsigned += 1;
            continue;
        };
        match proof.signature {
            Some(_) => report.signed += 1,
            None => report.sealed += 1,
        }
        let problem = |problem: &str, detail: String| Problem::of(row, problem, detail);
        let Some(key) = &row.public_key else {
            report.problems.push(problem(
                "missing_key",
                "the record is signed but its device has no public key on record".into(),
            ));
            continue;
        };
        let stored_link = &proof.link;
        let (own, ok) = match verified_link(key, &row.kind, &row.id, &row.body, proof) {
            Ok(own) if &own == stored_link => (own, true),
            Ok(own) => {
                report.problems.push(problem(
                    "link_mismatch",
                    format!("the stored link {stored_link} is not the record's link {own}"),
                ));
                (own, false)
            }
            Err(e) => {
                report
                    .problems
                    .push(problem("bad_signature", e.to_string()));
                (String::new(), false)
            }
        };
        walks.entry(&row.device).or_default().push((
            row,
            ChainLink {
                link: own,
                prev: proof.prev.clone(),
                signature_ok: match (ok, &proof.signature) {
                    (false, _) => Some(false),
                    (true, Some(_)) => Some(true),
                    (true, None) => None,
                },
            },
        ));
        links
            .entry(&row.device)
            .or_default()
            .insert(stored_link.clone());
        followers
            .entry((&row.device, proof.prev.as_str()))
            .or_default()
            .push(row);
    }
    for walk in walks.values() {
        let chain: Vec<ChainLink> = walk.iter().map(|(_, link)| link.clone()).collect();
        for ((row, link), sealed) in walk.iter().zip(sealed_by_chain(&chain)) {
            // A record already named (edited, badly signed) is not named twice.
            if sealed != Sealed::Verified && link.signature_ok.is_none() {
                report.problems.push(Problem::of(
                    row,
                    "unsealed",
                    "it is chained but not signed, and no signature on the server seals it: \
                     a record after it in its device's chain is missing or was edited"
                        .into(),
                ));
            }
        }
    }
    for row in &rows {
        let Some(StoredProof { prev, .. }) = &row.proof else {
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
