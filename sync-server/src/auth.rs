//! Who a request comes from: one-time enrolment codes, device tokens (the server keeps
//! only their SHA-256), the [`Caller`] extractor that every protected route takes, and
//! the [`ClientAddr`] a connection comes from.
//!
//! A token is refused (`401`, with a message saying why) from the next request on,
//! without a restart, when:
//! - it is unknown: never issued, or forged;
//! - its device was revoked (`gridwalk-server devices revoke ID`: a lost phone);
//! - its person was disabled (`gridwalk-server people disable ID`): every device of
//!   theirs, until `people enable ID`; a disabled person's unused code does not enrol;
//! - it expired: a token is valid for [`Limits::token_lifetime`] (`serve --token-days`,
//!   default 90) after the device was last seen. Every accepted request renews it
//!   (sliding expiry); the new expiry and `last_seen_at` are written only when the
//!   last renewal is at least [`Limits::token_renewal_interval`] old (an hour), so a
//!   syncing device costs one write an hour, not one per request.
//!
//! Codes are redeemed at `POST /v1/enrol`, rate-limited per [`ClientAddr`] (see
//! [`crate::api::enrol`]). A code is used once; `people reissue ID` replaces a person's
//! unused codes with a new one.
//!
//! The request's log span names the client address (`client`) and, once the token is
//! known, the `device` and `person`, refused or not.
//!
//! [`Limits::token_lifetime`]: crate::config::Limits::token_lifetime
//! [`Limits::token_renewal_interval`]: crate::config::Limits::token_renewal_interval

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::Extensions;
use axum::http::request::Parts;
use base64::Engine;
use chrono::{DateTime, Utc};
use gridwalk_model::protocol::Person;

use crate::config::Limits;
use crate::error::{ApiError, blocking};
use crate::state::AppState;
use crate::storage::{TokenDevice, sha256_hex};

/// Letters and digits that cannot be misread for one another on a phone screen.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// Why a secret could not be made.
#[derive(Debug, thiserror::Error)]
#[error("the system random source failed: {0}")]
pub struct RandomError(String);

fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| RandomError(e.to_string()))?;
    Ok(buf)
}

/// A new one-time enrolment code, e.g. `K7QM-2XHP-9TRD-WF4N` (about 79 bits).
pub fn new_enrolment_code() -> Result<String, RandomError> {
    let bytes: [u8; 16] = random_bytes()?;
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()]))
        .collect();
    Ok(chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// The hash an enrolment code is stored under; case, spaces and dashes do not matter,
/// so a code typed as `k7qm 2xhp…` still works.
pub fn enrolment_code_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    sha256_hex(normal.as_bytes())
}

/// A new device token: `g2_` and 128 random bits, base64url (25 characters). It goes
/// with every request, so its length is a tenth of an idle sync on the wire; 128 bits
/// still cannot be guessed online, and the server keeps only its SHA-256. Tokens issued
/// before (`gw1_`, 256 bits) stay valid: a token is looked up by its hash, whatever its
/// form.
pub fn new_device_token() -> Result<String, RandomError> {
    let bytes: [u8; 16] = random_bytes()?;
    Ok(format!(
        "g2_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// The hash a device token is stored under.
pub fn device_token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// The authenticated device and its person, taken from `Authorization: Bearer <token>`:
/// a known token of a device that is not revoked, of a person who is not disabled,
/// that has not expired.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The device the token was issued to.
    pub device: String,
    /// The person who enrolled it.
    pub person: Person,
    /// The signing key the device registered at enrolment, read with its token: what a
    /// push's signatures are checked against (`None`: the device was enrolled without
    /// one, and its records are stored unchecked).
    pub public_key: Option<String>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| {
                ApiError::Unauthorized("send `Authorization: Bearer <device token>`".into())
            })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header is not `Bearer <token>`".into())
            })?;
        let hash = device_token_hash(token);
        let store = state.store.clone();
        let limits = state.limits.clone();
        let now = Utc::now();
        // Looked up and renewed off the async threads, in one trip. A failed renewal
        // does not fail the request (the token is valid now; the next request renews
        // it); it is logged below, with the request's span.
        let (found, renewal) = blocking(move || {
            let Some(found) = store.device_for_token(&hash)? else {
                return Ok((None, Ok(())));
            };
            let mut renewal = Ok(());
            if admits(&found, now).is_ok() && renewal_due(&found, now, &limits) {
                renewal = store.renew_device(&found.device, now, expiry_from(now, &limits));
            }
            Ok((Some(found), renewal))
        })
        .await?;
        let found = found.ok_or_else(|| {
            ApiError::Unauthorized("unknown device token; enrol the device again".into())
        })?;
        let span = tracing::Span::current();
        span.record("device", tracing::field::display(&found.device));
        span.record("person", tracing::field::display(&found.person.id));
        if let Err(e) = renewal {
            tracing::warn!(error = %e, "could not renew the device's token expiry");
        }
        if let Err(refusal) = admits(&found, now) {
            tracing::info!(reason = refusal.code(), "device refused");
            return Err(ApiError::Unauthorized(refusal.to_string()));
        }
        Ok(Caller {
            device: found.device,
            person: found.person,
            public_key: found.public_key,
        })
    }
}

