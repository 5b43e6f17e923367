//! A village's 2G link, emulated by the counting [`crate::Proxy`] on 127.0.0.1: each
//! direction a token bucket at a fixed rate shared by every connection, a one-way
//! delay, and every connection cut at seeded moments, all on a scaled clock so that an
//! emulated hour passes in well under a minute. The link records the byte ranges of tus
//! uploads it delivered to the server (`Upload-Offset` and the body bytes that got
//! through), so a test can tell how often each byte of a photo crossed it.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

use crate::Traffic;

/// What the link does, in emulated time.
#[derive(Debug, Clone)]
pub struct LinkShape {
    /// Bytes per emulated second, each direction (64 kbit/s is 8 000).
    pub bytes_per_sec: f64,
    /// Bytes a direction may send at once after being idle (the bucket's depth).
    pub burst_bytes: f64,
    /// One-way delay.
    pub delay: Duration,
    /// Every connection is cut after a pause drawn from this range (emulated seconds,
    /// inclusive), again and again.
    pub drop_every_secs: (u64, u64),
    /// Seed of the drop schedule.
    pub seed: u64,
    /// How many emulated seconds pass per real second.
    pub scale: f64,
}

impl LinkShape {
    /// Issue 13's village link: 64 kbit/s each way, 250 ms each way (500 ms round
    /// trip), a drop every 30–60 s, 25 times faster than real time (faster would scale
    /// the server's and the client's own work, a few milliseconds a request in a debug
    /// build on a busy machine, into emulated seconds the link never spent).
    pub fn village(seed: u64) -> LinkShape {
        LinkShape {
            bytes_per_sec: 8_000.0,
            burst_bytes: 4_096.0,
            delay: Duration::from_millis(250),
            drop_every_secs: (30, 60),
            seed,
            scale: 25.0,
        }
    }
}

/// The emulated clock: real time since the link started, times the scale.
#[derive(Debug, Clone, Copy)]
pub struct EmulatedClock {
    start: Instant,
    scale: f64,
}

impl EmulatedClock {
    /// Emulated seconds since the link started.
    pub fn secs(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * self.scale
    }

    /// The real duration of `emulated` seconds.
    pub fn real(&self, emulated: f64) -> Duration {
        Duration::from_secs_f64((emulated / self.scale).max(0.0))
    }
}

/// Bytes of one tus upload delivered to the server by one PATCH (all of its body, or
/// what got through before a cut).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TusRange {
    /// The upload's id (its location's last segment).
    pub upload: String,
    /// The blob the upload was created for, when its creation crossed the link.
    pub sha256: Option<String>,
    /// `Upload-Offset` of the PATCH.
    pub offset: u64,
    /// Body bytes delivered.
    pub len: u64,
}

/// One direction's token bucket, shared by every connection over the link.
struct Bucket {
    /// When the bytes scheduled so far have left (real time).
    next_free: Instant,
}

impl Bucket {
    /// When `n` bytes handed over now have crossed, at `rate` bytes per real second with
    /// `burst` bytes of credit after idling.
    fn schedule(&mut self, n: usize, rate: f64, burst: f64) -> Instant {
        let now = Instant::now();
        let credit = now
            .checked_sub(Duration::from_secs_f64(burst / rate))
            .unwrap_or(now);
        let start = self.next_free.max(credit);
        let end = start + Duration::from_secs_f64(n as f64 / rate);
        self.next_free = end;
        end.max(now)
    }
}

/// The link's shared state.
pub(crate) struct Link {
    shape: LinkShape,
    clock: EmulatedClock,
    up: Mutex<Bucket>,
    down: Mutex<Bucket>,
    /// Bumped at each drop; every connection ends when it changes.
    cuts: watch::Sender<u64>,
    drops: Mutex<Vec<f64>>,
    ranges: Mutex<Vec<TusRange>>,
    /// Upload id → the blob it uploads.
    uploads: Mutex<HashMap<String, String>>,
}

