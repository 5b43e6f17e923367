//! `RecordStore` on PostgreSQL: the same questions as `sqlite.rs`, in the same order,
//! one section per table, so a method added there has its twin here beside the same
//! SQL. Rows are read with `try_get`: a column that does not read back is a typed
//! error, never a panic.

use std::sync::{Arc, LazyLock};

use chrono::{DateTime, Utc};
use gridwalk_model::org::{OrgUnit, Site};
use gridwalk_model::photo_record::ID_PREFIX as PHOTO_ID_PREFIX;
use gridwalk_model::protocol::{Person, RecordKind};
use gridwalk_model::signing::GENESIS;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};

use super::super::register::Register;
use super::super::sqlite::{now, parse_stamp, person_from_parts, stamp};
use super::super::{
    BatchStep, BlobLink, CaseLock, CaseRow, CaseScope, ChainBreaks, ChainEntry, DeviceSummary,
    EnrolAttempt, NewDevice, NewRecord, PersonSummary, ProvenRow, PutOutcome, RecordFilter,
    RecordStore, Redeemed, StoreError, StoreResult, StoredProof, StoredRecord, TokenDevice, Upload,
    UploadAdmission, UploadCap, judge_stored, note_chain,
};
use super::{Db, PgStore, advisory_key, execute, query, query_one, query_opt};

const RECORD_COLUMNS: &str = "seq, id, kind, body, unit, department, author_person, \
                              author_device, draft, personal, received_at, case_id, chain";

/// How often a push retries a record whose id another replica inserted at the same
/// moment (the retry then finds it stored and answers duplicate or conflict).
const PUT_ATTEMPTS: usize = 3;

fn record_from_row(r: &Row) -> StoreResult<StoredRecord> {
    Ok(StoredRecord {
        seq: r.try_get(0)?,
        id: r.try_get(1)?,
        kind: r.try_get(2)?,
        body: r.try_get(3)?,
        unit: r.try_get(4)?,
        department: r.try_get(5)?,
        author_person: r.try_get(6)?,
        author_device: r.try_get(7)?,
        draft: r.try_get(8)?,
        personal: r.try_get(9)?,
        received_at: r.try_get(10)?,
        case_id: r.try_get(11)?,
        chain: r.try_get(12)?,
    })
}

fn records_from(rows: &[Row]) -> StoreResult<Vec<StoredRecord>> {
    rows.iter().map(record_from_row).collect()
}

/// The five person columns from `start` on, as a [`Person`].
pub(super) fn person_at(r: &Row, start: usize) -> StoreResult<Person> {
    person_from_parts((
        r.try_get(start)?,
        r.try_get(start + 1)?,
        r.try_get(start + 2)?,
        r.try_get(start + 3)?,
        r.try_get(start + 4)?,
    ))
}

fn site_from_row(r: &Row) -> StoreResult<Site> {
    Ok(Site {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        kind: r.try_get(2)?,
        unit: r.try_get(3)?,
        address: r.try_get(4)?,
        lat: r.try_get(5)?,
        lon: r.try_get(6)?,
    })
}

