//! Shared harness of the end-to-end tests: the real sync server as a process on
//! 127.0.0.1 with its own data folder, devices as real store files driven through the
//! core's sync client, a fault-injecting TCP proxy, and the convergence check every
//! scenario ends with.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gridwalk_core::evidence::PhotoSize;
use gridwalk_core::inspection::{InspectionKind, InspectionStatus, NewInspection, Outcome};
use gridwalk_core::photo::IngestOptions;
use gridwalk_core::store::{OpenOptions, key_file};
use gridwalk_core::sync::{self, RetryPolicy, SyncOptions, SyncReport};
use gridwalk_core::{SharedStore, Store};
use gridwalk_server::admin;
use gridwalk_server::config::{DataDir, Limits};
use gridwalk_server::storage::postgres::scratch::ScratchDatabase;
use gridwalk_server::storage::{BlobStore, Blobs, Database, RecordStore};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

mod link;
pub mod village;
pub use link::{EmulatedClock, LinkShape, TusRange};

/// The demo district's units and sites (the server tests' fixtures).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sync-server/tests/fixtures")
        .join(name)
}

/// Where a test server keeps its records: a database of its own on the PostgreSQL
/// server `GRIDWALK_TEST_DATABASE` names (the second pass of `scripts/test`), else the
/// SQLite file of the data folder `data`. Keep the scratch database as long as the
/// server runs.
pub fn test_database(data: &Path) -> (Database, Option<ScratchDatabase>) {
    match ScratchDatabase::server_from_env() {
        Some(server) => {
            let scratch = ScratchDatabase::create(&server).unwrap();
            (Database::Postgres(scratch.url().to_string()), Some(scratch))
        }
        None => (Database::Sqlite(data_dir(data).database()), None),
    }
}

/// Where a test server keeps its photos: a bucket of its own on the S3 endpoint
/// `GRIDWALK_TEST_BLOBS` names (the city pass of `scripts/test`), else the data folder
/// `data`'s `blobs/`.
pub fn test_blobs(data: &Path) -> Blobs {
    match gridwalk_server::storage::s3::scratch_bucket_from_env().unwrap() {
        Some(bucket) => Blobs::S3(bucket),
        None => Blobs::Folder(data_dir(data).blobs()),
    }
}

/// Lower-case hex SHA-256.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A read connection to a server's database, SQLite or PostgreSQL alike, kept open
/// for repeated checks (a watcher polling as a sync runs).
pub enum DbReader {
    /// The data folder's SQLite file, read-only.
    Sqlite(rusqlite::Connection),
    /// A PostgreSQL connection driven by a runtime of its own.
    Postgres {
        /// Drives the connection and runs the queries.
        runtime: tokio::runtime::Runtime,
        /// The connection.
        client: tokio_postgres::Client,
    },
}

impl DbReader {
    /// Opens a connection to `database`.
    pub fn open(database: &Database) -> DbReader {
        match database {
            Database::Sqlite(path) => DbReader::Sqlite(
                rusqlite::Connection::open_with_flags(
                    path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )
                .unwrap(),
            ),
            Database::Postgres(url) => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let client = runtime.block_on(async {
                    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                        .await
                        .unwrap();
                    tokio::spawn(connection);
                    client
                });
                DbReader::Postgres { runtime, client }
            }
        }
    }

    /// Rows of a query: `?1`… placeholders, text parameters, every column read as
    /// text (cast numbers with `CAST(… AS TEXT)`; NULL reads as an empty string).
    pub fn query(&mut self, sql: &str, params: &[&str]) -> Vec<Vec<String>> {
        match self {
            DbReader::Sqlite(db) => {
                let mut stmt = db.prepare_cached(sql).unwrap();
                let columns = stmt.column_count();
                stmt.query_map(rusqlite::params_from_iter(params), |r| {
                    (0..columns)
                        .map(|i| Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default()))
                        .collect()
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
            }
            DbReader::Postgres { runtime, client } => {
                let mut numbered = String::with_capacity(sql.len());
                let mut chars = sql.chars().peekable();
                while let Some(c) = chars.next() {
                    let placeholder = c == '?' && chars.peek().is_some_and(char::is_ascii_digit);
                    numbered.push(if placeholder { '$' } else { c });
                }
                let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
                    .iter()
                    .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
                    .collect();
                let rows = runtime.block_on(client.query(&numbered, &params)).unwrap();
                rows.iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| r.get::<_, Option<String>>(i).unwrap_or_default())
                            .collect()
                    })
                    .collect()
            }
        }
    }
}

