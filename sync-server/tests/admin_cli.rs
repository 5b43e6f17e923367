//! The admin commands as a new administrator meets them, through the built binary:
//! `report --as-of` as a date or RFC 3339, tables that line up with Chinese names, a
//! second code for the same name refused, every bad CSV row at once, a closed pipe, a
//! busy port.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::common;

use common::{CliData, with_database};

const BIN: &str = env!("CARGO_BIN_EXE_gridwalk-server");

fn run(data: &Path, args: &[&str]) -> Output {
    with_database(&mut Command::new(BIN), data)
        .arg("--data")
        .arg(data)
        .args(args)
        .env("GRIDWALK_LOG", "warn")
        .output()
        .unwrap()
}

fn ok(data: &Path, args: &[&str]) -> String {
    let out = run(data, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn refused(data: &Path, args: &[&str]) -> String {
    let out = run(data, args);
    assert!(!out.status.success(), "{args:?} must fail");
    String::from_utf8(out.stderr).unwrap()
}

fn demo(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../cli/demo")
        .join(file)
}

/// A server data folder with the demo district (and its own PostgreSQL database when
/// the tests run on one).
fn district() -> (CliData, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let folder = CliData::new(dir, data.clone());
    for (what, file) in [("units", "units.csv"), ("sites", "sites.csv")] {
        ok(&data, &[what, "import", demo(file).to_str().unwrap()]);
    }
    (folder, data)
}

#[test]
fn report_as_of_takes_a_date_or_rfc3339_and_hints_at_both() {
    let (_dir, data) = district();
    for as_of in ["2026-05-01", "2026-05-01T18:00:00+08:00"] {
        let csv = ok(&data, &["report", "--as-of", as_of]);
        assert!(csv.contains("total,all,All cases,,0,0,0"), "{csv}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&ok(&data, &["--json", "report", "--as-of", "2026-05-01"])).unwrap();
    assert_eq!(json["total"]["found"], 0);
    let message = refused(&data, &["report", "--as-of", "last week"]);
    assert!(
        message.contains("RFC 3339") && message.contains("2026-05-01"),
        "{message}"
    );
    // The ms form stays for scripts, but not both at once.
    ok(&data, &["report", "--as-of-ms", "1777000000000"]);
    let out = run(
        &data,
        &["report", "--as-of", "2026-05-01", "--as-of-ms", "1"],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn people_list_lines_up_with_chinese_names() {
    let (_dir, data) = district();
    for (name, unit) in [
        ("Wang Fang 王芳", "JJ-CX-HX-G1"),
        ("Li Wei", "JJ-CX-HX-G2"),
        ("欧阳娜娜", "JJ-CX-HX"),
    ] {
        ok(
            &data,
            &[
                "people",
                "add",
                "--name",
                name,
                "--role",
                "grid-worker",
                "--unit",
                unit,
            ],
        );
    }
    let table = ok(&data, &["people", "list"]);
    // The column after the name starts at the same terminal column on every row.
    let role_columns: Vec<usize> = table
        .lines()
        .map(|line| {
            let at = line
                .find("grid-worker")
                .or_else(|| line.find("ROLE"))
                .unwrap();
            unicode_width::UnicodeWidthStr::width(&line[..at])
        })
        .collect();
    assert_eq!(role_columns.len(), 4, "{table}");
    assert!(
        role_columns.windows(2).all(|w| w[0] == w[1]),
        "{role_columns:?}\n{table}"
    );
}

#[test]
fn a_second_person_of_the_same_name_in_a_unit_needs_allow_duplicate_name() {
    let (_dir, data) = district();
    let add = |name: &str, unit: &str, extra: &[&str]| {
        let mut args = vec![
            "--json",
            "people",
            "add",
            "--name",
            name,
            "--role",
            "grid-worker",
            "--unit",
            unit,
        ];
        args.extend_from_slice(extra);
        run(&data, &args)
    };
    let first = add("Wang Fang", "JJ-CX-HX-G1", &[]);
    assert!(first.status.success());
    let first: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    let again = add(" wang fang ", "JJ-CX-HX-G1", &[]);
    assert!(!again.status.success());
    let message = String::from_utf8_lossy(&again.stderr);
    assert!(
        message.contains("--allow-duplicate-name")
            && message.contains("people reissue")
            && message.contains(first["person"]["id"].as_str().unwrap()),
        "{message}"
    );
    // Another unit, or said on purpose: added.
    assert!(add("Wang Fang", "JJ-CX-HX-G2", &[]).status.success());
    assert!(
        add("Wang Fang", "JJ-CX-HX-G1", &["--allow-duplicate-name"])
            .status
            .success()
    );
    let list: serde_json::Value =
        serde_json::from_str(&ok(&data, &["--json", "people", "list"])).unwrap();
    assert_eq!(list["people"].as_array().unwrap().len(), 3);
}

#[test]
fn imports_name_every_bad_row_and_a_wrong_separator() {
    let (_folder, data) = district();
    let file = |name: &str, text: &str| {
        let path = data.parent().unwrap().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let bad = file(
        "bad.csv",
        "id,name,kind,unit,address,lat,lon\nX1,A,market,JJ-CX-HX-G1,,,\n\
         X2,B,castle,JJ-CX-HX-G1,,,\nX3,C,market,JJ-CX-HX-G1,,99,104\nX4,D,moat,JJ-CX-HX-G1,,,\n",
    );
    let message = refused(&data, &["sites", "import", &bad]);
    assert!(
        message.contains("line 3")
            && message.contains("line 4")
            && message.contains("line 5")
            && message.contains("castle")
            && message.contains("moat"),
        "{message}"
    );
    let stray = file(
        "stray.csv",
        "id,name,kind,unit,address,lat,lon\nY1,A,market,G9,,,\nY2,B,market,G8,,,\n",
    );
    let message = refused(&data, &["sites", "import", &stray]);
    assert!(
        message.contains("unknown unit `G9`") && message.contains("unknown unit `G8`"),
        "{message}"
    );
    let semicolons = file("units.csv", "id;name;level;parent\nZ;Z;district;\n");
    let message = refused(&data, &["units", "import", &semicolons]);
    assert!(message.contains("separated by `;`"), "{message}");
    let store = common::cli_store(&data);
    assert_eq!(store.sites().unwrap().len(), 6, "only the demo's sites");
    assert!(store.units().unwrap().iter().all(|u| u.id != "Z"));
}

#[test]
fn a_closed_pipe_ends_the_report_quietly() {
    let (_dir, data) = district();
    for args in [
        &["report"][..],
        &["people", "list"][..],
        &["--json", "report"][..],
    ] {
        let mut child = with_database(&mut Command::new(BIN), &data)
            .arg("--data")
            .arg(&data)
            .args(args)
            .env("GRIDWALK_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Like `| head -0`: the reader is gone before the report is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        assert!(out.stderr.is_empty(), "{args:?}: {out:?}");
    }
}

/// `serve` whose stdout reader is gone before it prints its address still serves.
#[test]
fn serve_with_a_closed_stdout_still_serves() {
    use std::io::{Read, Write};
    let (_dir, data) = district();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = with_database(&mut Command::new(BIN), &data)
        .arg("--data")
        .arg(&data)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("GRIDWALK_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut answer = String::new();
    for _ in 0..100 {
        if let Ok(mut conn) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            conn.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            conn.read_to_string(&mut answer).unwrap();
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "the server exited");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn serve_on_a_busy_port_names_the_address() {
    let (_dir, data) = district();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let message = refused(&data, &["serve", "--listen", &address]);
    assert!(
        message.contains(&format!("cannot listen on {address}")) && message.contains("in use"),
        "{message}"
    );
}

#[test]
fn the_data_folder_is_used_or_created_one_level_deep_and_never_more() {
    let dir = tempfile::tempdir().unwrap();
    let units = demo("units.csv");
    let fresh = dir.path().join("fresh");
    let out = run(&fresh, &["units", "import", units.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("created the data folder"), "{said}");
    let out = run(&fresh, &["units", "import", units.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("created"));
    let deep = dir.path().join("a").join("b");
    let message = refused(&deep, &["units", "import", units.to_str().unwrap()]);
    assert!(message.contains("does not exist"), "{message}");
    assert!(!dir.path().join("a").exists(), "nothing created above");
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let message = refused(&file, &["report"]);
    assert!(message.contains("not a folder"), "{message}");
}