fn count(r: &Row, index: usize) -> StoreResult<u64> {
    let n: i64 = r.try_get(index)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The columns of a [`DeviceSummary`] and whether the device is expired at `$1`.
const DEVICE_SUMMARY_SELECT: &str = "SELECT d.id, d.person, p.name, d.enrolled_at, \
     d.last_seen_at, d.expires_at, d.expires_at <= $1, d.revoked_at \
     FROM devices d JOIN people p ON p.id = d.person";

fn device_summary_from_row(r: &Row) -> StoreResult<DeviceSummary> {
    let revoked_at: Option<String> = r.try_get(7)?;
    Ok(DeviceSummary {
        id: r.try_get(0)?,
        person: r.try_get(1)?,
        person_name: r.try_get(2)?,
        enrolled_at: r.try_get(3)?,
        last_seen_at: r.try_get(4)?,
        expires_at: r.try_get(5)?,
        expired: r.try_get(6)?,
        revoked: revoked_at.is_some(),
        revoked_at,
    })
}

fn upload_from_row(r: &Row) -> StoreResult<Upload> {
    let length: i64 = r.try_get(2)?;
    let created_at: String = r.try_get(6)?;
    Ok(Upload {
        id: r.try_get(0)?,
        sha256: r.try_get(1)?,
        length: u64::try_from(length).unwrap_or(0),
        device: r.try_get(3)?,
        person: r.try_get(4)?,
        done: r.try_get(5)?,
        thumbnail_of: r.try_get(7)?,
        created_at: parse_stamp("upload created_at", &created_at)?,
    })
}

fn is_unique_violation(e: &StoreError) -> bool {
    matches!(e, StoreError::Postgres(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION))
}

impl RecordStore for PgStore {
    fn check_health(&self) -> StoreResult<()> {
        self.run(async {
            let c = self.client().await?;
            query_one(&c, "SELECT count(*) FROM records", &[]).await?;
            Ok(())
        })
    }

    fn in_batch(
        &self,
        cases: &[&str],
        work: &mut dyn FnMut(&dyn RecordStore) -> BatchStep,
    ) -> StoreResult<bool> {
        self.run_batch(cases, work)
    }

    fn lock_case(&self, case_id: &str) -> StoreResult<CaseLock<'_>> {
        self.lock_case_now(case_id)
    }

    // --- units and sites ---

    fn upsert_units(&self, units: &[OrgUnit]) -> StoreResult<()> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            for u in units {
                execute(
                    &tx,
                    "INSERT INTO units(id, name, level, parent) VALUES ($1, $2, $3, $4)
                     ON CONFLICT(id) DO UPDATE SET name = excluded.name,
                       level = excluded.level, parent = excluded.parent",
                    &[&u.id, &u.name, &u.level, &u.parent],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn units(&self) -> StoreResult<Vec<OrgUnit>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                "SELECT id, name, level, parent FROM units ORDER BY id",
                &[],
            )
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(OrgUnit {
                        id: r.try_get(0)?,
                        name: r.try_get(1)?,
                        level: r.try_get(2)?,
                        parent: r.try_get(3)?,
                    })
                })
                .collect()
        })
    }

    fn register(&self) -> StoreResult<Arc<Register>> {
        let version: i64 = self.run(async {
            let c = self.client().await?;
            Ok(query_one(&c, "SELECT version FROM units_version", &[])
                .await?
                .try_get(0)?)
        })?;
        self.register.register(version, || self.units())
    }

    fn upsert_sites(&self, sites: &[Site]) -> StoreResult<()> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            for s in sites {
                execute(
                    &tx,
                    "INSERT INTO sites(id, name, kind, unit, address, lat, lon)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT(id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                       unit = excluded.unit, address = excluded.address,
                       lat = excluded.lat, lon = excluded.lon",
                    &[&s.id, &s.name, &s.kind, &s.unit, &s.address, &s.lat, &s.lon],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn sites(&self) -> StoreResult<Vec<Site>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                "SELECT id, name, kind, unit, address, lat, lon FROM sites ORDER BY id",
                &[],
            )
            .await?;
            rows.iter().map(site_from_row).collect()
        })
    }

    fn site(&self, id: &str) -> StoreResult<Option<Site>> {
        self.run(async {
            let c = self.client().await?;
            query_opt(
                &c,
                "SELECT id, name, kind, unit, address, lat, lon FROM sites WHERE id = $1",
                &[&id],
            )
            .await?
            .as_ref()
            .map(site_from_row)
            .transpose()
        })
    }

    // --- people and enrolment codes ---

    fn add_person(&self, person: &Person, code_hash: &str) -> StoreResult<()> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            execute(
                &tx,
                "INSERT INTO people(id, name, role, unit, department)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &person.id,
                    &person.name,
                    &person.role.as_str(),
                    &person.unit,
                    &person.department,
                ],
            )
            .await?;
            execute(
                &tx,
                "INSERT INTO enrolment_codes(code_hash, person) VALUES ($1, $2)",
                &[&code_hash, &person.id],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn people(&self) -> StoreResult<Vec<Person>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                "SELECT id, name, role, unit, department FROM people ORDER BY id",
                &[],
            )
            .await?;
            rows.iter().map(|r| person_at(r, 0)).collect()
        })
    }

    fn person_summaries(&self, now: DateTime<Utc>) -> StoreResult<Vec<PersonSummary>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                "SELECT p.id, p.name, p.role, p.unit, p.department, p.disabled_at,
                   (SELECT count(*) FROM devices d WHERE d.person = p.id
                      AND d.revoked_at IS NULL AND d.expires_at > $1)
                 FROM people p ORDER BY p.id",
                &[&stamp(now)],
            )
            .await?;
            rows.iter()
                .map(|r| {
                    let disabled_at: Option<String> = r.try_get(5)?;
                    Ok(PersonSummary {
                        person: person_at(r, 0)?,
                        disabled: disabled_at.is_some(),
                        disabled_at,
                        active_devices: u32::try_from(count(r, 6)?).unwrap_or(u32::MAX),
                    })
                })
                .collect()
        })
    }

    fn set_person_disabled(&self, person: &str, at: Option<DateTime<Utc>>) -> StoreResult<bool> {
        self.run(async {
            let c = self.client().await?;
            let changed =
                match at {
                    Some(at) => execute(
                        &c,
                        "UPDATE people SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL",
                        &[&person, &stamp(at)],
                    )
                    .await?,
                    None => {
                        execute(
                            &c,
                            "UPDATE people SET disabled_at = NULL
                         WHERE id = $1 AND disabled_at IS NOT NULL",
                            &[&person],
                        )
                        .await?
                    }
                };
            Ok(changed > 0)
        })
    }

    fn reissue_enrolment(&self, person: &str, code_hash: &str) -> StoreResult<usize> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let replaced = execute(
                &tx,
                "DELETE FROM enrolment_codes WHERE person = $1 AND used_at IS NULL",
                &[&person],
            )
            .await?;
            execute(
                &tx,
                "INSERT INTO enrolment_codes(code_hash, person) VALUES ($1, $2)",
                &[&code_hash, &person],
            )
            .await?;
            tx.commit().await?;
            Ok(usize::try_from(replaced).unwrap_or(usize::MAX))
        })
    }

    fn redeem_enrolment(
        &self,
        enrolment: &NewDevice<'_>,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<Redeemed> {
        let code_hash = enrolment.code_hash;
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            // FOR UPDATE: two replicas redeeming one code at once, the second waits and
            // then finds it used.
            let row = query_opt(
                &tx,
                "SELECT c.person, p.disabled_at IS NOT NULL
                 FROM enrolment_codes c JOIN people p ON p.id = c.person
                 WHERE c.code_hash = $1 AND c.used_at IS NULL FOR UPDATE OF c",
                &[&code_hash],
            )
            .await?;
            let person_id: String = match row {
                None => return Ok(Redeemed::UnknownCode),
                Some(r) if r.try_get::<_, bool>(1)? => return Ok(Redeemed::PersonDisabled),
                Some(r) => r.try_get(0)?,
            };
            let at = stamp(now);
            execute(
                &tx,
                "UPDATE enrolment_codes SET used_at = $2 WHERE code_hash = $1",
                &[&code_hash, &at],
            )
            .await?;
            execute(
                &tx,
                "INSERT INTO devices(id, person, token_hash, enrolled_at, last_seen_at,
                   expires_at, public_key)
                 VALUES ($1, $2, $3, $4, $4, $5, $6)",
                &[
                    &enrolment.device_id,
                    &person_id,
                    &enrolment.token_hash,
                    &at,
                    &stamp(expires_at),
                    &enrolment.public_key,
                ],
            )
            .await?;
            let row = query_one(
                &tx,
                "SELECT id, name, role, unit, department FROM people WHERE id = $1",
                &[&person_id],
            )
            .await?;
            let person = person_at(&row, 0)?;
            tx.commit().await?;
            Ok(Redeemed::Enrolled(person))
        })
    }

    // --- devices ---

    fn device_public_key(&self, device_id: &str) -> StoreResult<Option<String>> {
        self.run(async {
            let c = self.client().await?;
            let row = query_opt(
                &c,
                "SELECT public_key FROM devices WHERE id = $1",
                &[&device_id],
            )
            .await?;
            Ok(match row {
                Some(r) => r.try_get(0)?,
                None => None,
            })
        })
    }

    fn device_person(&self, device_id: &str) -> StoreResult<Option<String>> {
        self.run(async {
            let c = self.client().await?;
            let row = query_opt(
                &c,
                "SELECT person FROM devices WHERE id = $1",
                &[&device_id],
            )
            .await?;
            row.map(|r| r.try_get(0)).transpose().map_err(Into::into)
        })
    }

    fn device_for_token(&self, token_hash: &str) -> StoreResult<Option<TokenDevice>> {
        self.run(async {
            let c = self.client().await?;
            let row = query_opt(
                &c,
                "SELECT d.id, p.id, p.name, p.role, p.unit, p.department,
                   p.disabled_at IS NOT NULL, d.revoked_at IS NOT NULL, d.expires_at,
                   d.public_key
                 FROM devices d JOIN people p ON p.id = d.person WHERE d.token_hash = $1",
                &[&token_hash],
            )
            .await?;
            let Some(r) = row else {
                return Ok(None);
            };
            let device: String = r.try_get(0)?;
            let expires_at: String = r.try_get(8)?;
            Ok(Some(TokenDevice {
                expires_at: parse_stamp(&format!("device {device} expiry"), &expires_at)?,
                person: person_at(&r, 1)?,
                person_disabled: r.try_get(6)?,
                revoked: r.try_get(7)?,
                public_key: r.try_get(9)?,
                device,
            }))
        })
    }

    fn renew_device(
        &self,
        device: &str,
        seen_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.run(async {
            let c = self.client().await?;
            execute(
                &c,
                "UPDATE devices SET last_seen_at = $2, expires_at = $3
                 WHERE id = $1 AND revoked_at IS NULL",
                &[&device, &stamp(seen_at), &stamp(expires_at)],
            )
            .await?;
            Ok(())
        })
    }

    fn device_summaries(
        &self,
        person: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<DeviceSummary>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                &format!(
                    "{DEVICE_SUMMARY_SELECT} WHERE $2::text IS NULL OR d.person = $2
                     ORDER BY d.enrolled_at, d.id"
                ),
                &[&stamp(now), &person],
            )
            .await?;
            rows.iter().map(device_summary_from_row).collect()
        })
    }

    fn revoke_device(&self, device: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        self.run(async {
            let c = self.client().await?;
            let changed = execute(
                &c,
                "UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&device, &stamp(at)],
            )
            .await?;
            Ok(changed > 0)
        })
    }

    // --- enrolment attempts ---

    fn note_enrol_attempt(
        &self,
        client: &str,
        now_ms: i64,
        window_ms: i64,
        max: u32,
    ) -> StoreResult<EnrolAttempt> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            // Counted and inserted under the address's lock, so replicas answering one
            // address at once cannot both take its last place.
            execute(
                &tx,
                "SELECT pg_advisory_xact_lock($1)",
                &[&advisory_key("enrol", client)],
            )
            .await?;
            let since = now_ms.saturating_sub(window_ms);
            execute(
                &tx,
                "DELETE FROM enrol_attempts WHERE at_ms <= $1",
                &[&since],
            )
            .await?;
            let row = query_one(
                &tx,
                "SELECT count(*), min(at_ms) FROM enrol_attempts WHERE client = $1",
                &[&client],
            )
            .await?;
            let counted = count(&row, 0)?;
            let oldest: Option<i64> = row.try_get(1)?;
            let attempt = if counted >= u64::from(max) {
                let free_at = oldest.unwrap_or(now_ms).saturating_add(window_ms);
                EnrolAttempt::Refused {
                    retry_after_ms: free_at.saturating_sub(now_ms).max(1),
                }
            } else {
                let row = query_one(
                    &tx,
                    "INSERT INTO enrol_attempts(client, at_ms) VALUES ($1, $2) RETURNING id",
                    &[&client, &now_ms],
                )
                .await?;
                EnrolAttempt::Allowed(row.try_get(0)?)
            };
            tx.commit().await?;
            Ok(attempt)
        })
    }

    fn forget_enrol_attempt(&self, attempt: i64) -> StoreResult<()> {
        self.run(async {
            let c = self.client().await?;
            execute(&c, "DELETE FROM enrol_attempts WHERE id = $1", &[&attempt]).await?;
            Ok(())
        })
    }

    // --- records and cases ---

    fn proven_rows(&self) -> StoreResult<Vec<ProvenRow>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                "SELECT r.id, r.kind, r.body, r.author_device, d.public_key, r.proof_prev,
                   r.proof_signature, r.proof_link, r.chain, coalesce(r.proof_chained, false)
                 FROM records r LEFT JOIN devices d ON d.id = r.author_device ORDER BY r.seq",
                &[],
            )
            .await?;
            rows.iter()
                .map(|r| {
                    let proof: (
                        Option<String>,
                        Option<String>,
                        Option<String>,
                        Option<String>,
                    ) = (r.try_get(5)?, r.try_get(6)?, r.try_get(7)?, r.try_get(8)?);
                    Ok(ProvenRow {
                        id: r.try_get(0)?,
                        kind: r.try_get(1)?,
                        body: r.try_get(2)?,
                        device: r.try_get(3)?,
                        public_key: r.try_get(4)?,
                        proof: match proof {
                            (Some(prev), signature, Some(link), chain) => Some(StoredProof {
                                prev,
                                signature,
                                link,
                                chain: chain.unwrap_or_default(),
                                chained: r.try_get(9)?,
                            }),
                            _ => None,
                        },
                    })
                })
                .collect()
        })
    }

    fn referenced_blobs(&self) -> StoreResult<Vec<String>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                "SELECT DISTINCT sha256 FROM record_blobs ORDER BY sha256",
                &[],
            )
            .await?;
            rows.iter()
                .map(|r| r.try_get(0).map_err(Into::into))
                .collect()
        })
    }

    fn put_record(&self, rec: &NewRecord, case: Option<&CaseRow>) -> StoreResult<PutOutcome> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.run(self.put_record_once(rec, case)) {
                Err(e) if attempt < PUT_ATTEMPTS && is_unique_violation(&e) => continue,
                other => return other,
            }
        }
    }

    fn records_after(
        &self,
        after: i64,
        upto: i64,
        filter: &RecordFilter,
        limit: u32,
    ) -> StoreResult<Vec<StoredRecord>> {
        // One statement per shape of filter, without `IS NULL` branches, planned for
        // the values of each call (`query_typed`: an unnamed statement, one round trip):
        // a plan made once per connection cannot know how many records lie between
        // the cursor and the top, and took the sequence range, reading every record
        // pushed city-wide since the caller's cursor, instead of the caller's area
        // through `records_by_unit` and `records_by_author` (`docs/BENCHMARKS.md`).
        let limit = i64::from(limit);
        let mut params: Vec<(&(dyn ToSql + Sync), Type)> = vec![
            (&after, Type::INT8),
            (&upto, Type::INT8),
            (&limit, Type::INT8),
        ];
        let mut sql = format!("SELECT {RECORD_COLUMNS} FROM records WHERE seq > $1 AND seq <= $2");
        if let Some(device) = &filter.skip_device {
            params.push((device, Type::TEXT));
            sql.push_str(&format!(" AND author_device <> ${}", params.len()));
        }
        if let Some(units) = &filter.units {
            params.push((units, Type::TEXT_ARRAY));
            let units_at = params.len();
            let mut terms = vec![format!("unit = ANY(${units_at})")];
            if let Some(author) = &filter.author {
                params.push((author, Type::TEXT));
                terms.push(format!("author_person = ${}", params.len()));
            }
            if let Some(department) = &filter.department {
                params.push((department, Type::TEXT));
                let at = params.len();
                terms.push(format!(
                    "case_id IN (SELECT case_id FROM cases WHERE department = ${at})"
                ));
                terms.push(format!(
                    "(kind = 'photo' AND EXISTS (
                        SELECT 1 FROM record_blobs b
                        JOIN records attaching ON attaching.id = b.record
                        JOIN cases c ON c.case_id = attaching.case_id
                        WHERE b.sha256 = substr(records.id, {skip})
                          AND c.department = ${at}))",
                    skip = PHOTO_ID_PREFIX.len() + 1
                ));
            }
            sql.push_str(&format!(" AND ({})", terms.join(" OR ")));
        }
        sql.push_str(" ORDER BY seq LIMIT $3");
        self.run(async {
            let c = self.client().await?;
            let rows = c.query_typed(&sql, &params).await?;
            records_from(&rows)
        })
    }

    fn max_seq(&self) -> StoreResult<i64> {
        self.run(async {
            let c = self.client().await?;
            // The highest number stored, but below the first number any transaction
            // still open could hold (see [`FEED_FROM`]): every record up to it is
            // committed, and every record committed later is numbered above it. Open
            // is read in the statement's own snapshot, the one `max(seq)` is read in.
            // Transaction ids are the cluster's: one open in another database of the
            // cluster would hold every pull back while it lasts, so those running in
            // other databases now are left out (one that ended since is kept, which
            // only holds the pull back until the next).
            let row = query_one(&c, &WATERMARK, &[]).await?;
            Ok(row.try_get(0)?)
        })
    }

    fn record_exists(&self, id: &str) -> StoreResult<bool> {
        self.run(async {
            let c = self.client().await?;
            Ok(query_opt(&c, "SELECT 1 FROM records WHERE id = $1", &[&id])
                .await?
                .is_some())
        })
    }

    fn records_with_blobs(&self, sha256s: &[&str]) -> StoreResult<Vec<(String, BlobLink)>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(&c, &BLOB_LINKS, &[&sha256s]).await?;
            rows.iter().map(blob_link_from).collect()
        })
    }

    /// One photo's links, asked with a single value rather than a list of one: PostgreSQL
    /// plans a statement with an array parameter again on every call (its generic plan,
    /// made for a list of unknown length, looks dearer than the plan for a list of one),
    /// and every photo record pushed asks this (`pg_stat_statements`: 2,659 plans for
    /// 2,794 calls, 1.7 ms each).
    fn records_with_blob(&self, sha256: &str) -> StoreResult<Vec<BlobLink>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(&c, &BLOB_LINKS_OF_ONE, &[&sha256]).await?;
            rows.iter()
                .map(|r| blob_link_from(r).map(|(_, link)| link))
                .collect()
        })
    }

    fn case_scope(&self, case_id: &str) -> StoreResult<Option<CaseScope>> {
        self.run(async {
            let c = self.client().await?;
            let row = query_opt(
                &c,
                "SELECT case_id, unit, department, personal FROM cases WHERE case_id = $1",
                &[&case_id],
            )
            .await?;
            row.map(|r| {
                Ok(CaseScope {
                    case_id: r.try_get(0)?,
                    unit: r.try_get(1)?,
                    department: r.try_get(2)?,
                    personal: r.try_get(3)?,
                })
            })
            .transpose()
        })
    }

    fn case_fold(&self, case_id: &str) -> StoreResult<Option<String>> {
        self.run(async {
            let c = self.client().await?;
            let row =
                query_opt(&c, "SELECT fold FROM cases WHERE case_id = $1", &[&case_id]).await?;
            Ok(match row {
                Some(r) => r.try_get(0)?,
                None => None,
            })
        })
    }

    fn case_records(&self, case_id: &str) -> StoreResult<Vec<StoredRecord>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                &format!("SELECT {RECORD_COLUMNS} FROM records WHERE case_id = $1 ORDER BY seq"),
                &[&case_id],
            )
            .await?;
            records_from(&rows)
        })
    }

    fn records_of_kind(&self, kind: RecordKind) -> StoreResult<Vec<StoredRecord>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                &format!("SELECT {RECORD_COLUMNS} FROM records WHERE kind = $1 ORDER BY seq"),
                &[&kind.as_str()],
            )
            .await?;
            records_from(&rows)
        })
    }

    fn record(&self, id: &str) -> StoreResult<Option<StoredRecord>> {
        self.run(async {
            let c = self.client().await?;
            let row = query_opt(
                &c,
                &format!("SELECT {RECORD_COLUMNS} FROM records WHERE id = $1"),
                &[&id],
            )
            .await?;
            row.as_ref().map(record_from_row).transpose()
        })
    }

    fn device_chain(&self, device: &str) -> StoreResult<Vec<ChainEntry>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                "SELECT id, case_id, proof_prev, proof_signature, proof_link,
                   coalesce(chain, ''), coalesce(proof_chained, false), kind, body
                 FROM records WHERE author_device = $1 AND proof_link IS NOT NULL ORDER BY seq",
                &[&device],
            )
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(ChainEntry {
                        id: r.try_get(0)?,
                        case_id: r.try_get(1)?,
                        prev: r.try_get(2)?,
                        signature: r.try_get(3)?,
                        link: r.try_get(4)?,
                        chain: r.try_get(5)?,
                        chained: r.try_get(6)?,
                        kind: r.try_get(7)?,
                        body: r.try_get(8)?,
                    })
                })
                .collect()
        })
    }

    fn chain_breaks(&self) -> StoreResult<Vec<ChainBreaks>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                "SELECT r.author_device, coalesce(max(p.name), ''),
                        count(*) FILTER (WHERE r.chain = 'gap'),
                        count(*) FILTER (WHERE r.chain = 'fork')
                 FROM records r LEFT JOIN people p ON p.id = r.author_person
                 WHERE r.chain IN ('gap', 'fork')
                 GROUP BY r.author_device ORDER BY r.author_device",
                &[],
            )
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(ChainBreaks {
                        device: r.try_get(0)?,
                        person_name: r.try_get(1)?,
                        gap: count(r, 2)?,
                        fork: count(r, 3)?,
                    })
                })
                .collect()
        })
    }

    // --- uploads ---

    fn create_upload(&self, up: &Upload, cap: &UploadCap) -> StoreResult<UploadAdmission> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            // Counted and inserted under the device's lock, so two creates at once, on
            // any replicas, cannot both take the last place.
            execute(
                &tx,
                "SELECT pg_advisory_xact_lock($1)",
                &[&advisory_key("uploads", &up.device)],
            )
            .await?;
            let row = query_one(
                &tx,
                "SELECT count(*), coalesce(sum(length), 0)::bigint, min(created_at)
                 FROM uploads WHERE device = $1 AND NOT done AND created_at >= $2",
                &[&up.device, &stamp(cap.live_since)],
            )
            .await?;
            let open = u32::try_from(count(&row, 0)?).unwrap_or(u32::MAX);
            let bytes = count(&row, 1)?;
            let oldest: Option<String> = row.try_get(2)?;
            if open >= cap.max_open || bytes.saturating_add(up.length) > cap.max_bytes {
                let oldest = match oldest {
                    Some(text) => Some(parse_stamp("upload created_at", &text)?),
                    None => None,
                };
                return Ok(UploadAdmission::Refused {
                    open,
                    bytes,
                    oldest,
                });
            }
            execute(
                &tx,
                "INSERT INTO uploads(id, sha256, length, device, person, done, created_at,
                                     thumbnail_of)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &up.id,
                    &up.sha256,
                    &i64::try_from(up.length).unwrap_or(i64::MAX),
                    &up.device,
                    &up.person,
                    &up.done,
                    &stamp(up.created_at),
                    &up.thumbnail_of,
                ],
            )
            .await?;
            tx.commit().await?;
            Ok(UploadAdmission::Admitted)
        })
    }

    fn upload(&self, id: &str) -> StoreResult<Option<Upload>> {
        self.run(async {
            let c = self.client().await?;
            let row = query_opt(
                &c,
                "SELECT id, sha256, length, device, person, done, created_at, thumbnail_of
                 FROM uploads WHERE id = $1",
                &[&id],
            )
            .await?;
            row.as_ref().map(upload_from_row).transpose()
        })
    }

    fn finish_upload(&self, id: &str) -> StoreResult<()> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            execute(&tx, "UPDATE uploads SET done = TRUE WHERE id = $1", &[&id]).await?;
            execute(
                &tx,
                "INSERT INTO blob_uploaders(sha256, person, uploaded_at)
                 SELECT sha256, person, $2 FROM uploads WHERE id = $1
                 ON CONFLICT DO NOTHING",
                &[&id, &now()],
            )
            .await?;
            // A thumbnail's link to its photo, per person: a newer thumbnail of the same
            // photo by the same person replaces the older one.
            execute(
                &tx,
                "INSERT INTO thumbnails(photo, person, thumbnail, linked_at)
                 SELECT thumbnail_of, person, sha256, $2 FROM uploads
                 WHERE id = $1 AND thumbnail_of IS NOT NULL
                 ON CONFLICT (photo, person) DO UPDATE
                 SET thumbnail = excluded.thumbnail, linked_at = excluded.linked_at",
                &[&id, &now()],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn delete_upload(&self, id: &str) -> StoreResult<()> {
        self.run(async {
            let c = self.client().await?;
            execute(&c, "DELETE FROM uploads WHERE id = $1", &[&id]).await?;
            Ok(())
        })
    }

    fn unfinished_uploads_created_before(&self, before: DateTime<Utc>) -> StoreResult<Vec<String>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                "SELECT id FROM uploads WHERE NOT done AND created_at < $1 ORDER BY created_at",
                &[&stamp(before)],
            )
            .await?;
            rows.iter()
                .map(|r| r.try_get(0).map_err(Into::into))
                .collect()
        })
    }

    fn unfinished_upload_ids(&self) -> StoreResult<Vec<String>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(&c, "SELECT id FROM uploads WHERE NOT done", &[]).await?;
            rows.iter()
                .map(|r| r.try_get(0).map_err(Into::into))
                .collect()
        })
    }

    fn uploaders_of_blobs(&self, sha256s: &[&str]) -> StoreResult<Vec<(String, String)>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                "SELECT sha256, person FROM blob_uploaders WHERE sha256 = ANY($1::TEXT[])
                 ORDER BY sha256, person",
                &[&sha256s],
            )
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect()
        })
    }

    fn thumbnail_links(&self, photo: &str) -> StoreResult<Vec<(String, String)>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                "SELECT person, thumbnail FROM thumbnails WHERE photo = $1
                 ORDER BY linked_at, person",
                &[&photo],
            )
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect()
        })
    }
}