/// Which stores [`Server::start_district`] gives a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// What the environment names: PostgreSQL and S3 when `GRIDWALK_TEST_DATABASE` and
    /// `GRIDWALK_TEST_BLOBS` are set (see [`test_database`], [`test_blobs`]), else the
    /// embedded stores.
    FromEnv,
    /// The embedded stores (a SQLite file and a folder of photos), whatever the
    /// environment says: a benchmark's peer in the same run as the city backend.
    Embedded,
}

/// The real server as a child process.
pub struct Server {
    bin: PathBuf,
    data: tempfile::TempDir,
    /// Where its records live: the data folder's SQLite file, or, when
    /// `GRIDWALK_TEST_DATABASE` names a PostgreSQL server, a database of the test's own.
    database: Database,
    _scratch: Option<ScratchDatabase>,
    /// Where its photos live: the data folder's `blobs/`, or, when
    /// `GRIDWALK_TEST_BLOBS` names an S3 endpoint, a bucket of the test's own.
    blobs: Blobs,
    child: Option<Child>,
    /// Where it listens now.
    pub addr: SocketAddr,
}

impl Server {
    /// Prepares a data folder with the demo district and starts the server binary
    /// (`env!("CARGO_BIN_EXE_e2e-server")` from a test) on 127.0.0.1:0.
    pub fn start(bin: &str) -> Server {
        Server::start_district(
            bin,
            Backend::FromEnv,
            &fixture("units.csv"),
            &fixture("sites.csv"),
        )
    }

