//! Every `gridwalk hazards act` action through the real binary, one test each, on a case
//! opened by a submitted inspection in the demo district: each step run by the role the
//! rules allow, each checked in the JSON result and in the line a person reads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[path = "../../core/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};

use common::{gridwalk, json_err, json_ok};
use serde_json::Value;
use support::{Meta, jpeg, textured};

/// A data folder holding one hazard case, and the people who act on it.
struct Case {
    _dir: tempfile::TempDir,
    data: PathBuf,
    id: String,
}

fn demo(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("demo")
        .join(file)
        .to_str()
        .unwrap()
        .to_string()
}

impl Case {
    /// A grid worker's submitted market inspection with one hazard: a reported case.
    fn reported() -> Case {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        json_ok(&data, &["units", "import", &demo("units.csv")]);
        json_ok(&data, &["sites", "import", &demo("sites.csv")]);
        let case = Case {
            _dir: dir,
            data,
            id: String::new(),
        };
        case.as_("grid-worker", "JJ-CX-HX-G1", None);
        let inspection = json_ok(
            &case.data,
            &["inspect", "start", "--site", "HX-002", "--kind", "routine"],
        )["id"]
            .as_str()
            .unwrap()
            .to_string();
        let checklist = json_ok(&case.data, &["inspect", "checklist", &inspection]);
        for entry in checklist["categories"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["entries"].as_array().unwrap())
        {
            let code = entry["item"]["code"].as_str().unwrap();
            let outcome = if code == "public-order-01" {
                "hazard"
            } else {
                "ok"
            };
            json_ok(
                &case.data,
                &["inspect", "answer", &inspection, code, outcome],
            );
        }
        json_ok(&case.data, &["inspect", "submit", &inspection]);
        let cases = json_ok(&case.data, &["hazards", "list"]);
        Case {
            id: cases[0]["case_id"].as_str().unwrap().to_string(),
            ..case
        }
    }

    /// Acts from now on as a person of `role` in `unit`.
    fn as_(&self, role: &str, unit: &str, department: Option<&str>) {
        let mut args = vec![
            "profile", "set", "--name", role, "--role", role, "--unit", unit,
        ];
        if let Some(d) = department {
            args.extend(["--department", d]);
        }
        json_ok(&self.data, &args);
    }

    /// `hazards act ID ARGS…` in JSON, which must succeed.
    fn act(&self, args: &[&str]) -> Value {
        let mut all = vec!["hazards", "act", &self.id];
        all.extend_from_slice(args);
        json_ok(&self.data, &all)
    }

