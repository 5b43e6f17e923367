//! Shared test harness: an in-process server on 127.0.0.1:0 over a temporary data
//! folder with a small demo district, people, and helpers for the protocol.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use gridwalk_model::inspection::{Answer, Inspection, InspectionKind, InspectionStatus, Outcome};
use gridwalk_server::admin;
use gridwalk_server::api::AppState;
use gridwalk_server::config::{DataDir, Limits};
use gridwalk_server::server::{open_stores, serve_on};
use gridwalk_server::storage::postgres::scratch::ScratchDatabase;
use gridwalk_server::storage::{Blobs, Database};
use serde_json::{Value, json};

/// A running test server.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The server's state (to administer its store directly).
    pub state: AppState,
    /// The HTTP client.
    pub client: reqwest::Client,
    /// Where its photos live (the data folder's `blobs/`, or a test bucket).
    pub blobs: Blobs,
    _data: tempfile::TempDir,
    /// The test's own PostgreSQL database, when `GRIDWALK_TEST_DATABASE` names a
    /// server; dropped (and with it the database) after the server.
    _database: Option<ScratchDatabase>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// Where a test server keeps its records: a database of its own on the PostgreSQL
/// server `GRIDWALK_TEST_DATABASE` names (the second pass of `scripts/test`), else the
/// data folder's SQLite file.
pub fn test_database(dir: &DataDir) -> (Database, Option<ScratchDatabase>) {
    match ScratchDatabase::server_from_env() {
        Some(server) => {
            let scratch = ScratchDatabase::create(&server).unwrap();
            (Database::Postgres(scratch.url().to_string()), Some(scratch))
        }
        None => (Database::Sqlite(dir.database()), None),
    }
}

/// Where a test server keeps its photos: a bucket of its own on the S3 endpoint
/// `GRIDWALK_TEST_BLOBS` names (the city pass of `scripts/test`), else the data
/// folder's `blobs/`.
pub fn test_blobs(dir: &DataDir) -> Blobs {
    match gridwalk_server::storage::s3::scratch_bucket_from_env().unwrap() {
        Some(bucket) => Blobs::S3(bucket),
        None => Blobs::Folder(dir.blobs()),
    }
}

/// Scratch PostgreSQL databases of the data folders that tests of the binary made,
/// by folder: [`with_database`] hands the binary the one of its `--data`.
static CLI_DATABASES: std::sync::Mutex<std::collections::BTreeMap<PathBuf, ScratchDatabase>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

/// A data folder for tests of the binary, with a PostgreSQL database of its own when
/// `GRIDWALK_TEST_DATABASE` names a server; both go when this is dropped.
pub struct CliData {
    _dir: tempfile::TempDir,
    data: PathBuf,
}

impl CliData {
    /// `data` (inside `dir`) as the binary's `--data`, with its database if any.
    pub fn new(dir: tempfile::TempDir, data: PathBuf) -> CliData {
        if let Some(server) = ScratchDatabase::server_from_env() {
            let scratch = ScratchDatabase::create(&server).unwrap();
            CLI_DATABASES
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(data.clone(), scratch);
        }
        CliData { _dir: dir, data }
    }
}

impl Drop for CliData {
    fn drop(&mut self) {
        let scratch = CLI_DATABASES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.data);
        drop(scratch);
    }
}

/// Gives the binary the database of its data folder (`GRIDWALK_DATABASE`, as an
/// operator would), or none: the folder's SQLite file.
pub fn with_database<'a>(
    command: &'a mut std::process::Command,
    data: &Path,
) -> &'a mut std::process::Command {
    let databases = CLI_DATABASES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match databases.get(data) {
        Some(scratch) => command.env("GRIDWALK_DATABASE", scratch.url()),
        None => command.env_remove("GRIDWALK_DATABASE"),
    }
}

/// The record store of a data folder made by [`CliData`], opened as the binary opens it.
pub fn cli_store(data: &Path) -> std::sync::Arc<dyn gridwalk_server::storage::RecordStore> {
    let databases = CLI_DATABASES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let database = match databases.get(data) {
        Some(scratch) => Database::Postgres(scratch.url().to_string()),
        None => Database::Sqlite(
            DataDir {
                root: data.to_path_buf(),
            }
            .database(),
        ),
    };
    database.open().unwrap()
}

