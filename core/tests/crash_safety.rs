//! Crash safety: a child process writes answers and acknowledges each one on stdout after
//! the call returns; the parent SIGKILLs it at arbitrary moments, again and again, reopens
//! the store each time and checks that every acknowledged answer is there and that SQLite
//! reports the file intact.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gridwalk_core::Store;
use gridwalk_core::inspection::{InspectionKind, NewInspection, Outcome};
use gridwalk_core::reference::Site;

const CHILD_DB: &str = "GRIDWALK_CRASH_CHILD_DB";
const KILLS: u32 = 25;

fn site() -> Site {
    Site {
        id: "S1".into(),
        name: "Jinjiang Garden".into(),
        kind: "residential".into(),
        unit: "G1".into(),
        address: String::new(),
        lat: None,
        lon: None,
    }
}

/// The writer. It does nothing unless the parent test started it with `CHILD_DB` set.
#[test]
fn crash_child_writer() {
    let Ok(db) = std::env::var(CHILD_DB) else {
        return;
    };
    let mut store = Store::open(&db).unwrap();
    let mut stdout = std::io::stdout().lock();
    for round in 0u64.. {
        let id = store
            .start_inspection(&NewInspection {
                site_id: "S1".into(),
                template_id: None,
                template_version: None,
                kind: InspectionKind::Routine,
                inspector: "crash".into(),
            })
            .unwrap();
        let items: Vec<String> = store
            .checklist(&id)
            .unwrap()
            .categories
            .iter()
            .flat_map(|c| c.entries.iter().map(|e| e.item.code.clone()))
            .collect();
        for (n, item) in items.iter().enumerate() {
            // Answer, then change the answer: both must survive as acknowledged.
            for pass in 0..2u64 {
                let note = format!("{round}.{n}.{pass}");
                let outcome = if pass == 0 {
                    Outcome::Ok
                } else {
                    Outcome::NotApplicable
                };
                store.answer(&id, item, outcome, Some(&note)).unwrap();
                writeln!(stdout, "ack {id} {item} {note}").unwrap();
                stdout.flush().unwrap();
            }
        }
    }
}

/// A small deterministic generator so failures can be replayed.
fn next(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *seed >> 33
}

#[test]
fn acknowledged_answers_survive_repeated_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("device.db");
    Store::open(&db).unwrap().upsert_sites(&[site()]).unwrap();

    // (inspection, item) -> last acknowledged note
    let mut acked: HashMap<(String, String), String> = HashMap::new();
    let mut seed = 0x5eed_u64;
    let mut total_acks = 0usize;
    for kill in 0..KILLS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "crash_child_writer",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DB, &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let reader = {
            let lines = Arc::clone(&lines);
            let stdout = child.stdout.take().unwrap();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stdout);
                let mut line = String::new();
                // Only whole lines count: a line cut by the kill was never acknowledged.
                while reader.read_line(&mut line).unwrap_or(0) > 0 {
                    if line.ends_with('\n') && line.starts_with("ack ") {
                        lines.lock().unwrap().push(line.trim_end().to_string());
                    }
                    line.clear();
                }
            })
        };
        // Wait until the child is writing, then kill it at a pseudo-random moment.
        for _ in 0..500 {
            if !lines.lock().unwrap().is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(5 + next(&mut seed) % 60));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();

        let lines = lines.lock().unwrap();
        assert!(!lines.is_empty(), "child {kill} acknowledged nothing");
        total_acks += lines.len();
        for line in lines.iter() {
            let mut parts = line.split(' ').skip(1);
            let (id, item, note) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            acked.insert((id.to_string(), item.to_string()), note.to_string());
        }

        let store = Store::open(&db).unwrap();
        store.integrity_check().unwrap();
        for ((id, item), note) in &acked {
            let inspection = store.inspection(id).unwrap();
            let answer = inspection.answers.iter().find(|a| &a.item == item);
            let stored = answer.and_then(|a| a.note.clone());
            let stored = stored.unwrap_or_else(|| panic!("kill {kill}: {id}/{item} lost"));
            // The child may have committed one more change before the kill reached it,
            // never an older one.
            assert!(
                version(&stored) >= version(note),
                "kill {kill}: {id}/{item} went back from {note} to {stored}"
            );
        }
    }
    assert!(
        total_acks > KILLS as usize,
        "the children wrote too little to test anything"
    );
    println!("{KILLS} kills, {total_acks} acknowledged answers, all present");
}

fn version(note: &str) -> (u64, u64, u64) {
    let mut parts = note.split('.').map(|p| p.parse::<u64>().unwrap());
    (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    )
}
