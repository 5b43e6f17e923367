//! The case bundle (issue 12 item 5): one file holding a hazard case's evidence — its
//! events, the inspection(s) it came from, the evidence photos, every record's signature
//! and chain link, the public keys of the devices involved — that anyone can check
//! offline, without the server (`docs/bundle.md` describes every file).
//!
//! Both sides share this one definition: the server writes a bundle's files with
//! [`write_files`] (and zips them), `gridwalk verify-bundle` unzips them and checks them
//! with [`verify_files`], which re-checks every file's SHA-256 against the manifest, every
//! photo against its name, every record's signature against its device's key (the
//! [`crate::signing`] rules), every chain link, every event's parents, and gives a
//! timeline of the case with its provenance flags. What is wrong is named by file,
//! record or photo; a fork or a gap the server already saw at receipt is a warning (a
//! phone restored from a backup), not a failure.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::DateTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::evidence::is_sha256_hex;
use crate::hazard::Event;
use crate::inspection::Inspection;
use crate::org::Site;
use crate::photo_record::PhotoRecord;
use crate::protocol::RecordKind;
use crate::provenance::{
    self, CaseEvidence, PhotoFacts, PhotoUse, ProvenanceConfig, ProvenanceFlag,
};
use crate::signing::{self, GENESIS};
use crate::time::{Zone, show_ms};

/// The `format` every bundle's manifest names.
pub const FORMAT: &str = "gridwalk-case-bundle";
/// The bundle format version this build writes and reads.
pub const VERSION: u32 = 1;
/// The manifest's path in the bundle.
pub const MANIFEST: &str = "manifest.json";
/// The case file: the case id, the export time, the site.
pub const CASE_FILE: &str = "case.json";
/// Every record's proof (signature, link, chain status), in each device's chain order.
pub const PROOFS_FILE: &str = "proofs.json";
/// The public keys of the devices involved.
pub const DEVICES_FILE: &str = "devices.json";

/// Why a bundle could not be written.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A stored record's body is not JSON.
    #[error("record {0}: the stored body is not JSON: {1}")]
    BadBody(String, String),
    /// Encoding a file failed.
    #[error("encoding {0}: {1}")]
    Encode(String, String),
}

/// One file of the bundle in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// The path inside the bundle.
    pub path: String,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// The file's length in bytes.
    pub bytes: u64,
}

/// `manifest.json`: what the bundle is and the hash of every other file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format version ([`VERSION`]).
    pub version: u32,
    /// The case.
    pub case_id: String,
    /// Every file but the manifest, sorted by path.
    pub files: Vec<ManifestFile>,
}

/// `case.json`: what the bundle is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseFile {
    /// The case's id.
    pub case_id: String,
    /// When the server wrote the bundle (RFC 3339, server clock).
    pub exported_at: String,
    /// The case's site as registered on the server, with its coordinates.
    pub site: Option<Site>,
    /// Photos the records name that the server did not hold when exporting (not
    /// uploaded yet); each is a warning, any other missing photo a problem.
    #[serde(default)]
    pub photos_not_uploaded: Vec<String>,
    /// Records outside the bundle that attach the same photos (other cases, other
    /// sites), as the server knew them at export: for the re-use flag. Not signed
    /// evidence, only a pointer for the reader.
    #[serde(default)]
    pub other_uses: Vec<PhotoUse>,
}

/// `records/NNNN.json`: one record of the case, as the server stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleRecord {
    /// The record's id.
    pub id: String,
    /// `inspection` or `hazard-event`.
    pub kind: String,
    /// The device that pushed it (derived by the server from its token).
    pub device: String,
    /// When the server received it (RFC 3339, server clock).
    pub received_at: String,
    /// The body as pushed and signed.
    pub body: Value,
}

/// One entry of `proofs.json`: a signed record's place in its device's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleProof {
    /// The record's id.
    pub record: String,
    /// The device whose chain it is in.
    pub device: String,
    /// Whether the record is in this bundle (`false`: a record of the same device
    /// about something else, kept only so the chain between the case's records is
    /// whole; its content is not shown).
    pub in_case: bool,
    /// The link of the device's previous record.
    pub prev: String,
    /// The DER signature, hex; absent for a chained record sealed by a later one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Whether the record is chained (ADR 12, [`signing::Proof::chained`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub chained: bool,
    /// A chained record's content digest ([`signing::content_digest`]), so its link can
    /// be checked, and the walk to its seal made, without its body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// The record's own link.
    pub link: String,
    /// Where the server placed it when it arrived: `linked`, `gap` or `fork`.
    pub chain: String,
}

impl BundleProof {
    /// Whether the record is in the chained form (ADR 12): chained, or without a
    /// signature of its own.
    fn is_chained(&self) -> bool {
        self.chained || self.signature.is_none()
    }
}

/// One entry of `devices.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleDevice {
    /// The device's id.
    pub device: String,
    /// Its public key registered at enrolment (SEC1, hex); `None` for an older
    /// client that registered none (its records are unsigned).
    pub public_key: Option<String>,
}

