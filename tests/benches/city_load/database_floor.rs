//! The database floor, a peer measured in the same run as the city backend: what
//! PostgreSQL alone spends to store one pushed inspection, on the server's own schema
//! (every index the pulls, the console and the chain checks need), with none of the
//! server's work around it: no HTTP, no parsing, no signature or scope check, no read,
//! no pull. Each device stores an inspection per transaction, through a pool of
//! connections as large as the city's servers keep: its 7 records (the real bodies of a recorded inspection) in one statement, their 3
//! photo links in one, the 3 new case rows in one, and the commit — fewer statements
//! than the server can send, since it must check each record before it writes it.
//!
//! Issue 14's target is 1,000 inspections/s on 2 cores, 2.0 ms of CPU per inspection in
//! all. If the database alone needs most of that, no server in front of it reaches the
//! target on this machine; this phase says how much it needs.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{Mutex, Semaphore};
use tokio_postgres::NoTls;

use super::{CpuSplit, Phase, RECORDS_PER_PUSH, machine_busy_cpu, process_cpu};

/// The 7 records of one inspection: numbered as the server numbers them (ADR 15), ids
/// of a UUID's length in transaction order, proof links of a SHA-256's length.
const RECORDS: &str = "
INSERT INTO records(seq, id, kind, body, body_hash, unit, department, author_person,
  author_device, draft, personal, received_at, case_id, proof_prev, proof_signature,
  proof_link, chain, proof_chained)
SELECT (1::BIGINT << 40) + (pg_current_xact_id()::TEXT::BIGINT << 8) + r.k,
  'floor-' || lpad(pg_current_xact_id()::TEXT, 20, '0') || '-' || lpad(r.k::TEXT, 9, '0'),
  r.kind, r.body, md5(r.body), $1, NULL, $2, $3, false, false, now()::TEXT,
  CASE WHEN r.kind = 'hazard-event'
    THEN 'floor-case-' || pg_current_xact_id()::TEXT || '-' || r.k END,
  encode(sha256(convert_to('prev' || pg_current_xact_id()::TEXT || r.k, 'UTF8')), 'hex'),
  NULL,
  encode(sha256(convert_to('link' || pg_current_xact_id()::TEXT || r.k, 'UTF8')), 'hex'),
  'c', true
FROM unnest($4::TEXT[], $5::TEXT[]) WITH ORDINALITY AS r(kind, body, k)";

/// The photo links of the inspection's 3 photo records (its last 3).
const LINKS: &str = "
INSERT INTO record_blobs(record, sha256, personal)
SELECT 'floor-' || lpad(pg_current_xact_id()::TEXT, 20, '0') || '-' || lpad(k::TEXT, 9, '0'),
  encode(sha256(convert_to('blob' || pg_current_xact_id()::TEXT || k, 'UTF8')), 'hex'), false
FROM generate_series(5, 7) AS k";

/// The 3 hazard cases the inspection reports, each a new row with its fold and the
/// columns the console reads.
const CASES: &str = "
INSERT INTO cases(case_id, unit, department, personal, fold, status, level, category,
  report_unit, site, reported_at_ms, due_ms, last_hlc_ms)
SELECT 'floor-case-' || pg_current_xact_id()::TEXT || '-' || k, $1, NULL, false, $2,
  'reported', 0, 'fire', $1, $3, t.ms, t.ms + 259200000, t.ms
FROM generate_series(2, 4) AS k,
  (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT AS ms) AS t
ON CONFLICT (case_id) DO NOTHING";

/// One inspection's records as stored: kinds and body texts, in push order.
#[derive(Clone)]
pub struct Inspection {
    pub kinds: Vec<String>,
    pub bodies: Vec<String>,
}

/// Connections the floor's devices share: as many as the city's two replicas keep open
/// for queries (16 each, `POOL_SIZE` in the server's `storage/postgres`), so that the
/// database sees no more transactions at once than it does behind the servers.
const CONNECTIONS: usize = 32;

