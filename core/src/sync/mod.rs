//! The sync client: everything recorded on this device reaches the sync server, and
//! what others recorded within this device's scope comes back, over a link that drops.
//!
//! One sync runs four phases, in this order (see [`SyncPhase`]):
//! 1. reference data: the person (as the local profile), units, sites, templates, in
//!    one transaction; fetched here only when the device holds no whole reference
//!    yet, otherwise checked by the first pull page and fetched (conditionally, with
//!    its `ETag`) just before that page is stored, only when it changed;
//! 2. push: the outbox in recording order, in batches; accepted and duplicate records
//!    are marked sent, refused ones are kept with the server's reason (over `/v2` the
//!    pull of step 5 travels in the same requests);
//! 3. thumbnails: each photo still to upload sends its 256 px thumbnail first, naming
//!    the photo, so others see a picture of the hazard within seconds;
//! 4. photos: each not yet uploaded goes up over tus, resuming after a drop;
//! 5. pull: pages after the stored cursor until the server has no more, without the
//!    records this device pushed itself; each page's records and the new cursor are
//!    stored in one transaction, links to photos not held here kept as pending; then
//!    the pending photos' thumbnails are fetched, then the full photos the server
//!    holds (the others stay pending for a later sync).
//!
//! Phases 3 and 4 go together over `/v2` (`exchange`): each request carries one push
//! batch and brings back its results and the next page, in the compact,
//! dictionary-compressed encoding, so an idle sync is one small `GET` and one
//! inspection one `POST`. A server that answers `404` to `/v2` gets them over `/v1`,
//! one after the other, as before ([`Protocol`]).
//!
//! Every step is idempotent, so a sync interrupted at any byte (a dropped link, a
//! killed app, a restarted server) is finished by the next one, with nothing lost and
//! nothing stored twice. The functions work on the [`SharedStore`] the shell's screens
//! use too: they take its lock for one short store step at a time and never hold it
//! across a network wait, so the screens stay responsive and the futures stay `Send`.
//!
//! Map of the module, one file per concern:
//! - `client`: the HTTP client, error mapping, compressed JSON requests.
//! - [`retry`]: backoff with jitter, bounded attempts.
//! - [`enrol`]: enrolment with a one-time code.
//! - `reference`: reference data into the store.
//! - `blobs`: tus upload with resume, photo download.
//! - `chunking`: tus chunk sizes adapted to the measured link.
//! - `exchange`: the `/v2` record exchange, a push batch and a pull page per request.
//! - `push`: the outbox to the server.
//! - [`queue`]: what is still to send, item by item, for the phone to show.
//! - `pull`: the server's records into the store, each page with its cursor in one
//!   transaction.
//! - [`report`]: the sync report.
//! - [`progress`]: the progress callback.

pub(crate) mod blobs;
pub(crate) mod chunking;
pub(crate) mod client;
pub mod enrol;
pub(crate) mod exchange;
pub mod progress;
pub(crate) mod pull;
pub(crate) mod push;
pub mod queue;
pub(crate) mod reference;
pub mod report;
pub mod retry;

use std::time::Duration;

use crate::error::{CoreError, Result};
use crate::store::SharedStore;

pub use crate::device::DEVICE_ID_KEY;
pub use crate::inspection::InspectionsApplied;
pub use enrol::{Enrolment, enroll, enroll_with};
pub use progress::{SyncPhase, SyncProgress};
pub use queue::{QueueItem, QueueItemKind};
pub use report::{RejectedItem, SyncReport};
pub use retry::RetryPolicy;

use chunking::ChunkSizer;
use client::Client;
use progress::Progress;

/// Settings key: the sync server's base URL.
pub const SERVER_KEY: &str = "sync.server";
/// Settings key: this device's bearer token.
pub(crate) const TOKEN_KEY: &str = "sync.token";
/// Settings key: the server's id of the person using this device.
pub const PERSON_ID_KEY: &str = "sync.person-id";
/// Settings key: the pull cursor (opaque; the server's).
pub const CURSOR_KEY: &str = "sync.cursor";
/// Settings key: the `ETag` of the reference data stored here (opaque; the server's).
pub const REFERENCE_ETAG_KEY: &str = "sync.reference-etag";

/// Tuning of a sync; [`SyncOptions::default`] suits a phone.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Retries of each request.
    pub retry: RetryPolicy,
    /// Records per push batch (the server accepts up to 500).
    pub push_batch: u32,
    /// Records per pull page (the server accepts up to 1000).
    pub pull_page: u32,
    /// Largest tus chunk, in bytes: what a good link grows chunks to, so a photo takes
    /// few round trips.
    pub chunk_bytes: usize,
    /// Smallest (and first) tus chunk, in bytes: what a chunk falls back to after a
    /// drop, so a drop re-sends little (see `chunking`).
    pub min_chunk_bytes: usize,
    /// How long one chunk should take to be confirmed; chunks grow while they take
    /// well under it and shrink while they take well over it.
    pub chunk_target: Duration,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time for one whole request and answer.
    pub request_timeout: Duration,
    /// Refusals after which an outbox record is held back instead of offered again.
    pub max_rejections: u32,
    /// Which protocol records travel over.
    pub protocol: Protocol,
}

