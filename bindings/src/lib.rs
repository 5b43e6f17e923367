//! The FFI of gridwalk: what the Android and iOS shells (and the JVM tests) load.
//!
//! It translates and holds no rule: every method forwards to `gridwalk-core` and converts
//! the core's detailed error into the small public [`GridwalkError`] in one place
//! (`error.rs`). The core's plain records and enums are exported as they are (the core's
//! `uniffi` feature derives them), so there are no copies to keep in step.

mod error;
mod photo;
mod signer;
mod store;
mod sync;

pub use error::GridwalkError;
pub use photo::IngestedPhoto;
pub use signer::{DeviceSigner, SignerError};
pub use store::GridwalkStore;
pub use sync::{GridwalkSync, SyncListener};

uniffi::setup_scaffolding!();
