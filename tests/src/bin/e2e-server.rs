//! The sync server as the end-to-end tests run it: the `gridwalk-server` library's
//! `serve` on the embedded store, as `gridwalk-server serve --data DIR --listen ADDR`
//! does, built as a binary of the test package so tests can start and SIGKILL it.
//!
//! Usage: `e2e-server DATA_DIR LISTEN_ADDR [DATABASE_URL [BLOBS_URL]]` (the address
//! may end in `:0`; the line `gridwalk-server listening on http://…` on stdout tells
//! the port; a `postgres://…` URL keeps the records there, as `--database` does, and
//! an `s3://…` URL the photos, as `--blobs` does; `-` for the embedded default).

use std::process::ExitCode;

use gridwalk_server::config::{DataDir, Limits};
use gridwalk_server::storage::{Blobs, Database};

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(data), Some(listen)) = (args.next(), args.next()) else {
        eprintln!("usage: e2e-server DATA_DIR LISTEN_ADDR");
        return ExitCode::FAILURE;
    };
    let Ok(listen) = listen.parse() else {
        eprintln!("e2e-server: `{listen}` is not an address");
        return ExitCode::FAILURE;
    };
    if std::env::var_os("GRIDWALK_E2E_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .init();
    }
    let data = DataDir { root: data.into() };
    let flag = |arg: Option<String>| arg.filter(|a| a != "-");
    let database = match Database::from_flag(flag(args.next()).as_deref(), data.database()) {
        Ok(database) => database,
        Err(e) => {
            eprintln!("e2e-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let blobs = match Blobs::from_flag(flag(args.next()).as_deref(), data.blobs()) {
        Ok(blobs) => blobs,
        Err(e) => {
            eprintln!("e2e-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = gridwalk_server::server::serve_database(
        &data,
        &database,
        &blobs,
        listen,
        Limits::default(),
    );
    match served.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("e2e-server: {e}");
            ExitCode::FAILURE
        }
    }
}
