//! The `/v1` sync protocol: every request and response body, declared once and used by
//! both the device's sync client and the sync server, so the two cannot drift apart
//! without a compile error. `sync-server/openapi.yaml` documents the same shapes.
//!
//! Record kinds travel as text ([`RecordKind::as_str`]) so that a server can refuse, and
//! a client skip, a kind it does not know yet, naming it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::checklist::Template;
use crate::error::ModelError;
use crate::org::{OrgUnit, Site};
use crate::profile::{Profile, Role};
use crate::signing::Proof;

/// Paths of the protocol's routes.
pub mod paths {
    /// `POST`: a one-time enrolment code becomes a device token.
    pub const ENROL: &str = "/v1/enrol";
    /// `POST`: a batch of records.
    pub const PUSH: &str = "/v1/push";
    /// `GET`: records since a cursor.
    pub const PULL: &str = "/v1/pull";
    /// `GET`: units, sites, people and templates of the caller's area.
    pub const REFERENCE: &str = "/v1/reference";
    /// tus 1.0 uploads (`POST` creates one); `/v1/blobs/{sha256}` reads a blob.
    pub const BLOBS: &str = "/v1/blobs";
}

/// Conditional sync: what lets a sync with nothing new cost one small request.
///
/// `GET /v1/reference` answers with an `ETag` (a digest of the caller's reference
/// data); sent back as `If-None-Match`, an unchanged reference is `304` with no body.
/// A pull can carry the client's tag ([`REFERENCE`]) and is then answered with the
/// current tag in [`REFERENCE_ETAG`] only when it differs, so a device fetches the
/// reference only when it changed. A pull with [`SKIP_OWN`] leaves out the records the
/// calling device pushed itself (it holds them already).
pub mod conditional {
    /// Pull query parameter: `true` leaves out the records the calling device pushed.
    pub const SKIP_OWN: &str = "skip_own";
    /// Pull query parameter: the reference `ETag` the client holds (empty: none).
    pub const REFERENCE: &str = "reference";
    /// Pull answer header: the caller's current reference `ETag`, present only when
    /// the pull named a different one in [`REFERENCE`].
    pub const REFERENCE_ETAG: &str = "reference-etag";
}

/// The kinds of record a device pushes and pulls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordKind {
    /// A submitted inspection (or a spot-check plan): [`crate::inspection::Inspection`].
    Inspection,
    /// One event of a hazard case: [`crate::hazard::Event`].
    HazardEvent,
    /// What a device attests about an evidence photo it attached:
    /// [`crate::photo_record::PhotoRecord`].
    Photo,
}

impl RecordKind {
    /// Every kind this build knows.
    pub const ALL: [RecordKind; 3] = [
        RecordKind::Inspection,
        RecordKind::HazardEvent,
        RecordKind::Photo,
    ];

    /// The stable text form on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Inspection => "inspection",
            RecordKind::HazardEvent => "hazard-event",
            RecordKind::Photo => "photo",
        }
    }
}

impl FromStr for RecordKind {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, ModelError> {
        RecordKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<String> = RecordKind::ALL
                    .iter()
                    .map(|k| format!("`{}`", k.as_str()))
                    .collect();
                ModelError::Invalid(format!(
                    "unknown item kind `{s}` (expected {})",
                    known.join(" or ")
                ))
            })
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person as the server knows them (enrolment and reference data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// Person id (UUIDv7).
    pub id: String,
    /// Display name.
    pub name: String,
    /// What they do.
    pub role: Role,
    /// The org unit they work in (a grid for a grid worker, a street for a street officer...).
    pub unit: String,
    /// The department code, for department officers.
    #[serde(default)]
    pub department: Option<String>,
}

impl Person {
    /// The person as a device's local profile.
    pub fn profile(&self) -> Profile {
        Profile {
            name: self.name.clone(),
            role: self.role,
            unit: self.unit.clone(),
            department: self.department.clone(),
        }
    }
}

/// `POST /v1/enrol` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    /// The code `people add` printed.
    pub code: String,
    /// The device's public key ([`crate::signing`]: SEC1 uncompressed P-256 point,
    /// hex). Once registered, every record the device pushes must be signed with it;
    /// a device enrolled without one (an older client) pushes unsigned records (any
    /// proof they carry is ignored), which the server stores as unsigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
}

