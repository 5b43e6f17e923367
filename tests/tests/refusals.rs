//! Refusals are visible where people look (issue 10 item 8): an event the server
//! refused is marked on the device's case with the server's reason and no longer counts
//! in the case's state there, so the device shows what the server holds.

use gridwalk_core::checklist::Severity;
use gridwalk_core::hazard::{CaseFilter, HazardReport, Payload, ReportSource, Status, fold::fold};
use gridwalk_core::inspection::InspectionKind;
use gridwalk_core::profile::{Profile, Role};
use gridwalk_e2e::*;

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");

/// A grid worker closes a case under a hand-set supervisor profile: the server refuses
/// the close; the device keeps it, marks it with the reason, and shows the case as the
/// server has it (reported), and a later step builds on that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_refused_by_the_server_is_marked_and_no_longer_counts() {
    let server = Server::start(BIN);
    let code = server.person("Li Na", "grid-worker", "g-xinhua-1", None);
    let phone = Device::new("phone");
    phone.enroll(&server.url(), &code).await;
    phone.inspect(
        "site-a",
        InspectionKind::Routine,
        &[("fire-02", vec![jpeg(1, 320, 240)])],
    );
    phone.sync_until_clean(3).await;
    let case_id = phone.store().list_cases(&CaseFilter::default()).unwrap()[0]
        .case_id
        .clone();

    let mut store = phone.store();
    let worker = store.require_profile().unwrap();
    store
        .set_profile(&Profile {
            role: Role::Supervisor,
            unit: "s-hehua".into(),
            ..worker.clone()
        })
        .unwrap();
    let close = store
        .act(
            &case_id,
            Payload::Closed {
                note: "closed on the spot".into(),
            },
        )
        .unwrap();
    assert_eq!(store.case_state(&case_id).unwrap().status, Status::Closed);
    drop(store);

    // Today's sync still succeeds; the refusal is in its report.
    let report = phone.sync().await.unwrap();
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert_eq!(report.rejected[0].id, close.id);
    assert_eq!(report.rejected[0].code, "forbidden");

    // The case on the device says so, and shows the server's state.
    let store = phone.store();
    let view = store.hazard_case(&case_id).unwrap();
    assert_eq!(
        view.state.status,
        Status::Reported,
        "the close does not count"
    );
    assert!(
        view.events.iter().any(|e| e.id == close.id),
        "kept and shown"
    );
    assert!(!view.state.history.contains(&close.id));
    assert_eq!(view.refused.len(), 1);
    let refusal = &view.refused[0];
    assert_eq!(refusal.event, close.id);
    assert_eq!(refusal.code, "forbidden");
    assert!(refusal.reason.contains("not you"), "{}", refusal.reason);
    assert_eq!(refusal.times_refused, 1);
    let listed = store.list_cases(&CaseFilter::default()).unwrap();
    assert_eq!(listed[0].refused_events, 1);
    assert_eq!(listed[0].status, Status::Reported);
    let server_events: Vec<_> = server_view(&server.url(), &phone.token())
        .await
        .into_iter()
        .filter(|(_, kind, body)| kind == "hazard-event" && body["case_id"] == case_id.as_str())
        .map(|(_, _, body)| serde_json::from_value(body).unwrap())
        .collect();
    assert_eq!(
        fold(&case_id, &server_events).status,
        view.state.status,
        "device and server agree"
    );
    drop(store);

    // Back under the person's own profile, the next step builds on the case without
    // the refused close, and the server takes it.
    let mut store = phone.store();
    store.set_profile(&worker).unwrap();
    let comment = store
        .act(
            &case_id,
            Payload::Comment {
                text: "still blocked".into(),
            },
        )
        .unwrap();
    assert!(
        !comment.parents.contains(&close.id),
        "{:?}",
        comment.parents
    );
    drop(store);
    let report = phone.sync().await.unwrap();
    assert_eq!(report.accepted, 1, "{report:?}");
    let view = phone.store().hazard_case(&case_id).unwrap();
    assert_eq!(view.refused.len(), 1, "the close stays marked");
    assert_eq!(
        view.refused[0].times_refused, 2,
        "offered again and refused"
    );
    assert!(view.state.history.contains(&comment.id));
}

/// A case opened before the device enrolled names a device the server never enrolled:
/// the server refuses its report, and the device lists the case as refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_opened_before_enrolment_is_listed_as_refused() {
    let server = Server::start(BIN);
    let code = server.person("Zhou Ping", "community-staff", "c-xinhua", None);
    let phone = Device::new("phone");
    let mut store = phone.store();
    store
        .set_profile(&Profile {
            name: "Zhou Ping".into(),
            role: Role::CommunityStaff,
            unit: "c-xinhua".into(),
            department: None,
        })
        .unwrap();
    let reported = store
        .open_case(HazardReport {
            source: ReportSource::Hotline,
            category: "fire".into(),
            item: None,
            severity: Severity::High,
            unit: "g-xinhua-1".into(),
            site_id: None,
            description: "blocked stairwell".into(),
            photos: Vec::new(),
            suggested_department: None,
        })
        .unwrap();
    drop(store);
    phone.enroll(&server.url(), &code).await;

    let report = phone.sync().await.unwrap();
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert!(
        report.rejected[0].reason.contains("never enrolled"),
        "{:?}",
        report.rejected[0]
    );
    let store = phone.store();
    let listed = store.list_cases(&CaseFilter::default()).unwrap();
    assert_eq!(listed.len(), 1, "the case stays listed");
    assert_eq!(listed[0].case_id, reported.case_id);
    assert_eq!(listed[0].refused_events, 1);
    assert_eq!(listed[0].event_count, 0, "nothing counts");
    let view = store.hazard_case(&reported.case_id).unwrap();
    assert_eq!(view.events.len(), 1, "the report is kept and shown");
    assert_eq!(view.refused[0].event, reported.id);
    assert!(view.state.report.is_none(), "the server holds no report");
    let campaign = store.campaign_report(reported.hlc.ms + 1).unwrap();
    assert_eq!(campaign.total.found, 0, "a refused case is not counted");
    assert_eq!(campaign.awaiting_report, 0);
}
