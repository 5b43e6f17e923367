//! Photo blobs in S3-compatible object storage (`--blobs s3://BUCKET?endpoint=…`), for
//! several server replicas on one bucket (issue 14). Objects, under an optional key
//! prefix (`s3://BUCKET/PREFIX`):
//! - `sha256/<name>`: a finished blob. It is written once, whole (an S3 PUT is atomic),
//!   and only after its bytes were hashed to its name; a read hashes it again, so a
//!   blob whose bytes do not hash to its name is never served.
//! - `uploads/<id>/open`: an upload in progress (empty). Its absence means no upload.
//! - `uploads/<id>/part-<start>-<end>`: bytes `start..end` of the upload's file, one
//!   object per stored chunk, each written whole or not at all.
//!
//! The offset of an upload is where the parts, laid end to end from 0, first leave a
//! gap: it is read back from the bucket (whose listings are strongly consistent), so
//! any replica answers the same, and a replica killed mid-chunk leaves either the
//! whole part (acknowledged or not) or nothing. Parts are never changed or removed
//! while the upload lives: a stale PATCH on another replica that writes late can only
//! add a part covering bytes of the same file, never take away an acknowledged one,
//! so no cross-replica writer lock is needed for safety (within a replica the
//! takeover of `crate::state` still stops a stalled PATCH early). Bytes a dishonest
//! device sends for the same range twice can only spoil its own upload: the whole is
//! hashed at the end and discarded on a mismatch.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use super::{BlobStore, FinishOutcome, StoreError, StoreResult, sha256_hex};

/// Where the blobs of an `s3://` URL live, and how to reach them. Its `Debug` never
/// shows the secret key.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Location {
    /// The bucket.
    pub bucket: String,
    /// A key prefix inside it (no leading or trailing `/`), empty for the whole bucket.
    pub prefix: String,
    /// The endpoint (`http://127.0.0.1:8333`); AWS's own when absent.
    pub endpoint: Option<String>,
    /// The region (`us-east-1` when absent; S3-compatible stores ignore it but sign with it).
    pub region: String,
    /// An access key given in the URL; else `AWS_ACCESS_KEY_ID`.
    access_key_id: Option<String>,
    /// A secret key given in the URL; else `AWS_SECRET_ACCESS_KEY`.
    secret_access_key: Option<String>,
}

impl std::fmt::Debug for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Location")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("credentials_in_url", &self.access_key_id.is_some())
            .finish()
    }
}

impl std::fmt::Display for S3Location {
    /// The URL without credentials, for logs and messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}", self.bucket)?;
        if !self.prefix.is_empty() {
            write!(f, "/{}", self.prefix)?;
        }
        write!(f, "?region={}", self.region)?;
        if let Some(endpoint) = &self.endpoint {
            write!(f, "&endpoint={endpoint}")?;
        }
        Ok(())
    }
}

impl S3Location {
    /// Parses `s3://BUCKET[/PREFIX][?endpoint=URL&region=R&access_key_id=…&secret_access_key=…]`.
    /// Unknown query keys are refused by name, so a misspelt one is not silently ignored.
    pub fn parse(text: &str) -> StoreResult<S3Location> {
        let bad = |why: &str| StoreError::Config(format!("--blobs: {why}"));
        let url = url::Url::parse(text).map_err(|e| bad(&format!("not a URL: {e}")))?;
        if url.scheme() != "s3" {
            return Err(bad("an object store URL starts with s3://"));
        }
        let bucket = url
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| bad("name the bucket: s3://BUCKET"))?
            .to_string();
        let prefix = url.path().trim_matches('/').to_string();
        let mut location = S3Location {
            bucket,
            prefix,
            endpoint: None,
            region: "us-east-1".to_string(),
            access_key_id: None,
            secret_access_key: None,
        };
        for (key, value) in url.query_pairs() {
            let value = value.into_owned();
            match key.as_ref() {
                "endpoint" => location.endpoint = Some(value),
                "region" => location.region = value,
                "access_key_id" => location.access_key_id = Some(value),
                "secret_access_key" => location.secret_access_key = Some(value),
                other => return Err(bad(&format!("unknown setting `{other}`"))),
            }
        }
        Ok(location)
    }

    /// The same bucket with another key prefix.
    pub fn with_prefix(&self, prefix: &str) -> S3Location {
        S3Location {
            prefix: prefix.to_string(),
            ..self.clone()
        }
    }
}

