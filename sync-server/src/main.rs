//! `gridwalk-server`: the sync server binary. `serve` runs the API; the other
//! subcommands administer the same data folder.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use gridwalk_model::time::{Zone, parse_as_of};
use gridwalk_server::admin;
use gridwalk_server::config::{DEFAULT_MAX_PHOTO_BYTES, DataDir, Limits};
use gridwalk_server::export;
use gridwalk_server::migrate::Migration;
use gridwalk_server::proofs::verify_store;
use gridwalk_server::server;
use gridwalk_server::storage::files::FileBlobStore;
use gridwalk_server::storage::postgres::PgStore;
use gridwalk_server::storage::sqlite::SqliteStore;
use gridwalk_server::storage::{Blobs, Database, RecordStore};

#[derive(Parser)]
#[command(name = "gridwalk-server", version, about = "The gridwalk sync server")]
struct Cli {
    /// Folder for the server's database and photo files.
    #[arg(long, global = true, default_value = "gridwalk-server-data")]
    data: PathBuf,
    /// Where the records live: `postgres://user@host:port/name` for a PostgreSQL
    /// database that several server replicas share; without it, the data folder's
    /// SQLite file. Photos stay in the data folder either way. Also read from
    /// `GRIDWALK_DATABASE`, which keeps a password out of the process list.
    #[arg(long, global = true, env = "GRIDWALK_DATABASE", hide_env_values = true)]
    database: Option<String>,
    /// Where the photos live: `s3://BUCKET[/PREFIX]?endpoint=URL&region=R` for an
    /// S3-compatible bucket that several server replicas share (credentials from
    /// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, or `access_key_id=`/
    /// `secret_access_key=` in the URL); without it, the data folder's `blobs/`. Also
    /// read from `GRIDWALK_BLOBS`, which keeps a key in the URL out of the process list.
    #[arg(long, global = true, env = "GRIDWALK_BLOBS", hide_env_values = true)]
    blobs: Option<String>,
    /// Print results as JSON.
    #[arg(long, global = true)]
    json: bool,
    /// Show times in UTC instead of local time (JSON keeps RFC 3339).
    #[arg(long, global = true)]
    utc: bool,
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
        /// Days a device token stays valid without a sync (fractions allowed); every
        /// sync renews it.
        #[arg(long, default_value_t = 90.0, value_parser = parse_token_days)]
        token_days: f64,
        /// Most enrolment attempts one client address may make per minute (those that
        /// enrol a device are not counted); more get 429 with Retry-After.
        #[arg(long, default_value_t = Limits::default().enrol_attempts)]
        enrol_attempts_per_minute: u32,
        /// Largest enrolment request body in bytes, after decompression (enrolment
        /// needs no token, so this keeps strangers' bodies small).
        #[arg(long, default_value_t = Limits::default().max_enrol_body_bytes)]
        max_enrol_body_bytes: usize,
        /// Seconds a client may take to send a request's headers before its connection
        /// is closed (fractions allowed).
        #[arg(long, default_value_t = Limits::default().header_read_timeout.as_secs_f64(), value_parser = parse_seconds)]
        header_timeout_secs: f64,
        /// Seconds a request body may go without a byte before the request ends with
        /// 408 (a half-open connection is let go; fractions allowed).
        #[arg(long, default_value_t = Limits::default().body_read_timeout.as_secs_f64(), value_parser = parse_seconds)]
        body_timeout_secs: f64,
        /// Most connections served at once; more wait in the listen queue.
        #[arg(long, default_value_t = Limits::default().max_connections, value_parser = clap::value_parser!(u32).range(1..))]
        max_connections: u32,
        /// Seconds shutdown (SIGTERM) waits for requests in flight before dropping the
        /// connections still open (fractions allowed).
        #[arg(long, default_value_t = Limits::default().shutdown_grace.as_secs_f64(), value_parser = parse_seconds)]
        shutdown_grace_secs: f64,
        /// Days an unfinished photo upload lives before it and its bytes are removed
        /// (fractions allowed).
        #[arg(long, default_value_t = 7.0, value_parser = parse_upload_expiry_days)]
        upload_expiry_days: f64,
        /// Most unfinished photo uploads one device may hold; more are refused with 429
        /// `upload_limit`.
        #[arg(long, default_value_t = Limits::default().max_open_uploads_per_device)]
        max_open_uploads_per_device: u32,
        /// Most bytes one device's unfinished photo uploads may declare together; more
        /// are refused with 429 `upload_limit`.
        #[arg(long, default_value_t = Limits::default().max_upload_bytes_per_device)]
        max_upload_bytes_per_device: u64,
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
    /// Enrolled devices.
    Devices {
        #[command(subcommand)]
        command: DevicesCommand,
    },
    /// The campaign report over every hazard case on the server (CSV, or JSON with --json).
    Report {
        /// Report as of this time: RFC 3339 (2026-05-01T18:00:00+08:00) or a date
        /// (2026-05-01: the end of that day, local time or UTC with --utc); default now.
        #[arg(long, conflicts_with = "as_of_ms")]
        as_of: Option<String>,
        /// Report as of this time in ms since the Unix epoch (for scripts).
        #[arg(long)]
        as_of_ms: Option<i64>,
    },
    /// Re-check the whole store: every record's signature, every device's chain, every
    /// photo's hash; names what is broken, by record, and exits 1 if anything is.
    Verify,
    /// Move an embedded server's district to PostgreSQL: copies every kept table (in
    /// the same order, pull cursors unchanged) and every photo, then checks each table's
    /// rows and each photo's SHA-256 on both sides; exits 1 on a difference. Stop the
    /// embedded server first. Killed midway, run it again: it continues where it stopped.
    /// The photos go where `--blobs` says (an S3 bucket, or the `--data` folder's photo
    /// folder without it), where `serve --data DIR --database URL --blobs …` reads them.
    Migrate {
        /// The embedded server's data folder (its `server.sqlite` and `blobs/`).
        #[arg(long)]
        from: PathBuf,
        /// The target database, `postgres://user@host:port/name` (migrated to this
        /// build's schema first).
        #[arg(long)]
        to: String,
        /// Rows copied per transaction.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
        page_rows: u32,
    },
    /// One hazard case's evidence: its timeline with each record's signature and chain
    /// status (linked, gap, fork), warnings and provenance flags (photo re-use, device
    /// clock skew).
    Case {
        /// The case's id.
        case: String,
    },
    /// Write a case's evidence bundle (events, inspections, photos, signatures, chain
    /// links, device keys, manifest) as a zip that `gridwalk verify-bundle` checks
    /// offline.
    ExportCase {
        /// The case's id.
        case: String,
        /// The zip file to write.
        #[arg(long)]
        out: PathBuf,
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
        /// Add them even though someone of that name is already in the unit.
        #[arg(long)]
        allow_duplicate_name: bool,
    },
    /// List everyone, with whether they are disabled and their active devices.
    List,
    /// Disable a person: all their devices are refused from their next request.
    Disable {
        /// The person's id, or an unambiguous start of it.
        id: String,
    },
    /// Enable a disabled person again (their devices work again, unless revoked).
    Enable {
        /// The person's id, or an unambiguous start of it.
        id: String,
    },
    /// Print a new one-time enrolment code (a new phone); an unused old one stops working.
    Reissue {
        /// The person's id, or an unambiguous start of it.
        id: String,
    },
}