    /// Starts the server binary on 127.0.0.1:0 on `backend`'s stores with the district
    /// of the CSV files `units` and `sites` (a benchmark's city of many grids).
    pub fn start_district(bin: &str, backend: Backend, units: &Path, sites: &Path) -> Server {
        let data = tempfile::tempdir().unwrap();
        let (database, scratch, blobs) = match backend {
            Backend::FromEnv => {
                let (database, scratch) = test_database(data.path());
                (database, scratch, test_blobs(data.path()))
            }
            Backend::Embedded => (
                Database::Sqlite(data_dir(data.path()).database()),
                None,
                Blobs::Folder(data_dir(data.path()).blobs()),
            ),
        };
        let state =
            gridwalk_server::server::open_stores(&database, &blobs, Limits::default()).unwrap();
        admin::import_units(state.store.as_ref(), units).unwrap();
        admin::import_sites(state.store.as_ref(), sites).unwrap();
        drop(state);
        let mut server = Server {
            bin: PathBuf::from(bin),
            data,
            database,
            _scratch: scratch,
            blobs,
            child: None,
            addr: "127.0.0.1:1".parse().unwrap(),
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let mut command = Command::new(&self.bin);
        command.arg(self.data.path()).arg("127.0.0.1:0");
        match &self.database {
            Database::Postgres(url) => command.arg(url),
            Database::Sqlite(_) => command.arg("-"),
        };
        match &self.blobs {
            // The URL without its keys: the child has them from the environment.
            Blobs::S3(location) => command.arg(location.to_string()),
            Blobs::Folder(_) => command.arg("-"),
        };
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        // The server prints its address first; a server that dies ends the lines.
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(rest) = line.strip_prefix("gridwalk-server listening on http://") {
                        break rest.trim().parse().unwrap();
                    }
                }
                _ => panic!("the server exited before listening"),
            }
        };
        self.addr = addr;
        self.child = Some(child);
    }

    /// The server process's id while it runs (to read its memory from `/proc`).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A new device of a new person `name` (`role` in `unit`), enrolled through `url`
    /// (the server itself or a proxy in front of it).
    pub async fn enrolled_device(&self, url: &str, name: &str, role: &str, unit: &str) -> Device {
        let device = Device::new(name);
        device
            .enroll(url, &self.person(name, role, unit, None))
            .await;
        device
    }

    /// Adds a person; returns their one-time enrolment code.
    pub fn person(&self, name: &str, role: &str, unit: &str, dept: Option<&str>) -> String {
        let store = self.admin_store();
        admin::add_person(store.as_ref(), name, role, unit, dept)
            .unwrap()
            .enrolment_code
    }

    /// The server's record store, opened beside the running server as the admin
    /// commands open it (e.g. to revoke a device while it serves).
    pub fn admin_store(&self) -> std::sync::Arc<dyn RecordStore> {
        self.database.open().unwrap()
    }

    /// SIGKILLs the server: no shutdown, no flush beyond what it already made durable.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// A second replica: another server process on the same database and bucket, with
    /// a data folder of its own. Only a shared database and bucket make it one (on the
    /// embedded stores it is a separate server); drop it before `self`.
    pub fn replica(&self) -> Server {
        let mut replica = Server {
            bin: self.bin.clone(),
            data: tempfile::tempdir().unwrap(),
            database: self.database.clone(),
            _scratch: None,
            blobs: self.blobs.clone(),
            child: None,
            addr: "127.0.0.1:1".parse().unwrap(),
        };
        replica.spawn();
        replica
    }

    /// Whether the server keeps its records in PostgreSQL and its photos in S3, so
    /// that [`Server::replica`] shares them.
    pub fn is_city(&self) -> bool {
        matches!(self.database, Database::Postgres(_)) && matches!(self.blobs, Blobs::S3(_))
    }

    /// The bucket the server keeps its photos in, when it keeps them in S3.
    pub fn s3_location(&self) -> Option<gridwalk_server::storage::s3::S3Location> {
        match &self.blobs {
            Blobs::S3(location) => Some(location.clone()),
            Blobs::Folder(_) => None,
        }
    }

    /// The server's blob store, opened beside it as the server opens it (to set up a
    /// crash's leftovers while it is down, or to look at what it stored).
    pub fn blob_store(&self) -> std::sync::Arc<dyn BlobStore> {
        self.blobs.open().unwrap()
    }

    /// Starts the server again on the same data folder (on a new port).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// The server's data folder (its database and `blobs/`), to set up a crash's
    /// leftovers through the server's own storage layer while it is down.
    pub fn data_path(&self) -> &Path {
        self.data.path()
    }

    /// Rows of a query on the server's database, for checks, SQLite or PostgreSQL
    /// alike: see [`DbReader::query`].
    pub fn query(&self, sql: &str, params: &[&str]) -> Vec<Vec<String>> {
        let database = self.database.clone();
        let sql = sql.to_string();
        let params: Vec<String> = params.iter().map(|p| p.to_string()).collect();
        // On a thread of its own: the PostgreSQL reader runs a runtime, which cannot be
        // started on an async test's.
        std::thread::spawn(move || {
            let params: Vec<&str> = params.iter().map(String::as_str).collect();
            DbReader::open(&database).query(&sql, &params)
        })
        .join()
        .unwrap()
    }

    /// Where the server keeps its records, for a [`DbReader`] on another thread.
    pub fn database(&self) -> Database {
        self.database.clone()
    }

    /// The bytes of a stored blob, if the server holds it.
    pub fn blob(&self, sha: &str) -> Option<Vec<u8>> {
        self.blob_store().read_blob(sha).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn data_dir(path: &Path) -> DataDir {
    DataDir {
        root: path.to_path_buf(),
    }
}

/// Sync options for tests: quick retries, small chunks and pages (more round trips,
/// more places for a fault to hit), short timeouts.
pub fn test_options() -> SyncOptions {
    SyncOptions {
        retry: RetryPolicy {
            attempts: 8,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(150),
        },
        push_batch: 7,
        pull_page: 9,
        chunk_bytes: 8 * 1024,
        min_chunk_bytes: 8 * 1024,
        chunk_target: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(10),
        max_rejections: 3,
        protocol: sync::Protocol::Newest,
    }
}

/// Opens the store at `path` with the key file of its folder (made on first use).
fn open(path: &Path) -> Store {
    let folder = path.parent().unwrap();
    let options = OpenOptions {
        key: Some(key_file::load_or_create(folder).unwrap()),
        signer: None,
    };
    Store::open_with(path, options).unwrap()
}

/// A device: a real store file in its own folder, encrypted with the key in the folder's
/// key file as the terminal shell keeps it, signing with the core's software key.
pub struct Device {
    _dir: tempfile::TempDir,
    /// The store file.
    pub path: PathBuf,
    /// For messages.
    pub name: String,
}

impl Device {
    /// A fresh device.
    pub fn new(name: &str) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gridwalk.db");
        drop(open(&path));
        Device {
            _dir: dir,
            path,
            name: name.to_string(),
        }
    }

    /// Opens the device's store.
    pub fn store(&self) -> Store {
        open(&self.path)
    }

    /// A bare SQLite connection to the device's store file, unlocked with its key: what
    /// someone holding the device and its key could edit by hand.
    pub fn connection(&self) -> rusqlite::Connection {
        let folder = self.path.parent().unwrap();
        let key = key_file::load_or_create(folder).unwrap();
        let conn = rusqlite::Connection::open(&self.path).unwrap();
        conn.pragma_update(None, "key", format!("x'{}'", key.to_hex().as_str()))
            .unwrap();
        conn
    }

    /// The device's store, shared the way a shell shares it with the sync client.
    pub fn shared(&self) -> SharedStore {
        SharedStore::new(open(&self.path))
    }

    /// Enrols through the core client.
    pub async fn enroll(&self, url: &str, code: &str) {
        sync::enroll_with(&self.shared(), url, code, &test_options())
            .await
            .unwrap();
    }

    /// One sync through the core client.
    pub async fn sync(&self) -> gridwalk_core::Result<SyncReport> {
        sync::sync_with(&self.shared(), &test_options(), None).await
    }

    /// Syncs until a sync succeeds with nothing left to send (bounded); returns the
    /// reports of every attempt, failed ones as their error text.
    pub async fn sync_until_clean(&self, max: u32) -> Vec<Result<SyncReport, String>> {
        let mut attempts = Vec::new();
        for _ in 0..max {
            let result = self.sync().await.map_err(|e| e.to_string());
            let ok = result.is_ok();
            attempts.push(result);
            if ok && self.nothing_to_send() {
                return attempts;
            }
        }
        panic!(
            "{}: sync did not finish cleanly in {max} attempts: {attempts:?}",
            self.name
        );
    }

    /// Whether every record and photo recorded here has reached the server.
    pub fn nothing_to_send(&self) -> bool {
        let s = self.store();
        s.pending_outbox(1).unwrap().is_empty() && s.all_photos_to_upload().unwrap().is_empty()
    }

    /// Marks every photo's thumbnail as already on the server, for tests about full
    /// photo uploads alone (a sync sends thumbnails first, over the same link).
    pub fn mark_thumbnails_sent(&self) {
        self.connection()
            .execute(
                "UPDATE photos SET thumbnail_sent_at = 'earlier' WHERE thumbnail_sent_at IS NULL",
                [],
            )
            .unwrap();
    }

    /// The device's bearer token (for the checks' raw pulls).
    pub fn token(&self) -> String {
        self.store().setting("sync.token").unwrap().unwrap()
    }

    /// Inspects `site`: every applicable item `ok` except `hazards`, each answered
    /// `hazard` with the given photos; submits. Returns the inspection id.
    pub fn inspect(
        &self,
        site: &str,
        kind: InspectionKind,
        hazards: &[(&str, Vec<Vec<u8>>)],
    ) -> String {
        let dir = tempfile::tempdir().unwrap();
        let hazards: Vec<(&str, Vec<PathBuf>)> = hazards
            .iter()
            .map(|(item, photos)| {
                let files = photos
                    .iter()
                    .enumerate()
                    .map(|(i, bytes)| {
                        let f = dir.path().join(format!("{item}-{i}.jpg"));
                        std::fs::write(&f, bytes).unwrap();
                        f
                    })
                    .collect();
                (*item, files)
            })
            .collect();
        inspect_on(&mut self.store(), site, kind, &hazards)
    }

    /// Ids of the submitted inspections and hazard events held here.
    pub fn record_ids(&self) -> BTreeSet<String> {
        let s = self.store();
        let mut ids: BTreeSet<String> = s
            .list_inspections(&Default::default())
            .unwrap()
            .into_iter()
            .filter(|i| i.status == InspectionStatus::Submitted)
            .map(|i| i.id)
            .collect();
        ids.extend(s.all_hazard_events().unwrap().into_iter().map(|e| e.id));
        ids
    }

    /// Ids of the records this device recorded itself (its outbox).
    pub fn recorded_ids(&self) -> BTreeSet<String> {
        let conn = self.connection();
        let mut stmt = conn.prepare("SELECT record_id FROM outbox").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Hashes of the photos held here, each checked against its file and its thumbnail.
    pub fn photos(&self) -> BTreeSet<String> {
        let s = self.store();
        let conn = self.connection();
        // Photos only known through a pulled record (their file not here yet) are not
        // held.
        let mut stmt = conn
            .prepare(
                "SELECT sha256 FROM photos WHERE sha256 NOT IN (SELECT sha256 FROM pending_photos)",
            )
            .unwrap();
        let shas: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for sha in &shas {
            // Opened when sealed (a personal-detail photo), and checked against its name.
            let bytes = s.photo_bytes(sha, PhotoSize::Full).unwrap();
            assert_eq!(
                &sha256(&bytes),
                sha,
                "{}: photo file does not match",
                self.name
            );
            // Every held photo shows in a list: its thumbnail, or itself when it is no
            // larger than one.
            let thumbnail = s.photo_bytes(sha, PhotoSize::Thumbnail).unwrap();
            assert!(
                thumbnail.starts_with(&[0xff, 0xd8]),
                "{}: photo {sha} has no thumbnail",
                self.name
            );
        }
        shas.into_iter().collect()
    }
}

/// A small real JPEG, different for every `seed` (noise, so it does not compress away).
pub fn jpeg(seed: u64, width: u16, height: u16) -> Vec<u8> {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut pixels = Vec::with_capacity(usize::from(width) * usize::from(height) * 3);
    for y in 0..height {
        for x in 0..width {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let noise = (state >> 58) as u8;
            pixels.push((x as u8).wrapping_add(noise));
            pixels.push((y as u8).wrapping_add(noise));
            pixels.push(((x ^ y) as u8).wrapping_add((seed as u8).wrapping_mul(31)));
        }
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 85)
        .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// [`jpeg`] as a phone camera writes it: an EXIF block with the capture time
/// (`YYYY:MM:DD HH:MM:SS`, local) and its offset, and the GPS position `(lat, lon)`.
pub fn jpeg_with_exif(seed: u64, taken: &str, offset: &str, lat: f64, lon: f64) -> Vec<u8> {
    use exif::{Field, In, Rational, Tag, Value as ExifValue};
    let ascii = |tag, text: &str| Field {
        tag,
        ifd_num: In::PRIMARY,
        value: ExifValue::Ascii(vec![text.as_bytes().to_vec()]),
    };
    // Degrees, minutes and seconds to 1/10000 s, as cameras write them.
    let dms = |v: f64| {
        let v = v.abs();
        let d = v.floor();
        let m = ((v - d) * 60.0).floor();
        let s = ((v - d) * 60.0 - m) * 60.0;
        let r = |num: u32, denom: u32| Rational { num, denom };
        ExifValue::Rational(vec![
            r(d as u32, 1),
            r(m as u32, 1),
            r((s * 10000.0).round() as u32, 10000),
        ])
    };
    let fields = [
        ascii(Tag::DateTimeOriginal, taken),
        ascii(Tag::OffsetTimeOriginal, offset),
        ascii(Tag::GPSLatitudeRef, if lat < 0.0 { "S" } else { "N" }),
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: dms(lat),
        },
        ascii(Tag::GPSLongitudeRef, if lon < 0.0 { "W" } else { "E" }),
        Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: dms(lon),
        },
    ];
    let mut writer = exif::experimental::Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).unwrap();
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(tiff.get_ref());
    let plain = jpeg(seed, 320, 240);
    // The APP1 segment goes right after SOI (FF D8), where cameras put it.
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

