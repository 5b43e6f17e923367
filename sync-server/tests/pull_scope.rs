//! A pull narrows its page in the database (issue 14: every pull used to walk every
//! record since its cursor, server-wide, asking for each whether the caller may read
//! it). The narrowing must never change what anyone gets: over real HTTP on 127.0.0.1,
//! every role pulls, a few records a page, a server holding inspections, photos of
//! personal details, hazard cases assigned and reassigned across departments, and a
//! bulk of records of another street; each gets exactly what the authorisation rules
//! ([`gridwalk_server::scope`]) grant when asked record by record.

use crate::common;

use std::collections::BTreeSet;

use common::*;
use gridwalk_model::hazard::{Hlc, Level, Payload};
use gridwalk_model::inspection::{InspectionKind, InspectionStatus};
use gridwalk_model::photo_record::{ID_PREFIX, PhotoRecord};
use gridwalk_model::protocol::{Person, RecordKind};
use gridwalk_server::scope::{CaseScopes, UnitTree, may_read_photo, read_access};
use gridwalk_server::storage::{RecordFilter, RecordStore};
use serde_json::{Value, json};

fn accepted(results: &[Value]) -> bool {
    results.iter().all(|r| r["status"] == "accepted")
}

/// The photo record a device sends after the record attaching `sha`.
fn photo_record(sha: &str) -> Value {
    let record = PhotoRecord {
        id: PhotoRecord::id_for(sha),
        sha256: sha.to_string(),
        original_sha256: sha256(format!("original of {sha}").as_bytes()),
        taken_at: None,
        lat_e7: None,
        lon_e7: None,
        ingested_ms: 1_700_000_000_000,
        hlc: Hlc {
            ms: 1_700_000_000_000,
            counter: 0,
        },
    };
    json!({ "id": record.id, "kind": "photo", "body": record })
}

fn person(device: &Device) -> Person {
    Person {
        id: device.person.clone(),
        name: device.name.clone(),
        role: device.role.parse().unwrap(),
        unit: device.unit.clone(),
        department: device.department.clone(),
    }
}

/// What the rules grant `device`, asked record by record over everything stored (what
/// a pull did before it was narrowed), without its own device's records when
/// `skip_own`.
fn granted(store: &dyn RecordStore, device: &Device, skip_own: bool) -> BTreeSet<String> {
    let caller = person(device);
    let tree = UnitTree::new(&store.units().unwrap());
    let everything = store
        .records_after(0, i64::MAX, &RecordFilter::everything(), 100_000)
        .unwrap();
    let mut ids = BTreeSet::new();
    for record in everything {
        if skip_own && record.author_device == device.device_id {
            continue;
        }
        let readable = if record.is(RecordKind::Photo) {
            let sha = record.id.strip_prefix(ID_PREFIX).unwrap();
            may_read_photo(&caller, sha, store, &tree, &mut CaseScopes::default()).unwrap()
        } else {
            let case = record
                .case_id
                .as_ref()
                .and_then(|id| store.case_scope(id).unwrap());
            read_access(&caller, &record, case.as_ref(), &tree).is_some()
        };
        if readable {
            ids.insert(record.id);
        }
    }
    ids
}

