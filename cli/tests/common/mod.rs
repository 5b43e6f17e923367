//! Running the real `gridwalk` binary on a data folder, shared by the CLI tests.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Runs `gridwalk --data DATA ARGS…` (ignoring any GRIDWALK_DATA of the caller).
pub fn gridwalk(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridwalk"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("GRIDWALK_DATA")
        .env_remove("GRIDWALK_STORE_KEY")
        .output()
        .expect("run gridwalk")
}

/// Runs a command with `--json` that must succeed; returns its stdout as JSON.
pub fn json_ok(data: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = gridwalk(data, &all);
    assert!(
        out.status.success(),
        "gridwalk {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// Runs a command with `--json` that must fail; returns the `error` object of stderr.
pub fn json_err(data: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = gridwalk(data, &all);
    assert!(!out.status.success(), "gridwalk {args:?} should fail");
    assert!(out.stdout.is_empty(), "errors go to stderr only");
    serde_json::from_slice::<Value>(&out.stderr).expect("stderr is JSON")["error"].clone()
}

/// Sets a grid worker's profile, which starting an inspection needs.
pub fn set_profile(data: &Path) {
    json_ok(
        data,
        &[
            "profile",
            "set",
            "--name",
            "Wang Fang",
            "--role",
            "grid-worker",
            "--unit",
            "G1",
        ],
    );
}

/// The real gridwalk-server on 127.0.0.1 (in the test process), with the demo district
/// and one person; stops when dropped.
pub struct TestServer {
    /// Its base URL.
    pub url: String,
    /// The person's one-time enrolment code.
    pub code: String,
    /// Its data folder.
    pub data: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server with its data under `work/server` and the person `name` with
    /// `role` in `unit`.
    pub fn start(work: &Path, name: &str, role: &str, unit: &str) -> TestServer {
        use gridwalk_server::{admin, config, server};
        let data = config::DataDir {
            root: work.join("server"),
        };
        let state = server::open_state(&data, config::Limits::default()).unwrap();
        let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("demo");
        admin::import_units(state.store.as_ref(), &demo.join("units.csv")).unwrap();
        admin::import_sites(state.store.as_ref(), &demo.join("sites.csv")).unwrap();
        let code = admin::add_person(state.store.as_ref(), name, role, unit, None)
            .unwrap()
            .enrolment_code;
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime
                .block_on(server::serve_on(listener, state, async {
                    let _ = stopped.await;
                }))
                .unwrap();
        });
        TestServer {
            url,
            code,
            data: data.root,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