/// Everything the server lets `token` read, by raw HTTP (the check's own view, not the
/// client's): `(id, kind, body)`, in sequence order.
pub async fn server_view(url: &str, token: &str) -> Vec<(String, String, Value)> {
    let client = reqwest::Client::new();
    let mut cursor = String::new();
    let mut items = Vec::new();
    for _ in 0..1000 {
        let page: Value = client
            .get(format!("{url}/v1/pull"))
            .query(&[("cursor", cursor.as_str()), ("limit", "500")])
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in page["items"].as_array().unwrap() {
            items.push((
                item["id"].as_str().unwrap().to_string(),
                item["kind"].as_str().unwrap().to_string(),
                item["body"].clone(),
            ));
        }
        cursor = page["next_cursor"].as_str().unwrap().to_string();
        if !page["has_more"].as_bool().unwrap() {
            return items;
        }
    }
    panic!("server view did not end");
}

/// Photo hashes a pulled record names.
pub fn photos_of(kind: &str, body: &Value) -> Vec<String> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    match kind {
        "inspection" => body["answers"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| strings(&a["photos"]))
            .collect(),
        "photo" => body["sha256"]
            .as_str()
            .map(str::to_string)
            .into_iter()
            .collect(),
        _ => strings(&body["payload"]["photos"]),
    }
}

