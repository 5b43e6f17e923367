//! The S3 blob store on a real SeaweedFS (`GRIDWALK_TEST_BLOBS`, from
//! `scripts/with-test-seaweedfs`; skipped without it): parts laid end to end give the
//! offset, a second store on the same bucket (another replica) sees the same upload,
//! a finished blob is there only when its bytes hash to its name, and stale upload
//! objects no upload names are swept.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use gridwalk_server::storage::s3::{S3BlobStore, scratch_bucket_from_env};
use gridwalk_server::storage::{BlobStore, FinishOutcome, sha256_hex};

/// Two stores on one fresh bucket, as two replicas open it; `None` without SeaweedFS.
fn two_replicas(test: &str) -> Option<(S3BlobStore, S3BlobStore)> {
    let Some(bucket) = scratch_bucket_from_env().unwrap() else {
        eprintln!("{test}: skipped, needs GRIDWALK_TEST_BLOBS (scripts/with-test-seaweedfs)");
        return None;
    };
    Some((
        S3BlobStore::open(&bucket).unwrap(),
        S3BlobStore::open(&bucket).unwrap(),
    ))
}

fn photo(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn an_upload_continues_on_another_replica_and_becomes_a_verified_blob() {
    let Some((a, b)) = two_replicas("continues on another replica") else {
        return;
    };
    a.check_health().unwrap();
    let bytes = photo(50_000);
    let sha = sha256_hex(&bytes);
    let id = "0190aaaa-0000-7000-8000-000000000001";
    assert_eq!(a.upload_offset(id).unwrap(), None);
    a.start_upload(id).unwrap();
    assert_eq!(b.upload_offset(id).unwrap(), Some(0));
    assert_eq!(a.append(id, 0, &bytes[..20_000]).unwrap(), 20_000);
    assert_eq!(b.upload_offset(id).unwrap(), Some(20_000));
    assert_eq!(
        b.append(id, 20_000, &bytes[20_000..35_000]).unwrap(),
        35_000
    );
    // A stale writer on A, late, repeats bytes from 10,000 on: nothing acknowledged
    // is lost, and the bytes it repeats are the file's own.
    a.append(id, 10_000, &bytes[10_000..30_000]).unwrap();
    assert_eq!(a.upload_offset(id).unwrap(), Some(35_000));
    b.append(id, 35_000, &bytes[35_000..]).unwrap();
    assert_eq!(a.upload_offset(id).unwrap(), Some(50_000));
    assert!(!b.has_blob(&sha).unwrap());
    assert_eq!(a.finish(id, &sha).unwrap(), FinishOutcome::Stored);
    // The other replica, finishing the same upload a moment later, agrees.
    assert_eq!(b.finish(id, &sha).unwrap(), FinishOutcome::Stored);
    assert_eq!(b.upload_offset(id).unwrap(), None);
    assert!(b.has_blob(&sha).unwrap());
    assert!(b.read_blob(&sha).unwrap().unwrap() == bytes);
}

#[test]
fn bytes_that_do_not_hash_to_their_name_never_become_a_blob() {
    let Some((a, b)) = two_replicas("wrong bytes") else {
        return;
    };
    let bytes = photo(10_000);
    let sha = sha256_hex(&bytes);
    let mut wrong = bytes.clone();
    wrong[9_999] ^= 1;
    let id = "0190aaaa-0000-7000-8000-000000000002";
    a.start_upload(id).unwrap();
    a.append(id, 0, &wrong).unwrap();
    let outcome = b.finish(id, &sha).unwrap();
    assert_eq!(
        outcome,
        FinishOutcome::HashMismatch {
            actual: sha256_hex(&wrong)
        }
    );
    assert!(!a.has_blob(&sha).unwrap());
    assert_eq!(a.read_blob(&sha).unwrap(), None);
    // Discarded with its parts: the upload is gone for both.
    assert_eq!(a.upload_offset(id).unwrap(), None);
    assert!(a.start_upload("../etc").is_err());
    assert!(a.read_blob("not-a-hash").is_err());
}

#[test]
fn upload_objects_no_upload_names_are_swept_once_old() {
    let Some((a, _b)) = two_replicas("sweep") else {
        return;
    };
    let (kept, orphan) = (
        "0190aaaa-0000-7000-8000-000000000003",
        "0190aaaa-0000-7000-8000-000000000004",
    );
    for id in [kept, orphan] {
        a.start_upload(id).unwrap();
        a.append(id, 0, b"some bytes").unwrap();
    }
    let keep: HashSet<String> = [kept.to_string()].into();
    let long_ago = SystemTime::now() - Duration::from_secs(3600);
    assert_eq!(a.remove_stale_upload_files(long_ago, &keep).unwrap(), 0);
    let later = SystemTime::now() + Duration::from_secs(60);
    assert_eq!(a.remove_stale_upload_files(later, &keep).unwrap(), 1);
    assert_eq!(a.upload_offset(orphan).unwrap(), None);
    assert_eq!(a.upload_offset(kept).unwrap(), Some(10));
}
