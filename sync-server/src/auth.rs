//! Who a request comes from: one-time enrolment codes, device tokens (the server keeps
//! only their SHA-256) and the [`Caller`] extractor that every protected route takes.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use gridwalk_model::protocol::Person;

use crate::api::AppState;
use crate::error::{ApiError, blocking};
use crate::storage::sha256_hex;

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

/// A new device token: 256 random bits, base64url.
pub fn new_device_token() -> Result<String, RandomError> {
    let bytes: [u8; 32] = random_bytes()?;
    Ok(format!(
        "gw1_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// The hash a device token is stored under.
pub fn device_token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// The authenticated device and its person, taken from `Authorization: Bearer <token>`.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The device the token was issued to.
    pub device: String,
    /// The person who enrolled it.
    pub person: Person,
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
        let found = blocking(move || Ok(store.device_for_token(&hash)?)).await?;
        let (device, person) = found.ok_or_else(|| {
            ApiError::Unauthorized("unknown device token; enrol the device again".into())
        })?;
        tracing::Span::current().record("device", device.as_str());
        Ok(Caller { device, person })
    }
}