/// Stores `each` inspections from each of `devices` devices at once into the database
/// at `url`, which has the server's schema, through at most [`CONNECTIONS`] connections
/// (a device waits for a free one, and its latency counts the wait). The connections
/// are opened and their statements prepared before the clock starts, as the server's
/// pool keeps them.
pub async fn phase(url: &str, inspection: &Inspection, devices: usize, each: usize) -> Phase {
    let mut all = Phase::default();
    let mut connected = Vec::new();
    for c in 0..devices.min(CONNECTIONS) {
        match Connection::open(url, c).await {
            Ok(connection) => connected.push(connection),
            Err(e) => all.errors.push(format!("connect: {e}")),
        }
    }
    let free = Arc::new(Semaphore::new(connected.len()));
    let pool = Arc::new(Mutex::new(connected));
    let inspection = Arc::new(inspection.clone());
    let mark = (machine_busy_cpu(), process_cpu("self"));
    let started = Instant::now();
    let tasks: Vec<_> = (0..devices)
        .map(|_| {
            let (free, pool, inspection) = (free.clone(), pool.clone(), inspection.clone());
            tokio::spawn(async move {
                let mut phase = Phase::default();
                for _ in 0..each {
                    let t = Instant::now();
                    let stored = match free.acquire().await {
                        Ok(_permit) => {
                            // A permit is held, so a connection is free in the pool.
                            let taken = pool.lock().await.pop();
                            match taken {
                                Some(mut connection) => {
                                    let stored = connection.store(&inspection).await;
                                    pool.lock().await.push(connection);
                                    stored.map_err(|e| e.to_string())
                                }
                                None => Err("no connection free under a permit".to_string()),
                            }
                        }
                        Err(e) => Err(e.to_string()),
                    };
                    phase.latencies.push(t.elapsed());
                    phase.requests += 1;
                    match stored {
                        Ok(()) => phase.records += RECORDS_PER_PUSH,
                        Err(e) => phase.errors.push(format!("store: {e}")),
                    }
                }
                phase
            })
        })
        .collect();
    for task in tasks {
        match task.await {
            Ok(phase) => all.absorb(phase),
            Err(e) => all.errors.push(format!("device task: {e}")),
        }
    }
    all.wall = started.elapsed();
    let load_generator = process_cpu("self") - mark.1;
    all.cpu = CpuSplit {
        load_generator,
        servers: 0.0,
        rest: (machine_busy_cpu() - mark.0 - load_generator).max(0.0),
    };
    all
}

/// One connection with the statements prepared, writing as device `c` (its own unit,
/// person, device and site names).
struct Connection {
    client: tokio_postgres::Client,
    statements: [tokio_postgres::Statement; 3],
    names: [String; 4],
}

impl Connection {
    async fn open(url: &str, c: usize) -> Result<Connection, tokio_postgres::Error> {
        let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
        tokio::spawn(connection);
        let statements = [
            client.prepare(RECORDS).await?,
            client.prepare(LINKS).await?,
            client.prepare(CASES).await?,
        ];
        Ok(Connection {
            client,
            statements,
            names: [
                format!("floor-g{c}"),
                format!("floor-p{c}"),
                format!("floor-d{c}"),
                format!("floor-v{c}"),
            ],
        })
    }

    /// Stores one inspection in one transaction.
    async fn store(&mut self, inspection: &Inspection) -> Result<(), tokio_postgres::Error> {
        let [records, links, cases] = &self.statements;
        let [unit, person, device, site] = &self.names;
        let (kinds, bodies) = (&inspection.kinds, &inspection.bodies);
        // A case's fold is about the size of its report event.
        let fold = bodies.get(1).map_or("", String::as_str);
        let tx = self.client.transaction().await?;
        tx.execute(records, &[unit, person, device, kinds, bodies])
            .await?;
        tx.execute(links, &[]).await?;
        tx.execute(cases, &[unit, &fold, site]).await?;
        tx.commit().await
    }
}
