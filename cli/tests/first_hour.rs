//! What a new user meets in the first hour with the terminal shell: the profile asked
//! for first, ids by their start, messages that say what changed or what exists,
//! photos by file or hash. The real binary on fresh data folders.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[path = "../../core/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};

use common::{gridwalk, json_err, json_ok, set_profile};
use support::{Meta, jpeg, textured};

fn demo(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("demo")
        .join(file)
        .to_str()
        .unwrap()
        .to_string()
}

/// A data folder with the demo district and a grid worker's profile.
fn district() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    json_ok(&data, &["units", "import", &demo("units.csv")]);
    json_ok(&data, &["sites", "import", &demo("sites.csv")]);
    json_ok(
        &data,
        &[
            "profile",
            "set",
            "--name",
            "Wang Fang 王芳",
            "--role",
            "grid-worker",
            "--unit",
            "JJ-CX-HX-G1",
        ],
    );
    (dir, data)
}

fn start(data: &Path, site: &str) -> String {
    json_ok(data, &["inspect", "start", "--site", site])["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn an_inspection_without_a_profile_is_refused_with_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    json_ok(&data, &["sites", "import", &demo("sites.csv")]);
    let err = json_err(&data, &["inspect", "start", "--site", "HX-001"]);
    assert_eq!(err["kind"], "no-profile");
    assert!(
        err["hint"]
            .as_str()
            .unwrap()
            .contains("gridwalk profile set"),
        "{err}"
    );
    let out = gridwalk(&data, &["inspect", "start", "--site", "HX-001"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("gridwalk profile set --name"),
        "{out:?}"
    );
    assert_eq!(
        json_ok(&data, &["inspect", "list"])
            .as_array()
            .unwrap()
            .len(),
        0,
        "nothing was recorded"
    );
    set_profile(&data);
    let id = start(&data, "HX-001");
    assert_eq!(
        json_ok(&data, &["inspect", "show", &id])["inspector"],
        "Wang Fang"
    );
}

#[test]
fn inspections_and_cases_take_any_unambiguous_start_and_ambiguity_lists_them() {
    let (_dir, data) = district();
    // UUIDv7 ids made one after the other share their start.
    let first = start(&data, "HX-001");
    let second = start(&data, "HX-002");
    let shared: String = first
        .chars()
        .zip(second.chars())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a)
        .collect();
    let err = json_err(&data, &["inspect", "show", &shared]);
    assert_eq!(err["kind"], "invalid-input");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("more than one inspection")
            && message.contains(&first)
            && message.contains(&second),
        "{message}"
    );
    // One more character picks one, in upper case too, in every inspect command.
    let prefix = first[..shared.len() + 1].to_ascii_uppercase();
    assert_eq!(json_ok(&data, &["inspect", "show", &prefix])["id"], first);
    assert_eq!(
        json_ok(&data, &["inspect", "checklist", &prefix])["inspection_id"],
        first
    );
    let answered = json_ok(&data, &["inspect", "answer", &prefix, "fire-01", "ok"]);
    assert_eq!(answered["id"], first);
    let err = json_err(&data, &["inspect", "submit", &prefix]);
    assert_eq!(err["kind"], "incomplete-inspection");
    let err = json_err(&data, &["inspect", "show", "ffffffff"]);
    assert_eq!(err["kind"], "not-found");
    assert!(
        err["message"].as_str().unwrap().contains("inspect list"),
        "{err}"
    );

    // Two cases from public reports (community staff enter them).
    json_ok(
        &data,
        &[
            "profile",
            "set",
            "--name",
            "Zhao Min",
            "--role",
            "community-staff",
            "--unit",
            "JJ-CX-HX",
        ],
    );
    let open = |description: &str| {
        json_ok(
            &data,
            &[
                "hazards",
                "open",
                "--source",
                "hotline",
                "--category",
                "fire",
                "--severity",
                "high",
                "--unit",
                "JJ-CX-HX-G1",
                "--description",
                description,
            ],
        )["case_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let a = open("blocked stairwell");
    let b = open("e-bikes in the hall");
    let shared: String = a
        .chars()
        .zip(b.chars())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x)
        .collect();
    let err = json_err(&data, &["hazards", "show", &shared]);
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains(&a)
            && message.contains(&b)
            && message.contains("blocked stairwell")
            && message.contains("e-bikes in the hall"),
        "{message}"
    );
    // The short id a command prints names its case again.
    let acted = gridwalk(
        &data,
        &["hazards", "act", &a, "comment", "called the owner"],
    );
    assert!(acted.status.success(), "{acted:?}");
    let line = stdout(&acted);
    let short = line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_end_matches(':');
    assert!(short.len() > shared.len() && a.starts_with(short), "{line}");
    assert_eq!(
        json_ok(&data, &["hazards", "show", short])["state"]["case_id"],
        a
    );
}