impl PgStore {
    /// One try at storing a pushed record with its case row, in one transaction; in a
    /// batch's view, in a savepoint of the batch's transaction, so that an error undoes
    /// this record alone and a retry can follow.
    async fn put_record_once(
        &self,
        rec: &NewRecord,
        case: Option<&CaseRow>,
    ) -> StoreResult<PutOutcome> {
        let mut c = self.client().await?;
        let ordinal = self.next_ordinal()?;
        if self.in_a_batch() {
            // Sent together (tokio-postgres pipelines requests polled at once, in the
            // order polled): the savepoint does not cost a round trip of its own.
            let written = tokio::join!(
                c.batch_execute("SAVEPOINT put_record"),
                write_record(&c, rec, case, ordinal)
            );
            let written = match written {
                (Ok(()), written) => written,
                (Err(e), _) => Err(e.into()),
            };
            // The savepoint is left open, not released (a round trip per record saved):
            // the next record's savepoint nests in it, an error rolls back to the newest
            // one only, and the commit ends them all.
            if written.is_err() {
                c.batch_execute("ROLLBACK TO SAVEPOINT put_record; RELEASE SAVEPOINT put_record")
                    .await?;
            }
            return written;
        }
        let tx = c.transaction().await?;
        let outcome = write_record(&tx, rec, case, ordinal).await?;
        tx.commit().await?;
        Ok(outcome)
    }
}

