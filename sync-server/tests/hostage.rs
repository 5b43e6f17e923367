//! No request holds the server hostage, against the real binary on 127.0.0.1: slow and
//! never-finished bodies (gzip bombs that never end among them), slowloris headers and
//! silent connections from many connections leave `/health` answering and memory bounded, and memory comes
//! back when they leave; a full connection table empties as the header timeout closes
//! idle connections; SIGTERM with a stalled upload open exits within the shutdown grace.
//! The attackers cover every body-reading surface: `/v1` enrolment and push, `/v2/sync`
//! with a valid token, and the console's sign-in and case-action forms.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{TestServer, fixture, sha256, tus_metadata};
use gridwalk_server::config::Limits;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_gridwalk-server");

/// The binary serving a data folder with the demo units and one grid worker.
struct Served {
    child: Child,
    base: String,
    address: String,
    code: String,
    data: tempfile::TempDir,
}

impl Served {
    fn start(flags: &[&str]) -> Served {
        let data = tempfile::tempdir().unwrap();
        let admin = |args: &[&str]| -> Value {
            let output = Command::new(BIN)
                .args(args)
                .arg("--data")
                .arg(data.path())
                .arg("--json")
                .output()
                .unwrap();
            assert!(output.status.success(), "{args:?}");
            serde_json::from_slice(&output.stdout).unwrap()
        };
        admin(&["units", "import", fixture("units.csv").to_str().unwrap()]);
        let code = admin(&[
            "people",
            "add",
            "--name",
            "Li Na",
            "--role",
            "grid-worker",
            "--unit",
            "g-xinhua-1",
        ])["enrolment_code"]
            .as_str()
            .unwrap()
            .to_string();
        let log = std::fs::File::create(data.path().join("server.log")).unwrap();
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data.path())
            .args(flags)
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
        Served {
            child,
            base,
            address,
            code,
            data,
        }
    }

    /// The server process's resident memory, in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    fn terminate(&self) {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
    }

    /// Waits (bounded) for the process to exit.
    fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A gzip stream of zeros that never ends: each piece is a flushed deflate block that
/// expands about a thousandfold.
struct EndlessGzip {
    encoder: flate2::write::GzEncoder<Vec<u8>>,
}

impl EndlessGzip {
    fn new() -> EndlessGzip {
        EndlessGzip {
            encoder: flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best()),
        }
    }

    /// The next compressed piece, `expanded` zero bytes once inflated.
    fn next(&mut self, expanded: usize) -> Vec<u8> {
        self.encoder.write_all(&vec![0u8; expanded]).unwrap();
        self.encoder.flush().unwrap();
        std::mem::take(self.encoder.get_mut())
    }
}

/// The first pieces of an endless gzip stream of zeros, each inflating to 1 MiB,
/// made once (compressing is slow in a debug build).
fn gzip_pieces() -> Arc<Vec<Vec<u8>>> {
    let mut gzip = EndlessGzip::new();
    Arc::new((0..16).map(|_| gzip.next(1 << 20)).collect())
}