/// What [`TestServer::sql`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum SqlOutcome {
    /// Rows changed by a statement.
    Changed(u64),
    /// The first column of a query's first row.
    Text(String),
}

/// SQLite's `?1` placeholders as PostgreSQL's `$1`.
fn postgres_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

impl TestServer {
    /// Starts a server with default limits and the demo district.
    pub async fn start() -> TestServer {
        TestServer::with_limits(Limits::default()).await
    }

    /// Starts a server with the given limits and the demo district.
    pub async fn with_limits(limits: Limits) -> TestServer {
        TestServer::on(limits, test_database, test_blobs).await
    }

    /// Starts a server on the data folder's SQLite file whatever the test pass (the
    /// embedded server `migrate` moves from), with the demo district.
    pub async fn embedded() -> TestServer {
        TestServer::on(
            Limits::default(),
            |dir| (Database::Sqlite(dir.database()), None),
            |dir| Blobs::Folder(dir.blobs()),
        )
        .await
    }

    /// Starts a server with the given limits on the database `database` and the blob
    /// store `blobs` pick for its data folder, with the demo district.
    async fn on(
        limits: Limits,
        database: impl FnOnce(&DataDir) -> (Database, Option<ScratchDatabase>),
        blobs: impl FnOnce(&DataDir) -> Blobs,
    ) -> TestServer {
        let data = tempfile::tempdir().unwrap();
        let dir = DataDir {
            root: data.path().to_path_buf(),
        };
        let (database, scratch) = database(&dir);
        let blobs = blobs(&dir);
        let state = open_stores(&database, &blobs, limits).unwrap();
        admin::import_units(state.store.as_ref(), &fixture("units.csv")).unwrap();
        admin::import_sites(state.store.as_ref(), &fixture("sites.csv")).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve_on(listener, state.clone(), async move {
            let _ = stopped.await;
        }));
        TestServer {
            base,
            state,
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap(),
            blobs,
            _data: data,
            _database: scratch,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The server's data folder (its SQLite file and photos).
    pub fn data_path(&self) -> &Path {
        self._data.path()
    }

    /// Replaces a stored blob's bytes behind the server's back, as someone with the
    /// data folder or the bucket's keys could.
    pub async fn tamper_blob(&self, sha: &str, bytes: &[u8]) {
        match &self.blobs {
            Blobs::Folder(folder) => {
                std::fs::write(folder.join("sha256").join(&sha[..2]).join(sha), bytes).unwrap();
            }
            Blobs::S3(location) => {
                use object_store::ObjectStoreExt;
                let endpoint = location.endpoint.clone().unwrap();
                let s3 = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(&location.bucket)
                    .with_region(&location.region)
                    .with_allow_http(endpoint.starts_with("http://"))
                    .with_endpoint(endpoint)
                    .build()
                    .unwrap();
                let key = match location.prefix.as_str() {
                    "" => format!("sha256/{sha}"),
                    prefix => format!("{prefix}/sha256/{sha}"),
                };
                s3.put(
                    &object_store::path::Path::from(key),
                    object_store::PutPayload::from(bytes.to_vec()),
                )
                .await
                .unwrap();
            }
        }
    }

    /// The admin binary's flags for this server's data: `--data DIR`, `--database URL`
    /// when its records are on PostgreSQL, and `--blobs URL` when its photos are in S3
    /// (the keys stay in the environment the binary inherits).
    pub fn admin_args(&self) -> Vec<String> {
        let mut args = vec!["--data".to_string(), self.data_path().display().to_string()];
        if let Some(scratch) = &self._database {
            args.extend(["--database".to_string(), scratch.url().to_string()]);
        }
        if let Blobs::S3(location) = &self.blobs {
            args.extend(["--blobs".to_string(), location.to_string()]);
        }
        args
    }

    /// The server's record store opened once more, as another process (or the next
    /// start) opens it: migrations and back-fills run again.
    /// The URL of the test's PostgreSQL database, when the server keeps its records
    /// there (`None`: the data folder's SQLite file).
    pub fn database_url(&self) -> Option<&str> {
        self._database.as_ref().map(ScratchDatabase::url)
    }

    pub fn reopen_store(&self) -> std::sync::Arc<dyn gridwalk_server::storage::RecordStore> {
        match &self._database {
            Some(scratch) => Database::Postgres(scratch.url().to_string()),
            None => Database::Sqlite(self.data_path().join("server.sqlite")),
        }
        .open()
        .unwrap()
    }

    /// Runs a statement on the server's database behind its back (what someone with
    /// the database does, or what a crash leaves), SQLite or PostgreSQL alike: `?1`…
    /// placeholders, text parameters. Returns the rows changed, or the first column of
    /// the first row as text for a `SELECT`.
    pub fn sql(&self, sql: &str, params: &[&str]) -> SqlOutcome {
        match &self._database {
            None => {
                let db =
                    rusqlite::Connection::open(self.data_path().join("server.sqlite")).unwrap();
                if sql.trim_start().to_ascii_uppercase().starts_with("SELECT") {
                    SqlOutcome::Text(
                        db.query_row(sql, rusqlite::params_from_iter(params), |r| r.get(0))
                            .unwrap(),
                    )
                } else {
                    SqlOutcome::Changed(
                        db.execute(sql, rusqlite::params_from_iter(params)).unwrap() as u64,
                    )
                }
            }
            Some(scratch) => {
                let sql = postgres_placeholders(sql);
                let url = scratch.url().to_string();
                let params: Vec<String> = params.iter().map(|p| p.to_string()).collect();
                std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    runtime.block_on(async move {
                        let (client, connection) =
                            tokio_postgres::connect(&url, tokio_postgres::NoTls)
                                .await
                                .unwrap();
                        tokio::spawn(connection);
                        let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
                            .iter()
                            .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
                            .collect();
                        if sql.trim_start().to_ascii_uppercase().starts_with("SELECT") {
                            let row = client.query_one(&sql, &params).await.unwrap();
                            SqlOutcome::Text(row.get(0))
                        } else {
                            SqlOutcome::Changed(client.execute(&sql, &params).await.unwrap())
                        }
                    })
                })
                .join()
                .unwrap()
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Adds a person and returns their enrolment code.
    pub fn person(&self, name: &str, role: &str, unit: &str, dept: Option<&str>) -> String {
        admin::add_person(self.state.store.as_ref(), name, role, unit, dept)
            .unwrap()
            .enrolment_code
    }

    /// Adds a person and enrols one device for them; returns the device.
    pub async fn device(&self, name: &str, role: &str, unit: &str, dept: Option<&str>) -> Device {
        let code = self.person(name, role, unit, dept);
        self.enrol(&code).await
    }

    pub async fn enrol(&self, code: &str) -> Device {
        self.enrol_with(json!({ "code": code })).await
    }

    /// Enrols with a code and a public key (hex SEC1 P-256 point): a signing device.
    pub async fn enrol_with_key(&self, code: &str, public_key: &str) -> Device {
        self.enrol_with(json!({ "code": code, "public_key": public_key }))
            .await
    }

    async fn enrol_with(&self, request: Value) -> Device {
        let response = self
            .client
            .post(self.url("/v1/enrol"))
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "enrol failed");
        let body: Value = response.json().await.unwrap();
        Device {
            token: body["token"].as_str().unwrap().to_string(),
            device_id: body["device_id"].as_str().unwrap().to_string(),
            person: body["person"]["id"].as_str().unwrap().to_string(),
            name: body["person"]["name"].as_str().unwrap().to_string(),
            role: body["person"]["role"].as_str().unwrap().to_string(),
            unit: body["person"]["unit"].as_str().unwrap().to_string(),
            department: body["person"]["department"].as_str().map(str::to_string),
        }
    }

    /// Pushes items; returns the results array.
    pub async fn push(&self, device: &Device, items: &[Value]) -> Vec<Value> {
        let response = self
            .client
            .post(self.url("/v1/push"))
            .bearer_auth(&device.token)
            .json(&json!({ "items": items }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["results"].as_array().unwrap().clone()
    }

    /// One pull page.
    pub async fn pull_page(&self, device: &Device, cursor: &str, limit: u32) -> Value {
        let response = self
            .client
            .get(self.url("/v1/pull"))
            .query(&[("cursor", cursor), ("limit", &limit.to_string())])
            .bearer_auth(&device.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Pulls everything after `cursor` (bounded); returns items and the last cursor.
    pub async fn pull_all_from(&self, device: &Device, cursor: &str) -> (Vec<Value>, String) {
        let mut cursor = cursor.to_string();
        let mut items = Vec::new();
        for _ in 0..100 {
            let page = self.pull_page(device, &cursor, 50).await;
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            cursor = page["next_cursor"].as_str().unwrap().to_string();
            if !page["has_more"].as_bool().unwrap() {
                return (items, cursor);
            }
        }
        panic!("pull did not finish in 100 pages");
    }

    /// Pulls everything; returns the items.
    pub async fn pull_all(&self, device: &Device) -> Vec<Value> {
        self.pull_all_from(device, "").await.0
    }

    /// `GET /v1/blobs/{sha}` as `device`.
    pub async fn get_blob(&self, device: &Device, sha: &str) -> reqwest::Response {
        self.client
            .get(self.url(&format!("/v1/blobs/{sha}")))
            .bearer_auth(&device.token)
            .send()
            .await
            .unwrap()
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// An enrolled device.
#[derive(Debug, Clone)]
pub struct Device {
    pub token: String,
    /// The id the server enrolled the device under (what a real device's events name).
    pub device_id: String,
    pub person: String,
    pub name: String,
    pub role: String,
    pub unit: String,
    pub department: Option<String>,
}

impl Device {
    /// This device's person as a hazard-event actor.
    pub fn actor(&self) -> gridwalk_model::hazard::Actor {
        gridwalk_model::hazard::Actor {
            name: self.name.clone(),
            role: self.role.parse().unwrap(),
            unit: self.unit.clone(),
            department: self.department.clone(),
        }
    }
}

/// A hazard event on `case` by `device`, at HLC time `ms`, after `parents`.
pub fn hazard_event(
    case: &str,
    device: &Device,
    ms: i64,
    parents: &[&Value],
    payload: gridwalk_model::hazard::Payload,
) -> Value {
    let event = gridwalk_model::hazard::Event {
        id: new_id(),
        case_id: case.to_string(),
        actor: device.actor(),
        device: device.device_id.clone(),
        hlc: gridwalk_model::hazard::Hlc { ms, counter: 0 },
        wall_ms: ms,
        parents: parents
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect(),
        withheld: None,
        payload,
    };
    json!({ "id": event.id, "kind": "hazard-event", "body": event })
}

/// A `reported` payload for a hazard found by inspection at `site` (in `unit`).
pub fn reported(
    category: &str,
    item: &str,
    site: &str,
    unit: &str,
    description: &str,
    photos: Vec<String>,
) -> gridwalk_model::hazard::Payload {
    use gridwalk_model::checklist::Severity;
    use gridwalk_model::hazard::{HazardReport, Payload, ReportSource};
    Payload::Reported(HazardReport {
        source: ReportSource::Inspection {
            inspection_id: new_id(),
            item: item.to_string(),
        },
        category: category.to_string(),
        item: Some(item.to_string()),
        severity: Severity::High,
        unit: unit.to_string(),
        site_id: Some(site.to_string()),
        description: description.to_string(),
        photos,
        suggested_department: None,
    })
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The kind of each fixture site (`sites.csv`), to answer what applies there.
fn site_kind(site: &str) -> Option<String> {
    std::fs::read_to_string(fixture("sites.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| line.split(',').collect::<Vec<_>>())
        .find(|fields| fields[0] == site)
        .map(|fields| fields[2].to_string())
}

/// An inspection at `site` as a device would record it: a fire hazard first (with
/// `photo`, or a stand-in name for a photo not uploaded yet, as `fire-01` requires
/// one), then, when `personal_note` is given, a key-groups answer carrying it, then
/// every other item that applies at the site's kind answered `ok`, so a submitted one
/// is complete. (At a site the fixtures do not know, only the first two answers.)
pub fn inspection(
    id: &str,
    site: &str,
    kind: InspectionKind,
    status: InspectionStatus,
    photo: Option<&str>,
    personal_note: Option<&str>,
) -> Inspection {
    let at = "2026-04-01T08:00:00.000Z".to_string();
    let photo = photo.map_or_else(
        || sha256(format!("photo of {id}").as_bytes()),
        str::to_string,
    );
    let mut answers = vec![Answer {
        item: "fire-01".into(),
        outcome: Outcome::Hazard,
        note: Some("extinguisher expired".into()),
        photos: vec![photo],
        answered_at: at.clone(),
    }];
    if let Some(note) = personal_note {
        answers.push(Answer {
            item: "key-groups-01".into(),
            outcome: Outcome::Hazard,
            note: Some(note.into()),
            photos: vec![],
            answered_at: at.clone(),
        });
    }
    if let Some(site_kind) = site_kind(site) {
        let template = &gridwalk_model::checklist::Template::builtin().unwrap()[0];
        for (_, template_item) in template.items() {
            let answered = answers.iter().any(|a| a.item == template_item.code);
            if !answered && template_item.applies_to_kind(&site_kind) {
                answers.push(Answer {
                    item: template_item.code.clone(),
                    outcome: Outcome::Ok,
                    note: None,
                    photos: vec![],
                    answered_at: at.clone(),
                });
            }
        }
    }
    Inspection {
        id: id.into(),
        site_id: site.into(),
        template_id: "safe-community".into(),
        template_version: 1,
        kind,
        status,
        inspector: "tester".into(),
        started_at: at.clone(),
        submitted_at: (status == InspectionStatus::Submitted).then_some(at),
        answers,
    }
}

/// A push item for an inspection.
pub fn item(inspection: &Inspection) -> Value {
    json!({ "id": inspection.id, "kind": "inspection", "body": inspection })
}

/// A routine submitted inspection push item at `site`.
pub fn routine(site: &str) -> Value {
    item(&inspection(
        &new_id(),
        site,
        InspectionKind::Routine,
        InspectionStatus::Submitted,
        None,
        None,
    ))
}

/// The ids of pulled items.
pub fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// SHA-256 hex of bytes.
pub fn sha256(bytes: &[u8]) -> String {
    gridwalk_server::storage::sha256_hex(bytes)
}

/// tus metadata value naming a blob.
pub fn tus_metadata(sha: &str) -> String {
    use base64::Engine;
    format!(
        "sha256 {},filename {}",
        base64::engine::general_purpose::STANDARD.encode(sha),
        base64::engine::general_purpose::STANDARD.encode("photo.jpg")
    )
}

/// Uploads a whole blob in one PATCH; returns the upload URL.
pub async fn upload(server: &TestServer, device: &Device, bytes: &[u8]) -> String {
    upload_with_metadata(server, device, bytes, &tus_metadata(&sha256(bytes))).await
}

/// Uploads `bytes` as the thumbnail of `photo_sha` (tus `thumbnail-of`).
pub async fn upload_thumbnail(server: &TestServer, device: &Device, bytes: &[u8], photo_sha: &str) {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    let metadata = format!(
        "sha256 {},thumbnail-of {}",
        STANDARD.encode(sha256(bytes)),
        STANDARD.encode(photo_sha)
    );
    upload_with_metadata(server, device, bytes, &metadata).await;
}

/// Uploads a whole blob in one PATCH with the given tus `Upload-Metadata`; returns
/// the upload URL.
pub async fn upload_with_metadata(
    server: &TestServer,
    device: &Device,
    bytes: &[u8],
    metadata: &str,
) -> String {
    let created = server
        .client
        .post(server.url("/v1/blobs"))
        .bearer_auth(&device.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", bytes.len().to_string())
        .header("Upload-Metadata", metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = server.url(created.headers()["location"].to_str().unwrap());
    let patched = server
        .client
        .patch(&location)
        .bearer_auth(&device.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 204);
    location
}

/// The server binary serving `data` (and `database`, when PostgreSQL) on 127.0.0.1:0 in
/// a process of its own, which a test can kill; killed when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    /// `http://127.0.0.1:PORT`, as the server printed it.
    pub base: String,
}

impl ServerProcess {
    pub fn start(data: &Path, database: &Database) -> ServerProcess {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};
        let mut command = Command::new(env!("CARGO_BIN_EXE_gridwalk-server"));
        command.arg("--data").arg(data);
        if let Database::Postgres(url) = database {
            command.arg("--database").arg(url);
        }
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("gridwalk-server listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_string();
        ServerProcess { child, base }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
