//! The terminal shell end to end: the real binary on a fresh data folder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{gridwalk, json_err, json_ok, set_profile};
use serde_json::Value;

fn import_sites(data: &Path) {
    let csv = data.join("sites.csv");
    std::fs::create_dir_all(data).unwrap();
    std::fs::write(
        &csv,
        "id,name,kind,unit,address,lat,lon\n\
         S1,Jinjiang Garden,residential,G1,12 Hongxing Rd,30.65,104.08\n\
         W1,Fish pond,water-body,G1,,30.70,104.10\n",
    )
    .unwrap();
    let v = json_ok(data, &["sites", "import", csv.to_str().unwrap()]);
    assert_eq!(v["imported"], 2);
}

#[test]
fn templates_show_gives_nine_categories_and_twenty_nine_items() {
    let dir = tempfile::tempdir().unwrap();
    let list = json_ok(dir.path(), &["templates", "list"]);
    assert_eq!(list[0]["id"], "safe-community");
    let t = json_ok(dir.path(), &["templates", "show", "safe-community"]);
    assert_eq!(t["id"], "safe-community");
    assert_eq!(t["version"], 1);
    let cats = t["categories"].as_array().unwrap();
    assert_eq!(cats.len(), 9);
    let items: Vec<&Value> = cats
        .iter()
        .flat_map(|c| c["items"].as_array().unwrap())
        .collect();
    assert_eq!(items.len(), 29);
    for i in items {
        for key in ["code", "title_zh", "title_en"] {
            assert!(
                i[key].as_str().is_some_and(|s| !s.is_empty()),
                "{key} missing in {i}"
            );
        }
        assert!(i["photo_required"].is_boolean());
    }
    let err = json_err(dir.path(), &["templates", "show", "nope"]);
    assert_eq!(err["kind"], "not-found");
}

