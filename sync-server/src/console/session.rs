//! Who is at the desk: console passwords (argon2id), session cookies, form tokens
//! (CSRF) and the sign-in rate limit.
//!
//! - A session is a random 256-bit cookie value (`gw_session`: `HttpOnly`,
//!   `SameSite=Strict`, `Path=/console`), stored only as its SHA-256, valid for
//!   [`SESSION_HOURS`] from sign-in; sign-out deletes it.
//! - Every request re-reads the session with its person and console device: a person
//!   disabled (`people disable`) or a console device revoked (`devices revoke`) since is
//!   signed out on that request, an expired session too.
//! - Every form carries a token (CSRF): a signed-in form the session's own, stored with
//!   it; the sign-in and set-password forms, made before any session, the value of the
//!   `gw_form` cookie (double submit). `SameSite=Strict` alone would already keep other
//!   sites' forms out in current browsers; the token keeps them out in all.
//! - Failed sign-ins are counted per client address and per sign-in name: after
//!   [`MAX_FAILURES`] within [`FAILURE_WINDOW_MS`] either is refused until the oldest
//!   failure leaves the window (`429`). An unknown name costs a password check too, so
//!   timing does not tell which names exist.
//! - Console sessions and phone tokens never stand for each other: `/v1` reads only
//!   `Authorization: Bearer`, the console only its cookie, and the console device's
//!   token is made at random and never shown.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use chrono::{DateTime, Utc};
use gridwalk_model::profile::Role;
use gridwalk_model::protocol::Person;

use super::ConsoleError;
use crate::state::AppState;
use crate::storage::console::SessionRow;
use crate::storage::sha256_hex;

/// The session cookie.
pub const SESSION_COOKIE: &str = "gw_session";
/// The cookie whose value the forms made before sign-in carry (double submit).
pub const FORM_COOKIE: &str = "gw_form";
/// How long a session lasts from sign-in: a working day and then some.
pub const SESSION_HOURS: i64 = 12;
/// Failed sign-ins allowed per client address and per sign-in name in the window.
pub const MAX_FAILURES: u32 = 5;
/// The rate limit's window.
pub const FAILURE_WINDOW_MS: i64 = 5 * 60 * 1000;
/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A value of `cookie` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// A `Set-Cookie` value for a console cookie: `HttpOnly`, `SameSite=Strict`, under
/// `/console` only; `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    let text =
        format!("{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}");
    // Names and values are ours: base64url and fixed words, always valid header text.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A fresh random secret: 256 bits, base64url (cookie-safe).
pub fn new_secret() -> Result<String, ConsoleError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ConsoleError::Internal(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The argon2id hasher: OWASP's first recommended setting (19 MiB, 2 passes).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The argon2id PHC string of a password, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, ConsoleError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ConsoleError::Internal(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ConsoleError::Internal(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ConsoleError::Internal(format!("hashing a password: {e}")))
}

/// Whether `password` matches a stored PHC string; with no account (`None`), a check
/// against a fixed hash takes the same time and fails.
pub fn password_matches(password: &str, stored: Option<&str>) -> bool {
    static DECOY: OnceLock<String> = OnceLock::new();
    let decoy = DECOY.get_or_init(|| hash_password("no such account").unwrap_or_default());
    let phc = stored.unwrap_or(decoy);
    let ok = PasswordHash::new(phc).is_ok_and(|parsed| {
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    });
    ok && stored.is_some()
}

/// Whether a role works at a desk (grid workers use the phone app).
pub fn is_desk_role(role: Role) -> bool {
    role != Role::GridWorker
}

/// Why a session no longer admits anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// No such session (never made, signed out, or the cookie is missing).
    None,
    /// Past its expiry.
    Expired,
    /// The person was disabled, or their console device revoked.
    Disabled,
}

impl Ended {
    /// The word the sign-in page is sent with, to say why.
    pub fn reason(self) -> &'static str {
        match self {
            Ended::None => "",
            Ended::Expired => "expired",
            Ended::Disabled => "disabled",
        }
    }
}

/// Whether a stored session admits its person at `now`; disabling is told before
/// expiry.
pub fn admits(row: &SessionRow, now: DateTime<Utc>) -> Result<(), Ended> {
    if row.person_disabled || row.device_revoked {
        Err(Ended::Disabled)
    } else if row.expires_at <= now {
        Err(Ended::Expired)
    } else {
        Ok(())
    }
}

/// The signed-in person of a console request.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Who they are.
    pub person: Person,
    /// Their console device, named by the events they record here.
    pub device: String,
    /// The session's form token, which every form of theirs carries.
    pub csrf: String,
}

impl Viewer {
    /// Refuses a form whose token is not the session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), ConsoleError> {
        if same_secret(sent, &self.csrf) {
            Ok(())
        } else {
            Err(ConsoleError::Csrf)
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        let Some(value) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(ConsoleError::SignedOut(Ended::None));
        };
        let hash = sha256_hex(value.as_bytes());
        let store = state.store.clone();
        let now = Utc::now();
        let viewer = super::blocking(move || {
            let Some(row) = store.console_session(&hash)? else {
                return Ok(Err(Ended::None));
            };
            if let Err(ended) = admits(&row, now) {
                store.end_console_session(&hash)?;
                return Ok(Err(ended));
            }
            Ok(Ok(Viewer {
                person: row.person,
                device: row.device,
                csrf: row.csrf,
            }))
        })
        .await?;
        let viewer = viewer.map_err(ConsoleError::SignedOut)?;
        tracing::Span::current().record("person", tracing::field::display(&viewer.person.id));
        Ok(viewer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridwalk_model::profile::Role;

    fn row(expires_at: DateTime<Utc>) -> SessionRow {
        SessionRow {
            person: Person {
                id: "p".into(),
                name: "Chen Jie".into(),
                role: Role::StreetOfficer,
                unit: "s".into(),
                department: None,
            },
            device: "console-1".into(),
            csrf: "c".into(),
            expires_at,
            person_disabled: false,
            device_revoked: false,
        }
    }

    #[test]
    fn a_session_ends_at_its_expiry_and_when_its_person_is_disabled() {
        let now = Utc::now();
        let live = row(now + chrono::TimeDelta::seconds(1));
        assert_eq!(admits(&live, now), Ok(()));
        assert_eq!(admits(&row(now), now), Err(Ended::Expired));
        let mut disabled = row(now - chrono::TimeDelta::seconds(1));
        disabled.person_disabled = true;
        assert_eq!(admits(&disabled, now), Err(Ended::Disabled));
        let mut revoked = live.clone();
        revoked.device_revoked = true;
        assert_eq!(admits(&revoked, now), Err(Ended::Disabled));
    }

    #[test]
    fn passwords_are_argon2id_salted_and_checked() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(password_matches("correct horse battery", Some(&a)));
        assert!(!password_matches("correct horse batterY", Some(&a)));
        assert!(!password_matches("no such account", None));
        assert!(!password_matches("anything", Some("not a hash")));
    }

    #[test]
    fn cookies_are_read_by_name_and_set_strict_and_http_only() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; gw_session=xyz"),
        );
        assert_eq!(cookie(&headers, "gw_session"), Some("xyz"));
        assert_eq!(cookie(&headers, "gw_form"), None);
        let set = set_cookie(SESSION_COOKIE, "v", 60);
        let text = set.to_str().unwrap();
        assert!(
            text.contains("HttpOnly") && text.contains("SameSite=Strict"),
            "{text}"
        );
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("a", "ab"));
    }
}
