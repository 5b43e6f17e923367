//! Signed, chained records: the bytes a device signs for each record it produces, the
//! link that chains a device's records one after another, and the check anyone holding
//! the device's public key can make. `docs/signing.md` describes every byte, with test
//! vectors (asserted below), so a Kotlin or Swift signer can be written from it alone.
//!
//! - The *signed bytes* of a record are the canonical JSON ([`canonical_json`]) of the
//!   object `{"body": …, "id": …, "kind": …, "prev": …}`: its body as pushed, its id,
//!   its kind ([`crate::protocol::RecordKind::as_str`]) and the link of the device's
//!   previous record (`prev`, [`GENESIS`] for a device's first record).
//! - The *signature* is ECDSA over P-256 with SHA-256 of the signed bytes, DER-encoded
//!   (what Android Keystore's `SHA256withECDSA` and the Secure Enclave's
//!   `ecdsaSignatureMessageX962SHA256` return), sent as lower-case hex.
//! - The *link* of a record is the lower-case hex SHA-256 of its signed bytes followed
//!   by its DER signature bytes; the device's next record names it as `prev`.
//! - A device's *public key* is the SEC1 uncompressed point (`04 ‖ X ‖ Y`, 65 bytes),
//!   lower-case hex.

use std::fmt::Write as _;

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev` of a device's first record: 64 zeros (no record hashes to it).
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a signed record carries next to its body on the wire (`PushItem::proof`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// The link of the device's previous record ([`GENESIS`] for its first).
    pub prev: String,
    /// The DER ECDSA P-256 SHA-256 signature over the record's signed bytes, hex.
    pub signature: String,
}

/// Why a record's signature or its encoding was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The record holds a value the canonical encoding has no form for (a fraction).
    #[error("the record cannot be encoded canonically: {0}")]
    NotCanonical(String),
    /// The public key is not a hex SEC1 point on P-256.
    #[error("the public key is not a P-256 SEC1 point in hex: {0}")]
    BadPublicKey(String),
    /// The signature is not hex DER, or `prev` is not a hex SHA-256.
    #[error("the proof is malformed: {0}")]
    Malformed(String),
    /// The signature does not verify with the key over the record's signed bytes.
    #[error("the signature does not match the record and the device's key")]
    Mismatch,
}

/// The canonical JSON of `value`: object keys sorted by their UTF-8 bytes, no
/// whitespace, integers in plain decimal, strings escaped minimally (`"`, `\` and
/// U+0000–U+001F only, as `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t` or `\u00xx`), all
/// else as raw UTF-8. Non-integer numbers are refused: no record has one, and their
/// text form differs between platforms.
pub fn canonical_json(value: &Value) -> Result<Vec<u8>, SignatureError> {
    let mut out = String::new();
    write_value(&mut out, value)?;
    Ok(out.into_bytes())
}

fn write_value(out: &mut String, value: &Value) -> Result<(), SignatureError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => out.push_str(&i.to_string()),
            (None, Some(u)) => out.push_str(&u.to_string()),
            _ => {
                return Err(SignatureError::NotCanonical(format!(
                    "the number {n} is not an integer"
                )));
            }
        },
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The bytes a device signs for a record: the canonical JSON of
/// `{"body": body, "id": id, "kind": kind, "prev": prev}`.
pub fn signed_bytes(
    kind: &str,
    id: &str,
    body: &Value,
    prev: &str,
) -> Result<Vec<u8>, SignatureError> {
    let mut object = serde_json::Map::new();
    object.insert("body".into(), body.clone());
    object.insert("id".into(), Value::String(id.into()));
    object.insert("kind".into(), Value::String(kind.into()));
    object.insert("prev".into(), Value::String(prev.into()));
    canonical_json(&Value::Object(object))
}

