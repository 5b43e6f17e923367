//! The inspection lifecycle against a real SQLite file: start, answer, change, resume
//! after reopening, refuse an incomplete submit naming the items, submit, freeze.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gridwalk_core::checklist::Template;
use gridwalk_core::evidence::PhotoRef;
use gridwalk_core::inspection::{
    InspectionFilter, InspectionKind, InspectionStatus, NewInspection, Outcome,
};
use gridwalk_core::reference::Site;
use gridwalk_core::{CoreError, Store};

fn site(id: &str, kind: &str) -> Site {
    Site {
        id: id.into(),
        name: format!("site {id}"),
        kind: kind.into(),
        unit: "G1".into(),
        address: "1 Test Rd".into(),
        lat: Some(30.6),
        lon: Some(104.0),
    }
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("device.db")).unwrap();
    store
        .upsert_sites(&[site("S1", "residential"), site("SCH", "school")])
        .unwrap();
    (dir, store)
}

fn start(store: &mut Store, site: &str) -> String {
    store
        .start_inspection(&NewInspection {
            site_id: site.into(),
            template_id: None,
            template_version: None,
            kind: InspectionKind::Routine,
            inspector: "Li Wei".into(),
        })
        .unwrap()
}

fn applicable(store: &Store, id: &str) -> Vec<String> {
    store
        .checklist(id)
        .unwrap()
        .categories
        .iter()
        .flat_map(|c| c.entries.iter().map(|e| e.item.code.clone()))
        .collect()
}

fn photo(byte: u8) -> PhotoRef {
    PhotoRef {
        sha256: format!("{byte:02x}").repeat(32),
        bytes: 1000,
        width: 1600,
        height: 1200,
        taken_at: None,
        lat: None,
        lon: None,
        camera: None,
    }
}

#[test]
fn applicable_items_depend_on_the_site_kind_and_are_grouped_in_template_order() {
    let (_dir, mut store) = store();
    let home = start(&mut store, "S1");
    let school = start(&mut store, "SCH");
    let home_items = applicable(&store, &home);
    let school_items = applicable(&store, &school);
    assert!(home_items.contains(&"disputes-03".to_string()));
    assert!(!home_items.contains(&"food-01".to_string()));
    assert!(school_items.contains(&"food-01".to_string()));
    let checklist = store.checklist(&school).unwrap();
    let codes: Vec<&str> = checklist
        .categories
        .iter()
        .map(|c| c.code.as_str())
        .collect();
    let order = gridwalk_core::checklist::CATEGORIES;
    let mut positions = codes
        .iter()
        .map(|c| order.iter().position(|o| o == c).unwrap());
    let first = positions.next().unwrap();
    assert!(
        positions
            .try_fold(first, |prev, p| (p > prev).then_some(p))
            .is_some()
    );
    assert_eq!(checklist.applicable as usize, school_items.len());
    assert_eq!(checklist.answered, 0);
}

#[test]
fn progress_counts_answers_per_category_and_answers_can_change_in_a_draft() {
    let (_dir, mut store) = store();
    let id = start(&mut store, "S1");
    store.answer(&id, "fire-01", Outcome::Ok, None).unwrap();
    store
        .answer(
            &id,
            "fire-02",
            Outcome::Hazard,
            Some("  bikes in stairwell "),
        )
        .unwrap();
    store
        .answer(
            &id,
            "fire-02",
            Outcome::NotApplicable,
            Some("no bikes after all"),
        )
        .unwrap();
    let checklist = store.checklist(&id).unwrap();
    let fire = &checklist.categories[0];
    assert_eq!(
        (fire.code.as_str(), fire.answered, fire.applicable),
        ("fire", 2, 6)
    );
    assert_eq!(checklist.answered, 2);
    let inspection = store.inspection(&id).unwrap();
    assert_eq!(inspection.answers.len(), 2);
    assert_eq!(inspection.answers[1].outcome, Outcome::NotApplicable);
    assert_eq!(
        inspection.answers[1].note.as_deref(),
        Some("no bikes after all")
    );
}

#[test]
fn a_draft_resumes_after_the_store_is_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let id = {
        let mut store = Store::open(&path).unwrap();
        store.upsert_sites(&[site("S1", "residential")]).unwrap();
        let id = start(&mut store, "S1");
        store
            .answer(&id, "fire-03", Outcome::Hazard, Some("exit chained"))
            .unwrap();
        id
    };
    let store = Store::open(&path).unwrap();
    let drafts = store
        .list_inspections(&InspectionFilter {
            inspector: Some("Li Wei".into()),
            status: Some(InspectionStatus::Draft),
            limit: None,
        })
        .unwrap();
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].id, id);
    assert_eq!(drafts[0].answered, 1);
    let answer = &store.inspection(&id).unwrap().answers[0];
    assert_eq!(
        (answer.item.as_str(), answer.outcome),
        ("fire-03", Outcome::Hazard)
    );
}

