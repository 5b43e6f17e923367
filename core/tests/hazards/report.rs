//! The campaign report checked against a hand-computed fixture
//! (`fixtures/report.csv`). Eleven cases over a two-street district, with the default
//! deadlines (critical 1 day, high 7, medium 14, low 30), reported as of day 20:
//!
//! | case | category, severity | unit | history (day) | as of day 20 |
//! |---|---|---|---|---|
//! | K1 | fire, high | g1 | reported 0; community fixes 2; verified 3; closed 4 | solved community, 3 days, closed |
//! | K2 | fire, critical | g2 | reported 1; called in 1.5; fire-rescue 2, accepts 2; fixed 5; verified 6 | solved street, 5 days |
//! | K3 | food, medium | g1 | reported 5; street 6; district 7; market-regulation 7, 8; fixed 10; verified 12 | solved district, 7 days |
//! | K4 | food, low | g2 | reported 10 | open, due 40 |
//! | K5 | traffic, high | c1 | reported 2; street 3; transport 3, accepts 4 | open, due 9: overdue |
//! | K6 | disputes, medium | g1 | reported 3; community fixes 4; verification fails 5 | open, due 17: overdue, not rectified |
//! | K7 | environment, medium | g2 | reported 8; community fixes 9 | open, rectified, due 22 |
//! | K8 | fire, low | g1 | reported 25 | after the report time: not counted |
//! | K9 | — | — | only a comment (day 4) has arrived | awaiting its report |
//! | K10 | fire, medium | g1 | reported 1; supervisor closes as duplicate 2 | closed, not solved |
//! | K11 | public-order, high | g2 | reported 0; community fixes 1; verified 2; reopened 4 | open, due 7: overdue |
//!
//! Units: d1 ← s1 ← c1 ← g1 and d1 ← s2 ← c2 ← g2. Median days to fix: fire (3, 5) → 4;
//! food 7; g1 and c1 (3, 7) → 5; g2 5; all (3, 5, 7) → 5.

use gridwalk_core::Store;
use gridwalk_core::checklist::Severity;
use gridwalk_core::hazard::{Actor, Event, Level, Payload, ReportSource};
use gridwalk_core::profile::Role;

use crate::support::*;

const DAY: i64 = 24 * 60 * 60 * 1000;
/// 2026-04-01T00:00:00Z, early in the campaign.
const T0: i64 = 1_775_001_600_000;

struct Builder {
    next_id: u128,
    events: Vec<Event>,
}

impl Builder {
    /// Appends an event to `case` at `day`, after the case's previous event.
    fn at(&mut self, case: &str, day: f64, who: &Actor, payload: Payload) {
        self.next_id += 1;
        let last = self
            .events
            .iter()
            .rev()
            .find(|e| e.case_id == case)
            .cloned();
        let parents: Vec<&Event> = last.iter().collect();
        let ms = T0 + (day * DAY as f64) as i64;
        let e = event(self.next_id, case, who, ms, &parents, payload);
        self.events.push(e);
    }
}

fn hazard(category: &str, severity: Severity, unit: &str, public: bool) -> Payload {
    let source = if public {
        ReportSource::Hotline
    } else {
        ReportSource::Inspection {
            inspection_id: format!("insp-{category}-{unit}"),
            item: format!("{category}-01"),
        }
    };
    Payload::Reported(report(source, category, severity, unit))
}