/// A record's link, which the device's next record names as its `prev`: hex SHA-256 of
/// the signed bytes followed by the DER signature bytes.
pub fn link(signed: &[u8], signature_der: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(signed);
    hasher.update(signature_der);
    to_hex(&hasher.finalize())
}

/// Checks that `signature_hex` (DER, hex) is the signature of `public_key_hex` (SEC1,
/// hex) over `signed`; returns the DER bytes, for the record's [`link`].
pub fn verify(
    public_key_hex: &str,
    signed: &[u8],
    signature_hex: &str,
) -> Result<Vec<u8>, SignatureError> {
    let key_bytes =
        from_hex(public_key_hex).ok_or_else(|| SignatureError::BadPublicKey("not hex".into()))?;
    let key = VerifyingKey::from_sec1_bytes(&key_bytes)
        .map_err(|e| SignatureError::BadPublicKey(e.to_string()))?;
    let der = from_hex(signature_hex)
        .ok_or_else(|| SignatureError::Malformed("the signature is not hex".into()))?;
    let signature = Signature::from_der(&der)
        .map_err(|e| SignatureError::Malformed(format!("the signature is not DER: {e}")))?;
    key.verify(signed, &signature)
        .map_err(|_| SignatureError::Mismatch)?;
    Ok(der)
}

/// Checks that a public key is a hex SEC1 point on P-256 (at enrolment, before storing
/// it).
pub fn check_public_key(public_key_hex: &str) -> Result<(), SignatureError> {
    let bytes =
        from_hex(public_key_hex).ok_or_else(|| SignatureError::BadPublicKey("not hex".into()))?;
    VerifyingKey::from_sec1_bytes(&bytes)
        .map(|_| ())
        .map_err(|e| SignatureError::BadPublicKey(e.to_string()))
}

/// Whether `prev` has the form of a link (lower-case hex SHA-256).
pub fn is_link(prev: &str) -> bool {
    crate::evidence::is_sha256_hex(prev)
}

