//! A real, independent tus client (tuspy from PyPI) uploads a photo to the server,
//! including a resume after an interrupted upload: `tests/tus/upload_photo.py`.
//!
//! Needs tuspy in `target/tus-venv` (install with `bash sync-server/tests/tus/install.sh`)
//! or a Python with tuspy named by `GRIDWALK_TUS_PYTHON`. Without it the test fails
//! and says so, rather than passing silently.

use crate::common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;

fn tus_python() -> PathBuf {
    if let Some(python) = std::env::var_os("GRIDWALK_TUS_PYTHON") {
        return PathBuf::from(python);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/tus-venv/bin/python")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tuspy_uploads_a_photo_and_resumes_after_an_interruption() {
    let python = tus_python();
    let available = std::process::Command::new(&python)
        .args(["-c", "import tusclient"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        available,
        "tuspy is not available at {}: run `bash sync-server/tests/tus/install.sh` \
         (or set GRIDWALK_TUS_PYTHON to a python with tuspy installed)",
        python.display()
    );

    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let work = tempfile::tempdir().unwrap();
    let photo = work.path().join("evidence.jpg");
    // A JPEG-looking photo of about 450 kB: several tus chunks.
    let mut bytes = vec![0xff, 0xd8, 0xff, 0xe0];
    bytes.extend((0..450_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    std::fs::write(&photo, &bytes).unwrap();

    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tus/upload_photo.py");
    let mut child = std::process::Command::new(&python)
        .arg(&script)
        .arg(&server.base)
        .arg(&worker.token)
        .arg(&photo)
        .arg(work.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Bounded wait; the server keeps serving on the runtime's other threads meanwhile.
    let mut waited = Duration::ZERO;
    while child.try_wait().unwrap().is_none() {
        if waited > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("the tuspy script did not finish in 120 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += Duration::from_millis(100);
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.lines().last().is_some_and(|l| l.starts_with("ok")),
        "tuspy script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stored = server
        .state
        .blobs
        .read_blob(&sha256(&bytes))
        .unwrap()
        .unwrap();
    assert_eq!(stored, bytes);
    server.stop().await;
}