impl Link {
    /// Starts the link's clock and its drop schedule.
    pub(crate) fn start(shape: LinkShape) -> Arc<Link> {
        let now = Instant::now();
        let link = Arc::new(Link {
            clock: EmulatedClock {
                start: now,
                scale: shape.scale,
            },
            up: Mutex::new(Bucket { next_free: now }),
            down: Mutex::new(Bucket { next_free: now }),
            cuts: watch::channel(0).0,
            drops: Mutex::new(Vec::new()),
            ranges: Mutex::new(Vec::new()),
            uploads: Mutex::new(HashMap::new()),
            shape,
        });
        let weak = Arc::downgrade(&link);
        tokio::spawn(async move {
            let mut rng = Lcg(weak.upgrade().map_or(1, |l| l.shape.seed) | 1);
            loop {
                let Some(link) = weak.upgrade() else { return };
                let (lo, hi) = link.shape.drop_every_secs;
                let pause = lo + rng.next() % (hi.saturating_sub(lo) + 1);
                let wait = link.clock.real(pause as f64);
                drop(link);
                tokio::time::sleep(wait).await;
                let Some(link) = weak.upgrade() else { return };
                link.drops.lock().unwrap().push(link.clock.secs());
                // What was queued on the link is lost with the connections.
                let now = Instant::now();
                link.up.lock().unwrap().next_free = now;
                link.down.lock().unwrap().next_free = now;
                link.cuts.send_modify(|n| *n += 1);
            }
        });
        link
    }

    pub(crate) fn clock(&self) -> EmulatedClock {
        self.clock
    }

    pub(crate) fn drops(&self) -> Vec<f64> {
        self.drops.lock().unwrap().clone()
    }

    pub(crate) fn ranges(&self) -> Vec<TusRange> {
        let uploads = self.uploads.lock().unwrap();
        self.ranges
            .lock()
            .unwrap()
            .iter()
            .cloned()
            .map(|mut r| {
                r.sha256 = uploads.get(&r.upload).cloned();
                r
            })
            .collect()
    }

    /// When `n` bytes handed to the link now arrive at the other end.
    fn arrival(&self, n: usize, upstream: bool) -> Instant {
        let rate = self.shape.bytes_per_sec * self.shape.scale;
        let bucket = if upstream { &self.up } else { &self.down };
        let sent = bucket
            .lock()
            .unwrap()
            .schedule(n, rate, self.shape.burst_bytes);
        sent + self.clock.real(self.shape.delay.as_secs_f64())
    }
}

/// A small seeded generator for the drop schedule (no dependency for a few numbers).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

/// Follows the requests a connection delivers to the server, to record the byte ranges
/// of tus PATCHes and which blob each created upload is for.
#[derive(Default)]
struct RequestReader {
    head: Vec<u8>,
    body_left: u64,
    patch: Option<TusRange>,
}

impl RequestReader {
    /// Reads bytes delivered to the server; a finished PATCH's range goes to `link`, a
    /// tus creation's blob name to `created`.
    fn feed(&mut self, bytes: &[u8], link: &Link, created: &Mutex<Option<String>>) {
        let mut i = 0;
        while i < bytes.len() {
            if self.body_left > 0 {
                let take = (self.body_left as usize).min(bytes.len() - i);
                if let Some(p) = &mut self.patch {
                    p.len += take as u64;
                }
                self.body_left -= take as u64;
                i += take;
                if self.body_left == 0 {
                    self.finish(link);
                }
                continue;
            }
            self.head.push(bytes[i]);
            i += 1;
            if self.head.ends_with(b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.head).to_string();
                self.head.clear();
                self.start_request(&head, created);
                if self.body_left == 0 {
                    self.finish(link);
                }
            }
        }
    }

    fn start_request(&mut self, head: &str, created: &Mutex<Option<String>>) {
        let mut lines = head.split("\r\n");
        let mut request = lines.next().unwrap_or_default().split(' ');
        let (method, path) = (
            request.next().unwrap_or_default(),
            request.next().unwrap_or_default(),
        );
        let headers: BTreeMap<String, String> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        self.body_left = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if method == "PATCH"
            && let Some(id) = path.strip_prefix("/v1/blobs/uploads/")
        {
            self.patch = Some(TusRange {
                upload: id.to_string(),
                sha256: None,
                offset: headers
                    .get("upload-offset")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
                len: 0,
            });
        }
        if method == "POST"
            && path == "/v1/blobs"
            && let Some(metadata) = headers.get("upload-metadata")
        {
            let sha = metadata
                .split(',')
                .filter_map(|pair| pair.trim().strip_prefix("sha256 "))
                .find_map(|v| STANDARD.decode(v.trim()).ok())
                .and_then(|v| String::from_utf8(v).ok());
            *created.lock().unwrap() = sha;
        }
    }

    /// Records the PATCH in progress (whole, or cut), if any.
    fn finish(&mut self, link: &Link) {
        if let Some(range) = self.patch.take()
            && range.len > 0
        {
            link.ranges.lock().unwrap().push(range);
        }
    }
}

