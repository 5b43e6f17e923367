//! The server's integration tests, one module per concern, linked into one test
//! binary: thirty binaries of the whole server each took a link and ~130 MB of disk, and
//! the CI machine ran out of disk with both backends' passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod access_cli;
mod admin_cli;
mod authorisation;
mod binary;
mod case_fold;
mod case_row;
mod case_stall;
mod common;
mod console;
mod console_pending;
mod cursor;
mod hazards;
mod hostage;
mod integrity;
mod migrate;
mod openapi;
mod photo_access;
mod pull_scope;
mod push_batch;
mod redaction_fold;
mod report_sql;
mod s3_store;
mod scenario;
mod schemathesis;
mod signatures;
mod sync_api;
mod tus;
mod tus_client;
mod tus_crash;
mod upload_stalls;
