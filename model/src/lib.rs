//! The gridwalk model: everything the device and the server must agree on, as pure code.
//!
//! No storage, no network, no images: this crate compiles to the same rules on a phone,
//! in the terminal shell and in the sync server, so a case folds to the same state and a
//! pushed record means the same thing everywhere.
//!
//! Map of the crate, one module per concern (a module uses only those above it here;
//! `tests/tests/module_layers.rs` checks it):
//! - [`checklist`]: checklist templates, their data format and validation.
//! - [`error`]: the model's error type (and why an inspection is incomplete).
//! - [`evidence`]: how evidence photos are named (lower-case hex SHA-256).
//! - [`profile`]: roles and the person using a device.
//! - [`org`]: the organisation tree and sites, with the checks their imports pass.
//! - [`inspection`]: inspections and answers, and when one is complete.
//! - [`hazard`]: hazard cases as event logs: events, clock, rules, fold, deadlines,
//!   skew, the campaign report.
//! - [`provenance`]: flags on a case's evidence a supervisor can act on (photo GPS far
//!   from the site, capture time far from the answer, device clock skew, re-used photos).
//! - [`photo_record`]: the signed photo record: the evidence file bound to the camera's
//!   original, its EXIF capture time and GPS, and the device's ingest times.
//! - [`signing`]: the canonical bytes a device signs for a record, the chain link,
//!   and signature checks (`docs/signing.md`).
//! - [`protocol`]: the `/v1` sync protocol's requests and responses, and record kinds.
//! - [`bundle`]: the case bundle's files and their offline verification
//!   (`docs/bundle.md`).

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();

pub mod bundle;
pub mod checklist;
pub mod compact;
pub mod error;
pub mod evidence;
pub mod hazard;
pub mod inspection;
pub mod org;
pub mod photo_record;
pub mod profile;
pub mod protocol;
pub mod provenance;
pub mod signing;
pub mod time;
pub mod wire;

pub use error::{ModelError, Result};
