//! One module per command group.

pub mod bundle;
pub mod hazards;
pub mod inspect;
pub mod photo;
pub mod profile;
pub mod report;
pub mod sites;
pub mod sync;
pub mod templates;