/// The check every scenario ends with. For each device: it holds exactly the records
/// the server lets it see (by id), every photo those name (by hash), and every photo it
/// holds is on the server with the same bytes; everything it recorded is on the server.
/// Server-wide: no record stored twice, and nothing but what devices recorded.
pub async fn assert_converged(server: &Server, devices: &[&Device]) {
    let url = server.url();
    let client = reqwest::Client::new();
    let mut recorded_everywhere = BTreeSet::new();
    for device in devices {
        let token = device.token();
        let view = server_view(&url, &token).await;
        let view_ids: Vec<&String> = view.iter().map(|(id, _, _)| id).collect();
        let view_set: BTreeSet<String> = view_ids.iter().map(|s| (*s).clone()).collect();
        assert_eq!(
            view_ids.len(),
            view_set.len(),
            "{}: a record served twice",
            device.name
        );
        // Drafts (a supervisor's planned spot check) are served to supervisors, and
        // stored as drafts on the device; compare submitted records.
        // Photo records (what a device attests about its photos) are checked by the
        // server and carried by bundles; a device keeps what its own camera files said,
        // and holds the photo each names (below).
        let submitted: BTreeSet<String> = view
            .iter()
            .filter(|(_, kind, _)| kind != "photo")
            .filter(|(_, kind, body)| kind != "inspection" || body["status"] == "submitted")
            .map(|(id, _, _)| id.clone())
            .collect();
        assert_eq!(
            device.record_ids(),
            submitted,
            "{}: records differ from the server's view",
            device.name
        );
        let held = device.photos();
        for (id, kind, body) in &view {
            for sha in photos_of(kind, body) {
                assert!(
                    held.contains(&sha),
                    "{}: photo {sha} of {id} missing",
                    device.name
                );
            }
        }
        for sha in &held {
            let blob = server
                .blob(sha)
                .unwrap_or_else(|| panic!("{}: photo {sha} not on the server", device.name));
            assert_eq!(&sha256(&blob), sha);
            let status = client
                .head(format!("{url}/v1/blobs/{sha}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(
                status, 200,
                "{}: may not read its own photo {sha}",
                device.name
            );
        }
        let recorded = device.recorded_ids();
        assert!(
            recorded.is_subset(&view_set),
            "{}: recorded but not on the server: {:?}",
            device.name,
            recorded.difference(&view_set).collect::<Vec<_>>()
        );
        assert!(
            device.nothing_to_send(),
            "{}: still has something to send",
            device.name
        );
        recorded_everywhere.extend(recorded);
    }
    let counts = server.query(
        "SELECT CAST(COUNT(*) AS TEXT), CAST(COUNT(DISTINCT id) AS TEXT) FROM records",
        &[],
    );
    assert_eq!(
        counts[0][0], counts[0][1],
        "the server stored a record twice"
    );
    let on_server: BTreeSet<String> = server
        .query("SELECT id FROM records", &[])
        .into_iter()
        .map(|mut row| row.remove(0))
        .collect();
    assert_eq!(
        on_server, recorded_everywhere,
        "server records differ from what devices recorded"
    );
}

/// What the proxy does to the requests it forwards.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Cut a faulty request's connection after this many bytes of it.
    pub cut_after_bytes: Option<usize>,
    /// On a faulty request, let it through, wait for the server's answer (so the
    /// server has committed), then close without passing the answer on.
    pub drop_responses: bool,
    /// Delay every chunk of every connection by this much.
    pub delay: Duration,
    /// Only requests whose bytes contain this (e.g. `POST /v1/push`) may be faulty;
    /// `None`: any chunk the client sends.
    pub only: Option<String>,
    /// Every `every`-th candidate is faulty (0 or 1: every one).
    pub every: u32,
    /// How many more requests may be faulty; then the link heals.
    pub budget: u32,
    /// A path prefix the server is made not to know, as a server from before it was
    /// served: request lines naming it reach the server with the prefix's letters
    /// replaced by `x` (same length, so the request is otherwise unchanged), and the
    /// server answers them with its real `404` for an unknown route.
    pub unserved: Option<String>,
}

