//! Hazard cases against real SQLite files: the workflow and its rules, the fold's
//! order-independence (property tests), four roles merging offline work, and the
//! campaign report against a hand-computed fixture. One test binary, to link once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod properties;
mod report;
mod scenario;
mod support;
mod workflow;
