//! The end-to-end tests (the core's sync client against a real server), one module per
//! concern, linked into one test binary: a binary per file took a link and ~130 MB of
//! disk each, and the CI machine ran out of disk.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod adaptive_chunks;
mod console_browser;
mod draft_photos;
mod faults;
mod idle_sync;
mod layering;
mod link_emulation;
mod module_layers;
mod photo_records;
mod refusals;
mod s3_replicas;
mod scenario;
mod sealed_photos;
mod shell_projects;
mod signed_records;
mod sync_queue;
mod thumbnails_first;
mod upload_kills;
mod upload_limit;
mod v1_compat;