/// Replaces every occurrence of `prefix` in `chunk` by as many `x` after its first `/`.
fn hide(chunk: &mut [u8], prefix: &str) {
    let needle = prefix.as_bytes();
    if needle.is_empty() || chunk.len() < needle.len() {
        return;
    }
    let mut i = 0;
    while i + needle.len() <= chunk.len() {
        if &chunk[i..i + needle.len()] == needle {
            for b in &mut chunk[i + 1..i + needle.len()] {
                *b = b'x';
            }
            i += needle.len();
        } else {
            i += 1;
        }
    }
}

/// Fault settings and counters shared by the proxy's connections.
#[derive(Default)]
struct FaultState {
    faults: Faults,
    candidates: u32,
    injected: u32,
}

impl FaultState {
    /// Whether the request starting with `chunk` is to be faulty (and counts it).
    fn decide(&mut self, chunk: &[u8]) -> bool {
        if self.faults.budget == 0
            || (self.faults.cut_after_bytes.is_none() && !self.faults.drop_responses)
        {
            return false;
        }
        if let Some(marker) = &self.faults.only
            && !String::from_utf8_lossy(chunk).contains(marker.as_str())
        {
            return false;
        }
        self.candidates += 1;
        if !self.candidates.is_multiple_of(self.faults.every.max(1)) {
            return false;
        }
        self.faults.budget -= 1;
        self.injected += 1;
        true
    }
}

/// What the proxy passed on, both ways, HTTP headers included: what a device's link
/// would carry (before TLS).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Bytes from devices to the server.
    pub up: u64,
    /// Bytes from the server to devices.
    pub down: u64,
    /// The request lines, in order (`GET /v1/pull?cursor=3 HTTP/1.1`).
    pub requests: Vec<String>,
    /// The answers' status lines, in order (`HTTP/1.1 200 OK`).
    pub answers: Vec<String>,
    /// Bytes both ways by route (`GET /v1/pull`, without the query): each request and
    /// the answer that came back on its connection.
    pub by_route: BTreeMap<String, u64>,
}