/// Everything `device` pulls, three records a page, each id once in a page. (Across
/// pages a department officer may get a case's earlier events twice: once in order,
/// once brought along with the assignment, as before the narrowing; devices store
/// pulled records by id.)
async fn pulled(server: &TestServer, device: &Device, skip_own: bool) -> BTreeSet<String> {
    let mut cursor = String::new();
    let mut ids = BTreeSet::new();
    for _ in 0..200 {
        let page: Value = server
            .client
            .get(server.url("/v1/pull"))
            .query(&[
                ("cursor", cursor.as_str()),
                ("limit", "3"),
                ("skip_own", if skip_own { "true" } else { "false" }),
            ])
            .bearer_auth(&device.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut in_page = BTreeSet::new();
        for item in page["items"].as_array().unwrap() {
            let id = item["id"].as_str().unwrap().to_string();
            assert!(in_page.insert(id.clone()), "{} got {id} twice", device.name);
            if device.role != "department-officer" {
                assert!(!ids.contains(&id), "{} pulled {id} twice", device.name);
            }
        }
        ids.extend(in_page);
        cursor = page["next_cursor"].as_str().unwrap().to_string();
        if !page["has_more"].as_bool().unwrap() {
            return ids;
        }
    }
    panic!("{}'s pull did not finish in 200 pages", device.name);
}

/// An inspection at `site` by `device` showing `photo` (uploaded first), and the photo
/// record after it.
async fn inspection_with_photo(server: &TestServer, device: &Device, site: &str, photo: &[u8]) {
    upload(server, device, photo).await;
    let sha = sha256(photo);
    let record = item(&inspection(
        &new_id(),
        site,
        InspectionKind::Routine,
        InspectionStatus::Submitted,
        Some(&sha),
        None,
    ));
    assert!(accepted(
        &server.push(device, &[record, photo_record(&sha)]).await
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_narrowed_pull_gives_every_role_exactly_what_the_rules_grant() {
    let server = TestServer::start().await;
    let worker_a = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let worker_b = server
        .device("Zhao Lei", "grid-worker", "g-xinhua-2", None)
        .await;
    let worker_c = server
        .device("Zhou Bo", "grid-worker", "g-dongguang-1", None)
        .await;
    let community = server
        .device("Wang Fang", "community-staff", "c-xinhua", None)
        .await;
    let street = server
        .device("Chen Gang", "street-officer", "s-hehua", None)
        .await;
    let other_street = server
        .device("Liu Yang", "street-officer", "s-niushi", None)
        .await;
    let fire = server
        .device(
            "Captain Wu",
            "department-officer",
            "jinjiang",
            Some("fire-rescue"),
        )
        .await;
    let police = server
        .device(
            "Officer Zhou",
            "department-officer",
            "jinjiang",
            Some("police"),
        )
        .await;
    let supervisor = server
        .device("Inspector Ma", "supervisor", "jinjiang", None)
        .await;
    let admin = server.device("Admin", "admin", "jinjiang", None).await;

    // Inspections in every grid, one with a photo and its photo record, one holding
    // personal details; a bulk in another street that most callers never read.
    for (device, site) in [(&worker_a, "site-a"), (&worker_b, "site-b")] {
        assert!(accepted(&server.push(device, &[routine(site)]).await));
    }
    let bulk: Vec<Value> = (0..40).map(|_| routine("site-c")).collect();
    assert!(accepted(&server.push(&worker_c, &bulk).await));
    inspection_with_photo(&server, &worker_a, "site-a", b"\xff\xd8\xff\xe0 stairwell").await;
    inspection_with_photo(
        &server,
        &worker_c,
        "site-c",
        b"\xff\xd8\xff\xe0 school gate",
    )
    .await;
    let personal = inspection(
        &new_id(),
        "site-b",
        InspectionKind::Routine,
        InspectionStatus::Submitted,
        None,
        Some("Ms Li"),
    );
    assert!(accepted(&server.push(&worker_b, &[item(&personal)]).await));

    // Hazard cases: one with a photo assigned to the fire brigade, one assigned to the
    // police and then handed to the fire brigade, one in the other street for the
    // police.
    let evidence = b"\xff\xd8\xff\xe0 exit blocked by bikes".to_vec();
    let evidence_sha = sha256(&evidence);
    upload(&server, &worker_a, &evidence).await;
    let mut cases = Vec::new();
    for (reporter, officer, site, unit, departments, photos) in [
        (
            &worker_a,
            &street,
            "site-a",
            "g-xinhua-1",
            vec!["fire-rescue"],
            vec![evidence_sha.clone()],
        ),
        (
            &worker_b,
            &street,
            "site-b",
            "g-xinhua-2",
            vec!["police", "fire-rescue"],
            vec![],
        ),
        (
            &worker_c,
            &other_street,
            "site-c",
            "g-dongguang-1",
            vec!["police"],
            vec![],
        ),
    ] {
        let case = new_id();
        let with_photo = !photos.is_empty();
        let report = hazard_event(
            &case,
            reporter,
            1_000,
            &[],
            reported("fire", "fire-03", site, unit, "exit blocked", photos),
        );
        let mut items = vec![report.clone()];
        if with_photo {
            items.push(photo_record(&evidence_sha));
        }
        assert!(accepted(&server.push(reporter, &items).await));
        let called = hazard_event(
            &case,
            officer,
            2_000,
            &[&report],
            Payload::CalledIn {
                level: Level::Street,
                note: "needs a department".into(),
            },
        );
        let mut last = called.clone();
        let mut events = vec![called];
        for (k, department) in departments.iter().enumerate() {
            let assigned = hazard_event(
                &case,
                officer,
                3_000 + k as i64 * 1_000,
                &[&last],
                Payload::Assigned {
                    department: department.to_string(),
                    note: "yours".into(),
                },
            );
            events.push(assigned.clone());
            last = assigned;
        }
        assert!(accepted(&server.push(officer, &events).await));
        cases.push(case);
    }

    let store = server.reopen_store();
    let everyone = [
        &worker_a,
        &worker_b,
        &worker_c,
        &community,
        &street,
        &other_street,
        &fire,
        &police,
        &supervisor,
        &admin,
    ];
    for device in everyone {
        let expected = granted(store.as_ref(), device, false);
        assert_eq!(
            pulled(&server, device, false).await,
            expected,
            "{} ({})",
            device.name,
            device.role
        );
    }
    // What the rules grant is not trivially everything or nothing.
    assert_eq!(granted(store.as_ref(), &admin, false).len(), 58);
    assert_eq!(granted(store.as_ref(), &worker_b, false).len(), 6);
    assert!(granted(store.as_ref(), &fire, false).contains(&PhotoRecord::id_for(&evidence_sha)));
    assert!(!granted(store.as_ref(), &police, false).contains(&PhotoRecord::id_for(&evidence_sha)));
    // Leaving the device's own records out leaves out exactly those.
    for device in [&worker_a, &worker_c, &street] {
        assert_eq!(
            pulled(&server, device, true).await,
            granted(store.as_ref(), device, true),
            "{} without its own",
            device.name
        );
    }
    server.stop().await;
}
