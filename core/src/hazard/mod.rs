//! Hazard cases on this device: recording events (checked by the model's rules),
//! storing others' events, reading cases. What a case *is* — events, the clock, rules,
//! the fold, deadlines, skew and the report — is the model's ([`gridwalk_model::hazard`]),
//! re-exported here so shells name one path.
//!
//! Map of the module:
//! - [`policy`]: the deadline policy and the skew threshold set on this device.
//! - [`provenance`]: a case's provenance flags from what this device holds (photo GPS
//!   and capture time from the camera files, clock skew, photos re-used elsewhere).
//! - [`store`]: recording, merging and reading events in the local store; the report.

pub mod policy;
pub mod provenance;
pub mod store;

pub use gridwalk_model::hazard::*;
pub use store::{ApplyOutcome, CaseFilter, CaseSummary, CaseView, ServerRefusal};

pub(crate) use store::{apply_remote, open_cases_for_inspection};