impl Traffic {
    /// Bytes both ways.
    pub fn total(&self) -> u64 {
        self.up + self.down
    }

    /// Bytes both ways of the requests whose path does not start with `prefix` (e.g.
    /// the records of a sync without its photo uploads, `/v1/blobs`).
    pub fn total_except(&self, prefix: &str) -> u64 {
        self.by_route
            .iter()
            .filter(|(route, _)| !path_of(route).starts_with(prefix))
            .map(|(_, bytes)| bytes)
            .sum()
    }

    /// How many requests had a path not starting with `prefix`.
    pub fn requests_except(&self, prefix: &str) -> usize {
        self.requests
            .iter()
            .filter(|line| !path_of(line).starts_with(prefix))
            .count()
    }

    /// Notes a chunk one way on a connection whose current request is `route`: its
    /// bytes, and the HTTP start lines in it (request lines going up, which become the
    /// connection's route, status lines coming down).
    pub(crate) fn note(&mut self, bytes: &[u8], upstream: bool, route: &Mutex<String>) {
        let text = String::from_utf8_lossy(bytes);
        let lines = text.split("\r\n");
        if upstream {
            self.up += bytes.len() as u64;
            for line in lines.filter(|l| {
                l.ends_with(" HTTP/1.1") && l.starts_with(|c: char| c.is_ascii_uppercase())
            }) {
                let mut parts = line.split(' ');
                let method = parts.next().unwrap_or_default();
                let path = parts.next().unwrap_or_default();
                let path = path.split('?').next().unwrap_or_default();
                *route.lock().unwrap() = format!("{method} {path}");
                self.requests.push(line.to_string());
            }
        } else {
            self.down += bytes.len() as u64;
            self.answers.extend(
                lines
                    .filter(|l| l.starts_with("HTTP/1.1 "))
                    .map(str::to_string),
            );
        }
        let route = route.lock().unwrap().clone();
        *self.by_route.entry(route).or_insert(0) += bytes.len() as u64;
    }
}

/// The path of a request line or route (`GET /v1/pull?c=1 HTTP/1.1` → `/v1/pull?c=1`).
fn path_of(line: &str) -> &str {
    line.split(' ').nth(1).unwrap_or_default()
}

/// A TCP proxy on 127.0.0.1 that injects [`Faults`] and counts the [`Traffic`].
pub struct Proxy {
    /// Where devices connect.
    pub addr: SocketAddr,
    upstream: Arc<Mutex<SocketAddr>>,
    faults: Arc<Mutex<FaultState>>,
    traffic: Arc<Mutex<Traffic>>,
    link: Option<Arc<link::Link>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy in front of `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        Proxy::start_with(upstream, None).await
    }

    /// Starts a proxy in front of `upstream` that carries every connection over one
    /// emulated slow, lossy link (see [`LinkShape`]); it counts the traffic as
    /// [`Proxy::start`]'s does, and records the tus byte ranges it delivers.
    pub async fn start_shaped(upstream: SocketAddr, shape: LinkShape) -> Proxy {
        Proxy::start_with(upstream, Some(link::Link::start(shape))).await
    }

    async fn start_with(upstream: SocketAddr, link: Option<Arc<link::Link>>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let upstream = Arc::new(Mutex::new(upstream));
        let faults = Arc::new(Mutex::new(FaultState::default()));
        let traffic = Arc::new(Mutex::new(Traffic::default()));
        let (up, fa, tr, li) = (
            upstream.clone(),
            faults.clone(),
            traffic.clone(),
            link.clone(),
        );
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let target = *up.lock().unwrap();
                match &li {
                    Some(l) => {
                        tokio::spawn(link::forward_shaped(client, target, l.clone(), tr.clone()))
                    }
                    None => tokio::spawn(forward(client, target, fa.clone(), tr.clone())),
                };
            }
        });
        Proxy {
            addr,
            upstream,
            faults,
            traffic,
            link,
            task,
        }
    }

    /// The emulated link's clock (a shaped proxy only).
    pub fn clock(&self) -> EmulatedClock {
        self.shaped().clock()
    }

    /// When the emulated link dropped its connections, in emulated seconds.
    pub fn drops(&self) -> Vec<f64> {
        self.shaped().drops()
    }

    /// The tus byte ranges the emulated link delivered to the server, in order.
    pub fn tus_ranges(&self) -> Vec<TusRange> {
        self.shaped().ranges()
    }

    fn shaped(&self) -> &link::Link {
        self.link
            .as_deref()
            .expect("only a proxy started with start_shaped emulates a link")
    }

    /// `http://127.0.0.1:PORT` of the proxy.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sets the faults from now on.
    pub fn set_faults(&self, faults: Faults) {
        self.faults.lock().unwrap().faults = faults;
    }