/// Everything a bundle holds, before it is written as files.
#[derive(Debug, Clone)]
pub struct BundleContents {
    /// `case.json`.
    pub case: CaseFile,
    /// The case's records and the inspections it came from, in server order.
    pub records: Vec<BundleRecord>,
    /// Their proofs and the chain between them, in each device's chain order.
    pub proofs: Vec<BundleProof>,
    /// The devices involved.
    pub devices: Vec<BundleDevice>,
    /// The evidence photos: SHA-256 and bytes.
    pub photos: Vec<(String, Vec<u8>)>,
}

/// The path of a photo in the bundle.
pub fn photo_path(sha256: &str) -> String {
    format!("photos/{sha256}.jpg")
}

/// The bundle's files, the manifest last: `(path, bytes)`.
pub fn write_files(contents: &BundleContents) -> Result<Vec<(String, Vec<u8>)>, BundleError> {
    let mut files = vec![
        json_file(CASE_FILE, &contents.case)?,
        json_file(PROOFS_FILE, &contents.proofs)?,
        json_file(DEVICES_FILE, &contents.devices)?,
    ];
    for (i, record) in contents.records.iter().enumerate() {
        files.push(json_file(&format!("records/{:04}.json", i + 1), record)?);
    }
    for (sha, bytes) in &contents.photos {
        files.push((photo_path(sha), bytes.clone()));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        case_id: contents.case.case_id.clone(),
        files: files
            .iter()
            .map(|(path, bytes)| ManifestFile {
                path: path.clone(),
                sha256: sha256_hex(bytes),
                bytes: bytes.len() as u64,
            })
            .collect(),
    };
    files.push(json_file(MANIFEST, &manifest)?);
    Ok(files)
}

/// A JSON file of the bundle: pretty (people open bundles), with a final newline.
fn json_file<T: Serialize>(path: &str, value: &T) -> Result<(String, Vec<u8>), BundleError> {
    serde_json::to_string_pretty(value)
        .map(|text| (path.to_string(), (text + "\n").into_bytes()))
        .map_err(|e| BundleError::Encode(path.into(), e.to_string()))
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    signing::to_hex(&Sha256::digest(bytes))
}

/// One thing found wrong (or worth a look) in a bundle, naming what it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The file, record id or photo SHA-256 it is about.
    pub subject: String,
    /// A stable code: `malformed`, `unknown_version`, `missing_file`, `file_hash`,
    /// `unlisted_file`, `wrong_case`, `missing_key`, `bad_signature`, `link_mismatch`,
    /// `chain_break`, `chain_order`, `missing_record`, `missing_parent`,
    /// `missing_photo`, `photo_hash`, `unsigned`, `gap`, `fork`, `photo_not_uploaded`.
    pub code: String,
    /// A sentence for people.
    pub detail: String,
}

fn finding(subject: &str, code: &str, detail: impl Into<String>) -> Finding {
    Finding {
        subject: subject.into(),
        code: code.into(),
        detail: detail.into(),
    }
}

/// One line of a case's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// The time the record gives (event wall time, inspection submission), ms.
    pub at_ms: Option<i64>,
    /// The record's id.
    pub record: String,
    /// `inspection` or the event's kind (`reported`, `assigned`, …).
    pub what: String,
    /// Who recorded it (the event's actor, or the inspector).
    pub who: String,
    /// The device it came from.
    pub device: String,
    /// What it says, in short.
    pub summary: String,
    /// `verified`, `unsigned` or `bad`.
    pub signature: String,
    /// `linked`, `gap`, `fork` (the server's placement at receipt), or empty.
    pub chain: String,
}

/// What checking a bundle found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BundleReport {
    /// The case, as the manifest names it.
    pub case_id: String,
    /// Records checked.
    pub records: usize,
    /// Of those, with a verified signature.
    pub verified: usize,
    /// Photos checked against their names.
    pub photos: usize,
    /// Devices involved.
    pub devices: usize,
    /// What makes the bundle fail: tampering, or a bundle that is not whole.
    pub problems: Vec<Finding>,
    /// What a reader should know but does not make it fail (forks, gaps the server
    /// saw, unsigned records of older clients, photos never uploaded).
    pub warnings: Vec<Finding>,
    /// Provenance flags computed from the bundle ([`crate::provenance`]).
    pub provenance: Vec<ProvenanceFlag>,
    /// The case's history, in the order of its events (HLC).
    pub timeline: Vec<TimelineEntry>,
}

impl BundleReport {
    /// Whether nothing is wrong (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }

    /// The report for people: the verdict, the problems, the warnings, the provenance
    /// flags and the timeline, times in `zone`.
    pub fn to_text(&self, zone: Zone) -> String {
        let mut out = vec![format!(
            "case {}: {} records ({} signatures verified), {} photos, {} devices — {}",
            self.case_id,
            self.records,
            self.verified,
            self.photos,
            self.devices,
            if self.is_valid() {
                "VERIFIED".to_string()
            } else {
                format!("{} PROBLEMS", self.problems.len())
            }
        )];
        for p in &self.problems {
            out.push(format!("PROBLEM {} {}: {}", p.code, p.subject, p.detail));
        }
        for w in &self.warnings {
            out.push(format!("warning {} {}: {}", w.code, w.subject, w.detail));
        }
        for f in &self.provenance {
            out.push(format!("flag {}: {}", f.record, f.message));
        }
        out.push("timeline:".into());
        for t in &self.timeline {
            let at = t.at_ms.map_or_else(|| "-".into(), |ms| show_ms(ms, zone));
            let chain = if t.chain.is_empty() {
                String::new()
            } else {
                format!(", chain {}", t.chain)
            };
            out.push(format!(
                "  {at}  {} by {} (device {}): {}  [{} {}{chain}]",
                t.what, t.who, t.device, t.summary, t.record, t.signature
            ));
        }
        out.join("\n")
    }
}

/// Checks a bundle given as its files (path → bytes), offline.
pub fn verify_files(files: &BTreeMap<String, Vec<u8>>) -> BundleReport {
    let mut report = BundleReport::default();
    let Some(manifest) = files.get(MANIFEST) else {
        report.problems.push(finding(
            MANIFEST,
            "missing_file",
            "the bundle has no manifest.json",
        ));
        return report;
    };
    let manifest: Manifest = match serde_json::from_slice(manifest) {
        Ok(m) => m,
        Err(e) => {
            report
                .problems
                .push(finding(MANIFEST, "malformed", e.to_string()));
            return report;
        }
    };
    report.case_id = manifest.case_id.clone();
    if manifest.format != FORMAT || manifest.version != VERSION {
        report.problems.push(finding(
            MANIFEST,
            "unknown_version",
            format!(
                "format `{}` version {} (this build reads `{FORMAT}` version {VERSION})",
                manifest.format, manifest.version
            ),
        ));
        return report;
    }
    check_manifest(&manifest, files, &mut report);

    let case: CaseFile = match parse(files, CASE_FILE, &mut report) {
        Some(c) => c,
        None => return report,
    };
    let proofs: Vec<BundleProof> = parse(files, PROOFS_FILE, &mut report).unwrap_or_default();
    let devices: Vec<BundleDevice> = parse(files, DEVICES_FILE, &mut report).unwrap_or_default();
    if case.case_id != manifest.case_id {
        report.problems.push(finding(
            CASE_FILE,
            "wrong_case",
            format!(
                "case.json is about {} but the manifest names {}",
                case.case_id, manifest.case_id
            ),
        ));
    }
    let mut records = Vec::new();
    for path in files.keys().filter(|p| p.starts_with("records/")) {
        if let Some(record) = parse::<BundleRecord>(files, path, &mut report) {
            records.push(record);
        }
    }
    report.records = records.len();
    report.devices = devices.len();

    let keys: HashMap<&str, Option<&str>> = devices
        .iter()
        .map(|d| (d.device.as_str(), d.public_key.as_deref()))
        .collect();
    let proof_of: HashMap<&str, &BundleProof> =
        proofs.iter().map(|p| (p.record.as_str(), p)).collect();
    let sealed = sealed_records(&proofs, &keys);
    let mut signature_of: HashMap<String, &'static str> = HashMap::new();
    for record in &records {
        let status = check_record(record, &case, &keys, &proof_of, &sealed, &mut report);
        signature_of.insert(record.id.clone(), status);
    }
    report.verified = signature_of.values().filter(|s| **s == "verified").count();
    let present: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
    for p in proofs.iter().filter(|p| p.in_case) {
        if !present.contains(p.record.as_str()) {
            report.problems.push(finding(
                &p.record,
                "missing_record",
                "the chain names this record of the case but the bundle does not hold it",
            ));
        }
    }
    check_chains(&proofs, &mut report);

    let events = parsed_events(&records);
    let event_ids: HashSet<&str> = events.iter().map(|(e, _)| e.id.as_str()).collect();
    for (event, _) in &events {
        for parent in &event.parents {
            if !event_ids.contains(parent.as_str()) {
                report.problems.push(finding(
                    &event.id,
                    "missing_parent",
                    format!("it follows event {parent}, which the bundle does not hold"),
                ));
            }
        }
    }
    let uses = photo_uses(&records, &events, &case);
    check_photos(&uses, files, &case, &mut report);
    report.provenance = provenance::flags(
        &CaseEvidence {
            site: case.site.as_ref(),
            uses: uses.clone(),
            uses_elsewhere: case.other_uses.clone(),
            photos: photo_facts(&records, &signature_of),
            events: events.clone(),
        },
        &ProvenanceConfig::default(),
    );
    report.timeline = timeline(&records, &events, &signature_of, &proof_of);
    report
}