/// Why a known token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// An admin revoked the device.
    #[error("this device was revoked; ask an admin for a new enrolment code")]
    Revoked,
    /// An admin disabled the person.
    #[error("this person is disabled; ask an admin")]
    PersonDisabled,
    /// The device was not seen for the token's lifetime.
    #[error("this token expired; enrol again with a new code from an admin")]
    Expired,
}

impl Refusal {
    /// A stable word for the log.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Revoked => "revoked",
            Refusal::PersonDisabled => "person-disabled",
            Refusal::Expired => "expired",
        }
    }
}

/// Whether a known token may be used at `now`; revocation is told first, then a
/// disabled person, then expiry (what an admin would want to hear first).
pub fn admits(device: &TokenDevice, now: DateTime<Utc>) -> Result<(), Refusal> {
    if device.revoked {
        Err(Refusal::Revoked)
    } else if device.person_disabled {
        Err(Refusal::PersonDisabled)
    } else if device.expires_at <= now {
        Err(Refusal::Expired)
    } else {
        Ok(())
    }
}

/// When a token renewed or issued at `now` expires.
pub fn expiry_from(now: DateTime<Utc>, limits: &Limits) -> DateTime<Utc> {
    now.checked_add_signed(limits.token_lifetime())
        .unwrap_or(now)
}

/// Whether the device's expiry is old enough to write a new one: the last renewal was
/// at least the renewal interval ago.
fn renewal_due(device: &TokenDevice, now: DateTime<Utc>, limits: &Limits) -> bool {
    expiry_from(now, limits) - device.expires_at >= limits.token_renewal_interval()
}

/// The address a request's connection comes from, when the server was started with
/// connect info (`serve` always is); a router served without it (e.g. in a test) gives
/// `None`, and such requests share one rate-limit bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// The address from a request's extensions.
    pub fn of(extensions: &Extensions) -> ClientAddr {
        ClientAddr(
            extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        )
    }

    /// The address as logs and the rate limit name it; `unknown` without connect info.
    pub fn label(&self) -> String {
        self.0
            .map_or_else(|| "unknown".to_string(), |ip| ip.to_canonical().to_string())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(ClientAddr::of(&parts.extensions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridwalk_model::profile::Role;

    fn device(expires_at: DateTime<Utc>) -> TokenDevice {
        TokenDevice {
            device: "d1".into(),
            person: Person {
                id: "p1".into(),
                name: "Li Na".into(),
                role: Role::GridWorker,
                unit: "g1".into(),
                department: None,
            },
            person_disabled: false,
            revoked: false,
            expires_at,
            public_key: None,
        }
    }

    #[test]
    fn a_token_is_renewed_at_most_once_an_hour() {
        let limits = Limits::default();
        let now = Utc::now();
        let lifetime = limits.token_lifetime();
        let renewed_ago = |minutes| device(now + lifetime - chrono::TimeDelta::minutes(minutes));
        assert!(!renewal_due(&renewed_ago(0), now, &limits));
        assert!(!renewal_due(&renewed_ago(59), now, &limits));
        assert!(renewal_due(&renewed_ago(60), now, &limits));
        assert!(renewal_due(&renewed_ago(24 * 60), now, &limits));
        assert_eq!(expiry_from(now, &limits), now + chrono::TimeDelta::days(90));
    }

    #[test]
    fn a_short_lifetime_is_renewed_every_hundredth_of_it() {
        let limits = Limits {
            token_lifetime: std::time::Duration::from_secs(4),
            ..Limits::default()
        };
        assert_eq!(
            limits.token_renewal_interval(),
            chrono::TimeDelta::milliseconds(40)
        );
        let now = Utc::now();
        let expiry = |ms| device(now + chrono::TimeDelta::milliseconds(ms));
        assert!(!renewal_due(&expiry(3_990), now, &limits));
        assert!(renewal_due(&expiry(3_960), now, &limits));
    }

    #[test]
    fn revocation_is_told_before_a_disabled_person_before_expiry() {
        let now = Utc::now();
        let mut d = device(now - chrono::TimeDelta::seconds(1));
        assert_eq!(admits(&d, now), Err(Refusal::Expired));
        d.person_disabled = true;
        assert_eq!(admits(&d, now), Err(Refusal::PersonDisabled));
        d.revoked = true;
        assert_eq!(admits(&d, now), Err(Refusal::Revoked));
        let fresh = device(now + chrono::TimeDelta::seconds(1));
        assert_eq!(admits(&fresh, now), Ok(()));
        assert_eq!(
            admits(&device(now), now),
            Err(Refusal::Expired),
            "expired at its expiry"
        );
    }

    #[test]
    fn a_client_without_connect_info_is_unknown_and_mapped_addresses_are_plain() {
        let mut extensions = Extensions::new();
        assert_eq!(ClientAddr::of(&extensions).label(), "unknown");
        let mapped: SocketAddr = "[::ffff:10.0.0.7]:5000".parse().unwrap();
        extensions.insert(ConnectInfo(mapped));
        assert_eq!(ClientAddr::of(&extensions).label(), "10.0.0.7");
    }
}
