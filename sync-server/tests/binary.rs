//! The built binary: admin subcommands with `--json`, `serve` on 127.0.0.1:0, and a
//! graceful shutdown on SIGTERM that finishes the request in flight.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{fixture, sha256, tus_metadata};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_gridwalk-server");

fn admin(data: &std::path::Path, args: &[&str]) -> Value {
    let output = Command::new(BIN)
        .args(args)
        .arg("--data")
        .arg(data)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn admin_commands_validate_and_report_json() {
    let data = tempfile::tempdir().unwrap();
    let units = fixture("units.csv");
    let sites = fixture("sites.csv");
    // Sites before units: refused, nothing imported.
    let early = Command::new(BIN)
        .args(["sites", "import"])
        .arg(&sites)
        .arg("--data")
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!early.status.success());
    assert!(String::from_utf8_lossy(&early.stderr).contains("unknown unit"));

    assert_eq!(
        admin(data.path(), &["units", "import", units.to_str().unwrap()])["imported"],
        8
    );
    // Importing again is harmless (ids are updated in place).
    assert_eq!(
        admin(data.path(), &["units", "import", units.to_str().unwrap()])["imported"],
        8
    );
    assert_eq!(
        admin(data.path(), &["sites", "import", sites.to_str().unwrap()])["imported"],
        3
    );

    // A bad row names the file and line (the model's importer rules).
    let bad = data.path().join("bad.csv");
    std::fs::write(&bad, "id,name,level,parent\nx,X,grid,jinjiang\n").unwrap();
    let output = Command::new(BIN)
        .args(["units", "import"])
        .arg(&bad)
        .arg("--data")
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line 2") && stderr.contains("expected a community"),
        "{stderr}"
    );

    let report = admin(data.path(), &["report"]);
    assert_eq!(report["total"]["found"], 0);

    let added = admin(
        data.path(),
        &[
            "people",
            "add",
            "--name",
            "Li Na",
            "--role",
            "grid-worker",
            "--unit",
            "g-xinhua-1",
        ],
    );
    assert_eq!(added["enrolment_code"].as_str().unwrap().len(), 19);
    assert_eq!(added["person"]["role"], "grid-worker");
    for bad in [
        vec!["--role", "mayor", "--unit", "g-xinhua-1"],
        vec!["--role", "grid-worker", "--unit", "nowhere"],
        vec!["--role", "department-officer", "--unit", "jinjiang"],
        vec![
            "--role",
            "department-officer",
            "--unit",
            "jinjiang",
            "--department",
            "nasa",
        ],
    ] {
        let output = Command::new(BIN)
            .args(["people", "add", "--name", "X"])
            .args(&bad)
            .arg("--data")
            .arg(data.path())
            .output()
            .unwrap();
        assert!(!output.status.success(), "{bad:?} must be refused");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_request_in_flight_then_exits() {
    let data = tempfile::tempdir().unwrap();
    admin(
        data.path(),
        &["units", "import", fixture("units.csv").to_str().unwrap()],
    );
    let code = admin(
        data.path(),
        &[
            "people",
            "add",
            "--name",
            "Li Na",
            "--role",
            "grid-worker",
            "--unit",
            "g-xinhua-1",
        ],
    )["enrolment_code"]
        .as_str()
        .unwrap()
        .to_string();

    let log = std::fs::File::create(data.path().join("server.log")).unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("server did not start");
    let base = line.trim().rsplit(' ').next().unwrap().to_string();
    let address = base.trim_start_matches("http://").to_string();

    let client = reqwest::Client::new();
    let enrolled: Value = client
        .post(format!("{base}/v1/enrol"))
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = enrolled["token"].as_str().unwrap().to_string();
    let bytes: Vec<u8> = (0..10_000u32).map(|i| (i % 256) as u8).collect();
    let sha = sha256(&bytes);
    let created = client
        .post(format!("{base}/v1/blobs"))
        .bearer_auth(&token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "10000")
        .header("Upload-Metadata", tus_metadata(&sha))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let path = created.headers()["location"].to_str().unwrap().to_string();
    drop(client);

    // A PATCH in flight: headers and half the body sent...
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nConnection: close\r\n\
         Content-Type: application/offset+octet-stream\r\nContent-Length: 10000\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&bytes[..5000]).await.unwrap();
    socket.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // ...when SIGTERM arrives.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    // New connections are refused soon after (bounded wait).
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if tokio::net::TcpStream::connect(&address).await.is_err() {
            break;
        }
        assert!(Instant::now() < deadline, "still accepting after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "must wait for the request in flight"
    );

    // The request in flight completes normally.
    socket.write_all(&bytes[5000..]).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), socket.read_to_string(&mut answer))
        .await
        .expect("no answer")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    assert!(answer.to_lowercase().contains("upload-offset: 10000"));

    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "server did not exit");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
    // The photo is stored for good.
    let stored = data.path().join("blobs/sha256").join(&sha[..2]).join(&sha);
    assert_eq!(std::fs::read(stored).unwrap(), bytes);
}