#[test]
fn an_unknown_item_code_is_named_with_the_nearest_codes() {
    let (_dir, data) = district();
    let id = start(&data, "HX-002");
    let err = json_err(&data, &["inspect", "answer", &id, "fire-2", "ok"]);
    assert_eq!(err["kind"], "invalid-input");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("`fire-2` does not exist") && message.contains("nearest: fire-02"),
        "{message}"
    );
    // A real item that does not apply to a market is still "not applicable".
    let err = json_err(&data, &["inspect", "answer", &id, "food-01", "ok"]);
    assert_eq!(err["kind"], "item-not-applicable");
    assert_eq!(
        json_ok(&data, &["inspect", "show", &id])["answers"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn the_checklist_marks_photo_items_and_a_photo_less_hazard_warns_at_once() {
    let (dir, data) = district();
    let id = start(&data, "HX-002");
    let text = stdout(&gridwalk(&data, &["inspect", "checklist", &id]));
    assert!(text.contains("ok, hazard or na"), "{text}");
    let fire02 = text.lines().find(|l| l.contains("fire-02")).unwrap();
    assert!(fire02.ends_with("[photo]"), "{fire02}");
    let order01 = text
        .lines()
        .find(|l| l.contains("public-order-01"))
        .unwrap();
    assert!(!order01.contains("[photo]"), "{order01}");

    // A hazard on a photo item without a photo: saved, with a warning now.
    let out = gridwalk(&data, &["inspect", "answer", &id, "fire-02", "hazard"]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("fire-02 needs a photo"), "{out:?}");
    let v = json_ok(&data, &["inspect", "answer", &id, "fire-02", "hazard"]);
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap()
            .contains("submit is refused")
    );
    assert_eq!(
        json_ok(&data, &["inspect", "show", &id])["answers"][0]["outcome"],
        "hazard"
    );
    // No warning where no photo is required.
    let v = json_ok(
        &data,
        &["inspect", "answer", &id, "public-order-01", "hazard"],
    );
    assert_eq!(v["warnings"].as_array().unwrap().len(), 0);
    let err = json_err(&data, &["inspect", "submit", &id]);
    assert_eq!(err["missing_photos"][0], "fire-02");

    // --photo by a stored photo's SHA-256: attached, listed by show, no more warning.
    let file = dir.path().join("stairwell.jpg");
    std::fs::write(&file, jpeg(&textured(320, 240, 5), 90, &Meta::default())).unwrap();
    let sha = json_ok(&data, &["photo", "ingest", file.to_str().unwrap()])["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let v = json_ok(
        &data,
        &[
            "inspect", "answer", &id, "fire-02", "hazard", "--photo", &sha,
        ],
    );
    assert_eq!(v["photos"][0], sha.as_str());
    assert_eq!(v["warnings"].as_array().unwrap().len(), 0);
    let shown = stdout(&gridwalk(&data, &["inspect", "show", &id]));
    assert!(shown.contains(&format!("photo {sha}")), "{shown}");
    assert_eq!(
        json_ok(&data, &["inspect", "show", &id])["answers"][0]["photos"][0],
        sha.as_str()
    );
    // A hash nothing here has, and a file that is not there: refused, nothing changes.
    let unknown = "ab".repeat(32);
    let err = json_err(
        &data,
        &[
            "inspect", "answer", &id, "fire-03", "hazard", "--photo", &unknown,
        ],
    );
    assert_eq!(err["kind"], "not-found");
    let err = json_err(
        &data,
        &[
            "inspect",
            "answer",
            &id,
            "fire-03",
            "hazard",
            "--photo",
            "/nope.jpg",
        ],
    );
    assert_eq!(err["kind"], "photo-unreadable");
    let answers = json_ok(&data, &["inspect", "show", &id])["answers"].clone();
    assert!(
        answers
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["item"] != "fire-03")
    );
}

/// Runs gridwalk with `TZ` set, as a user in that time zone would.
fn gridwalk_in(tz: &str, data: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gridwalk"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("GRIDWALK_DATA")
        .env("TZ", tz)
        .output()
        .expect("run gridwalk")
}