#[derive(Subcommand)]
enum DevicesCommand {
    /// List devices: enrolled, last seen, token expiry, revoked.
    List {
        /// Only this person's devices (id, or an unambiguous start of it).
        #[arg(long)]
        person: Option<String>,
    },
    /// Revoke a device (a lost phone): it is refused from its next request.
    Revoke {
        /// The device's id, or an unambiguous start of it.
        id: String,
    },
}

/// The longest `--token-days` accepted: ten years.
const MAX_TOKEN_DAYS: f64 = 3650.0;

/// Parses `--token-days`: a positive number of days, at most ten years.
fn parse_token_days(text: &str) -> Result<f64, String> {
    let days: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of days"))?;
    if !(days > 0.0 && days <= MAX_TOKEN_DAYS) {
        return Err(format!(
            "a token lifetime must be more than 0 and at most {MAX_TOKEN_DAYS} days"
        ));
    }
    Ok(days)
}

/// The longest `--upload-expiry-days` accepted: ten years.
const MAX_UPLOAD_EXPIRY_DAYS: f64 = 3650.0;

/// Parses `--upload-expiry-days`: a positive number of days, at most ten years.
fn parse_upload_expiry_days(text: &str) -> Result<f64, String> {
    let days: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of days"))?;
    if !(days > 0.0 && days <= MAX_UPLOAD_EXPIRY_DAYS) {
        return Err(format!(
            "an upload expiry must be more than 0 and at most {MAX_UPLOAD_EXPIRY_DAYS} days"
        ));
    }
    Ok(days)
}

