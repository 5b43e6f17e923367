//! The workflow on one device and between two: cases opened by submit and by hotline,
//! rules refusing with their name, the full path to a verified fix, idempotent merging,
//! and clock skew flagged without reordering.

use gridwalk_core::checklist::Severity;
use gridwalk_core::hazard::{
    CaseFilter, ConflictKind, Level, Payload, ReportSource, Rule, SkewKind, Status,
};
use gridwalk_core::inspection::{InspectionKind, NewInspection, Outcome};
use gridwalk_core::profile::Role;
use gridwalk_core::reference::Site;
use gridwalk_core::{CoreError, Store};

use crate::support::*;

fn refused_rule(result: gridwalk_core::Result<gridwalk_core::hazard::Event>) -> Rule {
    match result {
        Err(CoreError::EventRefused(refusal)) => refusal.rule,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn submitting_an_inspection_opens_one_case_per_hazard_answer() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = device(
        dir.path(),
        "g.db",
        &profile("Wang Fang", Role::GridWorker, None),
    );
    store
        .upsert_sites(&[Site {
            id: "S1".into(),
            name: "No. 3 compound".into(),
            kind: "residential".into(),
            unit: "g1".into(),
            address: String::new(),
            lat: None,
            lon: None,
        }])
        .unwrap();
    let id = store
        .start_inspection(&NewInspection {
            site_id: "S1".into(),
            template_id: None,
            template_version: None,
            kind: InspectionKind::Routine,
            inspector: "Wang Fang".into(),
        })
        .unwrap();
    let items: Vec<String> = store
        .checklist(&id)
        .unwrap()
        .categories
        .iter()
        .flat_map(|c| c.entries.iter().map(|e| e.item.code.clone()))
        .collect();
    for item in &items {
        store.answer(&id, item, Outcome::Ok, None).unwrap();
    }
    store
        .answer(
            &id,
            "fire-02",
            Outcome::Hazard,
            Some("charging in the stairwell"),
        )
        .unwrap();
    store
        .answer(&id, "public-order-01", Outcome::Hazard, None)
        .unwrap();
    store.register_photo(&photo(0xab)).unwrap();
    store
        .attach_photo(&id, "fire-02", &photo(0xab).sha256)
        .unwrap();
    assert!(store.list_cases(&CaseFilter::default()).unwrap().is_empty());
    store.submit(&id).unwrap();

    let cases = store.list_cases(&CaseFilter::default()).unwrap();
    assert_eq!(cases.len(), 2);
    let fire = cases
        .iter()
        .find(|c| c.item.as_deref() == Some("fire-02"))
        .unwrap();
    assert_eq!(fire.category, "fire");
    assert_eq!(fire.severity, Some(Severity::High));
    assert_eq!(fire.unit, "g1");
    assert_eq!(fire.status, Status::Reported);
    assert_eq!(fire.description, "charging in the stairwell");
    let view = store.hazard_case(&fire.case_id).unwrap();
    let opened = &view.events[0];
    assert_eq!(opened.actor.name, "Wang Fang");
    assert_eq!(opened.actor.role, Role::GridWorker);
    assert_eq!(opened.payload.photos(), [photo(0xab).sha256]);
    assert!(matches!(
        &view.state.report.as_ref().unwrap().source,
        ReportSource::Inspection { inspection_id, item } if inspection_id == &id && item == "fire-02"
    ));
    assert!(view.deadline.is_some_and(|d| !d.overdue));
    let queued: Vec<String> = store
        .pending_outbox(10)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "hazard-event")
        .map(|e| e.record_id)
        .collect();
    assert_eq!(queued.len(), 2);
    assert_eq!(store.hazard_events(&queued).unwrap().len(), 2);
}

