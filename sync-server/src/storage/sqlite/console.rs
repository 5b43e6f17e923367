//! The console's storage in the SQLite record store (schema version 7,
//! `0007_console.sql`).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Cached, SqliteStore, parse_stamp, person_from_parts, person_from_row, stamp};
use crate::storage::console::{
    Account, ConsoleStore, KeptCase, NewAccount, NonceUse, PasswordSet, SessionRow, SigninGate,
};
use crate::storage::{CaseScope, StoreResult};

/// How long a console device's (never used) token is recorded as valid: as long as a
/// phone's default, so `devices list` shows it like any other device.
const CONSOLE_DEVICE_DAYS: i64 = 90;

impl ConsoleStore for SqliteStore {
    fn set_console_password(
        &self,
        account: &NewAccount<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<PasswordSet> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let person: Option<(String, bool)> = tx
            .row(
                "SELECT c.person, p.disabled_at IS NOT NULL
                 FROM enrolment_codes c JOIN people p ON p.id = c.person
                 WHERE c.code_hash = ?1 AND c.used_at IS NULL",
                [account.code_hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let person_id = match person {
            None => return Ok(PasswordSet::UnknownCode),
            Some((_, true)) => return Ok(PasswordSet::PersonDisabled),
            Some((id, false)) => id,
        };
        let taken: Option<String> = tx
            .row(
                "SELECT person FROM console_accounts WHERE login = ?1",
                [account.login],
                |r| r.get(0),
            )
            .optional()?;
        if taken.is_some_and(|p| p != person_id) {
            return Ok(PasswordSet::LoginTaken);
        }
        let at = stamp(now);
        tx.run(
            "UPDATE enrolment_codes SET used_at = ?2 WHERE code_hash = ?1",
            params![account.code_hash, at],
        )?;
        // The person's console device stays theirs across password resets, unless an
        // admin revoked it: then the new password comes with a new device.
        let device: Option<String> = tx
            .row(
                "SELECT d.id FROM console_accounts a JOIN devices d ON d.id = a.device
                 WHERE a.person = ?1 AND d.revoked_at IS NULL",
                [&person_id],
                |r| r.get(0),
            )
            .optional()?;
        let device = match device {
            Some(device) => device,
            None => {
                let expires = stamp(now + chrono::TimeDelta::days(CONSOLE_DEVICE_DAYS));
                tx.run(
                    "INSERT INTO devices(id, person, token_hash, enrolled_at, last_seen_at,
                       expires_at, public_key)
                     VALUES (?1, ?2, ?3, ?4, ?4, ?5, NULL)",
                    params![
                        account.device_id,
                        person_id,
                        account.token_hash,
                        at,
                        expires
                    ],
                )?;
                account.device_id.to_string()
            }
        };
        tx.run(
            "DELETE FROM console_accounts WHERE person = ?1",
            [&person_id],
        )?;
        tx.run(
            "INSERT INTO console_accounts(login, person, device, password_hash, set_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![account.login, person_id, device, account.password_hash, at],
        )?;
        tx.run(
            "DELETE FROM console_sessions WHERE person = ?1",
            [&person_id],
        )?;
        let parts = tx.row(
            "SELECT id, name, role, unit, department FROM people WHERE id = ?1",
            [&person_id],
            person_from_row,
        )?;
        tx.commit()?;
        person_from_parts(parts).map(PasswordSet::Set)
    }

    fn console_account(&self, login: &str) -> StoreResult<Option<Account>> {
        let conn = self.conn()?;
        let row = conn
            .row(
                "SELECT p.id, p.name, p.role, p.unit, p.department, a.password_hash
                 FROM console_accounts a JOIN people p ON p.id = a.person
                 WHERE a.login = ?1",
                [login],
                |r| Ok((person_from_row(r)?, r.get::<_, String>(5)?)),
            )
            .optional()?;
        row.map(|(parts, password_hash)| {
            Ok(Account {
                person: person_from_parts(parts)?,
                password_hash,
            })
        })
        .transpose()
    }

    fn create_console_session(
        &self,
        id_hash: &str,
        person: &str,
        csrf: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let conn = self.conn()?;
        // Expired sessions go as new ones come, so the table holds live ones only.
        conn.run(
            "DELETE FROM console_sessions WHERE expires_at <= ?1",
            [stamp(now)],
        )?;
        conn.run(
            "INSERT INTO console_sessions(id_hash, person, csrf, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id_hash, person, csrf, stamp(now), stamp(expires_at)],
        )?;
        Ok(())
    }

    fn console_session(&self, id_hash: &str) -> StoreResult<Option<SessionRow>> {
        let conn = self.conn()?;
        let row = conn
            .row(
                "SELECT p.id, p.name, p.role, p.unit, p.department, a.device, s.csrf,
                        s.expires_at, p.disabled_at IS NOT NULL, d.revoked_at IS NOT NULL
                 FROM console_sessions s
                 JOIN people p ON p.id = s.person
                 JOIN console_accounts a ON a.person = s.person
                 JOIN devices d ON d.id = a.device
                 WHERE s.id_hash = ?1",
                [id_hash],
                |r| {
                    Ok((
                        person_from_row(r)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, bool>(8)?,
                        r.get::<_, bool>(9)?,
                    ))
                },
            )
            .optional()?;
        row.map(
            |(parts, device, csrf, expires, person_disabled, device_revoked)| {
                Ok(SessionRow {
                    person: person_from_parts(parts)?,
                    device,
                    csrf,
                    expires_at: parse_stamp("console session expiry", &expires)?,
                    person_disabled,
                    device_revoked,
                })
            },
        )
        .transpose()
    }

    fn end_console_session(&self, id_hash: &str) -> StoreResult<()> {
        let conn = self.conn()?;
        conn.run("DELETE FROM console_sessions WHERE id_hash = ?1", [id_hash])?;
        Ok(())
    }

    fn console_signin_gate(
        &self,
        keys: &[&str],
        now_ms: i64,
        window_ms: i64,
        max: u32,
    ) -> StoreResult<SigninGate> {
        let conn = self.conn()?;
        let since = now_ms.saturating_sub(window_ms);
        conn.run(
            "DELETE FROM console_signin_failures WHERE at_ms <= ?1",
            [since],
        )?;
        let mut retry_after_ms = 0;
        for key in keys {
            let (count, oldest): (u32, Option<i64>) = conn.row(
                "SELECT count(*), min(at_ms) FROM console_signin_failures WHERE key = ?1",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if count >= max {
                let free_at = oldest.unwrap_or(now_ms).saturating_add(window_ms);
                retry_after_ms = retry_after_ms.max(free_at.saturating_sub(now_ms).max(1));
            }
        }
        Ok(if retry_after_ms > 0 {
            SigninGate::Closed { retry_after_ms }
        } else {
            SigninGate::Open
        })
    }

    fn note_console_signin_failure(&self, keys: &[&str], now_ms: i64) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        for key in keys {
            tx.run(
                "INSERT INTO console_signin_failures(key, at_ms) VALUES (?1, ?2)",
                params![key, now_ms],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn kept_cases(&self) -> StoreResult<Vec<KeptCase>> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare("SELECT case_id, unit, department, personal, fold FROM cases")?;
        let rows = stmt.query_map([], |r| {
            Ok(KeptCase {
                scope: CaseScope {
                    case_id: r.get(0)?,
                    unit: r.get(1)?,
                    department: r.get(2)?,
                    personal: r.get(3)?,
                },
                fold: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn issue_form_nonce(
        &self,
        nonce_hash: &str,
        person: &str,
        now_ms: i64,
        forget_before_ms: i64,
    ) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        tx.run(
            "DELETE FROM console_form_nonces WHERE created_at_ms < ?1",
            [forget_before_ms],
        )?;
        tx.run(
            "INSERT INTO console_form_nonces(nonce_hash, person, created_at_ms)
             VALUES (?1, ?2, ?3)",
            params![nonce_hash, person, now_ms],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn use_form_nonce(
        &self,
        nonce_hash: &str,
        person: &str,
        now_ms: i64,
        issued_after_ms: i64,
    ) -> StoreResult<NonceUse> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let used: Option<Option<i64>> = tx
            .row(
                "SELECT used_at_ms FROM console_form_nonces
                 WHERE nonce_hash = ?1 AND person = ?2 AND created_at_ms >= ?3",
                params![nonce_hash, person, issued_after_ms],
                |r| r.get(0),
            )
            .optional()?;
        let outcome = match used {
            None => NonceUse::Unknown,
            Some(Some(_)) => NonceUse::AlreadyUsed,
            Some(None) => {
                tx.run(
                    "UPDATE console_form_nonces SET used_at_ms = ?2 WHERE nonce_hash = ?1",
                    params![nonce_hash, now_ms],
                )?;
                NonceUse::Fresh
            }
        };
        tx.commit()?;
        Ok(outcome)
    }
}