#[test]
fn submit_names_unanswered_items_and_hazards_without_photos_then_succeeds() {
    let (_dir, mut store) = store();
    let id = start(&mut store, "S1");
    let items = applicable(&store, &id);
    match store.submit(&id) {
        Err(CoreError::IncompleteInspection {
            unanswered,
            missing_photos,
        }) => {
            assert_eq!(unanswered, items);
            assert!(missing_photos.is_empty());
        }
        other => panic!("expected IncompleteInspection, got {other:?}"),
    }
    for item in &items {
        store.answer(&id, item, Outcome::Ok, None).unwrap();
    }
    // fire-02 needs a photo when it is a hazard; public-order-01 does not.
    store.answer(&id, "fire-02", Outcome::Hazard, None).unwrap();
    store
        .answer(&id, "public-order-01", Outcome::Hazard, Some("gate broken"))
        .unwrap();
    match store.submit(&id) {
        Err(CoreError::IncompleteInspection {
            unanswered,
            missing_photos,
        }) => {
            assert!(unanswered.is_empty());
            assert_eq!(missing_photos, vec!["fire-02".to_string()]);
        }
        other => panic!("expected IncompleteInspection, got {other:?}"),
    }
    assert_eq!(
        store.inspection(&id).unwrap().status,
        InspectionStatus::Draft
    );
    assert!(
        store.pending_outbox(10).unwrap().is_empty(),
        "a refused submit queues nothing"
    );

    store.register_photo(&photo(0xab)).unwrap();
    store
        .attach_photo(&id, "fire-02", &photo(0xab).sha256)
        .unwrap();
    store
        .attach_photo(&id, "fire-02", &photo(0xab).sha256)
        .unwrap(); // idempotent
    assert!(
        store.photos_to_upload().unwrap().is_empty(),
        "a draft's photos stay on the device until it is submitted"
    );
    store.submit(&id).unwrap();
    assert_eq!(store.photos_to_upload().unwrap(), vec![photo(0xab).sha256]);

    let inspection = store.inspection(&id).unwrap();
    assert_eq!(inspection.status, InspectionStatus::Submitted);
    assert!(inspection.submitted_at.is_some());
    let fire02 = inspection
        .answers
        .iter()
        .find(|a| a.item == "fire-02")
        .unwrap();
    assert_eq!(fire02.photos, vec![photo(0xab).sha256]);
    let outbox = store.pending_outbox(10).unwrap();
    assert_eq!(
        (outbox[0].kind.as_str(), outbox[0].record_id.as_str()),
        ("inspection", id.as_str())
    );
    // Each hazard answer opened a case, queued right after the inspection (issue 3).
    let kinds: Vec<&str> = outbox.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["inspection", "hazard-event", "hazard-event"]);
}

#[test]
fn a_submitted_inspection_never_changes() {
    let (_dir, mut store) = store();
    let id = start(&mut store, "SCH");
    for item in applicable(&store, &id) {
        store.answer(&id, &item, Outcome::Ok, None).unwrap();
    }
    store.submit(&id).unwrap();
    let before = store.inspection(&id).unwrap();
    assert!(matches!(
        store.submit(&id),
        Err(CoreError::AlreadySubmitted { .. })
    ));
    assert!(matches!(
        store.answer(&id, "fire-01", Outcome::Hazard, None),
        Err(CoreError::AlreadySubmitted { .. })
    ));
    store.register_photo(&photo(0x01)).unwrap();
    assert!(matches!(
        store.attach_photo(&id, "fire-01", &photo(0x01).sha256),
        Err(CoreError::AlreadySubmitted { .. })
    ));
    assert_eq!(store.inspection(&id).unwrap(), before);
    assert_eq!(
        store.pending_outbox(10).unwrap().len(),
        1,
        "queued exactly once"
    );
}

#[test]
fn bad_input_is_refused_with_a_typed_error_and_changes_nothing() {
    let (_dir, mut store) = store();
    let id = start(&mut store, "S1");
    assert!(matches!(
        store.answer(&id, "food-01", Outcome::Ok, None),
        Err(CoreError::ItemNotApplicable { .. })
    ));
    assert!(matches!(
        store.answer(&id, "no-such-item", Outcome::Ok, None),
        Err(CoreError::ItemNotApplicable { .. })
    ));
    assert!(matches!(
        store.answer("missing", "fire-01", Outcome::Ok, None),
        Err(CoreError::NotFound {
            kind: "inspection",
            ..
        })
    ));
    assert!(matches!(
        store.attach_photo(&id, "fire-01", &"0".repeat(64)),
        Err(CoreError::InvalidInput(_))
    ));
    store.answer(&id, "fire-01", Outcome::Hazard, None).unwrap();
    assert!(matches!(
        store.attach_photo(&id, "fire-01", &"0".repeat(64)),
        Err(CoreError::NotFound { kind: "photo", .. })
    ));
    let mut bad = photo(1);
    bad.sha256 = "not-a-hash".into();
    assert!(matches!(
        store.register_photo(&bad),
        Err(CoreError::InvalidInput(_))
    ));
    assert!(matches!(
        store.start_inspection(&NewInspection {
            site_id: "S1".into(),
            template_id: None,
            template_version: None,
            kind: InspectionKind::Routine,
            inspector: "  ".into(),
        }),
        Err(CoreError::InvalidInput(_))
    ));
    assert_eq!(store.inspection(&id).unwrap().answers.len(), 1);
    assert!(matches!(
        "later".parse::<Outcome>().map_err(CoreError::from),
        Err(CoreError::InvalidInput(_))
    ));
}