/// Which protocol a sync exchanges records over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// `/v2` (one request pushes and pulls, compact and dictionary-compressed), and
    /// `/v1` with a server that does not serve `/v2`.
    #[default]
    Newest,
    /// `/v1` push and pull only, as clients before `/v2` sync: for a server behind a
    /// proxy that mangles `/v2` bodies, and to compare the two.
    V1,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            retry: RetryPolicy::default(),
            push_batch: 200,
            pull_page: 200,
            chunk_bytes: 256 * 1024,
            // About two seconds at 64 kbit/s, a village's 2G link.
            min_chunk_bytes: 16 * 1024,
            chunk_target: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_rejections: 3,
            protocol: Protocol::Newest,
        }
    }
}

/// Upper bound on push batches and pull pages in one sync, so a server that misbehaves
/// (a cursor that never advances) cannot keep a device syncing forever.
const MAX_ROUNDS: u32 = 100_000;

/// The server URL and token this device was enrolled with.
fn credentials(store: &SharedStore) -> Result<(String, String)> {
    store.with(|s| match (s.setting(SERVER_KEY)?, s.setting(TOKEN_KEY)?) {
        (Some(server), Some(token)) => Ok((server, token)),
        _ => Err(CoreError::NotEnrolled),
    })
}

/// Syncs the store with the server it was enrolled with, with the default options. See
/// the module docs for what a sync does.
pub async fn sync(store: &SharedStore, progress: Option<&dyn SyncProgress>) -> Result<SyncReport> {
    sync_with(store, &SyncOptions::default(), progress).await
}

/// [`sync`] with explicit options (tests use short timeouts and small batches).
pub async fn sync_with(
    store: &SharedStore,
    options: &SyncOptions,
    progress: Option<&dyn SyncProgress>,
) -> Result<SyncReport> {
    let (server, token) = credentials(store)?;
    let client = Client::new(&server, Some(token), options)?;
    let progress = Progress(progress);
    let mut report = SyncReport {
        server: client.base().to_string(),
        ..SyncReport::default()
    };
    // A device holding a whole reference asks for a new one only when the first pull
    // page says it changed (before storing that page), so a sync with nothing new is
    // one pull; without one, the reference comes first, as it always did.
    if reference::held_tag(store)?.is_none() {
        reference::fetch_and_store(&client, store, progress, &mut report).await?;
    }
    // Records first, then thumbnails, then full photos: over a slow link the records
    // and a picture of each hazard reach the server in the first seconds. Over `/v2`
    // records go both ways in one exchange; a server that predates it gets the `/v1`
    // push now and the pull after the photos.
    let exchanged = match options.protocol {
        Protocol::Newest => {
            exchange::exchange(&client, store, options, progress, &mut report).await?
        }
        Protocol::V1 => exchange::Exchanged::NotServed,
    };
    if exchanged == exchange::Exchanged::NotServed {
        push::push_outbox(&client, store, options, progress, &mut report).await?;
    }
    // One sizer for the sync: every thumbnail and photo goes over the same link.
    let mut sizer = ChunkSizer::new(
        options.min_chunk_bytes,
        options.chunk_bytes,
        options.chunk_target,
    );
    push::upload_thumbnails(&client, store, &mut sizer, &mut report).await?;
    push::upload_photos(&client, store, &mut sizer, progress, &mut report).await?;
    if exchanged == exchange::Exchanged::NotServed {
        pull::pull_all(&client, store, options, progress, &mut report).await?;
    }
    // What pulled records name and this device lacks: thumbnails, then full photos.
    pull::fetch_pending(&client, store, &mut report).await?;
    Ok(report)
}

/// Whether the store is enrolled with a sync server, and which.
pub fn enrolled_server(store: &SharedStore) -> Result<Option<String>> {
    store.with(|s| s.setting(SERVER_KEY))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    fn store() -> Result<(tempfile::TempDir, SharedStore)> {
        let dir = tempfile::tempdir().map_err(|e| CoreError::io("tmp", e))?;
        let store = SharedStore::open(dir.path().join("s.db"))?;
        Ok((dir, store))
    }

    /// The shells run these futures on multi-threaded runtimes: they must be `Send`,
    /// which they are only because no lock on the store is held across an `.await`.
    #[test]
    fn sync_and_enrolment_futures_are_send() -> Result<()> {
        let (_dir, store) = store()?;
        let sync = sync(&store, None);
        assert_send(&sync);
        let enrol = enroll(&store, "http://127.0.0.1:1", "code");
        assert_send(&enrol);
        Ok(())
    }

    #[tokio::test]
    async fn a_store_that_is_not_enrolled_says_so() -> Result<()> {
        let (_dir, store) = store()?;
        match sync(&store, None).await {
            Err(CoreError::NotEnrolled) => {}
            other => panic!("expected NotEnrolled, got {other:?}"),
        }
        assert_eq!(enrolled_server(&store)?, None);
        Ok(())
    }

    #[tokio::test]
    async fn an_unreachable_server_is_a_typed_error_after_bounded_retries() -> Result<()> {
        let (_dir, store) = store()?;
        // Port 1 on loopback: nothing listens there.
        let options = SyncOptions {
            retry: RetryPolicy {
                attempts: 2,
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(2),
            },
            ..SyncOptions::default()
        };
        match enroll_with(&store, "http://127.0.0.1:1", "abc", &options).await {
            Err(CoreError::NetworkUnreachable { .. }) => {}
            other => panic!("expected NetworkUnreachable, got {other:?}"),
        }
        match enroll_with(&store, "ftp://example", "abc", &options).await {
            Err(CoreError::InvalidInput(_)) => {}
            other => panic!("expected InvalidInput, got {other:?}"),
        }
        Ok(())
    }
}
