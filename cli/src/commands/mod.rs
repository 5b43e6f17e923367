//! One module per command group.

pub mod inspect;
pub mod photo;
pub mod sites;
pub mod templates;