/// Lower-case hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The bytes of a hex string (either case), or `None` when it is not hex.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::Signer;

    /// The test vector of `docs/signing.md`: private scalar 1…32 (bytes 0x01..=0x20).
    fn vector_key() -> SigningKey {
        let scalar: Vec<u8> = (1u8..=32).collect();
        SigningKey::from_slice(&scalar).unwrap()
    }

    fn vector_body() -> Value {
        serde_json::json!({"note": "Zaun \"lose\"\n", "at_ms": 1700000000000_i64, "tags": ["b", "a"], "ok": true, "gone": null})
    }

    const VECTOR_SIGNED: &str = "{\"body\":{\"at_ms\":1700000000000,\"gone\":null,\"note\":\"Zaun \\\"lose\\\"\\n\",\"ok\":true,\"tags\":[\"b\",\"a\"]},\"id\":\"rec-1\",\"kind\":\"hazard-event\",\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"}";
    const VECTOR_SIGNED_HEX: &str = "7b22626f6479223a7b2261745f6d73223a313730303030303030303030302c22676f6e65223a6e756c6c2c226e6f7465223a225a61756e205c226c6f73655c225c6e222c226f6b223a747275652c2274616773223a5b2262222c2261225d7d2c226964223a227265632d31222c226b696e64223a2268617a6172642d6576656e74222c2270726576223a2230303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030227d";
    const VECTOR_PUBLIC_KEY: &str = "04515c3d6eb9e396b904d3feca7f54fdcd0cc1e997bf375dca515ad0a6c3b4035f4536be3a50f318fbf9a5475902a221502bef0d57e08c53b2cc0a56f17d9f9354";
    const VECTOR_SIGNATURE: &str = "30440220444766c0379803900b7c0ee53405492a28b1bd57d7952e94d14c4831c474778d02204cd4924be454d8aae6aae174aaf2d6d983db244b714c08275acd069c1a6101cd";
    const VECTOR_SHA256: &str = "58ef1de438cdddfcec9b1c76889af80726f5b207d365ce7dc8e9a102e7ceef14";
    const VECTOR_LINK: &str = "e03c8ca563cf543dfff08caa7b9d60add1a46e54ba1acfaca9533bbf4ee72e1a";

    #[test]
    fn the_documented_vector_signs_verifies_and_links_as_written() {
        let key = vector_key();
        let signed = signed_bytes("hazard-event", "rec-1", &vector_body(), GENESIS).unwrap();
        assert_eq!(String::from_utf8(signed.clone()).unwrap(), VECTOR_SIGNED);
        let public = to_hex(&key.verifying_key().to_encoded_point(false).to_bytes());
        let signature: Signature = key.sign(&signed);
        let der = signature.to_der();
        assert_eq!(to_hex(&signed), VECTOR_SIGNED_HEX);
        assert_eq!(to_hex(&Sha256::digest(&signed)), VECTOR_SHA256);
        assert_eq!(public, VECTOR_PUBLIC_KEY);
        assert_eq!(to_hex(der.as_bytes()), VECTOR_SIGNATURE);
        assert_eq!(
            verify(VECTOR_PUBLIC_KEY, &signed, VECTOR_SIGNATURE).unwrap(),
            der.as_bytes()
        );
        assert_eq!(link(&signed, der.as_bytes()), VECTOR_LINK);
    }

    #[test]
    fn a_changed_body_prev_or_key_does_not_verify() {
        let signed = signed_bytes("hazard-event", "rec-1", &vector_body(), GENESIS).unwrap();
        let mut body = vector_body();
        body["ok"] = Value::Bool(false);
        let edited = signed_bytes("hazard-event", "rec-1", &body, GENESIS).unwrap();
        assert_eq!(
            verify(VECTOR_PUBLIC_KEY, &edited, VECTOR_SIGNATURE),
            Err(SignatureError::Mismatch)
        );
        let relinked = signed_bytes("hazard-event", "rec-1", &vector_body(), VECTOR_LINK).unwrap();
        assert_eq!(
            verify(VECTOR_PUBLIC_KEY, &relinked, VECTOR_SIGNATURE),
            Err(SignatureError::Mismatch)
        );
        let other: Vec<u8> = (2u8..=33).collect();
        let other = SigningKey::from_slice(&other).unwrap();
        let other_public = to_hex(&other.verifying_key().to_encoded_point(false).to_bytes());
        assert_eq!(
            verify(&other_public, &signed, VECTOR_SIGNATURE),
            Err(SignatureError::Mismatch)
        );
        assert!(matches!(
            verify(VECTOR_PUBLIC_KEY, &signed, "zz"),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            verify("04ab", &signed, VECTOR_SIGNATURE),
            Err(SignatureError::BadPublicKey(_))
        ));
    }

    #[test]
    fn canonical_json_sorts_keys_by_bytes_escapes_minimally_and_refuses_fractions() {
        let value = serde_json::json!({"é": 1, "b": "\u{1}\t/ü", "B": -5, "a": {"z": [], "y": {}}});
        assert_eq!(
            String::from_utf8(canonical_json(&value).unwrap()).unwrap(),
            "{\"B\":-5,\"a\":{\"y\":{},\"z\":[]},\"b\":\"\\u0001\\t/ü\",\"é\":1}"
        );
        assert!(matches!(
            canonical_json(&serde_json::json!({"lat": 1.5})),
            Err(SignatureError::NotCanonical(_))
        ));
        assert_eq!(
            canonical_json(&serde_json::json!(u64::MAX)).unwrap(),
            b"18446744073709551615"
        );
    }

    #[test]
    fn hex_round_trips_and_refuses_what_is_not_hex() {
        assert_eq!(
            from_hex(&to_hex(&[0, 1, 254, 255])).unwrap(),
            vec![0, 1, 254, 255]
        );
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
        assert!(is_link(GENESIS));
    }
}
