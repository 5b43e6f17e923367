//! What the desk console keeps ([`ConsoleStore`]): sign-in accounts, sessions, failed
//! sign-ins for the rate limit, and the kept hazard-case rows its queue and dashboard
//! read. A part of every [`super::RecordStore`], so the console runs on whatever
//! backend the sync protocol does.

use chrono::{DateTime, Utc};
use gridwalk_model::protocol::Person;

use super::{CaseScope, StoreResult};

/// A person's console device being made when they set a password with a one-time
/// code: what it is known by from now on.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    /// SHA-256 of the one-time code (as [`crate::auth::enrolment_code_hash`] makes it).
    pub code_hash: &'a str,
    /// The sign-in name, as the person will type it (compared in lower case).
    pub login: &'a str,
    /// The argon2id PHC string of the password.
    pub password_hash: &'a str,
    /// The id the console device gets, should the person need a new one.
    pub device_id: &'a str,
    /// SHA-256 of a token nobody is ever shown: the console device cannot sync.
    pub token_hash: &'a str,
}

/// The outcome of setting a password with a one-time code.
#[derive(Debug, Clone, PartialEq)]
pub enum PasswordSet {
    /// The code is unknown or used; nothing changed.
    UnknownCode,
    /// The code's person is disabled; nothing changed.
    PersonDisabled,
    /// Another person already signs in with this name; nothing changed (the code still
    /// works).
    LoginTaken,
    /// The password is set (the code used up, the person's earlier sessions ended).
    Set(Person),
}

/// A sign-in account: who signs in with a name, and how to check their password.
#[derive(Debug, Clone)]
pub struct Account {
    /// The person.
    pub person: Person,
    /// The argon2id PHC string.
    pub password_hash: String,
}

/// A console session as stored, with what decides whether it still admits anyone.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// The signed-in person.
    pub person: Person,
    /// Their console device, which the events they record name.
    pub device: String,
    /// The session's form token (CSRF).
    pub csrf: String,
    /// When the session ends.
    pub expires_at: DateTime<Utc>,
    /// Whether an admin disabled the person since.
    pub person_disabled: bool,
    /// Whether an admin revoked the console device since.
    pub device_revoked: bool,
}

/// A failed sign-in, or its refusal by the rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigninGate {
    /// Under the limit: the attempt may go on.
    Open,
    /// Over the limit: try again after this many milliseconds.
    Closed {
        /// How long until the oldest counted failure leaves the window.
        retry_after_ms: i64,
    },
}

/// A hazard case's kept row: its scope and the kept fold (JSON of the server's
/// `CaseFold`).
#[derive(Debug, Clone)]
pub struct KeptCase {
    /// What the scope needs.
    pub scope: CaseScope,
    /// The kept fold; `None` for a row written before folds were kept (schema 4).
    pub fold: Option<String>,
}

/// What using up a one-time form nonce found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceUse {
    /// The nonce was issued to this person and not used: it is used now, the form acts.
    Fresh,
    /// The nonce was already used (a double click, a retried POST): the form must not
    /// act again.
    AlreadyUsed,
    /// No such nonce for this person, or it is too old: the form is refused.
    Unknown,
}

/// The console's storage.
pub trait ConsoleStore: Send + Sync {
    /// Uses up a one-time code to set its person's console password, making their
    /// console device if they have none that is not revoked, and ending their earlier
    /// sessions; one transaction.
    fn set_console_password(
        &self,
        account: &NewAccount<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<PasswordSet>;
    /// The account signing in with `login` (lower case), if any.
    fn console_account(&self, login: &str) -> StoreResult<Option<Account>>;
    /// Stores a new session under the hash of its cookie value.
    fn create_console_session(
        &self,
        id_hash: &str,
        person: &str,
        csrf: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The session stored under `id_hash`, if any (expired or not).
    fn console_session(&self, id_hash: &str) -> StoreResult<Option<SessionRow>>;
    /// Ends a session (sign-out, expiry, a disabled person).
    fn end_console_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Whether a sign-in under these keys (client address, sign-in name) may be tried
    /// now: fewer than `max` failures of any key within `window_ms`.
    fn console_signin_gate(
        &self,
        keys: &[&str],
        now_ms: i64,
        window_ms: i64,
        max: u32,
    ) -> StoreResult<SigninGate>;
    /// Counts a failed sign-in against each key.
    fn note_console_signin_failure(&self, keys: &[&str], now_ms: i64) -> StoreResult<()>;
    /// Every hazard case's kept row.
    fn kept_cases(&self) -> StoreResult<Vec<KeptCase>>;
    /// Records a one-time form nonce (its SHA-256) issued to `person` at `now_ms`, and
    /// forgets nonces issued before `forget_before_ms`.
    fn issue_form_nonce(
        &self,
        nonce_hash: &str,
        person: &str,
        now_ms: i64,
        forget_before_ms: i64,
    ) -> StoreResult<()>;
    /// Uses up a nonce of `person`'s issued at or after `issued_after_ms`, atomically:
    /// of two requests carrying it at once, exactly one finds it [`NonceUse::Fresh`].
    fn use_form_nonce(
        &self,
        nonce_hash: &str,
        person: &str,
        now_ms: i64,
        issued_after_ms: i64,
    ) -> StoreResult<NonceUse>;
}
