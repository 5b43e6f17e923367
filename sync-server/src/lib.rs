//! The gridwalk sync server as a library, so that the binary and the tests share one
//! router and one set of rules.
//!
//! The server stands on `gridwalk-model` alone: the `/v1` request and response types,
//! record kinds, roles, people, templates and the import checks are the model's, the
//! same ones a device uses; nothing here depends on the device crate.
//!
//! Map of the crate, one module per concern, bottom up (a module uses only those above
//! it here; `tests/tests/module_layers.rs` checks it):
//! - [`config`]: listen address, data folder and the request limits.
//! - [`storage`]: the storage traits and their embedded SQLite / local-file versions.
//! - [`migrate`]: `migrate`, copying an embedded server's tables and photos into
//!   another store pair (PostgreSQL and a blob store), resumable and verified.
//! - [`proofs`]: record signatures and device chains: the check on push, and
//!   `verify` over the whole store.
//! - [`export`]: a case's evidence as the model's case bundle: `export-case` (a zip
//!   anyone can verify offline) and the `case` view.
//! - [`kinds`]: the kinds of pushed item, how each is validated, scoped and redacted.
//! - [`error`]: the API's typed error and its one mapping to HTTP responses.
//! - [`state`]: what every handler shares (stores, limits, locks).
//! - [`auth`]: enrolment codes, device tokens, who a request comes from and whether
//!   they may still sync (revoked devices, disabled people, expired tokens).
//! - [`scope`]: every authorisation decision: who may read or write which record.
//! - [`api`]: the HTTP routes under `/v1`.
//! - [`admin`]: the admin subcommands (imports, people, devices, the report).
//! - [`console`]: the desk console under `/console/` (issue 15): sign-in, case queue,
//!   case page and actions, dashboard.
//! - [`server`]: building the app (the API and the console) and serving it with
//!   graceful shutdown.

pub mod admin;
pub mod api;
pub mod auth;
pub mod config;
pub mod console;
pub mod error;
pub mod export;
pub mod kinds;
pub mod migrate;
pub mod proofs;
pub mod report;
pub mod scope;
pub mod server;
pub mod state;
pub mod storage;