/// Every listed file present with its hash, every present file listed.
fn check_manifest(
    manifest: &Manifest,
    files: &BTreeMap<String, Vec<u8>>,
    report: &mut BundleReport,
) {
    let mut listed = HashSet::new();
    for file in &manifest.files {
        listed.insert(file.path.as_str());
        match files.get(&file.path) {
            None => report.problems.push(finding(
                &file.path,
                "missing_file",
                "listed in the manifest but not in the bundle",
            )),
            Some(bytes) => {
                let actual = sha256_hex(bytes);
                if actual != file.sha256 {
                    report.problems.push(finding(
                        &file.path,
                        "file_hash",
                        format!("its SHA-256 is {actual}, the manifest says {}", file.sha256),
                    ));
                }
            }
        }
    }
    for path in files.keys() {
        if path != MANIFEST && !listed.contains(path.as_str()) {
            report.problems.push(finding(
                path,
                "unlisted_file",
                "in the bundle but not in the manifest",
            ));
        }
    }
}

/// A JSON file of the bundle, or a `malformed`/`missing_file` problem.
fn parse<T: serde::de::DeserializeOwned>(
    files: &BTreeMap<String, Vec<u8>>,
    path: &str,
    report: &mut BundleReport,
) -> Option<T> {
    let Some(bytes) = files.get(path) else {
        report
            .problems
            .push(finding(path, "missing_file", "the bundle does not hold it"));
        return None;
    };
    match serde_json::from_slice(bytes) {
        Ok(value) => Some(value),
        Err(e) => {
            report
                .problems
                .push(finding(path, "malformed", e.to_string()));
            None
        }
    }
}

/// One record's signature and link against its device's key; whether it belongs to
/// the case. Returns `verified`, `unsigned` or `bad`.
fn check_record(
    record: &BundleRecord,
    case: &CaseFile,
    keys: &HashMap<&str, Option<&str>>,
    proof_of: &HashMap<&str, &BundleProof>,
    sealed: &HashMap<&str, signing::Sealed>,
    report: &mut BundleReport,
) -> &'static str {
    let id = record.id.as_str();
    let body_id = record.body.get("id").and_then(Value::as_str);
    if body_id != Some(id) {
        report.problems.push(finding(
            id,
            "malformed",
            format!("the record's body has id {body_id:?}"),
        ));
    }
    if record.kind == RecordKind::HazardEvent.as_str() {
        let case_id = record.body.get("case_id").and_then(Value::as_str);
        if case_id != Some(case.case_id.as_str()) {
            report.problems.push(finding(
                id,
                "wrong_case",
                format!(
                    "the event belongs to case {case_id:?}, not {}",
                    case.case_id
                ),
            ));
        }
    }
    let key = keys.get(record.device.as_str()).copied();
    let Some(proof) = proof_of.get(id) else {
        return match key {
            Some(None) => {
                report.warnings.push(finding(
                    id,
                    "unsigned",
                    format!(
                        "device {} registered no key (an older client): the record is not signed",
                        record.device
                    ),
                ));
                "unsigned"
            }
            _ => {
                report.problems.push(finding(
                    id,
                    "bad_signature",
                    "the record has no signature in proofs.json",
                ));
                "bad"
            }
        };
    };
    if proof.device != record.device {
        report.problems.push(finding(
            id,
            "bad_signature",
            format!(
                "the proof is in device {}'s chain, the record came from {}",
                proof.device, record.device
            ),
        ));
        return "bad";
    }
    let Some(Some(key)) = key else {
        report.problems.push(finding(
            id,
            "missing_key",
            format!(
                "devices.json holds no public key of device {}",
                record.device
            ),
        ));
        return "bad";
    };
    if proof.is_chained() {
        return check_chained(record, proof, sealed, report);
    }
    let checked =
        signing::signed_bytes(&record.kind, id, &record.body, &proof.prev).and_then(|signed| {
            signing::verify(key, &signed, proof.signature.as_deref().unwrap_or_default())
                .map(|der| signing::link(&signed, &der))
        });
    match checked {
        Ok(own) if own == proof.link => "verified",
        Ok(own) => {
            report.problems.push(finding(
                id,
                "link_mismatch",
                format!("proofs.json says its link is {}, it is {own}", proof.link),
            ));
            "bad"
        }
        Err(e) => {
            report.problems.push(finding(
                id,
                "bad_signature",
                format!(
                    "{e}: the record was changed after device {} signed it",
                    record.device
                ),
            ));
            "bad"
        }
    }
}

/// A chained record (ADR 12) against its proof: its body must give the content digest
/// its link was made from, and the walk along its device's chain must reach a seal
/// ([`sealed_records`]). Returns `verified` or `bad`.
fn check_chained(
    record: &BundleRecord,
    proof: &BundleProof,
    sealed: &HashMap<&str, signing::Sealed>,
    report: &mut BundleReport,
) -> &'static str {
    let id = record.id.as_str();
    let content = match signing::content_digest(&record.kind, id, &record.body) {
        Ok(content) => content,
        Err(e) => {
            report
                .problems
                .push(finding(id, "malformed", e.to_string()));
            return "bad";
        }
    };
    if proof.content.as_deref() != Some(content.as_str()) {
        report.problems.push(finding(
            id,
            "bad_signature",
            format!(
                "its content digest is {content}, not the {} its chain link was made from: the \
                 record was changed after device {} chained and sealed it",
                proof.content.as_deref().unwrap_or("(none)"),
                record.device
            ),
        ));
        return "bad";
    }
    match sealed.get(id) {
        Some(signing::Sealed::Verified) => "verified",
        Some(signing::Sealed::BadSeal) => {
            report.problems.push(finding(
                id,
                "bad_signature",
                format!(
                    "the signature that seals it does not verify with device {}'s key, or a \
                     record between it and that signature was changed",
                    record.device
                ),
            ));
            "bad"
        }
        _ => {
            report.problems.push(finding(
                id,
                "unsealed",
                format!(
                    "no signature of device {} seals it: a record after it in the chain is \
                     missing",
                    record.device
                ),
            ));
            "bad"
        }
    }
}