    /// How many requests were made faulty so far.
    pub fn faults_injected(&self) -> u32 {
        self.faults.lock().unwrap().injected
    }

    /// The traffic passed on since the start or the last [`Proxy::reset_traffic`].
    pub fn traffic(&self) -> Traffic {
        self.traffic.lock().unwrap().clone()
    }

    /// Starts counting the traffic afresh.
    pub fn reset_traffic(&self) {
        *self.traffic.lock().unwrap() = Traffic::default();
    }

    /// Points the proxy at another server address (after a restart).
    pub fn set_upstream(&self, upstream: SocketAddr) {
        *self.upstream.lock().unwrap() = upstream;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(
    client: TcpStream,
    target: SocketAddr,
    state: Arc<Mutex<FaultState>>,
    traffic: Arc<Mutex<Traffic>>,
) {
    let traffic_down = traffic.clone();
    let Ok(server) = TcpStream::connect(target).await else {
        return; // the client sees a closed connection, as with a dead server
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    // The request this connection carries now (HTTP/1.1: one at a time), so an answer
    // is counted with the request it answers.
    let route = Arc::new(Mutex::new(String::new()));
    let route_down = route.clone();
    // Set by the client side when a faulty request passes; read by the server side.
    let drop_answer = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let drop_flag = drop_answer.clone();
    let delay = state.lock().unwrap().faults.delay;
    let upstream = async move {
        let mut buf = vec![0u8; 16 * 1024];
        // Bytes still allowed through before the cut, once a faulty request started.
        let mut cut_left: Option<usize> = None;
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if cut_left.is_none() && !drop_flag.load(std::sync::atomic::Ordering::SeqCst) {
                let mut st = state.lock().unwrap();
                if st.decide(&buf[..n]) {
                    if let Some(cut) = st.faults.cut_after_bytes {
                        cut_left = Some(cut);
                    }
                    if st.faults.drop_responses {
                        drop_flag.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            }
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let unserved = state.lock().unwrap().faults.unserved.clone();
            if let Some(prefix) = unserved {
                hide(&mut buf[..n], &prefix);
            }
            if let Some(left) = cut_left {
                let part = left.min(n);
                traffic.lock().unwrap().note(&buf[..part], true, &route);
                let _ = server_write.write_all(&buf[..part]).await;
                if part < n || left == part {
                    break; // the cut: the connection ends here, mid-request
                }
                cut_left = Some(left - part);
                continue;
            }
            traffic.lock().unwrap().note(&buf[..n], true, &route);
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    let downstream = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if drop_answer.load(std::sync::atomic::Ordering::SeqCst) {
                // The server has answered, so it has committed: lose the answer.
                break;
            }
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            traffic_down
                .lock()
                .unwrap()
                .note(&buf[..n], false, &route_down);
            if client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    // Either side ending ends the connection for both (a cut, a lost answer, a close).
    tokio::select! {
        () = upstream => {}
        () = downstream => {}
    }
}

/// Counts of records by kind in a view, for messages.
pub fn kinds(view: &[(String, String, Value)]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (_, kind, _) in view {
        *counts.entry(kind.clone()).or_insert(0) += 1;
    }
    counts
}

/// Inspects `site` on `store`: every applicable item `ok` except `hazards`, each
/// answered `hazard` with its camera files; submits. Returns the inspection id.
pub fn inspect_on(
    store: &mut Store,
    site: &str,
    kind: InspectionKind,
    hazards: &[(&str, Vec<PathBuf>)],
) -> String {
    let inspector = store.require_profile().unwrap().name;
    let id = store
        .start_inspection(&NewInspection {
            site_id: site.into(),
            template_id: None,
            template_version: None,
            kind,
            inspector,
        })
        .unwrap();
    let items: Vec<String> = store
        .checklist(&id)
        .unwrap()
        .categories
        .iter()
        .flat_map(|c| c.entries.iter().map(|e| e.item.code.clone()))
        .collect();
    for item in items {
        match hazards.iter().find(|(code, _)| *code == item) {
            None => store.answer(&id, &item, Outcome::Ok, None).unwrap(),
            Some((_, files)) => {
                store
                    .answer_with_photos(
                        &id,
                        &item,
                        Outcome::Hazard,
                        Some("found on the round"),
                        files,
                        &IngestOptions::default(),
                    )
                    .unwrap();
            }
        }
    }
    store.submit(&id).unwrap();
    id
}