/// The longest timeout or grace accepted, in seconds: a day.
const MAX_SECONDS: f64 = 24.0 * 60.0 * 60.0;

/// Parses a timeout in seconds: more than 0, at most a day.
fn parse_seconds(text: &str) -> Result<f64, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= MAX_SECONDS) {
        return Err(format!(
            "must be more than 0 and at most {MAX_SECONDS} seconds"
        ));
    }
    Ok(secs)
}

/// What `serve` failed with, naming the address when it is the address that failed
/// (taken by another program, or not this machine's).
fn listen_error(listen: SocketAddr, error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "cannot listen on {listen}: the address is in use (another server running?); \
             pick another with --listen"
        ),
        std::io::ErrorKind::AddrNotAvailable | std::io::ErrorKind::PermissionDenied => {
            format!("cannot listen on {listen}: {error}")
        }
        _ => error.to_string(),
    }
}

/// Whether log lines may carry colour: only to a terminal, and never with `NO_COLOR`
/// set (<https://no-color.org>).
fn colour(to_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    to_terminal && no_color.is_none_or(|v| v.is_empty())
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
        .with_ansi(colour(
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
            std::env::var_os("NO_COLOR"),
        ));
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

/// `migrate`: opens the embedded source (refusing a folder without a server's
/// database, rather than creating an empty one), the PostgreSQL target and the blob
/// stores, copies with a line per step on stderr, and prints the verification.
fn migrate(
    json: bool,
    data: &DataDir,
    from: &Path,
    to: &str,
    blobs: &Blobs,
    page_rows: u32,
) -> Result<(), String> {
    let source = DataDir {
        root: from.to_path_buf(),
    };
    if !source.database().is_file() {
        return Err(format!(
            "--from {}: no embedded server's database ({}) there",
            from.display(),
            source.database().display()
        ));
    }
    let Database::Postgres(url) =
        Database::from_flag(Some(to), data.database()).map_err(|e| format!("--to: {e}"))?
    else {
        return Err("--to: give a postgres:// database".into());
    };
    let from_store = SqliteStore::open(&source.database()).map_err(|e| format!("--from: {e}"))?;
    let to_store = PgStore::open(&url).map_err(|e| format!("--to: {e}"))?;
    let from_blobs = FileBlobStore::open(&source.blobs()).map_err(|e| format!("--from: {e}"))?;
    let to_blobs = blobs.open().map_err(|e| format!("--blobs: {e}"))?;
    let migration = Migration {
        from: &from_store,
        to: &to_store,
        from_blobs: &from_blobs,
        to_blobs: to_blobs.as_ref(),
        page_rows: usize::try_from(page_rows).unwrap_or(usize::MAX),
    };
    migration
        .copy(&mut |step| eprintln!("gridwalk-server: {step}"))
        .map_err(|e| format!("migrate stopped (run it again to continue): {e}"))?;
    let verification = migration.verify().map_err(|e| e.to_string())?;
    admin::print(json, &verification, verification.to_string().trim_end())
        .map_err(|e| e.to_string())?;
    if verification.ok() {
        Ok(())
    } else {
        Err("the target differs from the source (see above)".into())
    }
}

/// `--data DIR`: an existing folder is used; a missing one is created if its parent
/// exists, saying so on stderr; anything else is refused, so a typo in a path never
/// leaves a tree of new folders behind.
fn prepare_data_folder(dir: &Path) -> Result<(), String> {
    if dir.is_dir() {
        return Ok(());
    }
    if dir.exists() {
        return Err(format!(
            "--data {}: that is a file, not a folder",
            dir.display()
        ));
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(format!(
            "--data {}: the folder {} does not exist; create it first (only the last \
             folder of the path is created)",
            dir.display(),
            parent.display()
        ));
    }
    std::fs::create_dir(dir).map_err(|e| format!("--data {}: {e}", dir.display()))?;
    eprintln!("gridwalk-server: created the data folder {}", dir.display());
    Ok(())
}

fn run(cli: Cli, data: &DataDir) -> Result<(), String> {
    prepare_data_folder(&data.root)?;
    // The zone text output shows times in.
    let zone = if cli.utc { Zone::Utc } else { Zone::Local };
    let database =
        Database::from_flag(cli.database.as_deref(), data.database()).map_err(|e| e.to_string())?;
    let open = || database.open().map_err(|e| e.to_string());
    let blobs = Blobs::from_flag(cli.blobs.as_deref(), data.blobs()).map_err(|e| e.to_string())?;
    let open_blobs = || blobs.open().map_err(|e| e.to_string());
    match cli.command {
        Command::Serve {
            listen,
            max_body_bytes,
            max_photo_bytes,
            token_days,
            enrol_attempts_per_minute,
            max_enrol_body_bytes,
            header_timeout_secs,
            body_timeout_secs,
            max_connections,
            shutdown_grace_secs,
            upload_expiry_days,
            max_open_uploads_per_device,
            max_upload_bytes_per_device,
        } => {
            let secs = |flag: &str, secs: f64| {
                Duration::try_from_secs_f64(secs).map_err(|e| format!("--{flag} {secs}: {e}"))
            };
            let days = |flag: &str, days: f64| secs(flag, days * 24.0 * 60.0 * 60.0);
            let limits = Limits {
                max_body_bytes,
                max_photo_bytes,
                token_lifetime: days("token-days", token_days)?,
                enrol_attempts: enrol_attempts_per_minute,
                enrol_window: Duration::from_secs(60),
                max_enrol_body_bytes,
                header_read_timeout: secs("header-timeout-secs", header_timeout_secs)?,
                body_read_timeout: secs("body-timeout-secs", body_timeout_secs)?,
                max_connections,
                shutdown_grace: secs("shutdown-grace-secs", shutdown_grace_secs)?,
                upload_expiry: days("upload-expiry-days", upload_expiry_days)?,
                max_open_uploads_per_device,
                max_upload_bytes_per_device,
                ..Limits::default()
            };
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            let served = runtime.block_on(server::serve_database(
                data, &database, &blobs, listen, limits,
            ));
            // Storage work still running for a dropped connection gets a moment, not
            // a veto over the exit.
            runtime.shutdown_timeout(Duration::from_secs(1));
            served.map_err(|e| listen_error(listen, &e))
        }
        Command::Units {
            command: ImportCommand::Import { file },
        } => {
            let report = admin::import_units(open()?.as_ref(), &file).map_err(|e| e.to_string())?;
            let line = format!("imported {} units", report.imported);
            admin::print(cli.json, &report, &line).map_err(|e| e.to_string())
        }
        Command::Sites {
            command: ImportCommand::Import { file },
        } => {
            let report = admin::import_sites(open()?.as_ref(), &file).map_err(|e| e.to_string())?;
            let line = format!("imported {} sites", report.imported);
            admin::print(cli.json, &report, &line).map_err(|e| e.to_string())
        }
        Command::People { command } => people(cli.json, open()?.as_ref(), command),
        Command::Devices { command } => devices(cli.json, zone, open()?.as_ref(), command),
        Command::Report { as_of, as_of_ms } => {
            let as_of = match (as_of, as_of_ms) {
                (Some(text), _) => parse_as_of(&text, zone).map_err(|e| e.to_string())?,
                (None, Some(ms)) => ms,
                (None, None) => chrono::Utc::now().timestamp_millis(),
            };
            let store = open()?;
            let report =
                admin::campaign_report(store.as_ref(), as_of).map_err(|e| e.to_string())?;
            let breaks = store.chain_breaks().map_err(|e| e.to_string())?;
            let text = if cli.json {
                admin::report_json(&report, &breaks)
            } else {
                report.to_csv().map_err(|e| e.to_string())
            }?;
            if !cli.json {
                // The CSV stays one table on stdout; broken chains are said beside it.
                for line in admin::chain_break_lines(&breaks) {
                    eprintln!("gridwalk-server: {line}");
                }
            }
            admin::print_text(text.trim_end()).map_err(|e| e.to_string())
        }
        Command::Case { case } => {
            let blobs = open_blobs()?;
            let view =
                export::case_view(open()?.as_ref(), blobs.as_ref(), &case, chrono::Utc::now())
                    .map_err(|e| e.to_string())?;
            admin::print(cli.json, &view, &view.to_text(zone)).map_err(|e| e.to_string())
        }
        Command::ExportCase { case, out } => {
            let blobs = open_blobs()?;
            let contents = export::export_case(
                open()?.as_ref(),
                blobs.as_ref(),
                &case,
                &out,
                chrono::Utc::now(),
            )
            .map_err(|e| e.to_string())?;
            let line = format!(
                "wrote {}: case {}, {} records, {} photos, {} devices",
                out.display(),
                case,
                contents.records.len(),
                contents.photos.len(),
                contents.devices.len()
            );
            let summary = serde_json::json!({
                "out": out.display().to_string(),
                "case_id": case,
                "records": contents.records.len(),
                "photos": contents.photos.len(),
                "photos_not_uploaded": contents.case.photos_not_uploaded,
                "devices": contents.devices.len(),
            });
            admin::print(cli.json, &summary, &line).map_err(|e| e.to_string())
        }
        Command::Migrate {
            from,
            to,
            page_rows,
        } => migrate(cli.json, data, &from, &to, &blobs, page_rows),
        Command::Verify => {
            let blobs = open_blobs()?;
            let report =
                verify_store(open()?.as_ref(), blobs.as_ref()).map_err(|e| e.to_string())?;
            admin::print(cli.json, &report, &report.to_text()).map_err(|e| e.to_string())?;
            if report.is_clean() {
                Ok(())
            } else {
                Err(format!(
                    "{} problems found in {}",
                    report.problems.len(),
                    data.root.display()
                ))
            }
        }
    }
}

fn people(json: bool, store: &dyn RecordStore, command: PeopleCommand) -> Result<(), String> {
    let now = chrono::Utc::now();
    let printed = match command {
        PeopleCommand::Add {
            name,
            role,
            unit,
            department,
            allow_duplicate_name,
        } => {
            let added = admin::add_person_once(
                store,
                &name,
                &role,
                &unit,
                department.as_deref(),
                allow_duplicate_name,
            )
            .map_err(|e| e.to_string())?;
            let line = format!(
                "added {} ({}) in {}\nenrolment code (shown once): {}",
                added.person.name, added.person.role, added.person.unit, added.enrolment_code
            );
            admin::print(json, &added, &line)
        }
        PeopleCommand::List => {
            let list = admin::list_people(store, now).map_err(|e| e.to_string())?;
            admin::print(json, &list, &admin::people_table(&list))
        }
        PeopleCommand::Disable { id } => {
            let change =
                admin::set_person_disabled(store, &id, true, now).map_err(|e| e.to_string())?;
            let p = &change.person;
            let line = if change.changed {
                format!(
                    "disabled {} ({}); their {} active device(s) are refused from their next request",
                    p.person.name, p.person.id, p.active_devices
                )
            } else {
                format!("{} ({}) was already disabled", p.person.name, p.person.id)
            };
            admin::print(json, &change, &line)
        }
        PeopleCommand::Enable { id } => {
            let change =
                admin::set_person_disabled(store, &id, false, now).map_err(|e| e.to_string())?;
            let p = &change.person;
            let line = if change.changed {
                format!(
                    "enabled {} ({}); {} active device(s)",
                    p.person.name, p.person.id, p.active_devices
                )
            } else {
                format!("{} ({}) was not disabled", p.person.name, p.person.id)
            };
            admin::print(json, &change, &line)
        }
        PeopleCommand::Reissue { id } => {
            let issued = admin::reissue_code(store, &id, now).map_err(|e| e.to_string())?;
            let line = format!(
                "new enrolment code for {} ({}), shown once: {}{}",
                issued.person.person.name,
                issued.person.person.id,
                issued.enrolment_code,
                match issued.replaced_codes {
                    0 => String::new(),
                    n => format!("\n{n} unused earlier code(s) no longer work"),
                }
            );
            admin::print(json, &issued, &line)
        }
    };
    printed.map_err(|e| e.to_string())
}

fn devices(
    json: bool,
    zone: Zone,
    store: &dyn RecordStore,
    command: DevicesCommand,
) -> Result<(), String> {
    let now = chrono::Utc::now();
    let printed = match command {
        DevicesCommand::List { person } => {
            let list =
                admin::list_devices(store, person.as_deref(), now).map_err(|e| e.to_string())?;
            admin::print(json, &list, &admin::devices_table(&list, zone))
        }
        DevicesCommand::Revoke { id } => {
            let change = admin::revoke_device(store, &id, now).map_err(|e| e.to_string())?;
            let d = &change.device;
            let line = if change.changed {
                format!(
                    "revoked device {} of {} ({}); it is refused from its next request",
                    d.id, d.person_name, d.person
                )
            } else {
                format!("device {} of {} was already revoked", d.id, d.person_name)
            };
            admin::print(json, &change, &line)
        }
    };
    printed.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own consistency checks over every subcommand and argument.
    #[test]
    fn the_command_line_passes_clap_debug_assert() {
        super::Cli::command().debug_assert();
    }

    #[test]
    fn colour_only_to_a_terminal_and_never_with_no_color() {
        assert!(super::colour(true, None));
        assert!(!super::colour(false, None));
        assert!(!super::colour(true, Some("1".into())));
        // An empty NO_COLOR does not count, as the convention says.
        assert!(super::colour(true, Some("".into())));
    }
}
