//! The README's walkthrough, run as written: its `sh` blocks under "Walkthrough" and
//! "Running the server by hand" are taken from README.md (not copied here), and run by
//! bash in a fresh folder with the real `gridwalk` and `gridwalk-server` binaries, so
//! the README cannot drift from what the tools do.
//!
//! Two things differ from a person at a terminal, both said in the README: `cargo build`
//! lines are skipped (cargo built the binaries for this test), and the server listens on
//! a free port instead of 8750 (so parallel runs do not collide).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The README sections whose commands are run, in order.
const SECTIONS: [&str; 2] = [
    "## Walkthrough: one device, from the terminal",
    "## Running the server by hand",
];

/// The port the README uses.
const README_ADDRESS: &str = "127.0.0.1:8750";

/// Longest the walkthrough may take before the test stops it.
const TIME_LIMIT: Duration = Duration::from_secs(120);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The `sh` blocks of one `## ` section, as text.
fn sh_blocks(readme: &str, heading: &str) -> Vec<String> {
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("README.md has no section `{heading}`"));
    let rest = &readme[start + heading.len()..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in section.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(Vec::new()),
            (Some(lines), "```") => {
                blocks.push(lines.join("\n"));
                current = None;
            }
            (Some(lines), _) => lines.push(line),
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "an unclosed code block in `{heading}`");
    blocks
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The server binary: built beside `gridwalk` by `cargo test --workspace` (and by
/// `cargo build -p gridwalk-server`).
fn server_binary(bin_dir: &Path) -> PathBuf {
    let server = bin_dir.join(format!("gridwalk-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        server.is_file(),
        "{} is missing: run the workspace's tests (`cargo test --workspace`) or \
         `cargo build -p gridwalk-server` first",
        server.display()
    );
    server
}

#[test]
fn the_readme_walkthrough_runs_top_to_bottom_on_a_fresh_folder() {
    let root = repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let gridwalk = PathBuf::from(env!("CARGO_BIN_EXE_gridwalk"));
    let bin_dir = gridwalk.parent().unwrap().to_path_buf();
    server_binary(&bin_dir);

    let port = free_port().to_string();
    let mut script = String::from(
        "set -euo pipefail\n\
         # Stop the walkthrough's server however the script ends.\n\
         trap '[ -n \"${SERVER_PID:-}\" ] && kill \"$SERVER_PID\" 2>/dev/null; true' EXIT\n\
         trap 'exit 1' TERM INT\n",
    );
    for heading in SECTIONS {
        let blocks = sh_blocks(&readme, heading);
        assert!(!blocks.is_empty(), "`{heading}` has no sh block");
        for block in blocks {
            for line in block.lines() {
                if line.trim_start().starts_with("cargo ") {
                    continue;
                }
                script.push_str(&line.replace(README_ADDRESS, &format!("127.0.0.1:{port}")));
                script.push('\n');
            }
        }
    }
    assert!(
        script.contains("gridwalk-server serve"),
        "the walkthrough starts the server"
    );

    // A fresh folder that sees the repository's sample files where the README does.
    let work = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(root.join("cli"), work.path().join("cli")).unwrap();
    let script_file = work.path().join("walkthrough.sh");
    std::fs::write(&script_file, &script).unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = Command::new("bash")
        .arg(&script_file)
        .current_dir(work.path())
        .env("PATH", path)
        .env_remove("GRIDWALK_DATA")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap());
    let err = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIME_LIMIT {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("the walkthrough took longer than {TIME_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = out.join().unwrap();
    let stderr = err.join().unwrap();
    assert!(
        status.success(),
        "the README walkthrough failed ({status}):\n--- script\n{script}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );

    // What a reader is told to expect.
    assert!(
        stderr.contains("fire-02 needs a photo"),
        "the warning: {stderr}"
    );
    assert!(stdout.contains("refused, as it should be"), "{stdout}");
    assert!(
        stdout.contains("case is now at street level (reported)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("case is now at street level (closed, with fire-rescue)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("photo "),
        "inspect show lists photos: {stdout}"
    );
    assert!(
        !stdout.contains("by local"),
        "no inspection is recorded as `local`: {stdout}"
    );
    // The server's report counts the case the second phone called in.
    assert!(
        stdout.contains("total,all,All cases,,1,1,0"),
        "the server's report: {stdout}"
    );
    // Every folder and file the walkthrough left is one `.gitignore` keeps out of git.
    let mut left: Vec<String> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "cli" && name != "walkthrough.sh")
        .collect();
    left.sort();
    assert!(left.contains(&"gridwalk-data".to_string()), "{left:?}");
    assert!(
        left.contains(&"gridwalk-server-data".to_string()),
        "{left:?}"
    );
    for name in &left {
        let ignored = Command::new("git")
            .args(["check-ignore", "--quiet", "--no-index", name])
            .current_dir(&root)
            .status()
            .expect("run git check-ignore");
        assert!(ignored.success(), "`.gitignore` does not cover `{name}`");
    }
}