fn fixture_events() -> Vec<Event> {
    let grid = actor("Wang Fang", Role::GridWorker, None);
    let staff = actor("Zhao Min", Role::CommunityStaff, None);
    let street = actor("Chen Jie", Role::StreetOfficer, None);
    let fire = actor("Liu Yang", Role::DepartmentOfficer, Some("fire-rescue"));
    let market = actor(
        "Xu Jing",
        Role::DepartmentOfficer,
        Some("market-regulation"),
    );
    let transport = actor("He Tao", Role::DepartmentOfficer, Some("transport"));
    let supervisor = actor("Huang Bo", Role::Supervisor, None);
    let fixed = || Payload::Rectified {
        photos: vec![photo(9).sha256],
        note: "fixed".into(),
    };
    let verified = |passed| Payload::Verified {
        passed,
        inspection_id: None,
        note: String::new(),
    };
    let up = |level| Payload::CalledIn {
        level,
        note: String::new(),
    };
    let assign = |d: &str| Payload::Assigned {
        department: d.into(),
        note: String::new(),
    };
    let accept = || Payload::Accepted {
        note: String::new(),
    };

    let mut b = Builder {
        next_id: 0,
        events: Vec::new(),
    };
    b.at(
        "K1",
        0.0,
        &grid,
        hazard("fire", Severity::High, "g1", false),
    );
    b.at("K1", 2.0, &staff, fixed());
    b.at("K1", 3.0, &grid, verified(true));
    b.at(
        "K1",
        4.0,
        &staff,
        Payload::Closed {
            note: String::new(),
        },
    );

    b.at(
        "K2",
        1.0,
        &grid,
        hazard("fire", Severity::Critical, "g2", false),
    );
    b.at("K2", 1.5, &staff, up(Level::Street));
    b.at("K2", 2.0, &street, assign("fire-rescue"));
    b.at("K2", 2.1, &fire, accept());
    b.at("K2", 5.0, &fire, fixed());
    b.at("K2", 6.0, &staff, verified(true));

    b.at(
        "K3",
        5.0,
        &grid,
        hazard("food", Severity::Medium, "g1", false),
    );
    b.at("K3", 6.0, &staff, up(Level::Street));
    b.at("K3", 7.0, &street, up(Level::District));
    b.at("K3", 7.1, &street, assign("market-regulation"));
    b.at("K3", 8.0, &market, accept());
    b.at("K3", 10.0, &market, fixed());
    b.at("K3", 12.0, &supervisor, verified(true));

    b.at(
        "K4",
        10.0,
        &staff,
        hazard("food", Severity::Low, "g2", true),
    );

    b.at(
        "K5",
        2.0,
        &staff,
        hazard("traffic", Severity::High, "c1", true),
    );
    b.at("K5", 3.0, &staff, up(Level::Street));
    b.at("K5", 3.1, &street, assign("transport"));
    b.at("K5", 4.0, &transport, accept());

    b.at(
        "K6",
        3.0,
        &grid,
        hazard("disputes", Severity::Medium, "g1", false),
    );
    b.at("K6", 4.0, &staff, fixed());
    b.at("K6", 5.0, &supervisor, verified(false));

    b.at(
        "K7",
        8.0,
        &grid,
        hazard("environment", Severity::Medium, "g2", false),
    );
    b.at("K7", 9.0, &staff, fixed());

    b.at(
        "K8",
        25.0,
        &grid,
        hazard("fire", Severity::Low, "g1", false),
    );

    b.at(
        "K9",
        4.0,
        &staff,
        Payload::Comment {
            text: "resident called".into(),
        },
    );

    b.at(
        "K10",
        1.0,
        &grid,
        hazard("fire", Severity::Medium, "g1", false),
    );
    b.at(
        "K10",
        2.0,
        &supervisor,
        Payload::Closed {
            note: "duplicate of K1".into(),
        },
    );

    b.at(
        "K11",
        0.0,
        &staff,
        hazard("public-order", Severity::High, "g2", true),
    );
    b.at("K11", 1.0, &staff, fixed());
    b.at("K11", 2.0, &grid, verified(true));
    b.at(
        "K11",
        4.0,
        &supervisor,
        Payload::Reopened {
            reason: "gate broken again".into(),
        },
    );
    b.events
}

fn store_with_fixture(dir: &std::path::Path) -> Store {
    let mut store = Store::open(dir.join("district.db")).unwrap();
    let units = dir.join("units.csv");
    std::fs::write(
        &units,
        "id,name,level,parent\n\
         d1,Wuhou District,district,\n\
         s1,Jiangxi Street,street,d1\n\
         s2,Tongzilin Street,street,d1\n\
         c1,Yulin Community,community,s1\n\
         c2,Tongzilin Community,community,s2\n\
         g1,Yulin Grid 1,grid,c1\n\
         g2,Tongzilin Grid 1,grid,c2\n",
    )
    .unwrap();
    store.import_units_csv(&units).unwrap();
    let mut events = fixture_events();
    // Arrival order must not matter.
    events.reverse();
    store.apply_remote_events(&events).unwrap();
    store
}

#[test]
fn the_campaign_report_matches_the_hand_computed_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_fixture(dir.path());
    // Every fixture event is one the rules accept: nothing ignored, nothing contested.
    for state in store.case_states().unwrap() {
        let expected_ignored = usize::from(state.case_id == "K9");
        assert_eq!(
            state.ignored.len(),
            expected_ignored,
            "{}: {:?}",
            state.case_id,
            state.ignored
        );
        assert!(!state.contested);
    }
    let report = store.campaign_report(T0 + 20 * DAY).unwrap();
    assert_eq!(
        report.to_csv().unwrap(),
        include_str!("fixtures/report.csv")
    );
    assert_eq!(report.awaiting_report, 1);

    let json: serde_json::Value = serde_json::from_str(&report.to_json().unwrap()).unwrap();
    assert_eq!(json["total"]["found"], 9);
    assert_eq!(json["total"]["median_days_to_fix"], 5.0);
    assert_eq!(json["by_category"].as_array().unwrap().len(), 9);
    assert_eq!(json["by_unit"][0]["key"], "d1");
}

#[test]
fn a_later_report_time_counts_later_events_and_deadlines() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_fixture(dir.path());
    let report = store.campaign_report(T0 + 41 * DAY).unwrap();
    // K8 (day 25, low: due day 55) now counts; K4 (low, due day 40) and K7 (due 22) are
    // overdue too.
    assert_eq!(report.total.found, 10);
    assert_eq!(report.total.open, 6);
    assert_eq!(report.total.overdue, 5);
}
