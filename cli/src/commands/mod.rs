//! One module per command group.

pub mod inspect;
pub mod sites;
pub mod templates;