/// What the bundle's proofs say of each record, device by device: a chained record
/// whose link its `prev` and content digest give, and whose seal verifies or whose
/// successor is itself authenticated (walking forward to the seal), is verified. Records signed on
/// their own (older clients) are checked against their bodies by [`check_record`];
/// they never seal a chained record, which always comes after them.
fn sealed_records<'a>(
    proofs: &'a [BundleProof],
    keys: &HashMap<&str, Option<&str>>,
) -> HashMap<&'a str, signing::Sealed> {
    let mut by_device: BTreeMap<&str, Vec<&BundleProof>> = BTreeMap::new();
    for p in proofs {
        by_device.entry(&p.device).or_default().push(p);
    }
    let mut sealed = HashMap::new();
    for (device, chain) in by_device {
        let key = keys.get(device).copied().flatten();
        let links: Vec<signing::ChainLink> = chain
            .iter()
            .map(|p| {
                let own = p
                    .content
                    .as_deref()
                    .filter(|_| p.is_chained())
                    .and_then(|c| signing::chained_link(&p.prev, c).ok())
                    .filter(|own| *own == p.link);
                let signature_ok = match (&own, &p.signature, key) {
                    (None, ..) => Some(false),
                    (Some(own), Some(signature), Some(key)) => {
                        Some(signing::verify(key, &signing::seal_message(own), signature).is_ok())
                    }
                    (Some(_), Some(_), None) => Some(false),
                    (Some(_), None, _) => None,
                };
                signing::ChainLink {
                    link: own.unwrap_or_default(),
                    prev: p.prev.clone(),
                    signature_ok,
                }
            })
            .collect();
        for (p, verdict) in chain.iter().zip(signing::sealed_by_chain(&links)) {
            sealed.insert(p.record.as_str(), verdict);
        }
    }
    sealed
}

/// Each device's chain, exported whole from its first record: every entry follows the
/// one before it in the file, the first follows [`GENESIS`]. A second branch (fork) or
/// a missing predecessor (gap) the server flagged at receipt is a warning; one it did
/// not flag means the bundle was changed.
fn check_chains(proofs: &[BundleProof], report: &mut BundleReport) {
    let mut by_device: BTreeMap<&str, Vec<(usize, &BundleProof)>> = BTreeMap::new();
    for (i, p) in proofs.iter().enumerate() {
        by_device.entry(&p.device).or_default().push((i, p));
    }
    for (device, chain) in by_device {
        let position: HashMap<&str, usize> =
            chain.iter().map(|(i, p)| (p.link.as_str(), *i)).collect();
        let mut followers: HashMap<&str, Vec<&BundleProof>> = HashMap::new();
        for (_, p) in &chain {
            followers.entry(&p.prev).or_default().push(p);
        }
        for (i, p) in &chain {
            let siblings = &followers[p.prev.as_str()];
            if siblings.len() > 1 {
                let detail = format!(
                    "device {device}'s chain forks here: {} records follow {} (a store restored \
                     from a backup, or copied)",
                    siblings.len(),
                    p.prev
                );
                if siblings.iter().any(|s| s.chain == "fork") {
                    report.warnings.push(finding(&p.record, "fork", detail));
                } else {
                    report
                        .problems
                        .push(finding(&p.record, "chain_break", detail));
                }
            }
            match position.get(p.prev.as_str()) {
                Some(before) if before < i => {}
                Some(_) => report.problems.push(finding(
                    &p.record,
                    "chain_order",
                    format!(
                        "it comes before the record it follows ({}) in device {device}'s chain",
                        p.prev
                    ),
                )),
                None if p.prev == GENESIS => {}
                None if p.chain == "gap" => report.warnings.push(finding(
                    &p.record,
                    "gap",
                    format!(
                        "the server received it without its predecessor {} (a record never \
                         pushed, or refused)",
                        p.prev
                    ),
                )),
                None => report.problems.push(finding(
                    &p.record,
                    "chain_break",
                    format!(
                        "its predecessor {} in device {device}'s chain is not in the bundle: a \
                         record was removed",
                        p.prev
                    ),
                )),
            }
        }
    }
}

/// The hazard events among the records, each with the server's receipt time in ms.
fn parsed_events(records: &[BundleRecord]) -> Vec<(Event, Option<i64>)> {
    records
        .iter()
        .filter(|r| r.kind == RecordKind::HazardEvent.as_str())
        .filter_map(|r| {
            let event: Event = serde_json::from_value(r.body.clone()).ok()?;
            Some((event, rfc3339_ms(&r.received_at)))
        })
        .collect()
}