#[test]
fn times_show_local_time_with_the_offset_or_utc() {
    let (_dir, data) = district();
    let id = start(&data, "HX-002");
    json_ok(
        &data,
        &["inspect", "answer", &id, "public-order-01", "hazard"],
    );
    json_ok(
        &data,
        &[
            "profile",
            "set",
            "--name",
            "Zhao Min",
            "--role",
            "community-staff",
            "--unit",
            "JJ-CX-HX",
        ],
    );
    let case = json_ok(
        &data,
        &[
            "hazards",
            "open",
            "--source",
            "resident",
            "--category",
            "fire",
            "--severity",
            "low",
            "--unit",
            "JJ-CX-HX-G1",
            "--description",
            "smoke smell",
        ],
    );
    let case_id = case["case_id"].as_str().unwrap();
    let ms = case["hlc"]["ms"].as_i64().unwrap();
    let at = |offset_hours: i64| {
        chrono::DateTime::from_timestamp_millis(ms + offset_hours * 3_600_000)
            .unwrap()
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let shanghai = stdout(&gridwalk_in(
        "Asia/Shanghai",
        &data,
        &["hazards", "show", case_id],
    ));
    assert!(
        shanghai.contains(&format!("{} +08:00", at(8))),
        "{shanghai}"
    );
    let utc = stdout(&gridwalk_in(
        "Asia/Shanghai",
        &data,
        &["--utc", "hazards", "show", case_id],
    ));
    assert!(utc.contains(&format!("{} +00:00", at(0))), "{utc}");
    let shown = stdout(&gridwalk_in(
        "Asia/Shanghai",
        &data,
        &["inspect", "show", &id],
    ));
    assert!(shown.lines().next().unwrap().contains("+08:00"), "{shown}");
    // JSON keeps the stored RFC 3339 time with its offset.
    let started = json_ok(&data, &["inspect", "show", &id])["started_at"].clone();
    assert!(
        chrono::DateTime::parse_from_rfc3339(started.as_str().unwrap()).is_ok(),
        "{started}"
    );
}

#[test]
fn report_takes_a_date_or_rfc3339_and_one_format() {
    let (_dir, data) = district();
    for as_of in ["2026-05-01", "2026-05-01T18:00:00+08:00"] {
        let v = json_ok(&data, &["report", "--as-of", as_of]);
        assert_eq!(v["total"]["found"], 0, "{v}");
    }
    let err = json_err(&data, &["report", "--as-of", "yesterday"]);
    assert_eq!(err["kind"], "invalid-input");
    assert!(
        err["message"].as_str().unwrap().contains("2026-05-01"),
        "a hint with the accepted forms: {err}"
    );
    let err = json_err(&data, &["report", "--csv"]);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("--csv and --json"),
        "{err}"
    );
}

#[test]
fn the_report_table_lines_up_with_chinese_unit_names() {
    let (_dir, data) = district();
    let out = gridwalk(&data, &["report"]);
    assert!(out.status.success());
    let text = stdout(&out);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("(district)") || l.contains("(street)") || l.contains("(grid)"))
        .collect();
    assert!(rows.iter().any(|r| r.contains("锦江区")), "{text}");
    let widths: Vec<usize> = rows
        .iter()
        .map(|r| unicode_width::UnicodeWidthStr::width(*r))
        .collect();
    assert!(
        widths.windows(2).all(|w| w[0] == w[1]),
        "rows of different widths {widths:?}:\n{text}"
    );
}

#[test]
fn the_data_folder_is_used_or_created_one_level_deep_and_never_more() {
    let dir = tempfile::tempdir().unwrap();
    // Missing, parent there: created, one line on stderr.
    let fresh = dir.path().join("fresh");
    let out = gridwalk(&fresh, &["templates", "list"]);
    assert!(out.status.success(), "{out:?}");
    let said = stderr(&out);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(said.contains("created the data folder"), "{said}");
    assert!(fresh.join("gridwalk.db").is_file());
    // Existing: used, nothing said.
    let out = gridwalk(&fresh, &["templates", "list"]);
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
    // Parent missing: refused, nothing created above.
    let deep = dir.path().join("a").join("b");
    let err = json_err(&deep, &["templates", "list"]);
    assert_eq!(err["kind"], "invalid-input");
    assert!(
        err["message"].as_str().unwrap().contains("does not exist"),
        "{err}"
    );
    assert!(!dir.path().join("a").exists());
    // A file: refused.
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let err = json_err(&file, &["templates", "list"]);
    assert!(
        err["message"].as_str().unwrap().contains("not a folder"),
        "{err}"
    );
    // A relative name in the current folder is created there.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gridwalk"))
        .args(["--data", "here", "templates", "list"])
        .env_remove("GRIDWALK_DATA")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(dir.path().join("here").join("gridwalk.db").is_file());
}

#[test]
fn a_closed_pipe_ends_any_command_quietly() {
    let (_dir, data) = district();
    for args in [
        &["report"][..],
        &["report", "--csv"][..],
        &["--json", "templates", "show", "safe-community"][..],
        &["sites", "list"][..],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gridwalk"))
            .arg("--data")
            .arg(&data)
            .args(args)
            .env_remove("GRIDWALK_DATA")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Like `| head -0`: the reader is gone before anything is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        assert!(out.stderr.is_empty(), "{args:?}: {out:?}");
    }
}

#[test]
fn enrol_is_the_spelling_and_enroll_an_alias() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for spelling in ["enrol", "enroll"] {
        let out = gridwalk(&data, &[spelling, "--help"]);
        assert!(out.status.success(), "{spelling}: {out:?}");
        assert!(stdout(&out).contains("--code"), "{spelling}");
    }
    let help = stdout(&gridwalk(&data, &["--help"]));
    assert!(help.contains("enrol "), "{help}");
    assert!(
        !help.contains("enroll "),
        "one spelling in the help: {help}"
    );
}