#[test]
fn a_refused_event_names_its_rule_and_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut staff = device(
        dir.path(),
        "c.db",
        &profile("Zhao Min", Role::CommunityStaff, None),
    );
    let opened = staff
        .open_case(report(ReportSource::Hotline, "fire", Severity::High, "g1"))
        .unwrap();
    let case = opened.case_id.clone();
    let outbox_before = staff.pending_outbox(100).unwrap().len();

    let grid = actor("Wang Fang", Role::GridWorker, None);
    let close = Payload::Closed {
        note: "done".into(),
    };
    assert_eq!(
        refused_rule(staff.act_as(&grid, &case, close)),
        Rule::CloseByOffice
    );
    let assign = Payload::Assigned {
        department: "fire-rescue".into(),
        note: String::new(),
    };
    let street = actor("Chen Jie", Role::StreetOfficer, None);
    assert_eq!(
        refused_rule(staff.act_as(&street, &case, assign)),
        Rule::AssignAfterCallIn
    );
    let level = Payload::CalledIn {
        level: Level::District,
        note: String::new(),
    };
    assert_eq!(refused_rule(staff.act(&case, level)), Rule::CallInByOffice);
    let early = Payload::Verified {
        passed: true,
        inspection_id: None,
        note: String::new(),
    };
    assert_eq!(
        refused_rule(staff.act(&case, early)),
        Rule::VerifyAfterRectify
    );
    let grid_hotline = report(ReportSource::Hotline, "fire", Severity::Low, "g1");
    let refusal = staff.act_as(&grid, "another-case", Payload::Reported(grid_hotline));
    assert_eq!(refused_rule(refusal), Rule::PublicReportsByCommunityStaff);
    let err = staff
        .act(
            &case,
            Payload::Closed {
                note: String::new(),
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("close-after-verify"), "{err}");

    assert_eq!(staff.case_events(&case).unwrap().len(), 1);
    assert_eq!(staff.pending_outbox(100).unwrap().len(), outbox_before);
}

#[test]
fn a_case_goes_from_hotline_to_verified_fix_at_street_level() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = device(
        dir.path(),
        "c.db",
        &profile("Zhao Min", Role::CommunityStaff, None),
    );
    let mut s = device(
        dir.path(),
        "s.db",
        &profile("Chen Jie", Role::StreetOfficer, None),
    );
    let mut d = device(
        dir.path(),
        "d.db",
        &profile("Liu Yang", Role::DepartmentOfficer, None),
    );
    let case = c
        .open_case(report(
            ReportSource::Resident,
            "fire",
            Severity::Critical,
            "g1",
        ))
        .unwrap()
        .case_id;
    c.act(
        &case,
        Payload::CalledIn {
            level: Level::Street,
            note: "needs the fire brigade".into(),
        },
    )
    .unwrap();
    sync(&c, &mut s);
    s.act(
        &case,
        Payload::Assigned {
            department: "fire-rescue".into(),
            note: String::new(),
        },
    )
    .unwrap();
    sync(&s, &mut d);
    // The wrong department cannot accept; the right one can.
    let housing = actor("Sun Li", Role::DepartmentOfficer, Some("housing"));
    let wrong = d.act_as(
        &housing,
        &case,
        Payload::Accepted {
            note: String::new(),
        },
    );
    assert_eq!(refused_rule(wrong), Rule::AcceptOwnDepartment);
    d.act(
        &case,
        Payload::Accepted {
            note: String::new(),
        },
    )
    .unwrap();
    let no_photo = d.act(
        &case,
        Payload::Rectified {
            photos: vec![],
            note: String::new(),
        },
    );
    assert_eq!(refused_rule(no_photo), Rule::RectifyNeedsPhoto);
    assert!(matches!(
        d.act(
            &case,
            Payload::Rectified {
                photos: vec![photo(1).sha256],
                note: String::new()
            }
        ),
        Err(CoreError::NotFound { kind: "photo", .. })
    ));
    d.register_photo(&photo(1)).unwrap();
    d.act(
        &case,
        Payload::Rectified {
            photos: vec![photo(1).sha256],
            note: "cleared".into(),
        },
    )
    .unwrap();
    assert_eq!(d.hazard_photos_to_upload().unwrap(), vec![photo(1).sha256]);
    // The department may not verify its own fix.
    let own = d.act(
        &case,
        Payload::Verified {
            passed: true,
            inspection_id: None,
            note: String::new(),
        },
    );
    assert_eq!(refused_rule(own), Rule::VerifyByIndependentInspector);
    sync(&d, &mut c);
    c.act(
        &case,
        Payload::Verified {
            passed: true,
            inspection_id: None,
            note: "clear".into(),
        },
    )
    .unwrap();
    c.act(
        &case,
        Payload::Closed {
            note: String::new(),
        },
    )
    .unwrap();

    let state = c.case_state(&case).unwrap();
    assert_eq!(state.status, Status::Closed);
    assert_eq!(state.solved.map(|s| s.level), Some(Level::Street));
    assert_eq!(state.department.as_deref(), Some("fire-rescue"));
    assert_eq!(state.event_count, 7);
    assert!(!state.contested && state.conflicts.is_empty() && state.ignored.is_empty());
    // Each event built on the one before: one head.
    assert_eq!(state.heads.len(), 1);
}