#[test]
fn a_whole_inspection_from_start_to_submit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    import_sites(data);
    let sites = json_ok(data, &["sites", "list"]);
    assert_eq!(sites.as_array().unwrap().len(), 2);

    set_profile(data);
    let id = json_ok(
        data,
        &["inspect", "start", "--site", "W1", "--kind", "spot-check"],
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let checklist = json_ok(data, &["inspect", "checklist", &id]);
    let items: Vec<String> = checklist["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["entries"].as_array().unwrap())
        .map(|e| e["item"]["code"].as_str().unwrap().to_string())
        .collect();
    assert!(
        items.contains(&"production-01".to_string()),
        "water safety applies to a pond"
    );
    assert!(
        !items.contains(&"food-01".to_string()),
        "school canteens do not"
    );

    // Premature submit names what is missing and changes nothing.
    let err = json_err(data, &["inspect", "submit", &id]);
    assert_eq!(err["kind"], "incomplete-inspection");
    assert_eq!(err["unanswered"].as_array().unwrap().len(), items.len());

    for item in &items {
        json_ok(data, &["inspect", "answer", &id, item, "ok"]);
    }
    // An answer may change while a draft.
    json_ok(
        data,
        &[
            "inspect",
            "answer",
            &id,
            &items[0],
            "na",
            "--note",
            "pond drained",
        ],
    );
    let shown = json_ok(data, &["inspect", "show", &id]);
    assert_eq!(shown["status"], "draft");
    assert_eq!(shown["answers"][0]["outcome"], "na");
    assert_eq!(shown["answers"][0]["note"], "pond drained");

    let submitted = json_ok(data, &["inspect", "submit", &id]);
    assert_eq!(submitted["status"], "submitted");
    let err = json_err(data, &["inspect", "answer", &id, &items[0], "ok"]);
    assert_eq!(err["kind"], "already-submitted");
    let shown = json_ok(data, &["inspect", "show", &id]);
    assert_eq!(shown["id"], id.as_str());
    assert_eq!(shown["answers"].as_array().unwrap().len(), items.len());
    assert_eq!(shown["answers"][0]["outcome"], "na");
}

#[test]
fn bad_input_gets_a_typed_error_and_a_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    import_sites(data);
    set_profile(data);
    let err = json_err(data, &["inspect", "start", "--site", "NOPE"]);
    assert_eq!(err["kind"], "not-found");

    let id = json_ok(data, &["inspect", "start", "--site", "S1"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let err = json_err(data, &["inspect", "answer", &id, "food-01", "ok"]);
    assert_eq!(err["kind"], "item-not-applicable");
    let out = gridwalk(data, &["inspect", "answer", &id, "fire-01", "maybe"]);
    assert!(!out.status.success());

    let bad = data.join("bad.csv");
    std::fs::write(
        &bad,
        "id,name,kind,unit,address,lat,lon\nS9,Ok site,market,G1,,,\nS10,Bad,castle,G1,,,\n",
    )
    .unwrap();
    let err = json_err(data, &["sites", "import", bad.to_str().unwrap()]);
    assert_eq!(err["kind"], "invalid-input");
    assert!(err["message"].as_str().unwrap().contains("line 3"), "{err}");
    // All or nothing: the good row before the bad one was not imported either.
    assert_eq!(
        json_ok(data, &["sites", "list"]).as_array().unwrap().len(),
        2
    );

    let text = gridwalk(data, &["inspect", "show", "missing"]);
    assert!(!text.status.success());
    assert!(String::from_utf8_lossy(&text.stderr).contains("inspection not found"));
}

#[test]
fn the_profile_names_the_inspector_and_must_be_valid() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    import_sites(data);
    let err = json_err(data, &["profile", "show"]);
    assert_eq!(err["kind"], "no-profile");
    let err = json_err(
        data,
        &[
            "profile",
            "set",
            "--name",
            "Liu Yang",
            "--role",
            "department-officer",
            "--unit",
            "D1",
        ],
    );
    assert_eq!(
        err["kind"], "invalid-input",
        "a department officer needs a department"
    );
    assert!(
        !gridwalk(
            data,
            &[
                "profile", "set", "--name", "X", "--role", "mayor", "--unit", "D1"
            ]
        )
        .status
        .success()
    );
    let p = json_ok(
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
    assert_eq!(p["role"], "grid-worker");
    assert_eq!(json_ok(data, &["profile", "show"])["name"], "Wang Fang");
    let id = json_ok(data, &["inspect", "start", "--site", "S1"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        json_ok(data, &["inspect", "show", &id])["inspector"],
        "Wang Fang"
    );
}

#[test]
fn a_hazard_case_from_submit_to_report_through_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    import_sites(data);
    let as_ = |name: &str, role: &str, department: Option<&str>| {
        let mut args = vec![
            "profile", "set", "--name", name, "--role", role, "--unit", "G1",
        ];
        if let Some(d) = department {
            args.extend(["--department", d]);
        }
        json_ok(data, &args);
    };
    as_("Wang Fang", "grid-worker", None);
    let id = json_ok(data, &["inspect", "start", "--site", "S1"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let checklist = json_ok(data, &["inspect", "checklist", &id]);
    for e in checklist["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["entries"].as_array().unwrap())
    {
        let code = e["item"]["code"].as_str().unwrap();
        let outcome = if code == "public-order-01" {
            "hazard"
        } else {
            "ok"
        };
        json_ok(
            data,
            &[
                "inspect",
                "answer",
                &id,
                code,
                outcome,
                "--note",
                "gate lock broken",
            ],
        );
    }
    json_ok(data, &["inspect", "submit", &id]);

    // The hazard answer opened a case.
    let cases = json_ok(data, &["hazards", "list"]);
    assert_eq!(cases.as_array().unwrap().len(), 1);
    let case = cases[0]["case_id"].as_str().unwrap().to_string();
    assert_eq!(cases[0]["category"], "public-order");
    assert_eq!(cases[0]["status"], "reported");
    let prefix = &case[..12];

    // A grid worker may not call it in: the refusal names the rule and changes nothing.
    let err = json_err(data, &["hazards", "act", prefix, "call-in", "street"]);
    assert_eq!(err["kind"], "event-refused");
    assert_eq!(err["rule"], "call-in-by-office");

    as_("Zhao Min", "community-staff", None);
    json_ok(
        data,
        &[
            "hazards",
            "act",
            prefix,
            "call-in",
            "street",
            "--note",
            "needs the police",
        ],
    );
    as_("Chen Jie", "street-officer", None);
    let acted = json_ok(data, &["hazards", "act", prefix, "assign", "police"]);
    assert_eq!(acted["status"], "assigned");
    as_("He Tao", "department-officer", Some("police"));
    json_ok(data, &["hazards", "act", prefix, "accept"]);
    json_ok(
        data,
        &["hazards", "act", prefix, "progress", "new lock ordered"],
    );
    let err = json_err(
        data,
        &[
            "hazards",
            "act",
            prefix,
            "rectify",
            "--photo",
            &"ab".repeat(32),
        ],
    );
    assert_eq!(
        err["kind"], "not-found",
        "the fix photo must be stored on this device"
    );

    let shown = json_ok(data, &["hazards", "show", prefix]);
    assert_eq!(shown["state"]["status"], "in-progress");
    assert_eq!(shown["state"]["department"], "police");
    assert_eq!(shown["events"].as_array().unwrap().len(), 5);
    let text = gridwalk(data, &["hazards", "show", prefix]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("new lock ordered"));

    let report = json_ok(data, &["report"]);
    assert_eq!(report["total"]["found"], 1);
    assert_eq!(report["total"]["open"], 1);
    let csv = gridwalk(data, &["report", "--csv"]);
    assert!(csv.status.success());
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(csv.starts_with("group,key,name,level,found,open,overdue"));
    assert!(
        csv.contains("category,public-order,Public order,,1,1,0,"),
        "{csv}"
    );
    let err = json_err(data, &["hazards", "show", "ffffffff"]);
    assert_eq!(err["kind"], "not-found");
}

/// Damage gets its own kind in `--json` errors, so a script can tell "restore or
/// re-enrol" from "try again": a store file of garbage, a stored record that no longer
/// parses, a write-ahead log lost with committed changes.
#[test]
fn a_damaged_store_is_reported_as_corrupt_or_wal_missing() {
    let dir = tempfile::tempdir().unwrap();

    let garbage_data = dir.path().join("garbage");
    std::fs::create_dir_all(&garbage_data).unwrap();
    let store_file = garbage_data.join("gridwalk.db");
    std::fs::write(
        &store_file,
        b"this is not a SQLite database, just text ".repeat(200),
    )
    .unwrap();
    let err = json_err(&garbage_data, &["templates", "list"]);
    // Encrypted, a file of garbage and a wrong key look the same to SQLCipher: the key
    // does not open it. The file is named, and left alone.
    assert_eq!(err["kind"], "wrong-key", "{err}");
    let message = err["message"].as_str().unwrap();
    assert!(message.contains(store_file.to_str().unwrap()), "{message}");

    let data = dir.path().join("record");
    json_ok(
        &data,
        &[
            "profile",
            "set",
            "--name",
            "Li Wei",
            "--role",
            "grid-worker",
            "--unit",
            "G1",
        ],
    );
    open_store(&data)
        .unwrap()
        .set_setting("profile", "{\"name\": \"Li")
        .unwrap();
    let err = json_err(&data, &["profile", "show"]);
    assert_eq!(err["kind"], "corrupt", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("the stored profile"),
        "{err}"
    );

    // A power cut with the last commit only in the log, then the log lost.
    let live = dir.path().join("live");
    json_ok(&live, &["templates", "list"]);
    let store = open_store(&live).unwrap();
    store.set_setting("marker", "only in the log").unwrap();
    let crashed = dir.path().join("crashed");
    std::fs::create_dir_all(&crashed).unwrap();
    for file in ["store.key", "gridwalk.db", "gridwalk.db-shm"] {
        std::fs::copy(live.join(file), crashed.join(file)).unwrap();
    }
    let err = json_err(&crashed, &["templates", "list"]);
    assert_eq!(err["kind"], "wal-missing", "{err}");
    drop(store);
}

/// The store key comes from the data folder's key file, made 0600 on first use and
/// refused once others may read it, or from `GRIDWALK_STORE_KEY`; the store is
/// encrypted with it, and a wrong key is its own kind of error.
#[cfg(unix)]
#[test]
fn the_store_key_comes_from_a_private_key_file_or_the_environment() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    json_ok(&data, &["templates", "list"]);
    let key_file = data.join("store.key");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let store = std::fs::read(data.join("gridwalk.db")).unwrap();
    assert!(
        !store.starts_with(b"SQLite format 3\0"),
        "the store is encrypted"
    );

    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = json_err(&data, &["templates", "list"]);
    assert_eq!(err["kind"], "key-file-exposed", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("chmod 600"),
        "{err}"
    );
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();

    let key = std::fs::read_to_string(&key_file).unwrap();
    let with_env = |value: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gridwalk"))
            .args(["--json", "--data"])
            .arg(&data)
            .args(["templates", "list"])
            .env_remove("GRIDWALK_DATA")
            .env("GRIDWALK_STORE_KEY", value)
            .output()
            .unwrap()
    };
    assert!(with_env(key.trim()).status.success());
    let wrong = with_env(&"ab".repeat(32));
    assert!(!wrong.status.success());
    let err: serde_json::Value = serde_json::from_slice(&wrong.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "wrong-key", "{err}");
    let bad = with_env("not hex");
    let err: serde_json::Value = serde_json::from_slice(&bad.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "invalid-input", "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("GRIDWALK_STORE_KEY")
    );
}

/// The data folder's store as the CLI opens it: encrypted with the folder's key file.
fn open_store(data: &Path) -> gridwalk_core::Result<gridwalk_core::Store> {
    use gridwalk_core::store::{OpenOptions, key_file};
    let options = OpenOptions {
        key: Some(key_file::load_or_create(data)?),
        signer: None,
    };
    gridwalk_core::Store::open_with(data.join("gridwalk.db"), options)
}