/// The bucket `GRIDWALK_TEST_BLOBS` names (the city pass of `scripts/test`, started by
/// `scripts/with-test-seaweedfs`) with a new key prefix for one test; `None` when the
/// variable is unset. A prefix, not a bucket, per test: SeaweedFS gives every bucket
/// volumes of its own, and a few hundred tests' buckets used up the volume limit, after
/// which every upload failed.
pub fn scratch_bucket_from_env() -> StoreResult<Option<S3Location>> {
    let Ok(url) = std::env::var("GRIDWALK_TEST_BLOBS") else {
        return Ok(None);
    };
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|e| StoreError::Config(format!("random: {e}")))?;
    let prefix = format!("test-{}", hex::encode(random));
    Ok(Some(S3Location::parse(&url)?.with_prefix(&prefix)))
}

/// Blobs and uploads in an S3 bucket.
pub struct S3BlobStore {
    s3: Arc<AmazonS3>,
    prefix: String,
    handle: tokio::runtime::Handle,
    /// Taken only by `Drop`, which shuts it down without waiting.
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for S3BlobStore {
    fn drop(&mut self) {
        // Without waiting: a store may be dropped on a runtime's thread (tests).
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// One part of an upload: bytes `start..end` of its file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Part {
    start: u64,
    end: u64,
    key: Path,
}

/// What listing an upload found.
struct Listed {
    open: bool,
    parts: Vec<Part>,
}

/// The prefix of the parts that continue each other from 0, in order, and the offset
/// where they stop: the first byte no part covers. Overlaps (a part written twice, a
/// stale PATCH's longer or shorter part) are allowed; where several parts begin at or
/// before the offset, the one reaching furthest is used.
fn contiguous(parts: &[Part]) -> (Vec<&Part>, u64) {
    let mut sorted: Vec<&Part> = parts.iter().collect();
    sorted.sort_by_key(|p| (p.start, std::cmp::Reverse(p.end)));
    let mut offset = 0;
    let mut used = Vec::new();
    loop {
        let next = sorted
            .iter()
            .filter(|p| p.start <= offset && p.end > offset)
            .max_by_key(|p| p.end);
        match next {
            Some(part) => {
                offset = part.end;
                used.push(*part);
            }
            None => return (used, offset),
        }
    }
}

fn object_error(e: object_store::Error) -> StoreError {
    StoreError::Object(e.to_string())
}

impl S3BlobStore {
    /// Connects to the bucket `location` names, with credentials from the URL or
    /// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, and checks it answers.
    pub fn open(location: &S3Location) -> StoreResult<S3BlobStore> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&location.bucket)
            .with_region(&location.region)
            .with_virtual_hosted_style_request(false);
        if let Some(endpoint) = &location.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let (Some(key), Some(secret)) = (&location.access_key_id, &location.secret_access_key) {
            builder = builder
                .with_access_key_id(key)
                .with_secret_access_key(secret);
        }
        let s3 = builder
            .build()
            .map_err(|e| StoreError::Config(format!("--blobs {location}: {e}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("gridwalk-s3")
            .enable_all()
            .build()?;
        Ok(S3BlobStore {
            s3: Arc::new(s3),
            prefix: location.prefix.clone(),
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
        })
    }

    /// Runs a request's future to completion on this thread, with the store's runtime
    /// entered so that its connections are driven there.
    fn run<T>(&self, future: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        let _entered = self.handle.enter();
        super::postgres::block_on(future)
    }

    fn key(&self, rest: &str) -> Path {
        if self.prefix.is_empty() {
            Path::from(rest)
        } else {
            Path::from(format!("{}/{rest}", self.prefix))
        }
    }

    fn upload_dir(&self, id: &str) -> StoreResult<Path> {
        // Ids come from URLs: allow only what the server itself generates.
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            return Err(StoreError::Corrupt(format!("bad upload id `{id}`")));
        }
        Ok(self.key(&format!("uploads/{id}")))
    }

    fn blob_key(&self, sha256: &str) -> StoreResult<Path> {
        if !gridwalk_model::evidence::is_sha256_hex(sha256) {
            return Err(StoreError::Corrupt(format!("bad blob name `{sha256}`")));
        }
        Ok(self.key(&format!("sha256/{sha256}")))
    }

    async fn list_upload(&self, dir: &Path) -> StoreResult<Listed> {
        let listed = self
            .s3
            .list_with_delimiter(Some(dir))
            .await
            .map_err(object_error)?;
        let mut out = Listed {
            open: false,
            parts: Vec::new(),
        };
        for object in listed.objects {
            let Some(name) = object.location.filename() else {
                continue;
            };
            if name == "open" {
                out.open = true;
            } else if let Some(range) = name.strip_prefix("part-") {
                let parsed = range
                    .split_once('-')
                    .and_then(|(s, e)| Some((s.parse().ok()?, e.parse().ok()?)));
                match parsed {
                    Some((start, end)) if end > start => out.parts.push(Part {
                        start,
                        end,
                        key: object.location.clone(),
                    }),
                    _ => {
                        return Err(StoreError::Corrupt(format!(
                            "upload part `{}` is not named by its range",
                            object.location
                        )));
                    }
                }
            }
        }
        Ok(out)
    }

    async fn get_bytes(&self, key: &Path) -> StoreResult<Option<bytes::Bytes>> {
        match self.s3.get(key).await {
            Ok(got) => Ok(Some(got.bytes().await.map_err(object_error)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(object_error(e)),
        }
    }

    async fn exists(&self, key: &Path) -> StoreResult<bool> {
        match self.s3.head(key).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(object_error(e)),
        }
    }

    async fn delete(&self, key: &Path) -> StoreResult<()> {
        match self.s3.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(object_error(e)),
        }
    }

    /// Removes an upload: its marker first, so that from then on it reads as absent
    /// even if a crash leaves parts behind (the sweep removes those).
    async fn remove_upload(&self, dir: &Path) -> StoreResult<()> {
        self.delete(&dir.clone().join("open")).await?;
        for part in self.list_upload(dir).await?.parts {
            self.delete(&part.key).await?;
        }
        Ok(())
    }
}

impl BlobStore for S3BlobStore {
    fn check_health(&self) -> StoreResult<()> {
        self.run(async {
            self.s3
                .put(&self.key("health"), PutPayload::from_static(b"ok"))
                .await
                .map_err(object_error)?;
            Ok(())
        })
    }

    fn start_upload(&self, upload_id: &str) -> StoreResult<()> {
        let dir = self.upload_dir(upload_id)?;
        self.run(async {
            self.s3
                .put(&dir.join("open"), PutPayload::new())
                .await
                .map_err(object_error)?;
            Ok(())
        })
    }

    fn upload_offset(&self, upload_id: &str) -> StoreResult<Option<u64>> {
        let dir = self.upload_dir(upload_id)?;
        self.run(async {
            let listed = self.list_upload(&dir).await?;
            if !listed.open {
                return Ok(None);
            }
            Ok(Some(contiguous(&listed.parts).1))
        })
    }

    fn append(&self, upload_id: &str, offset: u64, data: &[u8]) -> StoreResult<u64> {
        let dir = self.upload_dir(upload_id)?;
        if data.is_empty() {
            return Ok(offset);
        }
        let end = offset + data.len() as u64;
        // Zero-padded, so that a listing sorts parts by where they start.
        let key = dir.join(format!("part-{offset:020}-{end:020}"));
        let payload = PutPayload::from(bytes::Bytes::copy_from_slice(data));
        self.run(async {
            self.s3.put(&key, payload).await.map_err(object_error)?;
            Ok(end)
        })
    }

    fn finish(&self, upload_id: &str, sha256: &str) -> StoreResult<FinishOutcome> {
        let dir = self.upload_dir(upload_id)?;
        let target = self.blob_key(sha256)?;
        self.run(async {
            let listed = self.list_upload(&dir).await?;
            if !listed.open {
                // Finished (or discarded) by another replica; a stale PATCH's late part
                // may be all that is left, and must not be judged as the upload.
                if self.exists(&target).await? {
                    return Ok(FinishOutcome::Stored);
                }
                return Err(StoreError::Corrupt(format!(
                    "upload {upload_id} is gone from the bucket"
                )));
            }
            let (used, _) = contiguous(&listed.parts);
            let mut bytes = Vec::new();
            for part in used {
                let Some(data) = self.get_bytes(&part.key).await? else {
                    // Another replica finished (or discarded) the upload meanwhile.
                    if self.exists(&target).await? {
                        return Ok(FinishOutcome::Stored);
                    }
                    return Err(StoreError::Corrupt(format!(
                        "upload {upload_id} lost its part {} while finishing",
                        part.key
                    )));
                };
                if data.len() as u64 != part.end - part.start {
                    return Err(StoreError::Corrupt(format!(
                        "upload part {} holds {} bytes, not its range's {}",
                        part.key,
                        data.len(),
                        part.end - part.start
                    )));
                }
                // Skip what an overlapping earlier part already gave.
                let skip = usize::try_from(bytes.len() as u64 - part.start)
                    .map_err(|_| StoreError::Corrupt("part overlap too large".into()))?;
                bytes.extend_from_slice(&data[skip..]);
            }
            let actual = sha256_hex(&bytes);
            if actual != sha256 {
                self.remove_upload(&dir).await?;
                return Ok(FinishOutcome::HashMismatch { actual });
            }
            // Same bytes under the same name: a blob already there is kept.
            if !self.exists(&target).await? {
                self.s3
                    .put(&target, PutPayload::from(bytes))
                    .await
                    .map_err(object_error)?;
            }
            self.remove_upload(&dir).await?;
            Ok(FinishOutcome::Stored)
        })
    }

    fn discard_upload(&self, upload_id: &str) -> StoreResult<()> {
        let dir = self.upload_dir(upload_id)?;
        self.run(self.remove_upload(&dir))
    }

    fn remove_stale_upload_files(
        &self,
        before: std::time::SystemTime,
        keep: &HashSet<String>,
    ) -> StoreResult<usize> {
        let before: chrono::DateTime<chrono::Utc> = before.into();
        let uploads = self.key("uploads");
        self.run(async {
            // Every object under uploads/, grouped by upload, with its newest change.
            let listed = self
                .s3
                .list_with_delimiter(Some(&uploads))
                .await
                .map_err(object_error)?;
            let mut newest: HashMap<String, chrono::DateTime<chrono::Utc>> = HashMap::new();
            for dir in &listed.common_prefixes {
                let Some(id) = dir.filename() else { continue };
                if keep.contains(id) {
                    continue;
                }
                let objects = self
                    .s3
                    .list_with_delimiter(Some(dir))
                    .await
                    .map_err(object_error)?;
                let latest = objects.objects.iter().map(|o| o.last_modified).max();
                if let Some(latest) = latest {
                    newest.insert(id.to_string(), latest);
                }
            }
            let mut removed = 0;
            for (id, latest) in newest {
                if latest < before {
                    self.remove_upload(&uploads.clone().join(id.as_str()))
                        .await?;
                    removed += 1;
                }
            }
            Ok(removed)
        })
    }

    fn has_blob(&self, sha256: &str) -> StoreResult<bool> {
        let key = self.blob_key(sha256)?;
        self.run(self.exists(&key))
    }

    fn read_blob(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>> {
        let key = self.blob_key(sha256)?;
        let bytes = self.run(self.get_bytes(&key))?;
        match bytes {
            // Checked again on every read: an object changed behind the server's back
            // (or by anyone holding the bucket's keys) is never served as the photo.
            Some(bytes) => {
                let actual = sha256_hex(&bytes);
                if actual != sha256 {
                    return Err(StoreError::BlobMismatch {
                        name: sha256.to_string(),
                        actual,
                    });
                }
                Ok(Some(bytes.to_vec()))
            }
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Part, S3Location, contiguous};
    use object_store::path::Path;

    fn part(start: u64, end: u64) -> Part {
        Part {
            start,
            end,
            key: Path::from(format!("p{start}-{end}")),
        }
    }

    #[test]
    fn offset_is_the_first_gap_and_a_late_stale_part_takes_nothing_away() {
        assert_eq!(contiguous(&[]).1, 0);
        assert_eq!(contiguous(&[part(0, 10), part(10, 30)]).1, 30);
        assert_eq!(contiguous(&[part(0, 10), part(20, 30)]).1, 10);
        // A stale PATCH at 0 wrote a longer first part after 0..100 and 100..200 were
        // acknowledged: 200 stays the offset.
        let parts = [part(0, 100), part(100, 200), part(0, 150)];
        let (used, offset) = contiguous(&parts);
        assert_eq!(offset, 200);
        assert_eq!(used.last().map(|p| p.end), Some(200));
        assert_eq!(contiguous(&[part(5, 10)]).1, 0);
    }

    #[test]
    fn urls_parse_and_never_show_the_secret() {
        let url = "s3://photos/city/a?endpoint=http://127.0.0.1:8333&region=cn-west-1\
                   &access_key_id=AK&secret_access_key=s3cr%2Fet";
        let location = S3Location::parse(url).unwrap();
        assert_eq!(location.bucket, "photos");
        assert_eq!(location.prefix, "city/a");
        assert_eq!(location.endpoint.as_deref(), Some("http://127.0.0.1:8333"));
        assert_eq!(location.region, "cn-west-1");
        assert_eq!(location.secret_access_key.as_deref(), Some("s3cr/et"));
        for shown in [format!("{location:?}"), location.to_string()] {
            assert!(!shown.contains("s3cr"), "{shown}");
            assert!(!shown.contains("AK"), "{shown}");
        }
        assert!(S3Location::parse("s3://b?endpont=x").is_err());
        assert!(S3Location::parse("http://b").is_err());
        assert!(S3Location::parse("s3:///x").is_err());
    }
}