/// Where the numbers of records stored since schema 12 start (2⁴⁰, above every number
/// drawn before): a record's number is `FEED_FROM + (xid << 8) + ordinal`, the id of
/// the transaction that stored it (`pg_current_xact_id()`) and its place among that
/// transaction's records, final when it is drawn. Kept this small because the cursor
/// travels as text in every sync, an idle one too (13 digits, not 19 at 2⁶¹).
///
/// The pull cursor must never pass a record that commits later (issue 14 item 4).
/// PostgreSQL gives every transaction that writes an id in the order it first writes,
/// and `pg_snapshot_xmin` of a snapshot is the oldest one still open: every record
/// numbered below that transaction's first number is committed (or never will be), and
/// every record committed later is numbered above it. So [`RecordStore::max_seq`] stops
/// there, and a pull reads only up to it. No lock orders the pushes and nothing is
/// renumbered: before this, a push's records were stored under provisional numbers
/// and renumbered at the commit under one lock held through its WAL flush, so pushes
/// queued on one another's flush (ADR 15).
pub(super) const FEED_FROM: i64 = 1 << 40;

/// Records one transaction may store (the ordinal's 8 bits; a push batch stores at most
/// [`crate::api::push::BATCH_ITEMS`]).
pub(super) const PER_TRANSACTION: i64 = 1 << 8;