#[test]
fn template_versions_live_side_by_side_and_inspections_stay_pinned() {
    let (_dir, mut store) = store();
    let v1_inspection = start(&mut store, "S1");
    let mut v2 = store.template("safe-community", Some(1)).unwrap();
    v2.version = 2;
    v2.categories[0].items.retain(|i| i.code != "fire-06");
    store.import_template(&v2).unwrap();
    store.import_template(&v2).unwrap(); // same content again: no-op

    let mut changed = v2.clone();
    changed.title_en = "something else".into();
    assert!(matches!(
        store.import_template(&changed),
        Err(CoreError::InvalidInput(_))
    ));

    let listed = store.list_templates().unwrap();
    assert_eq!(
        listed.iter().map(|t| t.version).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert_eq!(listed[0].items, 28);
    let v2_inspection = start(&mut store, "S1");
    assert!(applicable(&store, &v1_inspection).contains(&"fire-06".to_string()));
    assert!(!applicable(&store, &v2_inspection).contains(&"fire-06".to_string()));
    assert_eq!(
        store.inspection(&v2_inspection).unwrap().template_version,
        2
    );
}

#[test]
fn a_broken_template_is_refused_naming_the_item() {
    let (_dir, mut store) = store();
    let mut t: Template = store.template("safe-community", None).unwrap();
    t.version = 3;
    t.categories[2].items[0].applies_to = vec!["moon-base".into()];
    match store.import_template(&t) {
        Err(CoreError::Template(e)) => {
            assert_eq!(e.item.as_deref(), Some("public-order-01"));
            assert!(e.reason.contains("moon-base"));
        }
        other => panic!("expected a template error, got {other:?}"),
    }
    assert_eq!(store.list_templates().unwrap().len(), 1);
}

#[test]
fn org_units_import_checks_the_tree_and_is_all_or_nothing() {
    let (dir, mut store) = store();
    let good = dir.path().join("units.csv");
    // Children before parents is fine: the whole file is checked together.
    std::fs::write(
        &good,
        "id,name,level,parent\nG1,Grid 1,grid,C1\nC1,Hongxing community,community,ST1\n\
         ST1,Chunxi street,street,D1\nD1,Jinjiang district,district,\n",
    )
    .unwrap();
    assert_eq!(store.import_units_csv(&good).unwrap(), 4);
    let levels: Vec<String> = store
        .list_units()
        .unwrap()
        .into_iter()
        .map(|u| u.level)
        .collect();
    assert_eq!(levels, vec!["district", "street", "community", "grid"]);

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "id,name,level,parent\nG2,Grid 2,grid,C1\nG3,Grid 3,grid,ST1\n",
    )
    .unwrap();
    match store.import_units_csv(&bad) {
        Err(CoreError::BadImportRow { line, reason, .. }) => {
            assert_eq!(line, 3);
            assert!(reason.contains("expected a community"), "{reason}");
        }
        other => panic!("expected BadImportRow, got {other:?}"),
    }
    assert_eq!(
        store.list_units().unwrap().len(),
        4,
        "G2 was not imported either"
    );

    let missing = dir.path().join("nope.csv");
    assert!(matches!(
        store.import_units_csv(&missing),
        Err(CoreError::Io { .. })
    ));
}

#[test]
fn site_import_reports_the_bad_line_and_imports_nothing() {
    let (dir, mut store) = store();
    let csv = dir.path().join("sites.csv");
    std::fs::write(
        &csv,
        "id,name,kind,unit,address,lat,lon\nA,A,market,G1,,30,104\nB,B,market,G1,,95,104\n",
    )
    .unwrap();
    match store.import_sites_csv(&csv) {
        Err(CoreError::BadImportRow { line, reason, .. }) => {
            assert_eq!(line, 3);
            assert!(reason.contains("out of range"), "{reason}");
        }
        other => panic!("expected BadImportRow, got {other:?}"),
    }
    std::fs::write(&csv, "id,name,kind\nA,A,market\n").unwrap();
    assert!(matches!(
        store.import_sites_csv(&csv),
        Err(CoreError::BadImportRow { .. })
    ));
    assert_eq!(store.list_sites().unwrap().len(), 2);
}
