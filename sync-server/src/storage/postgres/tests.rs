//! The PostgreSQL store against a real server (`GRIDWALK_TEST_DATABASE`, which
//! `scripts/test` starts). Without the variable these tests say so and pass: the
//! embedded store's twins run everywhere, these where PostgreSQL does.

use std::sync::mpsc;
use std::time::Duration;

use super::scratch::ScratchDatabase;
use super::*;
use crate::storage::{BatchStep, EnrolAttempt, NewRecord, PutOutcome, RecordFilter, RecordStore};
use gridwalk_model::protocol::RecordKind;

/// A scratch database, or `None` (and a line saying why) without a server.
fn scratch() -> Option<ScratchDatabase> {
    let Some(server) = ScratchDatabase::server_from_env() else {
        eprintln!("skipped: {} is not set", scratch::TEST_DATABASE_VAR);
        return None;
    };
    Some(ScratchDatabase::create(&server).expect("create a test database"))
}

/// Runs `f` with a plain connection to `url`, on a runtime of its own.
fn with_client<T>(url: &str, f: impl AsyncFnOnce(&mut tokio_postgres::Client) -> T) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (mut client, connection) = tokio_postgres::connect(url, NoTls).await.expect("connect");
        tokio::spawn(connection);
        f(&mut client).await
    })
}

/// Every column, index and constraint of the public schema, in a stable order.
fn schema_of(url: &str) -> Vec<String> {
    with_client(url, async |c| {
        let mut lines = Vec::new();
        for row in c
            .query(
                "SELECT table_name, column_name, data_type, is_nullable,
                   coalesce(column_default, ''), coalesce(is_identity, '')
                 FROM information_schema.columns WHERE table_schema = 'public'
                 ORDER BY table_name, column_name",
                &[],
            )
            .await
            .expect("columns")
        {
            let parts: Vec<String> = (0..6).map(|i| row.get(i)).collect();
            lines.push(format!("column {}", parts.join(" ")));
        }
        for row in c
            .query(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
                 ORDER BY indexname",
                &[],
            )
            .await
            .expect("indexes")
        {
            lines.push(format!(
                "index {} {}",
                row.get::<_, String>(0),
                row.get::<_, String>(1)
            ));
        }
        for row in c
            .query(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                 WHERE connamespace = 'public'::regnamespace ORDER BY conname",
                &[],
            )
            .await
            .expect("constraints")
        {
            lines.push(format!(
                "constraint {} {}",
                row.get::<_, String>(0),
                row.get::<_, String>(1)
            ));
        }
        lines
    })
}

#[test]
fn upgrading_from_every_earlier_version_equals_a_fresh_database() {
    let Some(fresh) = scratch() else { return };
    drop(PgStore::open(fresh.url()).expect("open fresh"));
    let expected = schema_of(fresh.url());
    assert!(expected.iter().any(|l| l.starts_with("column records seq")));
    for start in 0..MIGRATIONS.len() {
        let Some(db) = scratch() else { return };
        with_client(db.url(), async |c| migrate(c, MIGRATIONS, start).await)
            .expect("migrate to the start");
        drop(PgStore::open(db.url()).expect("upgrade"));
        assert_eq!(schema_of(db.url()), expected, "upgrade from v{start}");
    }
}

#[test]
fn upgrading_fills_the_cases_awaiting_their_report_from_the_records() {
    use crate::storage::case_index::CaseIndex;
    let Some(db) = scratch() else { return };
    let before = MIGRATIONS
        .iter()
        .position(|m| m.contains("CREATE TABLE cases_awaiting_report"))
        .expect("the migration");
    with_client(db.url(), async |c| {
        migrate(c, MIGRATIONS, before).await?;
        // Two events of a case without its report, one of a reported case, and a
        // record of another kind naming a case id.
        c.batch_execute(
            "INSERT INTO records(id, kind, body, body_hash, unit, author_person,
               author_device, draft, personal, received_at, case_id) VALUES
               ('e1', 'hazard-event', '{}', 'h1', 'g1', 'p1', 'd1', false, false, 'then', 'waiting'),
               ('e2', 'hazard-event', '{}', 'h2', 'g1', 'p1', 'd1', false, false, 'then', 'waiting'),
               ('e3', 'hazard-event', '{}', 'h3', 'g1', 'p1', 'd1', false, false, 'then', 'reported'),
               ('i1', 'inspection', '{}', 'h4', 'g1', 'p1', 'd1', false, false, 'then', 'other');
             INSERT INTO cases(case_id, unit, personal, status, level, category)
               VALUES ('reported', 'g1', false, 'reported', 0, 'fire');",
        )
        .await
        .map_err(StoreError::from)
    })
    .expect("a store from before");
    let store = PgStore::open(db.url()).expect("upgrade");
    assert_eq!(store.cases_awaiting_report().expect("count"), 1);
    let kept: Vec<String> = with_client(db.url(), async |c| {
        c.query("SELECT case_id FROM cases_awaiting_report", &[])
            .await
            .map(|rows| rows.iter().map(|r| r.get(0)).collect())
    })
    .expect("kept");
    assert_eq!(kept, ["waiting"]);
}

