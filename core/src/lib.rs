//! The gridwalk core: the safe-community checklist, the device's local inspection store,
//! photo evidence, hazard cases and the sync client.
//!
//! The shells (terminal, Android, iOS) hold no rule of their own: everything they show
//! and every decision about what may be recorded comes from here (and from the shared
//! model, [`gridwalk_model`], that the sync server uses too).
//!
//! Map of the crate, one module per concern, in layers: a module uses only those listed
//! above it (`tests/tests/module_layers.rs` checks this).
//! - [`photo::error`]: the photo pipeline's error type (depends on nothing here).
//! - [`error`]: the core's error type.
//! - [`signer`]: [`signer::DeviceSigner`], how this device signs its records, and its
//!   software implementation.
//! - [`store`]: the SQLite file, its pragmas, numbered migrations, one owning module
//!   per table, and [`SharedStore`] for sharing one store across threads.
//! - [`photo`]: the photo pipeline: decode, orient, shrink, re-encode, store by hash.
//! - [`evidence`]: photo records by hash, what is not yet uploaded, upload progress.
//! - [`device`]: this device's id and its signing key's public half.
//! - [`profile`]: the local profile: who uses this device, in which role and unit.
//! - [`reference`](mod@reference): reference data: templates, org units and sites.
//! - [`outbox`]: what was recorded here and is not yet synced.
//! - [`hazard`]: hazard cases as event logs: recording, merging, reading, the report.
//! - [`inspection`]: starting, answering (with photos), submitting inspections; storing
//!   others'.
//! - [`sync`]: the sync client: enrolment, photo upload, push, pull, the sync report.
//!
//! [`checklist`], [`protocol`] and [`model`] are the model's, re-exported.

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();

pub mod device;
pub mod error;
pub mod evidence;
pub mod hazard;
pub mod inspection;
pub mod outbox;
pub mod photo;
pub mod profile;
pub mod reference;
pub mod signer;
pub mod store;
pub mod sync;

pub use error::{CoreError, Result};
/// The shared model this core builds on (the same crate the sync server uses).
pub use gridwalk_model as model;
pub use gridwalk_model::{checklist, protocol};
pub use store::{SharedStore, Store};