/// The links of the photos in `$1` (a list) with their records, in sequence order.
static BLOB_LINKS: LazyLock<String> =
    LazyLock::new(|| blob_links_where("b.sha256 = ANY($1::TEXT[])"));

/// The links of the one photo `$1` with their records, in sequence order.
static BLOB_LINKS_OF_ONE: LazyLock<String> = LazyLock::new(|| blob_links_where("b.sha256 = $1"));

/// The photo links matching `condition`, each with its record: the record's columns, then
/// the link's personal and before-uploaders flags and the photo's hash.
fn blob_links_where(condition: &str) -> String {
    let record = RECORD_COLUMNS
        .split(", ")
        .map(|c| format!("r.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {record}, b.personal, b.before_uploaders, b.sha256
         FROM record_blobs b JOIN records r ON r.id = b.record
         WHERE {condition} ORDER BY r.seq"
    )
}

/// A row of [`blob_links_where`]: the photo's hash and its link.
fn blob_link_from(r: &Row) -> StoreResult<(String, BlobLink)> {
    Ok((
        r.try_get(15)?,
        BlobLink {
            record: record_from_row(r)?,
            personal: r.try_get(13)?,
            before_uploaders: r.try_get(14)?,
        },
    ))
}

/// The statement of [`RecordStore::max_seq`]: the highest number stored, below the
/// first number of the oldest transaction of this database still open. Built once per
/// process: every pull asks it.
static WATERMARK: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH now AS (SELECT pg_current_snapshot() AS snapshot),
         elsewhere AS (
           SELECT backend_xid::TEXT::BIGINT AS xid FROM pg_stat_activity
           WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database())
         SELECT LEAST(
           (SELECT coalesce(max(seq), 0) FROM records),
           coalesce(
             (SELECT min({open}) FROM now AS mine, pg_snapshot_xip(mine.snapshot) AS open(xid)
              WHERE open.xid::TEXT::BIGINT % 4294967296 NOT IN (SELECT xid FROM elsewhere)),
             {next}) - 1)
         FROM now",
        open = feed_number_sql("open.xid", "0"),
        next = feed_number_sql("pg_snapshot_xmax(now.snapshot)", "0"),
    )
});

