//! `gridwalk-server`: the sync server binary. `serve` runs the API; the other
//! subcommands administer the same data folder.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gridwalk_server::admin;
use gridwalk_server::config::{DEFAULT_MAX_PHOTO_BYTES, DataDir, Limits};
use gridwalk_server::server;
use gridwalk_server::storage::sqlite::SqliteStore;

#[derive(Parser)]
#[command(name = "gridwalk-server", version, about = "The gridwalk sync server")]
struct Cli {
    /// Folder for the server's database and photo files.
    #[arg(long, global = true, default_value = "gridwalk-server-data")]
    data: PathBuf,
    /// Print results as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the sync API.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8750")]
        listen: SocketAddr,
        /// Largest JSON request body in bytes, after decompression.
        #[arg(long, default_value_t = Limits::default().max_body_bytes)]
        max_body_bytes: usize,
        /// Largest photo in bytes.
        #[arg(long, default_value_t = DEFAULT_MAX_PHOTO_BYTES)]
        max_photo_bytes: u64,
    },
    /// Org units (district → street → community → grid).
    Units {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Sites that get inspected.
    Sites {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// People who enrol devices.
    People {
        #[command(subcommand)]
        command: PeopleCommand,
    },
    /// The campaign report over every hazard case on the server (CSV, or JSON with --json).
    Report {
        /// Report as of this time (ms since the Unix epoch); default now.
        #[arg(long)]
        as_of_ms: Option<i64>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import a CSV file (all rows or none).
    Import {
        /// The CSV file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum PeopleCommand {
    /// Add a person and print their one-time enrolment code.
    Add {
        /// Display name.
        #[arg(long)]
        name: String,
        /// grid-worker, community-staff, street-officer, department-officer, supervisor or admin.
        #[arg(long)]
        role: String,
        /// The org unit they work in.
        #[arg(long)]
        unit: String,
        /// Department code (department officers).
        #[arg(long)]
        department: Option<String>,
    },
}

/// Logs go to stderr as `key=value` lines, or as one JSON object per line with
/// `GRIDWALK_LOG_FORMAT=json` (for log shippers); `GRIDWALK_LOG` filters them.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("GRIDWALK_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if std::env::var("GRIDWALK_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let data = DataDir {
        root: cli.data.clone(),
    };
    match run(cli, &data) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gridwalk-server: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli, data: &DataDir) -> Result<(), String> {
    let open = || SqliteStore::open(&data.database()).map_err(|e| e.to_string());
    match cli.command {
        Command::Serve {
            listen,
            max_body_bytes,
            max_photo_bytes,
        } => {
            let limits = Limits {
                max_body_bytes,
                max_photo_bytes,
                ..Limits::default()
            };
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            runtime
                .block_on(server::serve(data, listen, limits))
                .map_err(|e| e.to_string())
        }
        Command::Units {
            command: ImportCommand::Import { file },
        } => {
            let report = admin::import_units(&open()?, &file).map_err(|e| e.to_string())?;
            let line = format!("imported {} units", report.imported);
            admin::print(cli.json, &report, &line).map_err(|e| e.to_string())
        }
        Command::Sites {
            command: ImportCommand::Import { file },
        } => {
            let report = admin::import_sites(&open()?, &file).map_err(|e| e.to_string())?;
            let line = format!("imported {} sites", report.imported);
            admin::print(cli.json, &report, &line).map_err(|e| e.to_string())
        }
        Command::People {
            command:
                PeopleCommand::Add {
                    name,
                    role,
                    unit,
                    department,
                },
        } => {
            let added = admin::add_person(&open()?, &name, &role, &unit, department.as_deref())
                .map_err(|e| e.to_string())?;
            let line = format!(
                "added {} ({}) in {}\nenrolment code (shown once): {}",
                added.person.name, added.person.role, added.person.unit, added.enrolment_code
            );
            admin::print(cli.json, &added, &line).map_err(|e| e.to_string())
        }
        Command::Report { as_of_ms } => {
            let as_of = as_of_ms.unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
            let report = admin::campaign_report(&open()?, as_of).map_err(|e| e.to_string())?;
            let text = if cli.json {
                report.to_json()
            } else {
                report.to_csv()
            }
            .map_err(|e| e.to_string())?;
            println!("{}", text.trim_end());
            Ok(())
        }
    }
}
