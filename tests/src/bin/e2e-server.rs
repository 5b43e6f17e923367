//! The sync server as the end-to-end tests run it: the `gridwalk-server` library's
//! `serve` on the embedded store, as `gridwalk-server serve --data DIR --listen ADDR`
//! does, built as a binary of the test package so tests can start and SIGKILL it.
//!
//! Usage: `e2e-server DATA_DIR LISTEN_ADDR` (the address may end in `:0`; the line
//! `gridwalk-server listening on http://…` on stdout tells the port).

use std::process::ExitCode;

use gridwalk_server::config::{DataDir, Limits};

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
    match gridwalk_server::server::serve(&data, listen, Limits::default()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("e2e-server: {e}");
            ExitCode::FAILURE
        }
    }
}
