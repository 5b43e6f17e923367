//! What every `RecordStore` must do, written once and run by each store's tests
//! (`sqlite.rs` on a file, `postgres/tests.rs` on a real server), so the two
//! implementations cannot drift apart where it matters.

use std::sync::Arc;

use gridwalk_model::org::{OrgUnit, Site};
use gridwalk_model::protocol::RecordKind;

use super::{BatchStep, NewRecord, PutOutcome, RecordStore, Upload, UploadCap};

/// A pushed inspection record with the given content hash, draft flag and photo links.
fn inspection(id: &str, hash: &str, draft: bool, blobs: &[(&str, bool)]) -> NewRecord {
    NewRecord {
        id: id.into(),
        kind: RecordKind::Inspection,
        body: format!("{{\"hash\":\"{hash}\"}}"),
        body_hash: hash.into(),
        unit: "g1".into(),
        department: None,
        case_id: None,
        author_person: "p1".into(),
        author_device: "d1".into(),
        draft,
        personal: false,
        blobs: blobs.iter().map(|(s, p)| ((*s).into(), *p)).collect(),
        proof: None,
    }
}

/// Every answer `put_record` gives, and what each leaves stored: a new record and its
/// photo links; the same again (duplicate, nothing written); a draft's final version
/// (stored anew under a later number, the draft's links replaced, a photo named twice
/// one link, personal if either naming is); the draft sent after its final (stale);
/// other content under a stored id (conflict); and an id twice in one batch.
pub(crate) fn put_record_answers(store: &dyn RecordStore) {
    let stored = |outcome: PutOutcome| match outcome {
        PutOutcome::Stored(seq) => seq,
        other => panic!("not stored: {other:?}"),
    };
    let draft = inspection("plan-1", "h-draft", true, &[("sha-draft", false)]);
    let first = stored(store.put_record(&draft, None).expect("draft"));
    assert_eq!(
        store.put_record(&draft, None).expect("draft again"),
        PutOutcome::Duplicate(first)
    );

    let done = inspection(
        "plan-1",
        "h-final",
        false,
        &[("sha-final", false), ("sha-final", true)],
    );
    let second = stored(store.put_record(&done, None).expect("final"));
    assert!(second > first, "a final version keeps the draft's number");
    assert!(
        store
            .records_with_blob("sha-draft")
            .expect("links")
            .is_empty()
    );
    let links = store.records_with_blob("sha-final").expect("links");
    assert_eq!(links.len(), 1);
    assert!(links[0].personal);
    assert_eq!(links[0].record.seq, second);

    let late_draft = inspection("plan-1", "h-draft-2", true, &[]);
    assert_eq!(
        store.put_record(&late_draft, None).expect("late draft"),
        PutOutcome::Stale(second)
    );
    let other = inspection("plan-1", "h-other", false, &[("sha-other", false)]);
    assert_eq!(
        store.put_record(&other, None).expect("other content"),
        PutOutcome::Conflict
    );
    assert!(
        store
            .records_with_blob("sha-other")
            .expect("links")
            .is_empty()
    );

    let twice = inspection("twice", "h-twice", false, &[("sha-twice", false)]);
    let mut outcomes = Vec::new();
    store
        .in_batch(&[], &mut |view| {
            if outcomes.len() == 2 {
                return BatchStep::Done;
            }
            outcomes.push(view.put_record(&twice, None).expect("in a batch"));
            BatchStep::More
        })
        .expect("batch");
    assert!(matches!(outcomes[0], PutOutcome::Stored(_)), "{outcomes:?}");
    assert!(
        matches!(outcomes[1], PutOutcome::Duplicate(_)),
        "{outcomes:?}"
    );
    assert_eq!(
        store.records_with_blob("sha-twice").expect("links").len(),
        1
    );
}

