//! A redacted event keeps its shape, says what was withheld, and folds exactly as the
//! full event; events written before the marker existed still parse.
#![allow(clippy::unwrap_used)]

use gridwalk_model::hazard::{Actor, Event, Hlc, Payload, Status, Withheld, check_event, fold};
use gridwalk_model::profile::Role;

fn event(n: u128, ms: i64, role: Role, parents: &[&Event], payload: Payload) -> Event {
    Event {
        id: uuid::Uuid::from_u128(n).to_string(),
        case_id: "case-1".into(),
        actor: Actor {
            name: format!("{role}"),
            role,
            unit: "c-xinhua".into(),
            department: None,
        },
        device: "device-1".into(),
        hlc: Hlc { ms, counter: 0 },
        wall_ms: ms,
        parents: parents.iter().map(|p| p.id.clone()).collect(),
        withheld: None,
        payload,
    }
}

fn case() -> Vec<Event> {
    let report = event(
        1,
        1_000,
        Role::CommunityStaff,
        &[],
        serde_json::from_value(serde_json::json!({
            "kind": "reported", "source": {"type": "resident"}, "category": "key-groups",
            "item": null, "severity": "high", "unit": "g-xinhua-1", "site_id": null,
            "description": "Mr Liu", "photos": [], "suggested_department": null
        }))
        .unwrap(),
    );
    let rectified = event(
        2,
        2_000,
        Role::CommunityStaff,
        &[&report],
        Payload::Rectified {
            photos: vec!["a".repeat(64), "b".repeat(64)],
            note: "fixed with Mr Liu".into(),
        },
    );
    let comment = event(
        3,
        3_000,
        Role::CommunityStaff,
        &[&rectified],
        Payload::Comment {
            text: "Mr Liu thanked us".into(),
        },
    );
    vec![report, rectified, comment]
}

#[test]
fn a_redacted_event_says_what_was_withheld_and_redacting_again_changes_nothing() {
    let events = case();
    let redacted = events[1].redacted();
    assert_eq!(
        redacted.payload,
        Payload::Rectified {
            photos: vec![],
            note: String::new()
        }
    );
    assert_eq!(
        redacted.withheld,
        Some(Withheld {
            text: true,
            photos: 2
        })
    );
    assert_eq!(redacted.redacted(), redacted);
    let json = serde_json::to_value(&redacted).unwrap();
    assert_eq!(
        json["withheld"],
        serde_json::json!({"text": true, "photos": 2})
    );
}

#[test]
fn a_full_event_is_written_as_before_and_old_events_parse() {
    let events = case();
    let json = serde_json::to_value(&events[2]).unwrap();
    assert!(json.get("withheld").is_none(), "{json}");
    let back: Event = serde_json::from_value(json).unwrap();
    assert_eq!(back, events[2]);
}

#[test]
fn a_redacted_case_folds_to_the_full_cases_state() {
    let events = case();
    let redacted: Vec<Event> = events.iter().map(Event::redacted).collect();
    let (full, seen) = (fold("case-1", &events), fold("case-1", &redacted));
    assert_eq!(full.status, Status::Rectified);
    assert_eq!(seen.status, full.status);
    assert_eq!(seen.solved, full.solved);
    assert_eq!(seen.history, full.history);
    assert!(seen.ignored.is_empty(), "{:?}", seen.ignored);
    // A blank event that does not say it was redacted is still refused.
    let state = fold("case-1", &events[..1]);
    let mut blank = redacted[1].clone();
    blank.withheld = None;
    assert_eq!(
        check_event(&state, &blank).unwrap_err().rule,
        gridwalk_model::hazard::Rule::RectifyNeedsPhoto
    );
    assert!(check_event(&state, &redacted[1]).is_ok());
}