/// The SQL of a record's number ([`FEED_FROM`]) for transaction id `xid` (an `xid8`
/// expression) and `ordinal` (a `bigint` expression).
fn feed_number_sql(xid: &str, ordinal: &str) -> String {
    format!("({FEED_FROM}::BIGINT + ({xid}::TEXT::BIGINT << 8) + {ordinal})")
}

/// Stores a pushed record with its case row inside `tx`; the caller commits.
async fn write_record(
    tx: &impl Db,
    rec: &NewRecord,
    case: Option<&CaseRow>,
    ordinal: i64,
) -> StoreResult<PutOutcome> {
    let outcome = insert_record(tx, rec, ordinal).await?;
    if let Some(row) = case {
        match outcome {
            PutOutcome::Stored(_) => write_case_row(tx, row, true).await?,
            PutOutcome::Duplicate(_) | PutOutcome::Stale(_) => {
                write_case_row(tx, row, false).await?
            }
            PutOutcome::Conflict => {}
        }
    } else if let (PutOutcome::Stored(_), RecordKind::HazardEvent, Some(case_id)) =
        (&outcome, &rec.kind, &rec.case_id)
    {
        // An event of a case whose report has not arrived: the case awaits it.
        execute(
            tx,
            "INSERT INTO cases_awaiting_report(case_id) SELECT $1::TEXT
             WHERE NOT EXISTS (SELECT 1 FROM cases WHERE case_id = $1)
             ON CONFLICT (case_id) DO NOTHING",
            &[case_id],
        )
        .await?;
    }
    Ok(outcome)
}