#[test]
fn merging_is_idempotent_and_a_malformed_batch_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = device(
        dir.path(),
        "c.db",
        &profile("Zhao Min", Role::CommunityStaff, None),
    );
    let mut other = Store::open(dir.path().join("o.db")).unwrap();
    c.open_case(report(ReportSource::Hotline, "food", Severity::Low, "g2"))
        .unwrap();
    let events = c.all_hazard_events().unwrap();
    let first = other.apply_remote_events(&events).unwrap();
    assert_eq!((first.inserted, first.duplicates), (1, 0));
    let again = other
        .apply_remote_events(&[events.clone(), events.clone()].concat())
        .unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, 2));
    // Remote events are not queued for upload again.
    assert!(other.pending_outbox(10).unwrap().is_empty());

    let mut forged = events[0].clone();
    forged.payload = Payload::Comment {
        text: "changed".into(),
    };
    let outcome = other.apply_remote_events(&[forged]).unwrap();
    assert_eq!(outcome.conflicting_ids, vec![events[0].id.clone()]);
    assert_eq!(
        other.all_hazard_events().unwrap(),
        events,
        "the first copy is kept"
    );

    let mut good = events[0].clone();
    good.id = uuid::Uuid::now_v7().to_string();
    good.case_id = "new-case".into();
    let mut bad = good.clone();
    bad.id = "not-a-uuid".into();
    assert!(matches!(
        other.apply_remote_events(&[good, bad]),
        Err(CoreError::InvalidInput(_))
    ));
    assert_eq!(other.all_hazard_events().unwrap().len(), 1);
}

#[test]
fn a_device_with_a_slow_clock_is_flagged_but_stays_after_what_it_saw() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = device(
        dir.path(),
        "c.db",
        &profile("Zhao Min", Role::CommunityStaff, None),
    );
    let now = chrono::Utc::now().timestamp_millis();
    let day = 24 * 60 * 60 * 1000;
    // Another device's report, stamped a day in the future by its fast clock.
    let staff = actor("Qian Hui", Role::CommunityStaff, None);
    let fast = event(
        1,
        "k1",
        &staff,
        now + day,
        &[],
        Payload::Reported(report(
            ReportSource::Hotline,
            "traffic",
            Severity::Medium,
            "g1",
        )),
    );
    c.apply_remote_events(std::slice::from_ref(&fast)).unwrap();
    // This device's clock is right, so compared with the HLC it now looks a day slow.
    let mine = c
        .act(
            "k1",
            Payload::Comment {
                text: "seen".into(),
            },
        )
        .unwrap();
    assert!(
        mine.hlc > fast.hlc,
        "causality kept: the comment sorts after the report"
    );
    assert_eq!(
        c.case_state("k1").unwrap().history,
        vec![fast.id.clone(), mine.id.clone()]
    );
    let skew = c.hazard_case("k1").unwrap().skew;
    let kinds: Vec<(String, SkewKind)> = skew.iter().map(|f| (f.event.clone(), f.kind)).collect();
    assert!(
        kinds.contains(&(fast.id.clone(), SkewKind::AheadOfReceiver)),
        "{skew:?}"
    );
    assert!(
        kinds.contains(&(mine.id.clone(), SkewKind::WallVersusHlc)),
        "{skew:?}"
    );
    assert_eq!(kinds.len(), 2);
}

