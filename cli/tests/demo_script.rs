//! `scripts/demo`'s own manners, from the script itself: it says the first build takes
//! minutes before building, and its headings are bold only on a terminal without
//! `NO_COLOR`. (The whole demo builds with cargo, so it is run by hand and in CI as the
//! README's first command, not from this test.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

fn demo_script() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/demo");
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_demo_says_the_first_build_takes_minutes_before_building() {
    let script = demo_script();
    let build = script
        .lines()
        .position(|l| l.trim_start().starts_with("cargo build"))
        .expect("the demo builds");
    let notice = script
        .lines()
        .position(|l| l.contains("say ") && l.contains("first build takes"))
        .expect("the demo says the first build takes minutes");
    assert!(notice < build, "said before building");
}

/// The script's colour choice and `say`, taken from the script, then one heading.
fn heading_script() -> String {
    let script = demo_script();
    let lines: Vec<&str> = script.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("if [ -t 1 ]"))
        .expect("the demo decides on colour");
    let end = lines
        .iter()
        .position(|l| l.starts_with("say()"))
        .expect("the demo defines say");
    let mut text = lines[start..=end].join("\n");
    text.push_str("\nsay heading\n");
    text
}

/// Runs `script` under a pseudo-terminal (util-linux `script`), or with stdout piped.
fn run_heading(terminal: bool, no_color: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("heading.sh");
    std::fs::write(&file, heading_script()).unwrap();
    let mut command = if terminal {
        let mut c = Command::new("script");
        c.args(["-qec", &format!("bash {}", file.display()), "/dev/null"]);
        c
    } else {
        let mut c = Command::new("bash");
        c.arg(&file);
        c
    };
    if no_color {
        command.env("NO_COLOR", "1");
    } else {
        command.env_remove("NO_COLOR");
    }
    let out = command.output().expect("run bash (and util-linux script)");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn headings_are_bold_only_on_a_terminal_without_no_color() {
    let piped = run_heading(false, false);
    assert!(
        piped.contains("== heading") && !piped.contains('\u{1b}'),
        "{piped:?}"
    );
    let terminal = run_heading(true, false);
    assert!(terminal.contains("\u{1b}[1m== heading"), "{terminal:?}");
    let no_color = run_heading(true, true);
    assert!(
        no_color.contains("== heading") && !no_color.contains('\u{1b}'),
        "{no_color:?}"
    );
}