/// `POST /v1/enrol` answer. The token is shown once; the server keeps only its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrolResponse {
    /// The new device's id.
    pub device_id: String,
    /// The bearer token for every later request.
    pub token: String,
    /// Who the device belongs to.
    pub person: Person,
}

/// `GET /v1/reference` answer: reference data for one caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceResponse {
    /// The caller.
    pub me: Person,
    /// The caller's device id.
    #[serde(default)]
    pub device_id: String,
    /// Units of the caller's area and those above it.
    #[serde(default)]
    pub units: Vec<OrgUnit>,
    /// Sites in the caller's area.
    #[serde(default)]
    pub sites: Vec<Site>,
    /// People working in or above the caller's area.
    #[serde(default)]
    pub people: Vec<Person>,
    /// Checklist templates.
    #[serde(default)]
    pub templates: Vec<Template>,
}

/// `POST /v1/push` request: a batch of records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    /// The items, in the order the device recorded them.
    pub items: Vec<PushItem>,
}

/// One pushed record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushItem {
    /// The record's id (UUIDv7).
    pub id: String,
    /// The record's kind, [`RecordKind::as_str`] (text, so an unknown one can be named).
    pub kind: String,
    /// The record itself.
    pub body: serde_json::Value,
    /// The record's signature and chain link ([`crate::signing`]); absent from an
    /// older client's records, and ignored from a device enrolled without a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
}

/// What happened to one pushed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemStatus {
    /// Stored now.
    Accepted,
    /// Already stored (same id, same content, or a newer version of it).
    Duplicate,
    /// Refused; see `code` and `reason`.
    Rejected,
}

/// The answer for one pushed record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    /// The item's id.
    pub id: String,
    /// Accepted, duplicate or rejected.
    pub status: ItemStatus,
    /// The stored record's sequence number, when stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    /// Why it was rejected: `invalid`, `unsupported-kind`, `forbidden`, `conflict`,
    /// `bad_signature`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// A sentence saying what is wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /v1/push` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// One result per item, in request order.
    pub results: Vec<ItemResult>,
}

/// One record as pulled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulledItem {
    /// Server sequence number.
    pub seq: i64,
    /// Record id.
    pub id: String,
    /// The record's kind, [`RecordKind::as_str`].
    pub kind: String,
    /// The record; with personal details removed when `redacted`.
    pub body: serde_json::Value,
    /// Whether personal details were removed for this caller.
    #[serde(default)]
    pub redacted: bool,
    /// The person whose device pushed it.
    #[serde(default)]
    pub author: String,
    /// When the server stored it (server clock).
    #[serde(default)]
    pub received_at: String,
    /// Where the server placed the record in its device's signed chain when it arrived
    /// (`linked`, `gap` or `fork`, docs/signing.md); absent for an unsigned record and
    /// from older servers, and ignored by older clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
}

/// `GET /v1/pull` answer: a page of records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    /// The records, in sequence order.
    pub items: Vec<PulledItem>,
    /// The cursor for the next pull (opaque; send it back as it is).
    pub next_cursor: String,
    /// Whether more records may be waiting after `next_cursor`.
    pub has_more: bool,
}

/// The body of every error answer: `{"error": "<code>", "message": "<what to do>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable code to branch on (`unauthorized`, `bad_request`, ...).
    #[serde(default)]
    pub error: String,
    /// A sentence for people.
    #[serde(default)]
    pub message: String,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn record_kinds_round_trip_and_unknown_ones_are_named() {
        for kind in RecordKind::ALL {
            assert_eq!(kind.as_str().parse::<RecordKind>().unwrap(), kind);
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        let e = "gossip".parse::<RecordKind>().unwrap_err();
        assert!(e.to_string().contains("`gossip`"), "{e}");
    }

    #[test]
    fn a_push_result_without_optional_fields_reads_and_writes_the_same() {
        let json = r#"{"id":"a","status":"duplicate"}"#;
        let result: ItemResult = serde_json::from_str(json).unwrap();
        assert_eq!(result.status, ItemStatus::Duplicate);
        assert_eq!(serde_json::to_string(&result).unwrap(), json);
    }
}
