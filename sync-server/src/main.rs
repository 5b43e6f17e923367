//! `gridwalk-server`: the sync server. For now it serves `GET /health`; the sync protocol
//! lands with the sync issue.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::{Json, Router, routing::get};
use clap::{Parser, Subcommand};
use serde_json::json;

#[derive(Parser)]
#[command(name = "gridwalk-server", version, about = "The gridwalk sync server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the sync API.
    Serve {
        /// Folder for the server's database and photo files.
        #[arg(long, default_value = "gridwalk-server-data")]
        data: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8750")]
        listen: SocketAddr,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { data, listen } => match serve(data, listen).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("gridwalk-server: {e}");
                std::process::ExitCode::FAILURE
            }
        },
    }
}

async fn serve(data: PathBuf, listen: SocketAddr) -> std::io::Result<()> {
    std::fs::create_dir_all(&data)?;
    let app = Router::new().route("/health", get(|| async { Json(json!({ "status": "ok" })) }));
    let listener = tokio::net::TcpListener::bind(listen).await?;
    eprintln!(
        "gridwalk-server listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