/// Forwards one connection over the emulated link, counting its traffic.
pub(crate) async fn forward_shaped(
    client: TcpStream,
    target: SocketAddr,
    link: Arc<Link>,
    traffic: Arc<Mutex<Traffic>>,
) {
    let mut cut = link.cuts.subscribe();
    cut.mark_unchanged();
    let Ok(server) = TcpStream::connect(target).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let route = Arc::new(Mutex::new(String::new()));
    let created: Arc<Mutex<Option<String>>> = Arc::default();
    let reader = Arc::new(Mutex::new(RequestReader::default()));
    let (up_tx, mut up_rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let (down_tx, mut down_rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();

    // Readers hand bytes to the link as they come; writers deliver them when the link
    // has carried them, so a direction's bytes queue on the link as on a real one.
    let l = link.clone();
    let read_up = async move {
        let mut buf = vec![0u8; 4 * 1024];
        while let Ok(n) = client_read.read(&mut buf).await {
            if n == 0 || up_tx.send((l.arrival(n, true), buf[..n].to_vec())).is_err() {
                break;
            }
        }
    };
    let l = link.clone();
    let read_down = async move {
        let mut buf = vec![0u8; 4 * 1024];
        while let Ok(n) = server_read.read(&mut buf).await {
            if n == 0
                || down_tx
                    .send((l.arrival(n, false), buf[..n].to_vec()))
                    .is_err()
            {
                break;
            }
        }
    };
    let (l, tr, ro, cr, rd) = (
        link.clone(),
        traffic.clone(),
        route.clone(),
        created.clone(),
        reader.clone(),
    );
    let write_up = async move {
        while let Some((at, bytes)) = up_rx.recv().await {
            tokio::time::sleep_until(at.into()).await;
            tr.lock().unwrap().note(&bytes, true, &ro);
            rd.lock().unwrap().feed(&bytes, &l, &cr);
            if server_write.write_all(&bytes).await.is_err() {
                break;
            }
        }
    };
    let (l, cr) = (link.clone(), created.clone());
    let write_down = async move {
        while let Some((at, bytes)) = down_rx.recv().await {
            tokio::time::sleep_until(at.into()).await;
            traffic.lock().unwrap().note(&bytes, false, &route);
            let text = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
            if let Some(at) = text.find("location: /v1/blobs/uploads/") {
                let rest = &text[at + "location: /v1/blobs/uploads/".len()..];
                let id = rest.split("\r\n").next().unwrap_or_default().trim();
                if let Some(sha) = cr.lock().unwrap().take() {
                    l.uploads.lock().unwrap().insert(id.to_string(), sha);
                }
            }
            if client_write.write_all(&bytes).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        () = async { tokio::join!(read_up, write_up); } => {}
        () = async { tokio::join!(read_down, write_down); } => {}
        _ = cut.changed() => {}
    }
    // A PATCH cut mid-body delivered part of its chunk.
    reader.lock().unwrap().finish(&link);
}