/// `a` starts a register (the org-unit tree and the sites it has found) once and hands
/// it out until the units or sites change, and a change made through `b` (the admin
/// command's process, another replica) is in `a`'s next register, also inside a batch.
pub(crate) fn units_and_sites_changed_elsewhere_are_seen(a: &dyn RecordStore, b: &dyn RecordStore) {
    let unit = |id: &str, level: &str, parent: Option<&str>| OrgUnit {
        id: id.into(),
        name: format!("{id} 单元"),
        level: level.into(),
        parent: parent.map(Into::into),
    };
    let site = |id: &str, unit: &str| Site {
        id: id.into(),
        name: format!("{id} 小区"),
        kind: "residential".into(),
        unit: unit.into(),
        address: "巷 1 号".into(),
        lat: None,
        lon: None,
    };
    a.upsert_units(&[
        unit("d", "district", None),
        unit("s1", "street", Some("d")),
        unit("s2", "street", Some("d")),
        unit("c1", "community", Some("s1")),
    ])
    .expect("units");
    a.upsert_sites(&[site("v1", "c1")]).expect("sites");
    let first = a.register().expect("register");
    assert!(first.tree.is_within("c1", "s1"));
    assert_eq!(
        first.site(a, "v1").expect("site").map(|s| s.unit),
        Some("c1".into())
    );
    assert_eq!(first.site(a, "nowhere").expect("unknown site"), None);
    let again = a.register().expect("register again");
    assert!(
        Arc::ptr_eq(&first, &again),
        "started again with nothing changed"
    );

    // Another process moves a community to the other street and adds one.
    b.upsert_units(&[
        unit("c1", "community", Some("s2")),
        unit("c2", "community", Some("s1")),
    ])
    .expect("move");
    let moved = a.register().expect("register after the move");
    assert!(!Arc::ptr_eq(&first, &moved), "a stale tree after a change");
    assert!(moved.tree.is_within("c1", "s2") && !moved.tree.is_within("c1", "s1"));
    assert!(moved.tree.is_within("c2", "d"));
    assert_eq!(
        moved.site(a, "v1").expect("site").map(|s| s.unit),
        Some("c1".into())
    );

    // ... and then moves the site to the new community, and adds one.
    b.upsert_sites(&[site("v1", "c2"), site("v2", "c1")])
        .expect("move the site");
    let resited = a.register().expect("register after the site moved");
    assert!(
        !Arc::ptr_eq(&moved, &resited),
        "a stale site after a change"
    );
    assert_eq!(
        resited.site(a, "v1").expect("site").map(|s| s.unit),
        Some("c2".into())
    );
    assert_eq!(
        resited.site(a, "v2").expect("new site").map(|s| s.unit),
        Some("c1".into())
    );

    // A batch's view shares the store's register.
    let mut in_batch = None;
    a.in_batch(&[], &mut |view| {
        if in_batch.is_some() {
            return BatchStep::Done;
        }
        in_batch = Some(view.register().expect("register in a batch"));
        BatchStep::More
    })
    .expect("batch");
    let in_batch = in_batch.expect("the batch ran");
    assert!(
        Arc::ptr_eq(&resited, &in_batch),
        "a batch started the register again"
    );
}

/// The questions a pull page asks of all its photos at once answer, blob by blob, what
/// the one-photo questions answer: the records naming each (in sequence order) and the
/// people who finished an upload of it; a blob nobody named or uploaded has neither.
pub(crate) fn photo_questions_for_many_blobs_answer_each(store: &dyn RecordStore) {
    for (id, blobs) in [
        ("with-two", vec![("sha-a", false), ("sha-b", true)]),
        ("with-a", vec![("sha-a", true)]),
        ("with-c", vec![("sha-c", false)]),
    ] {
        let hash = format!("h-{id}");
        store
            .put_record(&inspection(id, &hash, false, &blobs), None)
            .expect("put");
    }
    for (n, (sha, person)) in [("sha-a", "p2"), ("sha-a", "p1"), ("sha-b", "p3")]
        .into_iter()
        .enumerate()
    {
        let upload = Upload {
            id: format!("up-{n}"),
            sha256: sha.into(),
            length: 10,
            device: "d1".into(),
            person: person.into(),
            done: false,
            thumbnail_of: None,
            created_at: chrono::Utc::now(),
        };
        store
            .create_upload(&upload, &UploadCap::UNLIMITED)
            .expect("upload");
        store.finish_upload(&upload.id).expect("finish");
    }
    let asked = ["sha-a", "sha-b", "sha-nobody"];
    let links = store.records_with_blobs(&asked).expect("links");
    for sha in asked {
        let many: Vec<(String, bool)> = links
            .iter()
            .filter(|(s, _)| s == sha)
            .map(|(_, l)| (l.record.id.clone(), l.personal))
            .collect();
        let one: Vec<(String, bool)> = store
            .records_with_blob(sha)
            .expect("one")
            .into_iter()
            .map(|l| (l.record.id, l.personal))
            .collect();
        assert_eq!(many, one, "{sha}");
    }
    let a: Vec<&str> = links
        .iter()
        .filter(|(s, _)| s == "sha-a")
        .map(|(_, l)| l.record.id.as_str())
        .collect();
    assert_eq!(a, ["with-two", "with-a"]);
    assert!(links.iter().all(|(s, _)| s != "sha-c"));

    let uploaders = store.uploaders_of_blobs(&asked).expect("uploaders");
    assert_eq!(
        uploaders,
        [
            ("sha-a".to_owned(), "p1".to_owned()),
            ("sha-a".to_owned(), "p2".to_owned()),
            ("sha-b".to_owned(), "p3".to_owned()),
        ]
    );
    assert_eq!(store.blob_uploaders("sha-a").expect("one"), ["p1", "p2"]);
    assert!(store.records_with_blobs(&[]).expect("none").is_empty());
    assert!(store.uploaders_of_blobs(&[]).expect("none").is_empty());
}