#[test]
fn an_event_made_invalid_by_a_concurrent_one_is_kept_and_flagged() {
    // Street assigns fire-rescue and, unaware, the fire officer's accept of an earlier
    // assignment to housing arrives: the accept no longer fits and the case is contested.
    let staff = actor("Zhao Min", Role::CommunityStaff, None);
    let street = actor("Chen Jie", Role::StreetOfficer, None);
    let housing = actor("Sun Li", Role::DepartmentOfficer, Some("housing"));
    let r = event(
        1,
        "k",
        &staff,
        10,
        &[],
        Payload::Reported(report(
            ReportSource::Hotline,
            "facilities",
            Severity::High,
            "g1",
        )),
    );
    let up = event(
        2,
        "k",
        &staff,
        20,
        &[&r],
        Payload::CalledIn {
            level: Level::Street,
            note: String::new(),
        },
    );
    let a1 = event(
        3,
        "k",
        &street,
        30,
        &[&up],
        Payload::Assigned {
            department: "housing".into(),
            note: String::new(),
        },
    );
    let a2 = event(
        4,
        "k",
        &street,
        40,
        &[&a1],
        Payload::Assigned {
            department: "utilities".into(),
            note: String::new(),
        },
    );
    let acc = event(
        5,
        "k",
        &housing,
        50,
        &[&a1],
        Payload::Accepted {
            note: String::new(),
        },
    );
    let state = gridwalk_core::hazard::fold("k", &[r, up, a1, a2.clone(), acc.clone()]);
    assert_eq!(state.status, Status::Assigned);
    assert_eq!(state.department.as_deref(), Some("utilities"));
    assert_eq!(state.ignored.len(), 1);
    assert_eq!(state.ignored[0].rule, Rule::AcceptOwnDepartment);
    assert!(state.contested);
    assert_eq!(state.conflicts.len(), 1);
    assert_eq!(
        state.conflicts[0].kind,
        ConflictKind::Refused {
            rule: Rule::AcceptOwnDepartment
        }
    );
    assert_eq!(state.conflicts[0].events, vec![a2.id, acc.id]);
    assert_eq!(state.history.len(), 5);
}

#[test]
fn each_role_is_offered_exactly_the_actions_the_rules_allow() {
    use gridwalk_core::hazard::EventKind;
    let dir = tempfile::tempdir().unwrap();
    let staff = profile("Wang", Role::CommunityStaff, None);
    let mut store = device(dir.path(), "d.db", &staff);
    let case = store
        .open_case(report(ReportSource::Hotline, "fire", Severity::High, "c1"))
        .unwrap()
        .case_id;
    let offered = |store: &Store| -> Vec<(EventKind, Vec<Level>)> {
        let view = store.hazard_case(&case).unwrap();
        view.allowed_actions
            .into_iter()
            .map(|a| (a.kind, a.levels))
            .collect()
    };
    assert_eq!(
        offered(&store),
        vec![
            (EventKind::CalledIn, vec![Level::Street]),
            (EventKind::Progress, vec![]),
            (EventKind::Rectified, vec![]),
            (EventKind::Comment, vec![]),
        ]
    );
    store
        .set_profile(&profile("Li", Role::GridWorker, None))
        .unwrap();
    assert_eq!(offered(&store), vec![(EventKind::Comment, vec![])]);
    store
        .set_profile(&profile("Zhao", Role::StreetOfficer, None))
        .unwrap();
    let street = offered(&store);
    assert_eq!(
        street[0],
        (EventKind::CalledIn, vec![Level::Street, Level::District])
    );
    assert!(
        !street.iter().any(|(k, _)| *k == EventKind::Assigned),
        "not called in yet"
    );
    // Every offered action really is accepted.
    store
        .act(
            &case,
            Payload::CalledIn {
                level: Level::Street,
                note: "to street".into(),
            },
        )
        .unwrap();
    assert!(
        offered(&store)
            .iter()
            .any(|(k, _)| *k == EventKind::Assigned)
    );
}