/// Inserts a pushed record inside `tx` (see [`PutOutcome`]) as the `ordinal`th
/// record its transaction stores ([`FEED_FROM`]); the caller commits.
///
/// A new id, the common case, costs one statement ([`insert_new`]); only an id already
/// stored is read back and judged (a retry, a draft's final version, a conflict).
async fn insert_record(tx: &impl Db, rec: &NewRecord, ordinal: i64) -> StoreResult<PutOutcome> {
    if let Some(seq) = insert_new(tx, rec, ordinal).await? {
        return Ok(PutOutcome::Stored(seq));
    }
    let existing = query_opt(
        tx,
        "SELECT seq, body_hash, kind, draft, author_person FROM records WHERE id = $1",
        &[&rec.id],
    )
    .await?;
    let Some(r) = existing else {
        // Cannot happen: a record is deleted only to be replaced in the same
        // transaction, and an insert of its id waits for that transaction's end.
        return Err(StoreError::Corrupt(format!(
            "record {} was neither new nor stored",
            rec.id
        )));
    };
    let stored = (
        r.try_get(0)?,
        r.try_get(1)?,
        r.try_get(2)?,
        r.try_get(3)?,
        r.try_get(4)?,
    );
    if let Some(outcome) = judge_stored(&stored, rec) {
        return Ok(outcome);
    }
    // A draft's final version replaces it under a new sequence number, so every
    // cursor that already passed the draft still sees the final version.
    execute(tx, "DELETE FROM record_blobs WHERE record = $1", &[&rec.id]).await?;
    execute(tx, "DELETE FROM records WHERE id = $1", &[&rec.id]).await?;
    match insert_new(tx, rec, ordinal).await? {
        Some(seq) => Ok(PutOutcome::Stored(seq)),
        None => Err(StoreError::Corrupt(format!(
            "record {} was stored again while its draft was replaced",
            rec.id
        ))),
    }
}

/// [`insert_new`]'s statement, its text built once per process (it is prepared once
/// per connection, looked up by this text on every insert).
static INSERT_NEW: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH stored AS (
           INSERT INTO records(seq, id, kind, body, body_hash, unit, department,
             author_person, author_device, draft, personal, received_at, case_id, proof_prev,
             proof_signature, proof_link, chain, proof_chained)
           VALUES ({number}, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                   $11, $12, $13, $14, $15, {chain}, $16)
           ON CONFLICT (id) DO NOTHING
           RETURNING seq, id, chain),
         linked AS (
           INSERT INTO record_blobs(record, sha256, personal)
           SELECT stored.id, link.sha, bool_or(link.personal)
           FROM stored, unnest($17::TEXT[], $18::BOOLEAN[]) AS link(sha, personal)
           GROUP BY stored.id, link.sha
           ON CONFLICT(record, sha256) DO UPDATE
             SET personal = record_blobs.personal OR excluded.personal)
         SELECT seq, chain FROM stored",
        number = feed_number_sql("pg_current_xact_id()", "$19"),
        chain = chain_sql("$8", "$1", "$13"),
    )
});