    /// `hazards act ID ARGS…` as text, which must succeed; the line printed.
    fn act_text(&self, args: &[&str]) -> String {
        let mut all = vec!["hazards", "act", &self.id];
        all.extend_from_slice(args);
        let out = gridwalk(&self.data, &all);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn status(&self) -> Value {
        json_ok(&self.data, &["hazards", "show", &self.id])["state"]["status"].clone()
    }

    /// Community staff call it in to the street.
    fn called_in(self) -> Case {
        self.as_("community-staff", "JJ-CX-HX", None);
        self.act(&["call-in", "street", "--note", "needs the police"]);
        self
    }

    /// The street assigns it to the police.
    fn assigned(self) -> Case {
        self.as_("street-officer", "JJ-CX", None);
        self.act(&["assign", "police"]);
        self
    }

    /// The police accept it.
    fn accepted(self) -> Case {
        self.as_("department-officer", "JJ", Some("police"));
        self.act(&["accept"]);
        self
    }

    /// A real photo of the fix, ingested on this device: its SHA-256.
    fn fix_photo(&self, seed: u32) -> String {
        let file = self.data.with_file_name(format!("fix-{seed}.jpg"));
        std::fs::write(&file, jpeg(&textured(320, 240, seed), 90, &Meta::default())).unwrap();
        json_ok(&self.data, &["photo", "ingest", file.to_str().unwrap()])["sha256"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The police report it fixed, with a photo.
    fn rectified(self, seed: u32) -> Case {
        self.as_("department-officer", "JJ", Some("police"));
        let photo = self.fix_photo(seed);
        self.act(&["rectify", "--photo", &photo, "--note", "new lock"]);
        self
    }

    /// The grid worker re-inspects and passes it.
    fn verified(self) -> Case {
        self.as_("grid-worker", "JJ-CX-HX-G1", None);
        self.act(&["verify", "pass"]);
        self
    }

    /// Community staff close it.
    fn closed(self) -> Case {
        self.as_("community-staff", "JJ-CX-HX", None);
        self.act(&["close", "--note", "lock holds"]);
        self
    }
}

#[test]
fn call_in_moves_the_case_up_and_says_so() {
    let case = Case::reported();
    case.as_("community-staff", "JJ-CX-HX", None);
    let text = case.act_text(&["call-in", "street", "--note", "needs the police"]);
    assert!(
        text.contains("called-in") && text.contains("case is now at street level (reported)"),
        "{text}"
    );
    let view = json_ok(&case.data, &["hazards", "show", &case.id]);
    assert_eq!(view["state"]["level"], "street");
    assert_eq!(view["state"]["status"], "reported");
}

#[test]
fn assign_names_the_department() {
    let case = Case::reported().called_in();
    case.as_("street-officer", "JJ-CX", None);
    let text = case.act_text(&["assign", "police", "--note", "gate faces the road"]);
    assert!(
        text.contains("case is now at street level (assigned, with police)"),
        "{text}"
    );
    let view = json_ok(&case.data, &["hazards", "show", &case.id]);
    assert_eq!(view["state"]["department"], "police");
    // A department that does not exist is refused and changes nothing.
    let err = json_err(
        &case.data,
        &["hazards", "act", &case.id, "assign", "no-such-department"],
    );
    assert_eq!(err["kind"], "invalid-input", "{err}");
    assert_eq!(case.status(), "assigned");
}

#[test]
fn rectify_records_the_fix_photo() {
    let case = Case::reported().called_in().assigned().accepted();
    let photo = case.fix_photo(7);
    let acted = case.act(&["rectify", "--photo", &photo, "--note", "new lock fitted"]);
    assert_eq!(acted["status"], "rectified");
    assert_eq!(acted["event"]["payload"]["photos"][0], photo.as_str());
    let view = json_ok(&case.data, &["hazards", "show", &case.id]);
    assert_eq!(view["state"]["rectification_photos"][0], photo.as_str());
}

#[test]
fn verify_pass_solves_the_case() {
    let case = Case::reported()
        .called_in()
        .assigned()
        .accepted()
        .rectified(1);
    case.as_("grid-worker", "JJ-CX-HX-G1", None);
    let text = case.act_text(&["verify", "pass", "--note", "lock holds"]);
    assert!(
        text.contains("verified") && text.contains("(verified, with police)"),
        "{text}"
    );
    let view = json_ok(&case.data, &["hazards", "show", &case.id]);
    assert_eq!(view["state"]["status"], "verified");
    assert_eq!(view["state"]["solved"]["level"], "street");
}

#[test]
fn verify_fail_sends_the_case_back_to_the_department() {
    let case = Case::reported()
        .called_in()
        .assigned()
        .accepted()
        .rectified(2);
    case.as_("grid-worker", "JJ-CX-HX-G1", None);
    let acted = case.act(&["verify", "fail", "--note", "lock still broken"]);
    assert_eq!(acted["event"]["payload"]["passed"], false);
    assert_eq!(acted["status"], "in-progress");
    let view = json_ok(&case.data, &["hazards", "show", &case.id]);
    assert!(view["state"]["solved"].is_null());
    assert_eq!(
        view["state"]["rectification_photos"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Neither pass nor fail: a usage error (status 2), nothing recorded.
    let out = gridwalk(&case.data, &["hazards", "act", &case.id, "verify", "maybe"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass"));
    let help = gridwalk(
        &case.data,
        &["hazards", "act", &case.id, "verify", "--help"],
    );
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("pass"));
}

#[test]
fn close_ends_a_verified_case() {
    let case = Case::reported()
        .called_in()
        .assigned()
        .accepted()
        .rectified(3)
        .verified();
    case.as_("community-staff", "JJ-CX-HX", None);
    let acted = case.act(&["close", "--note", "done"]);
    assert_eq!(acted["status"], "closed");
    let err = json_err(&case.data, &["hazards", "act", &case.id, "close"]);
    assert_eq!(err["rule"], "close-once");
}

#[test]
fn reopen_puts_a_closed_case_back_to_work() {
    let case = Case::reported()
        .called_in()
        .assigned()
        .accepted()
        .rectified(4)
        .verified()
        .closed();
    case.as_("street-officer", "JJ-CX", None);
    let text = case.act_text(&["reopen", "the lock was broken again"]);
    assert!(
        text.contains("reopened") && text.contains("(assigned, with police)"),
        "{text}"
    );
    let view = json_ok(&case.data, &["hazards", "show", &case.id]);
    assert!(view["state"]["closed_at_ms"].is_null());
    assert!(view["state"]["solved"].is_null());
}

#[test]
fn comment_adds_to_the_history_without_changing_the_state() {
    let case = Case::reported();
    let acted = case.act(&["comment", "residents say the lock broke last week"]);
    assert_eq!(acted["status"], "reported");
    let shown = gridwalk(&case.data, &["hazards", "show", &case.id]);
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains("residents say the lock broke last week")
    );
    let err = json_err(&case.data, &["hazards", "act", &case.id, "comment", " "]);
    assert_eq!(err["rule"], "text-required");
}