/// What the photo records whose signature verified attest of their photos' capture; a
/// photo record that does not verify is already named, and its facts are not believed.
fn photo_facts(
    records: &[BundleRecord],
    signature_of: &HashMap<String, &'static str>,
) -> Vec<PhotoFacts> {
    records
        .iter()
        .filter(|r| r.kind == RecordKind::Photo.as_str())
        .filter(|r| signature_of.get(&r.id).copied() == Some("verified"))
        .filter_map(|r| serde_json::from_value::<PhotoRecord>(r.body.clone()).ok())
        .map(|p| p.facts())
        .collect()
}

/// The inspections among the records.
fn parsed_inspections(records: &[BundleRecord]) -> Vec<(&BundleRecord, Inspection)> {
    records
        .iter()
        .filter(|r| r.kind == RecordKind::Inspection.as_str())
        .filter_map(|r| Some((r, serde_json::from_value(r.body.clone()).ok()?)))
        .collect()
}

fn rfc3339_ms(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Every photo the records attach, as provenance sees it.
fn photo_uses(
    records: &[BundleRecord],
    events: &[(Event, Option<i64>)],
    case: &CaseFile,
) -> Vec<PhotoUse> {
    let site = case.site.as_ref().map(|s| s.id.clone());
    let mut uses = Vec::new();
    for (record, inspection) in parsed_inspections(records) {
        for answer in &inspection.answers {
            for sha in &answer.photos {
                uses.push(PhotoUse {
                    sha256: sha.clone(),
                    record: format!("{}/{}", record.id, answer.item),
                    at_ms: rfc3339_ms(&answer.answered_at),
                    case_id: None,
                    site_id: Some(inspection.site_id.clone()),
                });
            }
        }
    }
    for (event, _) in events {
        for sha in event.payload.photos() {
            uses.push(PhotoUse {
                sha256: sha.clone(),
                record: event.id.clone(),
                at_ms: Some(event.wall_ms),
                case_id: Some(event.case_id.clone()),
                site_id: site.clone(),
            });
        }
    }
    uses
}

/// Every photo a record attaches is in the bundle and hashes to its name.
fn check_photos(
    uses: &[PhotoUse],
    files: &BTreeMap<String, Vec<u8>>,
    case: &CaseFile,
    report: &mut BundleReport,
) {
    let mut seen = HashSet::new();
    for u in uses {
        if !seen.insert(u.sha256.as_str()) {
            continue;
        }
        if !is_sha256_hex(&u.sha256) {
            report.problems.push(finding(
                &u.record,
                "malformed",
                format!("it names the photo `{}`, which is not a SHA-256", u.sha256),
            ));
            continue;
        }
        match files.get(&photo_path(&u.sha256)) {
            Some(bytes) => {
                report.photos += 1;
                let actual = sha256_hex(bytes);
                if actual != u.sha256 {
                    report.problems.push(finding(
                        &u.sha256,
                        "photo_hash",
                        format!(
                            "the photo's bytes hash to {actual}: it is not the photo {} attached",
                            u.record
                        ),
                    ));
                }
            }
            None if case.photos_not_uploaded.contains(&u.sha256) => report.warnings.push(finding(
                &u.sha256,
                "photo_not_uploaded",
                format!(
                    "{} attaches it but the server had not received it at export",
                    u.record
                ),
            )),
            None => report.problems.push(finding(
                &u.sha256,
                "missing_photo",
                format!("{} attaches it but the bundle does not hold it", u.record),
            )),
        }
    }
}

/// The case's history: inspections at their submission, events in HLC order.
fn timeline(
    records: &[BundleRecord],
    events: &[(Event, Option<i64>)],
    signature_of: &HashMap<String, &'static str>,
    proof_of: &HashMap<&str, &BundleProof>,
) -> Vec<TimelineEntry> {
    let status = |id: &str| signature_of.get(id).copied().unwrap_or("bad").to_string();
    let chain = |id: &str| {
        proof_of
            .get(id)
            .map(|p| p.chain.clone())
            .unwrap_or_default()
    };
    let device = |id: &str| {
        records
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.device.clone())
            .unwrap_or_default()
    };
    let mut entries: Vec<((i64, u32, String), TimelineEntry)> = Vec::new();
    for (record, inspection) in parsed_inspections(records) {
        let at = inspection
            .submitted_at
            .as_deref()
            .and_then(rfc3339_ms)
            .or_else(|| rfc3339_ms(&inspection.started_at));
        let hazards: Vec<&str> = inspection
            .answers
            .iter()
            .filter(|a| a.outcome == crate::inspection::Outcome::Hazard)
            .map(|a| a.item.as_str())
            .collect();
        entries.push((
            (at.unwrap_or(i64::MIN), 0, record.id.clone()),
            TimelineEntry {
                at_ms: at,
                record: record.id.clone(),
                what: "inspection".into(),
                who: inspection.inspector.clone(),
                device: record.device.clone(),
                summary: format!(
                    "site {}, {} answers, hazards: {}",
                    inspection.site_id,
                    inspection.answers.len(),
                    hazards.join(", ")
                ),
                signature: status(&record.id),
                chain: chain(&record.id),
            },
        ));
    }
    for (event, _) in events {
        entries.push((
            (event.hlc.ms, event.hlc.counter, event.id.clone()),
            TimelineEntry {
                at_ms: Some(event.wall_ms),
                record: event.id.clone(),
                what: event.payload.kind().as_str().into(),
                who: format!("{} ({})", event.actor.name, event.actor.role),
                device: device(&event.id),
                summary: event_summary(event),
                signature: status(&event.id),
                chain: chain(&event.id),
            },
        ));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.into_iter().map(|(_, e)| e).collect()
}

/// An event's text in one line, with its photo count.
fn event_summary(event: &Event) -> String {
    use crate::hazard::Payload;
    let text = match &event.payload {
        Payload::Reported(r) => format!("{} ({})", r.description, r.category),
        Payload::CalledIn { level, note } => format!("to {level}: {note}"),
        Payload::Assigned { department, note } => format!("to {department}: {note}"),
        Payload::Verified { passed, note, .. } => {
            format!("{}: {note}", if *passed { "passed" } else { "failed" })
        }
        Payload::Reopened { reason } => reason.clone(),
        Payload::Accepted { note }
        | Payload::Progress { note }
        | Payload::Rectified { note, .. }
        | Payload::Closed { note } => note.clone(),
        Payload::Comment { text } => text.clone(),
    };
    let photos = event.payload.photos().len();
    if photos > 0 {
        format!("{text} [{photos} photo(s)]")
    } else {
        text
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer;
    use p256::ecdsa::{Signature, SigningKey};
    use serde_json::json;

    const CASE: &str = "case-1";

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_slice(&[seed; 32]).unwrap()
    }

    fn public(key: &SigningKey) -> String {
        signing::to_hex(key.verifying_key().to_encoded_point(false).as_bytes())
    }

    /// An event body of the case (a comment, enough for the chain and signatures).
    fn comment(id: &str, ms: i64, parents: &[&str], text: &str) -> Value {
        json!({
            "id": id, "case_id": CASE, "device": "dev-1",
            "actor": {"name": "Li Na", "role": "grid-worker", "unit": "g1", "department": null},
            "hlc": {"ms": ms, "counter": 0}, "wall_ms": ms, "parents": parents,
            "payload": {"kind": "comment", "text": text}
        })
    }

    /// Signs `bodies` one after another on device `dev-1`; the proof's chain status is
    /// `chain[i]` (what the server saw at receipt).
    fn contents(bodies: &[Value], prevs: Option<&[&str]>, chain: &[&str]) -> BundleContents {
        let key = key(3);
        let mut prev = GENESIS.to_string();
        let mut links: Vec<String> = Vec::new();
        let mut records = Vec::new();
        let mut proofs = Vec::new();
        for (i, body) in bodies.iter().enumerate() {
            let id = body["id"].as_str().unwrap();
            let this_prev = match prevs {
                Some(p) if p[i] == "genesis" => GENESIS.to_string(),
                Some(p) => links[p[i].parse::<usize>().unwrap()].clone(),
                None => prev.clone(),
            };
            let signed = signing::signed_bytes("hazard-event", id, body, &this_prev).unwrap();
            let signature: Signature = key.sign(&signed);
            let der = signature.to_der();
            let own = signing::link(&signed, der.as_bytes());
            records.push(BundleRecord {
                id: id.into(),
                kind: "hazard-event".into(),
                device: "dev-1".into(),
                received_at: "2026-05-01T10:00:00Z".into(),
                body: body.clone(),
            });
            proofs.push(BundleProof {
                record: id.into(),
                device: "dev-1".into(),
                in_case: true,
                prev: this_prev,
                signature: Some(signing::to_hex(der.as_bytes())),
                chained: false,
                content: None,
                link: own.clone(),
                chain: chain[i].into(),
            });
            links.push(own.clone());
            prev = own;
        }
        BundleContents {
            case: CaseFile {
                case_id: CASE.into(),
                exported_at: "2026-05-02T00:00:00Z".into(),
                site: None,
                photos_not_uploaded: vec![],
                other_uses: vec![],
            },
            records,
            proofs,
            devices: vec![BundleDevice {
                device: "dev-1".into(),
                public_key: Some(public(&key)),
            }],
            photos: vec![],
        }
    }

    fn files(contents: &BundleContents) -> BTreeMap<String, Vec<u8>> {
        write_files(contents).unwrap().into_iter().collect()
    }

    fn codes(findings: &[Finding]) -> Vec<(String, String)> {
        findings
            .iter()
            .map(|f| (f.subject.clone(), f.code.clone()))
            .collect()
    }

    fn three() -> Vec<Value> {
        vec![
            comment("e1", 1_000, &[], "first"),
            comment("e2", 2_000, &["e1"], "second"),
            comment("e3", 3_000, &["e2"], "third"),
        ]
    }

    #[test]
    fn a_written_bundle_verifies_with_its_timeline_in_hlc_order() {
        let report = verify_files(&files(&contents(&three(), None, &["linked"; 3])));
        assert!(report.is_valid(), "{:?}", report.problems);
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        assert_eq!((report.records, report.verified), (3, 3));
        let order: Vec<&str> = report.timeline.iter().map(|t| t.record.as_str()).collect();
        assert_eq!(order, ["e1", "e2", "e3"]);
        let text = report.to_text(Zone::Utc);
        assert!(
            text.contains("VERIFIED") && text.contains("comment by Li Na"),
            "{text}"
        );
    }

    #[test]
    fn an_edited_record_is_named_even_with_the_manifest_rewritten() {
        let mut c = contents(&three(), None, &["linked"; 3]);
        c.records[1].body["payload"]["text"] = json!("changed");
        let report = verify_files(&files(&c));
        assert_eq!(
            codes(&report.problems),
            [("e2".into(), "bad_signature".into())]
        );
        // Without rewriting the manifest the file's hash is named too.
        let mut bytes = files(&contents(&three(), None, &["linked"; 3]));
        let text = String::from_utf8(bytes["records/0002.json"].clone()).unwrap();
        bytes.insert(
            "records/0002.json".into(),
            text.replace("second", "secnod").into_bytes(),
        );
        let report = verify_files(&bytes);
        assert_eq!(
            codes(&report.problems),
            [
                ("records/0002.json".into(), "file_hash".into()),
                ("e2".into(), "bad_signature".into())
            ]
        );
    }

    #[test]
    fn a_removed_record_breaks_the_chain_and_its_followers_parents() {
        let mut c = contents(&three(), None, &["linked"; 3]);
        c.records.remove(1);
        c.proofs.remove(1);
        let report = verify_files(&files(&c));
        assert_eq!(
            codes(&report.problems),
            [
                ("e3".into(), "chain_break".into()),
                ("e3".into(), "missing_parent".into())
            ]
        );
        // Its proof kept: the record is named as missing.
        let mut c = contents(&three(), None, &["linked"; 3]);
        c.records.remove(1);
        let report = verify_files(&files(&c));
        assert_eq!(
            codes(&report.problems),
            [
                ("e2".into(), "missing_record".into()),
                ("e3".into(), "missing_parent".into())
            ]
        );
    }

    #[test]
    fn a_reordered_chain_and_a_swapped_key_are_named() {
        let mut c = contents(&three(), None, &["linked"; 3]);
        c.proofs.swap(0, 1);
        let report = verify_files(&files(&c));
        assert_eq!(
            codes(&report.problems),
            [("e2".into(), "chain_order".into())]
        );
        let mut c = contents(&three(), None, &["linked"; 3]);
        c.devices[0].public_key = Some(public(&key(9)));
        let report = verify_files(&files(&c));
        assert_eq!(report.problems.len(), 3);
        assert!(report.problems.iter().all(|p| p.code == "bad_signature"));
    }

    #[test]
    fn a_fork_the_server_flagged_is_a_warning_and_one_it_did_not_a_problem() {
        // e3 follows e1 as e2 does: a restored backup recorded on.
        let forked = contents(
            &three(),
            Some(&["genesis", "0", "0"]),
            &["linked", "linked", "fork"],
        );
        let report = verify_files(&files(&forked));
        assert!(report.is_valid(), "{:?}", report.problems);
        assert_eq!(
            codes(&report.warnings),
            [("e2".into(), "fork".into()), ("e3".into(), "fork".into())]
        );
        let hidden = contents(&three(), Some(&["genesis", "0", "0"]), &["linked"; 3]);
        let report = verify_files(&files(&hidden));
        assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
    }

    #[test]
    fn a_changed_photo_and_an_unknown_version_are_named() {
        let photo = b"jpeg bytes".to_vec();
        let sha = sha256_hex(&photo);
        let mut body = comment("e1", 1_000, &[], "x");
        body["payload"] = json!({"kind": "rectified", "photos": [sha], "note": "fixed"});
        let mut c = contents(&[body], None, &["linked"]);
        c.photos.push((sha.clone(), b"jpeg bytez".to_vec()));
        let report = verify_files(&files(&c));
        assert_eq!(
            codes(&report.problems),
            [(sha.clone(), "photo_hash".into())]
        );
        c.photos.clear();
        let report = verify_files(&files(&c));
        assert_eq!(
            codes(&report.problems),
            [(sha.clone(), "missing_photo".into())]
        );

        let mut bytes = files(&contents(&three(), None, &["linked"; 3]));
        let manifest = String::from_utf8(bytes[MANIFEST].clone()).unwrap();
        bytes.insert(
            MANIFEST.into(),
            manifest
                .replace("\"version\": 1", "\"version\": 2")
                .into_bytes(),
        );
        let report = verify_files(&bytes);
        assert_eq!(
            codes(&report.problems),
            [(MANIFEST.into(), "unknown_version".into())]
        );
    }
}
