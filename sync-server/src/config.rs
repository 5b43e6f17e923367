//! Server configuration: where data lives and the limits every request is held to.

use std::path::PathBuf;
use std::time::Duration;

/// Size, count and time limits: requests beyond a size get `413` with a message naming
/// the limit; enrolment beyond its rate gets `429`; a token unused for longer than its
/// lifetime gets `401`; a body that stalls gets `408`; a device over its upload cap gets
/// `429` (`upload_limit`); connections beyond the limit wait, and slow headers close
/// their connection.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest JSON request body (push), counted as sent and again after decompression
    /// so that a small compressed bomb cannot expand past it.
    pub max_body_bytes: usize,
    /// Largest photo a tus upload may declare in `Upload-Length`.
    pub max_photo_bytes: u64,
    /// Most items in one push batch.
    pub max_batch_items: usize,
    /// Page size of a pull when the client names none.
    pub default_pull_limit: u32,
    /// Largest page size a pull may ask for.
    pub max_pull_limit: u32,
    /// How long a device token stays valid without use. Every authenticated request
    /// renews it (sliding expiry), so only a device left unused this long, e.g. a lost
    /// phone nobody reported, has to enrol again.
    pub token_lifetime: Duration,
    /// Most enrolment attempts one client address may make within `enrol_window`,
    /// not counting those that enrolled a device: codes are long, this keeps a guesser
    /// from trying many without holding up an office enrolling behind one address.
    pub enrol_attempts: u32,
    /// The window `enrol_attempts` is counted over.
    pub enrol_window: Duration,
    /// Largest enrolment request body, counted after decompression: enrolment needs no
    /// token, so a stranger may send it, and a code fits in far less than a push.
    pub max_enrol_body_bytes: usize,
    /// How long a client may take to send a request's headers (each request on a
    /// kept-alive connection included) before the connection is closed.
    pub header_read_timeout: Duration,
    /// How long a request body may go without a byte before the request ends with
    /// `408`: a half-open connection (a phone that switched networks) is let go.
    pub body_read_timeout: Duration,
    /// Most connections served at once; further ones wait in the listen queue until
    /// one closes.
    pub max_connections: u32,
    /// How long shutdown (SIGTERM) waits for requests in flight before it drops the
    /// connections still open.
    pub shutdown_grace: Duration,
    /// How long an unfinished tus upload lives after it was created; then it and its
    /// bytes are removed, and the client starts a new one.
    pub upload_expiry: Duration,
    /// Most unfinished uploads one device may hold at once.
    pub max_open_uploads_per_device: u32,
    /// Most bytes (the sum of their `Upload-Length`) one device's unfinished uploads
    /// may declare at once.
    pub max_upload_bytes_per_device: u64,
}

/// The default photo limit: 20 MB, well above a processed evidence photo.
pub const DEFAULT_MAX_PHOTO_BYTES: u64 = 20 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 8 * 1024 * 1024,
            max_photo_bytes: DEFAULT_MAX_PHOTO_BYTES,
            max_batch_items: 500,
            default_pull_limit: 200,
            max_pull_limit: 1000,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            enrol_attempts: 10,
            enrol_window: Duration::from_secs(60),
            max_enrol_body_bytes: 16 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(20),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(5),
            upload_expiry: DEFAULT_UPLOAD_EXPIRY,
            max_open_uploads_per_device: 32,
            max_upload_bytes_per_device: 256 * 1024 * 1024,
        }
    }
}

/// The default life of an unfinished upload: 7 days.
pub const DEFAULT_UPLOAD_EXPIRY: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The longest upload expiry honoured (10 years), so that an expiry always stays a
/// four-digit-year timestamp.
const LONGEST_UPLOAD_EXPIRY: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);

/// The default token lifetime: 90 days without a sync.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(90 * 24 * 60 * 60);

/// The longest token lifetime honoured (100 years): longer ones are cut to it, so an
/// expiry always stays a four-digit-year timestamp that sorts as text.
const LONGEST_TOKEN_LIFETIME: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// The most often a device's expiry is written: once an hour, so a busy device does not
/// cost a database write per request.
const MAX_RENEWAL_INTERVAL: Duration = Duration::from_secs(60 * 60);

impl Limits {
    /// The token lifetime as a calendar span, at most 100 years.
    pub fn token_lifetime(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::from_std(self.token_lifetime.min(LONGEST_TOKEN_LIFETIME))
            .unwrap_or(chrono::TimeDelta::MAX)
    }

    /// The upload expiry as a calendar span, at most 10 years.
    pub fn upload_expiry(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::from_std(self.upload_expiry.min(LONGEST_UPLOAD_EXPIRY))
            .unwrap_or(chrono::TimeDelta::MAX)
    }

    /// How often expired uploads are swept: a tenth of their life, between a second
    /// and an hour, so a short expiry (in tests) is honoured promptly.
    pub fn upload_sweep_interval(&self) -> Duration {
        (self.upload_expiry / 10).clamp(Duration::from_secs(1), MAX_RENEWAL_INTERVAL)
    }

    /// How long after a renewal a device's expiry is next written: an hour, or a
    /// hundredth of the lifetime when that is shorter (so a short test lifetime is
    /// still renewed).
    pub fn token_renewal_interval(&self) -> chrono::TimeDelta {
        let interval =
            (self.token_lifetime.min(LONGEST_TOKEN_LIFETIME) / 100).min(MAX_RENEWAL_INTERVAL);
        chrono::TimeDelta::from_std(interval).unwrap_or(chrono::TimeDelta::zero())
    }
}

/// Where the embedded storage lives inside the data folder.
#[derive(Debug, Clone)]
pub struct DataDir {
    /// The folder given with `--data`.
    pub root: PathBuf,
}

impl DataDir {
    /// The SQLite file holding records, reference data, people and devices.
    pub fn database(&self) -> PathBuf {
        self.root.join("server.sqlite")
    }

    /// The folder holding photo blobs and unfinished uploads.
    pub fn blobs(&self) -> PathBuf {
        self.root.join("blobs")
    }
}