#[test]
fn a_newer_database_is_refused_and_left_alone() {
    let Some(db) = scratch() else { return };
    drop(PgStore::open(db.url()).expect("open"));
    let newer = i32::try_from(MIGRATIONS.len() + 1).expect("small");
    with_client(db.url(), async |c| {
        c.execute(
            "INSERT INTO schema_migrations(version, applied_at) VALUES ($1, 'later')",
            &[&newer],
        )
        .await
    })
    .expect("mark newer");
    assert!(matches!(
        PgStore::open(db.url()),
        Err(StoreError::Schema(_))
    ));
}

fn record(id: &str, body_hash: &str) -> NewRecord {
    NewRecord {
        id: id.into(),
        kind: RecordKind::Inspection,
        body: "{}".into(),
        body_hash: body_hash.into(),
        unit: "g1".into(),
        department: None,
        case_id: None,
        author_person: "p1".into(),
        author_device: "d1".into(),
        draft: false,
        personal: false,
        blobs: vec![("aa".into(), false)],
        proof: None,
    }
}

#[test]
fn records_are_stored_once_and_read_back_in_sequence_order() {
    let Some(db) = scratch() else { return };
    let store = PgStore::open(db.url()).expect("open");
    store.check_health().expect("healthy");
    let first = store.put_record(&record("r1", "h1"), None).expect("put");
    let PutOutcome::Stored(seq) = first else {
        panic!("{first:?}")
    };
    assert_eq!(
        store.put_record(&record("r1", "h1"), None).expect("again"),
        PutOutcome::Duplicate(seq)
    );
    assert_eq!(
        store
            .put_record(&record("r1", "other"), None)
            .expect("other"),
        PutOutcome::Conflict
    );
    store.put_record(&record("r2", "h2"), None).expect("put");
    let after = store
        .records_after(0, i64::MAX, &RecordFilter::everything(), 10)
        .expect("read");
    assert_eq!(
        after.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["r1", "r2"]
    );
    assert_eq!(store.max_seq().expect("max"), after[1].seq);
    assert_eq!(store.records_with_blob("aa").expect("links").len(), 2);
    assert_eq!(store.referenced_blobs().expect("blobs"), ["aa"]);
}

#[test]
fn a_case_lock_excludes_another_store_on_the_same_database() {
    let Some(db) = scratch() else { return };
    // Two stores: two replicas' worth of connections, nothing shared in memory.
    let a = PgStore::open(db.url()).expect("open a");
    let b = std::sync::Arc::new(PgStore::open(db.url()).expect("open b"));
    let held = a.lock_case("case-1").expect("lock");
    drop(b.lock_case("case-2").expect("another case is free"));
    let (tx, rx) = mpsc::channel();
    let waiter = {
        let b = b.clone();
        std::thread::spawn(move || {
            let _guard = b.lock_case("case-1").expect("lock");
            tx.send(()).expect("send");
        })
    };
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "the same case waits for the other replica"
    );
    drop(held);
    rx.recv_timeout(Duration::from_secs(10))
        .expect("released to the other replica");
    waiter.join().expect("waiter");
}

