//! The console's storage in the PostgreSQL record store (schema version 2,
//! `0002_console.sql`): the twin of `sqlite/console.rs`, method by method.

use chrono::{DateTime, Utc};
use tokio_postgres::error::SqlState;

use super::records::person_at;
use super::{PgStore, advisory_key, execute, query, query_one, query_opt};
use crate::storage::console::{
    Account, ConsoleStore, KeptCase, NewAccount, NonceUse, PasswordSet, SessionRow, SigninGate,
};
use crate::storage::sqlite::{parse_stamp, stamp};
use crate::storage::{CaseScope, StoreError, StoreResult};

/// How long a console device's (never used) token is recorded as valid: as long as a
/// phone's default, so `devices list` shows it like any other device.
const CONSOLE_DEVICE_DAYS: i64 = 90;

impl ConsoleStore for PgStore {
    fn set_console_password(
        &self,
        account: &NewAccount<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<PasswordSet> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            // FOR UPDATE: two replicas using one code at once, the second waits and then
            // finds it used.
            let row = query_opt(
                &tx,
                "SELECT c.person, p.disabled_at IS NOT NULL
                 FROM enrolment_codes c JOIN people p ON p.id = c.person
                 WHERE c.code_hash = $1 AND c.used_at IS NULL FOR UPDATE OF c",
                &[&account.code_hash],
            )
            .await?;
            let person_id: String = match row {
                None => return Ok(PasswordSet::UnknownCode),
                Some(r) if r.try_get::<_, bool>(1)? => return Ok(PasswordSet::PersonDisabled),
                Some(r) => r.try_get(0)?,
            };
            // Two people claiming one sign-in name on two replicas at once: the second
            // waits here, then sees the first's row.
            execute(
                &tx,
                "SELECT pg_advisory_xact_lock($1)",
                &[&advisory_key("console-login", account.login)],
            )
            .await?;
            let taken = query_opt(
                &tx,
                "SELECT person FROM console_accounts WHERE login = $1",
                &[&account.login],
            )
            .await?;
            if let Some(row) = taken {
                let holder: String = row.try_get(0)?;
                if holder != person_id {
                    return Ok(PasswordSet::LoginTaken);
                }
            }
            let at = stamp(now);
            execute(
                &tx,
                "UPDATE enrolment_codes SET used_at = $2 WHERE code_hash = $1",
                &[&account.code_hash, &at],
            )
            .await?;
            // The person's console device stays theirs across password resets, unless an
            // admin revoked it: then the new password comes with a new device.
            let device = query_opt(
                &tx,
                "SELECT d.id FROM console_accounts a JOIN devices d ON d.id = a.device
                 WHERE a.person = $1 AND d.revoked_at IS NULL",
                &[&person_id],
            )
            .await?;
            let device: String = match device {
                Some(row) => row.try_get(0)?,
                None => {
                    let expires = stamp(now + chrono::TimeDelta::days(CONSOLE_DEVICE_DAYS));
                    execute(
                        &tx,
                        "INSERT INTO devices(id, person, token_hash, enrolled_at, last_seen_at,
                           expires_at, public_key)
                         VALUES ($1, $2, $3, $4, $4, $5, NULL)",
                        &[
                            &account.device_id,
                            &person_id,
                            &account.token_hash,
                            &at,
                            &expires,
                        ],
                    )
                    .await?;
                    account.device_id.to_string()
                }
            };
            execute(
                &tx,
                "DELETE FROM console_accounts WHERE person = $1",
                &[&person_id],
            )
            .await?;
            let inserted = execute(
                &tx,
                "INSERT INTO console_accounts(login, person, device, password_hash, set_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &account.login,
                    &person_id,
                    &device,
                    &account.password_hash,
                    &at,
                ],
            )
            .await;
            match inserted {
                Ok(_) => {}
                // The name was taken between the check and the insert (not under the
                // same lock: an admin tool): nothing is kept, the code still works.
                Err(StoreError::Postgres(e)) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                    return Ok(PasswordSet::LoginTaken);
                }
                Err(e) => return Err(e),
            }
            execute(
                &tx,
                "DELETE FROM console_sessions WHERE person = $1",
                &[&person_id],
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
            Ok(PasswordSet::Set(person))
        })
    }

    fn console_account(&self, login: &str) -> StoreResult<Option<Account>> {
        self.run(async {
            let c = self.client().await?;
            let row = query_opt(
                &c,
                "SELECT p.id, p.name, p.role, p.unit, p.department, a.password_hash
                 FROM console_accounts a JOIN people p ON p.id = a.person
                 WHERE a.login = $1",
                &[&login],
            )
            .await?;
            row.map(|r| {
                Ok(Account {
                    person: person_at(&r, 0)?,
                    password_hash: r.try_get(5)?,
                })
            })
            .transpose()
        })
    }

    fn create_console_session(
        &self,
        id_hash: &str,
        person: &str,
        csrf: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.run(async {
            let c = self.client().await?;
            // Expired sessions go as new ones come, so the table holds live ones only.
            execute(
                &c,
                "DELETE FROM console_sessions WHERE expires_at <= $1",
                &[&stamp(now)],
            )
            .await?;
            execute(
                &c,
                "INSERT INTO console_sessions(id_hash, person, csrf, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[&id_hash, &person, &csrf, &stamp(now), &stamp(expires_at)],
            )
            .await?;
            Ok(())
        })
    }

    fn console_session(&self, id_hash: &str) -> StoreResult<Option<SessionRow>> {
        self.run(async {
            let c = self.client().await?;
            let row = query_opt(
                &c,
                "SELECT p.id, p.name, p.role, p.unit, p.department, a.device, s.csrf,
                        s.expires_at, p.disabled_at IS NOT NULL, d.revoked_at IS NOT NULL
                 FROM console_sessions s
                 JOIN people p ON p.id = s.person
                 JOIN console_accounts a ON a.person = s.person
                 JOIN devices d ON d.id = a.device
                 WHERE s.id_hash = $1",
                &[&id_hash],
            )
            .await?;
            row.map(|r| {
                let expires: String = r.try_get(7)?;
                Ok(SessionRow {
                    person: person_at(&r, 0)?,
                    device: r.try_get(5)?,
                    csrf: r.try_get(6)?,
                    expires_at: parse_stamp("console session expiry", &expires)?,
                    person_disabled: r.try_get(8)?,
                    device_revoked: r.try_get(9)?,
                })
            })
            .transpose()
        })
    }

    fn end_console_session(&self, id_hash: &str) -> StoreResult<()> {
        self.run(async {
            let c = self.client().await?;
            execute(
                &c,
                "DELETE FROM console_sessions WHERE id_hash = $1",
                &[&id_hash],
            )
            .await?;
            Ok(())
        })
    }

    fn console_signin_gate(
        &self,
        keys: &[&str],
        now_ms: i64,
        window_ms: i64,
        max: u32,
    ) -> StoreResult<SigninGate> {
        self.run(async {
            let c = self.client().await?;
            let since = now_ms.saturating_sub(window_ms);
            execute(
                &c,
                "DELETE FROM console_signin_failures WHERE at_ms <= $1",
                &[&since],
            )
            .await?;
            let mut retry_after_ms = 0;
            for key in keys {
                let row = query_one(
                    &c,
                    "SELECT count(*), min(at_ms) FROM console_signin_failures WHERE key = $1",
                    &[key],
                )
                .await?;
                let count: i64 = row.try_get(0)?;
                let oldest: Option<i64> = row.try_get(1)?;
                if count >= i64::from(max) {
                    let free_at = oldest.unwrap_or(now_ms).saturating_add(window_ms);
                    retry_after_ms = retry_after_ms.max(free_at.saturating_sub(now_ms).max(1));
                }
            }
            Ok(if retry_after_ms > 0 {
                SigninGate::Closed { retry_after_ms }
            } else {
                SigninGate::Open
            })
        })
    }

    fn note_console_signin_failure(&self, keys: &[&str], now_ms: i64) -> StoreResult<()> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            for key in keys {
                execute(
                    &tx,
                    "INSERT INTO console_signin_failures(key, at_ms) VALUES ($1, $2)",
                    &[key, &now_ms],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn kept_cases(&self) -> StoreResult<Vec<KeptCase>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                "SELECT case_id, unit, department, personal, fold FROM cases",
                &[],
            )
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(KeptCase {
                        scope: CaseScope {
                            case_id: r.try_get(0)?,
                            unit: r.try_get(1)?,
                            department: r.try_get(2)?,
                            personal: r.try_get(3)?,
                        },
                        fold: r.try_get(4)?,
                    })
                })
                .collect()
        })
    }

    fn issue_form_nonce(
        &self,
        nonce_hash: &str,
        person: &str,
        now_ms: i64,
        forget_before_ms: i64,
    ) -> StoreResult<()> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            execute(
                &tx,
                "DELETE FROM console_form_nonces WHERE created_at_ms < $1",
                &[&forget_before_ms],
            )
            .await?;
            execute(
                &tx,
                "INSERT INTO console_form_nonces(nonce_hash, person, created_at_ms)
                 VALUES ($1, $2, $3)",
                &[&nonce_hash, &person, &now_ms],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn use_form_nonce(
        &self,
        nonce_hash: &str,
        person: &str,
        now_ms: i64,
        issued_after_ms: i64,
    ) -> StoreResult<NonceUse> {
        self.run(async {
            let c = self.client().await?;
            // One statement: of two replicas using the nonce at once, the row lock lets
            // exactly one change it.
            let fresh = execute(
                &c,
                "UPDATE console_form_nonces SET used_at_ms = $4
                 WHERE nonce_hash = $1 AND person = $2 AND created_at_ms >= $3
                   AND used_at_ms IS NULL",
                &[&nonce_hash, &person, &issued_after_ms, &now_ms],
            )
            .await?;
            if fresh == 1 {
                return Ok(NonceUse::Fresh);
            }
            let known = query_opt(
                &c,
                "SELECT 1 FROM console_form_nonces
                 WHERE nonce_hash = $1 AND person = $2 AND created_at_ms >= $3",
                &[&nonce_hash, &person, &issued_after_ms],
            )
            .await?;
            Ok(if known.is_some() {
                NonceUse::AlreadyUsed
            } else {
                NonceUse::Unknown
            })
        })
    }
}