/// One hostile client, reconnecting a moment after the server closes it, until `stop`.
async fn attacker(
    kind: usize,
    address: String,
    token: String,
    gzip: Arc<Vec<Vec<u8>>>,
    stop: Arc<AtomicBool>,
) {
    let mut first_try = true;
    while !stop.load(Ordering::Relaxed) {
        if !first_try {
            // Hostile but slow: the point is bodies that never end, not a flood.
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        first_try = false;
        let Ok(mut socket) = tokio::net::TcpStream::connect(&address).await else {
            continue;
        };
        let head = |path: &str, extra: &str| {
            format!(
                "POST {path} HTTP/1.1\r\nHost: {address}\r\n{extra}\
                 Content-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n"
            )
        };
        let mut pieces = gzip.iter().cycle();
        let mut next_piece = || pieces.next().cloned().unwrap_or_default();
        let first: Vec<u8> = match kind {
            // Slowloris: headers that never end.
            0 => format!("POST /v1/enrol HTTP/1.1\r\nHost: {address}\r\n").into_bytes(),
            // A gzip bomb that never ends, to the route that needs no token.
            1 => {
                let mut bytes = head("/v1/enrol", "Content-Encoding: gzip\r\n").into_bytes();
                bytes.extend(next_piece());
                bytes
            }
            // The same to a route that needs a token, with none.
            2 => {
                let mut bytes = head("/v1/push", "Content-Encoding: gzip\r\n").into_bytes();
                bytes.extend(next_piece());
                bytes
            }
            // A connection that never says anything.
            4 => Vec::new(),
            // An enrolled device's gzip bomb to the one-request sync: the token is good,
            // so only the counted, capped body reader stands between it and memory.
            5 => {
                let auth = format!("Content-Encoding: gzip\r\nAuthorization: Bearer {token}\r\n");
                let mut bytes = head("/v2/sync", &auth).into_bytes();
                bytes.extend(next_piece());
                bytes
            }
            // The console's sign-in form, trickling and never finished.
            6 => format!(
                "POST /console/signin HTTP/1.1\r\nHost: {address}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\n\
                 Content-Length: 1000000000000\r\n\r\nlogin="
            )
            .into_bytes(),
            // A huge multipart body to the case-action form (the one that takes photos),
            // without a session.
            7 => format!(
                "POST /console/cases/x/act HTTP/1.1\r\nHost: {address}\r\n\
                 Content-Type: multipart/form-data; boundary=b\r\n\
                 Content-Length: 1000000000000\r\n\r\n--b\r\n\
                 Content-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\n\r\n"
            )
            .into_bytes(),
            // A plain body that trickles and never ends.
            _ => {
                let mut bytes = head("/v1/enrol", "").into_bytes();
                bytes.extend(b"{\"code\": \"");
                bytes
            }
        };
        if socket.write_all(&first).await.is_err() {
            continue;
        }
        // Keep sending, slowly, until the server gives up on us or the test ends.
        let mut buf = [0u8; 4096];
        while !stop.load(Ordering::Relaxed) {
            let piece = match kind {
                0 => b"X-Slow: 1\r\n".to_vec(),
                1 | 2 | 5 => next_piece(),
                4 => Vec::new(),
                7 => vec![0xAB; 64 * 1024],
                _ => b"A".to_vec(),
            };
            if socket.write_all(&piece).await.is_err() {
                break;
            }
            // Drain any answer so the server's writes never block on us.
            match tokio::time::timeout(Duration::from_millis(300), socket.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                _ => {}
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_never_finished_bodies_leave_health_answering_and_memory_bounded() {
    let mut served = Served::start(&[
        "--enrol-attempts-per-minute",
        "1000000",
        "--header-timeout-secs",
        "2",
        "--body-timeout-secs",
        "2",
    ]);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    for _ in 0..20 {
        let health = client
            .get(format!("{}/health", served.base))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200);
    }
    let enrolled = client
        .post(format!("{}/v1/enrol", served.base))
        .json(&json!({ "code": served.code }))
        .send()
        .await
        .unwrap();
    assert_eq!(enrolled.status(), 200);
    let token = enrolled.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let baseline = served.rss_kib();

    let stop = Arc::new(AtomicBool::new(false));
    let gzip = gzip_pieces();
    let attackers: Vec<_> = (0..104)
        .map(|i| {
            let (address, gzip, stop) = (served.address.clone(), gzip.clone(), stop.clone());
            tokio::spawn(attacker(i % 8, address, token.clone(), gzip, stop))
        })
        .collect();
    let mut peak = baseline;
    let mut slowest = Duration::ZERO;
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        let asked = Instant::now();
        let health = client
            .get(format!("{}/health", served.base))
            .send()
            .await
            .expect("/health did not answer under attack");
        assert_eq!(health.status(), 200);
        slowest = slowest.max(asked.elapsed());
        peak = peak.max(served.rss_kib());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for attacker in attackers {
        tokio::time::timeout(Duration::from_secs(5), attacker)
            .await
            .expect("an attacker did not stop")
            .unwrap();
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = served.rss_kib();
    eprintln!(
        "RSS: baseline {baseline} KiB, peak under 104 hostile connections {peak} KiB, \
         after they left {after} KiB; slowest /health {slowest:?}"
    );
    assert!(slowest < Duration::from_secs(1), "/health took {slowest:?}");
    assert!(
        peak < baseline + 64 * 1024,
        "RSS grew from {baseline} KiB to {peak} KiB"
    );
    assert!(
        after < baseline + 16 * 1024,
        "RSS stayed at {after} KiB (baseline {baseline} KiB)"
    );
    served.terminate();
    assert!(served.wait_exit(Duration::from_secs(10)).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_stalled_upload_open_exits_within_the_shutdown_grace() {
    let mut served = Served::start(&[
        "--shutdown-grace-secs",
        "1",
        "--body-timeout-secs",
        "120",
        "--header-timeout-secs",
        "120",
    ]);
    let client = reqwest::Client::new();
    let enrolled: Value = client
        .post(format!("{}/v1/enrol", served.base))
        .json(&json!({ "code": served.code }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = enrolled["token"].as_str().unwrap().to_string();
    let bytes = vec![7u8; 10_000];
    let created = client
        .post(format!("{}/v1/blobs", served.base))
        .bearer_auth(&token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "10000")
        .header("Upload-Metadata", tus_metadata(&sha256(&bytes)))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let path = created.headers()["location"].to_str().unwrap().to_string();
    drop(client);

    // A PATCH stalled half-way, as on a half-open connection, and a half-sent header.
    let address = served.address.clone();
    let mut stalled = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n\
         Content-Type: application/offset+octet-stream\r\nContent-Length: 10000\r\n\r\n"
    );
    stalled.write_all(head.as_bytes()).await.unwrap();
    stalled.write_all(&bytes[..5_000]).await.unwrap();
    let mut slowloris = tokio::net::TcpStream::connect(&address).await.unwrap();
    slowloris
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let signalled = Instant::now();
    served.terminate();
    let status = served
        .wait_exit(Duration::from_secs(6))
        .expect("the server did not stop with a stalled connection open");
    let took = signalled.elapsed();
    eprintln!("SIGTERM to exit with a stalled PATCH open: {took:?} (grace 1 s)");
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(
        served.log().contains("shutdown grace over"),
        "{}",
        served.log()
    );
    drop((stalled, slowloris));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_connection_table_empties_as_the_header_timeout_closes_idle_connections() {
    let server = TestServer::with_limits(Limits {
        max_connections: 8,
        header_read_timeout: Duration::from_millis(800),
        ..Limits::default()
    })
    .await;
    let address = server.base.trim_start_matches("http://").to_string();
    // Eight connections that never send a whole request take every place: half send
    // part of a request line, half nothing at all.
    let mut idle = Vec::new();
    for i in 0..8 {
        let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
        if i % 2 == 0 {
            socket.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
        }
        idle.push(socket);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let asked = Instant::now();
    let health = server
        .client
        .get(server.url("/health"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let waited = asked.elapsed();
    // It waited for a place: the limit holds, and the timeout frees the places.
    assert!(
        waited >= Duration::from_millis(500) && waited < Duration::from_secs(3),
        "waited {waited:?}"
    );
    for mut socket in idle {
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(3), socket.read_to_end(&mut rest))
            .await
            .expect("an idle connection was kept open");
        assert!(read.is_err() || rest.is_empty() || rest.starts_with(b"HTTP/1.1 408"));
    }
    server.stop().await;
}
