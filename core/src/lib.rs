//! The gridwalk core: the safe-community checklist, the device's local inspection store,
//! hazard cases, and (in later modules) photo evidence and the sync client.
//!
//! The shells (terminal, Android, iOS) hold no rule of their own: everything they show
//! and every decision about what may be recorded comes from here.
//!
//! Map of the crate, one module per concern:
//! - [`checklist`]: checklist templates (the model's, re-exported).
//! - [`store`]: the SQLite file, its pragmas and numbered migrations.
//! - [`reference`]: reference data on the device: org units and sites.
//! - [`inspection`]: starting, answering, resuming and submitting inspections.
//! - [`evidence`]: photo references by hash and what is not yet uploaded.
//! - [`photo`]: the photo pipeline: decode, orient, shrink, re-encode, store by hash.
//! - [`outbox`]: what was recorded here and is not yet synced.
//! - [`profile`]: the local profile: who uses this device, in which role and unit.
//! - [`hazard`]: hazard cases as event logs, their workflow rules, fold and the report.
//! - [`sync`]: the sync client: enrolment, photo upload, push, pull, the sync report.
//! - [`error`]: the core's error type.

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();

pub mod error;
pub mod evidence;
pub mod hazard;
pub mod inspection;
pub mod outbox;
pub mod photo;
pub mod profile;
pub mod reference;
pub mod store;
pub mod sync;

pub use error::{CoreError, Result};
/// The shared model this core builds on (the same crate the sync server uses).
pub use gridwalk_model as model;
pub use gridwalk_model::{checklist, protocol};
pub use store::Store;
