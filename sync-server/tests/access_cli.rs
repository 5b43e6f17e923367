//! The built binary shutting people and devices out: `people list|disable|enable|
//! reissue` and `devices list|revoke` with `--json`, against a running `serve` on
//! 127.0.0.1, each change taking effect over HTTP from the next request; and the
//! server's log lines naming the client address and the person.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{CliData, fixture, with_database};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_gridwalk-server");

fn run(data: &Path, args: &[&str]) -> Output {
    with_database(&mut Command::new(BIN), data)
        .args(args)
        .arg("--data")
        .arg(data)
        .arg("--json")
        .output()
        .unwrap()
}

/// Runs an admin command with `--json`; its parsed output.
fn admin(data: &Path, args: &[&str]) -> Value {
    let output = run(data, args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Runs an admin command that must fail; its stderr.
fn refused(data: &Path, args: &[&str]) -> String {
    let output = run(data, args);
    assert!(!output.status.success(), "{args:?} must fail");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `serve` on 127.0.0.1:0 with stderr in `log`; the child and its base URL.
fn serve(data: &Path, log: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = with_database(&mut Command::new(BIN), data)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(extra)
        .env_remove("GRIDWALK_LOG_FORMAT")
        .env_remove("GRIDWALK_LOG")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
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
    (child, base)
}

/// SIGTERM, then wait (bounded) for a clean exit.
fn stop(mut child: Child) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            return;
        }
        assert!(Instant::now() < deadline, "server did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn enrol(base: &str, code: &str) -> (String, String) {
    let response = reqwest::Client::new()
        .post(format!("{base}/v1/enrol"))
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    (
        body["device_id"].as_str().unwrap().to_string(),
        body["token"].as_str().unwrap().to_string(),
    )
}

/// Status and `message` of a pull.
async fn pull(base: &str, token: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(format!("{base}/v1/pull"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (status, body["message"].as_str().unwrap_or("").to_string())
}

fn common_prefix(a: &str, b: &str) -> String {
    a.chars()
        .zip(b.chars())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_shut_out_people_and_devices_of_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let _folder = CliData::new(dir, path.clone());
    let data = path.as_path();
    admin(
        data,
        &["units", "import", fixture("units.csv").to_str().unwrap()],
    );
    let added = admin(
        data,
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
    let person = added["person"]["id"].as_str().unwrap().to_string();
    // Bad lifetimes are refused before anything starts.
    for bad in ["0", "-1", "nan", "4000"] {
        let output = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--token-days", bad])
            .arg("--data")
            .arg(data)
            .output()
            .unwrap();
        assert!(!output.status.success(), "--token-days {bad}");
    }
    let log = data.join("server.log");
    let (child, base) = serve(data, &log, &["--token-days", "0.5"]);

    let (phone, phone_token) = enrol(&base, added["enrolment_code"].as_str().unwrap()).await;
    let reissued = admin(data, &["people", "reissue", &person[..20]]);
    assert_eq!(reissued["person"]["id"], person.as_str());
    assert_eq!(reissued["replaced_codes"], 0);
    assert_eq!(reissued["enrolment_code"].as_str().unwrap().len(), 19);
    let (tablet, tablet_token) = enrol(&base, reissued["enrolment_code"].as_str().unwrap()).await;
    assert_eq!(pull(&base, &phone_token).await.0, 200);
    assert_eq!(pull(&base, &tablet_token).await.0, 200);

    let people = admin(data, &["people", "list"]);
    assert_eq!(
        people["people"],
        json!([{
            "id": person,
            "name": "Li Na",
            "role": "grid-worker",
            "unit": "g-xinhua-1",
            "department": null,
            "disabled": false,
            "disabled_at": null,
            "active_devices": 2,
        }])
    );
    let devices = admin(data, &["devices", "list", "--person", &person[..20]]);
    let devices = devices["devices"].as_array().unwrap();
    let ids: Vec<&str> = devices.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [phone.as_str(), tablet.as_str()]);
    for d in devices {
        assert_eq!(d["person"], person.as_str());
        assert_eq!(d["person_name"], "Li Na");
        assert_eq!(d["revoked"], false);
        assert_eq!(d["revoked_at"], Value::Null);
        assert_eq!(d["expired"], false);
        assert!(d["last_seen_at"].is_string(), "{d}");
        // --token-days 0.5: twelve hours from enrolment.
        let enrolled = DateTime::parse_from_rfc3339(d["enrolled_at"].as_str().unwrap()).unwrap();
        let expires = DateTime::parse_from_rfc3339(d["expires_at"].as_str().unwrap()).unwrap();
        let hours = (expires - enrolled).num_minutes() as f64 / 60.0;
        assert!((11.9..=12.1).contains(&hours), "{hours} h: {d}");
        assert!(expires.with_timezone(&Utc) > Utc::now());
    }

    // A lost phone: revoked by a prefix of its id; the tablet keeps working.
    let ambiguous = refused(
        data,
        &["devices", "revoke", &common_prefix(&phone, &tablet)],
    );
    assert!(
        ambiguous.contains(&phone) && ambiguous.contains(&tablet),
        "{ambiguous}"
    );
    let revoked = admin(data, &["devices", "revoke", &phone[..phone.len() - 2]]);
    assert_eq!(revoked["changed"], true);
    assert_eq!(revoked["device"]["id"], phone.as_str());
    assert_eq!(revoked["device"]["revoked"], true);
    assert!(revoked["device"]["revoked_at"].is_string());
    let (status, message) = pull(&base, &phone_token).await;
    assert_eq!(status, 401);
    assert!(message.contains("this device was revoked"), "{message}");
    assert_eq!(pull(&base, &tablet_token).await.0, 200);
    assert_eq!(
        admin(data, &["devices", "revoke", &phone])["changed"],
        false
    );

    // The person disabled: the tablet too, from its next request; then enabled again.
    let disabled = admin(data, &["people", "disable", &person]);
    assert_eq!(disabled["changed"], true);
    assert_eq!(disabled["person"]["disabled"], true);
    assert!(disabled["person"]["disabled_at"].is_string());
    let (status, message) = pull(&base, &tablet_token).await;
    assert_eq!(status, 401);
    assert!(message.contains("this person is disabled"), "{message}");
    let stderr = refused(data, &["people", "reissue", &person]);
    assert!(stderr.contains("is disabled"), "{stderr}");
    let enabled = admin(data, &["people", "enable", &person]);
    assert_eq!(enabled["changed"], true);
    assert_eq!(enabled["person"]["disabled"], false);
    assert_eq!(enabled["person"]["active_devices"], 1);
    assert_eq!(pull(&base, &tablet_token).await.0, 200);
    assert_eq!(
        pull(&base, &phone_token).await.0,
        401,
        "revoked stays revoked"
    );

    // Unknown ids are named, and nothing changes.
    let stderr = refused(data, &["people", "disable", "nobody"]);
    assert!(
        stderr.contains("no person has an id starting with `nobody`"),
        "{stderr}"
    );
    let stderr = refused(data, &["devices", "list", "--person", "nobody"]);
    assert!(stderr.contains("people list"), "{stderr}");
    assert_eq!(
        admin(data, &["people", "list"])["people"][0]["disabled"],
        false
    );

    stop(child);
    // Every line of a request names the client address and the person.
    let log = std::fs::read_to_string(&log).unwrap();
    let pulls: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("path=/v1/pull"))
        .collect();
    assert!(pulls.len() >= 6, "{log}");
    for line in &pulls {
        assert!(line.contains("client=127.0.0.1"), "{line}");
        assert!(line.contains(&format!("person={person}")), "{line}");
    }
    assert!(
        pulls
            .iter()
            .any(|l| l.contains(&format!("device={phone}")) && l.contains("status=401")),
        "the refused phone's request is logged with its device: {log}"
    );
    assert!(
        log.lines().any(|l| l.contains("path=/v1/enrol")
            && l.contains("client=127.0.0.1")
            && l.contains(&format!("device={tablet}"))
            && l.contains(&format!("person={person}"))),
        "{log}"
    );
}
