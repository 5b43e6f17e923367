//! No photo is lost when the server dies mid-upload: a device records photos and syncs
//! while the real server binary is SIGKILLed at random points (seeded), and in some
//! rounds the kill lands exactly between an upload's last chunk and its finish — the
//! remaining bytes are written into the open upload through the server's own blob
//! store while it is down, which is what a kill right after the last `PATCH` wrote its
//! bytes leaves. In the end every photo is on the server with the right hash and the
//! device has nothing left to send.

use std::time::{Duration, Instant};

use gridwalk_core::inspection::InspectionKind;
use gridwalk_e2e::*;

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");
const KILLS: u32 = 24;
const SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// A small seeded generator (xorshift), so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Completes every upload the device has open on the server, as if the server had
/// written each one's last chunk and died before finishing it. Returns how many.
fn complete_open_uploads(server: &Server, device: &Device) -> usize {
    let device_db = device.connection();
    let mut stmt = device_db
        .prepare("SELECT sha256, location FROM photo_uploads")
        .unwrap();
    let open: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let blobs = server.blob_store();
    let store = device.store();
    let mut completed = 0;
    for (sha, location) in open {
        let id = location.rsplit('/').next().unwrap();
        let Some(at) = blobs.upload_offset(id).unwrap() else {
            continue;
        };
        let bytes = std::fs::read(store.photo_path(&sha).unwrap()).unwrap();
        let at = usize::try_from(at).unwrap();
        if at < bytes.len() {
            blobs.append(id, at as u64, &bytes[at..]).unwrap();
            completed += 1;
        }
    }
    completed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_photo_is_lost_when_the_server_is_killed_at_random_points_of_uploads() {
    let started = Instant::now();
    let mut server = Server::start(BIN);
    let proxy = Proxy::start(server.addr).await;
    let worker = Device::new("Li Na");
    worker
        .enroll(
            &proxy.url(),
            &server.person("Li Na", "grid-worker", "g-xinhua-1", None),
        )
        .await;
    // Slow the link a little so kills land inside uploads, not between syncs.
    proxy.set_faults(Faults {
        delay: Duration::from_millis(2),
        ..Faults::default()
    });
    let mut rng = Rng(SEED);
    let mut forced = 0usize;
    for round in 0..KILLS {
        let seed = 1000 + 2 * u64::from(round);
        worker.inspect(
            "site-a",
            InspectionKind::Routine,
            &[(
                "fire-03",
                vec![jpeg(seed, 480, 360), jpeg(seed + 1, 480, 360)],
            )],
        );
        // The kills are aimed at full photo uploads; thumbnails (sent first) would
        // take many of them (tests/tests/thumbnails_first.rs covers those).
        worker.mark_thumbnails_sent();
        let store = worker.shared();
        let sync = tokio::spawn(async move {
            gridwalk_core::sync::sync_with(&store, &test_options(), None).await
        });
        // Records go before photos now, so uploads start later in a sync.
        tokio::time::sleep(Duration::from_millis(30 + rng.below(200))).await;
        server.kill();
        // Every other round, the kill lands between the last chunk and the finish.
        if round % 2 == 0 {
            forced += complete_open_uploads(&server, &worker);
        }
        server.restart();
        proxy.set_upstream(server.addr);
        // The interrupted sync may fail or finish against the restarted server.
        let _ = sync.await.unwrap();
    }
    proxy.set_faults(Faults::default());
    worker.sync_until_clean(10).await;

    let photos = worker.photos();
    assert_eq!(photos.len(), 2 * KILLS as usize);
    for sha in &photos {
        let bytes = server
            .blob(sha)
            .unwrap_or_else(|| panic!("photo {sha} was lost"));
        assert_eq!(
            &sha256(&bytes),
            sha,
            "photo {sha} is stored with wrong bytes"
        );
    }
    assert!(worker.store().all_photos_to_upload().unwrap().is_empty());
    assert_converged(&server, &[&worker]).await;
    eprintln!(
        "{KILLS} kills ({forced} uploads completed between last chunk and finish), \
         {} photos, {:?}",
        photos.len(),
        started.elapsed()
    );
    assert!(
        forced > 0,
        "no kill landed between a last chunk and its finish"
    );
}