#[test]
fn enrolment_attempts_are_counted_in_the_database() {
    let Some(db) = scratch() else { return };
    let a = PgStore::open(db.url()).expect("open a");
    let b = PgStore::open(db.url()).expect("open b");
    let mut allowed = Vec::new();
    for (store, at) in [(&a, 0), (&b, 100), (&a, 200)] {
        match store
            .note_enrol_attempt("10.0.0.1", at, 1000, 3)
            .expect("note")
        {
            EnrolAttempt::Allowed(id) => allowed.push(id),
            refused => panic!("{refused:?}"),
        }
    }
    assert_eq!(
        b.note_enrol_attempt("10.0.0.1", 500, 1000, 3)
            .expect("note"),
        EnrolAttempt::Refused {
            retry_after_ms: 500
        },
        "the other replica counts the same attempts"
    );
    a.forget_enrol_attempt(allowed[2]).expect("forget");
    assert!(matches!(
        b.note_enrol_attempt("10.0.0.1", 600, 1000, 3)
            .expect("note"),
        EnrolAttempt::Allowed(_)
    ));
}

#[test]
fn a_record_committed_beside_an_open_batch_waits_for_it_and_follows_it() {
    let Some(db) = scratch() else { return };
    let a = PgStore::open(db.url()).expect("open a");
    let b = PgStore::open(db.url()).expect("open b");
    a.put_record(&record("before", "h0"), None).expect("put");
    let before = a.record("before").expect("read").expect("stored").seq;
    assert_eq!(a.max_seq().expect("max"), before);
    let mut answered = Vec::new();
    let ids = ["b1", "b2", "b3", "b4"];
    let mut pending = ids.iter();
    let mut other = None;
    let committed = a
        .in_batch(&[], &mut |view| {
            let Some(id) = pending.next() else {
                return BatchStep::Done;
            };
            answered.push(view.put_record(&record(id, id), None).expect("put"));
            // Meanwhile another replica stores and commits a record of its own. Its
            // transaction began after the batch's, so a pull must not pass it while the
            // batch is open: the batch's records will be numbered below it.
            if *id == "b2" {
                b.put_record(&record("other", "h9"), None).expect("other");
                let seq = b.record("other").expect("read").expect("committed").seq;
                let upto = b.max_seq().expect("max while the batch is open");
                assert!(upto < seq, "a pull could pass `other` ({seq}) at {upto}");
                assert!(upto >= before, "{upto} hides `before` ({before})");
                assert!(
                    b.records_after(before, upto, &RecordFilter::everything(), 10)
                        .expect("pull")
                        .is_empty()
                );
                other = Some(seq);
            }
            BatchStep::More
        })
        .expect("batch");
    assert!(committed);
    let other = other.expect("the other replica stored");
    // Numbers are final when drawn: what the batch answered is what is stored, in the
    // order it stored them, all below the record committed beside it.
    let stored = a
        .records_after(
            0,
            a.max_seq().expect("max"),
            &RecordFilter::everything(),
            10,
        )
        .expect("read");
    assert_eq!(
        stored.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["before", "b1", "b2", "b3", "b4", "other"]
    );
    let numbers: Vec<PutOutcome> = stored[1..5]
        .iter()
        .map(|r| PutOutcome::Stored(r.seq))
        .collect();
    assert_eq!(answered, numbers);
    assert!(stored.iter().all(|r| r.seq >= records::FEED_FROM));
    assert_eq!(a.max_seq().expect("max"), other);
    // A duplicate answers the stored number.
    assert_eq!(
        b.put_record(&record("b3", "b3"), None).expect("again"),
        PutOutcome::Duplicate(stored[3].seq)
    );
}

#[test]
fn units_changed_by_another_replica_are_in_the_next_tree() {
    let Some(db) = scratch() else { return };
    let a = PgStore::open(db.url()).expect("open a");
    let b = PgStore::open(db.url()).expect("open b");
    crate::storage::checks::units_and_sites_changed_elsewhere_are_seen(&a, &b);
}

#[test]
fn put_record_answers_new_duplicate_final_stale_and_conflict() {
    let Some(db) = scratch() else { return };
    let store = PgStore::open(db.url()).expect("open");
    crate::storage::checks::put_record_answers(&store);
}

#[test]
fn photo_questions_for_many_blobs_answer_each() {
    let Some(db) = scratch() else { return };
    let store = PgStore::open(db.url()).expect("open");
    crate::storage::checks::photo_questions_for_many_blobs_answer_each(&store);
}