/// The SQL of a signed record's place in its device's chain
/// ([`super::super::ChainStatus`]), among the device's other stored records (the record
/// itself left out, so a re-push is not its own fork), read in the inserting
/// statement's snapshot; NULL for a record without a proof. Decided inside the insert
/// rather than asked before it: a push of one inspection saved 7 statements.
///
/// "Has the device signed anything before" reads one index entry in index order: as a
/// bare `EXISTS`, a generic plan walked the table until it met one of the device's
/// records (a sequential scan per pushed record, growing with the table).
fn chain_sql(device: &str, id: &str, prev: &str) -> String {
    format!(
        "CASE
           WHEN {prev}::TEXT IS NULL THEN NULL
           WHEN EXISTS (SELECT 1 FROM records WHERE author_device = {device}
                        AND proof_prev = {prev} AND id <> {id})
             OR ({prev} = '{GENESIS}'
                 AND (SELECT proof_link FROM records WHERE author_device = {device}
                      AND proof_link IS NOT NULL AND id <> {id}
                      ORDER BY author_device, proof_link LIMIT 1) IS NOT NULL)
             THEN 'fork'
           WHEN {prev} = '{GENESIS}'
             OR EXISTS (SELECT 1 FROM records WHERE author_device = {device}
                        AND proof_link = {prev})
             THEN 'linked'
           ELSE 'gap'
         END"
    )
}

/// Stores `rec` and its photo links in one statement if no record has its id, and
/// returns its number ([`FEED_FROM`]); `None`, and nothing written, if one has. The links
/// are written only for a row inserted (a data-modifying `WITH`), a photo named twice is
/// one link, personal if either naming is. A concurrent insert of the same id makes this
/// wait for that transaction, then answer `None` if it committed.
async fn insert_new(tx: &impl Db, rec: &NewRecord, ordinal: i64) -> StoreResult<Option<i64>> {
    let (shas, personal): (Vec<&str>, Vec<bool>) = rec
        .blobs
        .iter()
        .map(|(sha, personal)| (sha.as_str(), *personal))
        .unzip();
    let proof = rec.proof.as_ref();
    let row = query_opt(
        tx,
        &INSERT_NEW,
        &[
            &rec.id,
            &rec.kind.as_str(),
            &rec.body,
            &rec.body_hash,
            &rec.unit,
            &rec.department,
            &rec.author_person,
            &rec.author_device,
            &rec.draft,
            &rec.personal,
            &now(),
            &rec.case_id,
            &proof.map(|p| &p.prev),
            &proof.and_then(|p| p.signature.as_ref()),
            &proof.map(|p| &p.link),
            &proof.and_then(|p| p.chained.then_some(true)),
            &shas,
            &personal,
            &ordinal,
        ],
    )
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    if let Some(chain) = row.try_get::<_, Option<&str>>(1)? {
        note_chain(&rec.author_device, &rec.id, chain);
    }
    Ok(Some(row.try_get(0)?))
}

/// Writes a case's row inside `tx`, its fold and indexed columns in one statement:
/// replacing the row when `replace`, else only when the case has none.
async fn write_case_row(tx: &impl Db, row: &CaseRow, replace: bool) -> StoreResult<()> {
    let on_conflict = if replace {
        "DO UPDATE SET unit = excluded.unit, department = excluded.department, \
         personal = excluded.personal, fold = excluded.fold, status = excluded.status, \
         level = excluded.level, category = excluded.category, \
         report_unit = excluded.report_unit, site = excluded.site, \
         reported_at_ms = excluded.reported_at_ms, due_ms = excluded.due_ms, \
         rectified_at_ms = excluded.rectified_at_ms, solved_at_ms = excluded.solved_at_ms, \
         solved_level = excluded.solved_level, closed_at_ms = excluded.closed_at_ms, \
         last_hlc_ms = excluded.last_hlc_ms"
    } else {
        "DO NOTHING"
    };
    let scope = &row.scope;
    let c = &row.columns;
    let insert = format!(
        "INSERT INTO cases(case_id, unit, department, personal, fold, status, level,
           category, report_unit, site, reported_at_ms, due_ms, rectified_at_ms,
           solved_at_ms, solved_level, closed_at_ms, last_hlc_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         ON CONFLICT(case_id) {on_conflict}"
    );
    let columns: [&(dyn ToSql + Sync); 17] = [
        &scope.case_id,
        &scope.unit,
        &scope.department,
        &scope.personal,
        &row.fold,
        &c.status,
        &c.level,
        &c.category,
        &c.report_unit,
        &c.site,
        &c.reported_at_ms,
        &c.due_ms,
        &c.rectified_at_ms,
        &c.solved_at_ms,
        &c.solved_level,
        &c.closed_at_ms,
        &c.last_hlc_ms,
    ];
    // The case has its row now: it awaits its report no longer. Both statements sent
    // together (one round trip).
    let awaiting = execute(
        tx,
        "DELETE FROM cases_awaiting_report WHERE case_id = $1",
        &columns[..1],
    );
    let row = execute(tx, &insert, &columns);
    let (awaiting, row) = tokio::join!(awaiting, row);
    awaiting?;
    row?;
    Ok(())
}
