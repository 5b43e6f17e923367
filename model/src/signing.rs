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
//! - Since ADR 12 a record may be *chained* ([`Proof::chained`]): its link is
//!   SHA-256(`prev` ‖ `content`) over raw bytes, where `content` is the SHA-256 of the
//!   canonical JSON `{"body": …, "id": …, "kind": …}` ([`content_digest`],
//!   [`chained_link`]), and it need not carry a signature. The device signs once per
//!   push: the link of the last record of the request, prefixed with [`SEAL_PREFIX`]
//!   ([`seal_message`]); that signature authenticates every chained record before it
//!   through the `prev` each link commits to ([`sealed_by_chain`]). A verifier can walk
//!   from one record to its seal with only each later record's `prev` and content
//!   digest, never its body (a case bundle shows no other case's content).

use std::fmt::Write as _;

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev` of a device's first record: 64 zeros (no record hashes to it).
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a record carries next to its body on the wire (`PushItem::proof`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// The link of the device's previous record ([`GENESIS`] for its first).
    pub prev: String,
    /// The DER ECDSA P-256 SHA-256 signature over the record's signed bytes, hex;
    /// absent for a chained record that a later record of the same push seals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Whether the record is chained (ADR 12): its link is SHA-256 of its signed bytes
    /// alone, signed or not. Absent (false) from older clients, whose records are all
    /// signed and linked over their signature too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub chained: bool,
}

/// The text a device signs to seal a chained record (and every record before it): this
/// prefix, then the record's link in lower-case hex. The prefix keeps a seal from ever
/// being taken for a signature over a record's signed bytes (which start with `{`).
pub const SEAL_PREFIX: &str = "gridwalk-seal-v1:";

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

/// A chained record's content digest (ADR 12): hex SHA-256 of the canonical JSON of
/// `{"body": body, "id": id, "kind": kind}`.
pub fn content_digest(kind: &str, id: &str, body: &Value) -> Result<String, SignatureError> {
    let mut object = serde_json::Map::new();
    object.insert("body".into(), body.clone());
    object.insert("id".into(), Value::String(id.into()));
    object.insert("kind".into(), Value::String(kind.into()));
    Ok(to_hex(&Sha256::digest(canonical_json(&Value::Object(
        object,
    ))?)))
}

/// A chained record's link (ADR 12): hex SHA-256 of the 32 bytes of `prev` followed by
/// the 32 bytes of its content digest, so the link is fixed when the record is
/// committed and a seal made later, at push, does not change it.
pub fn chained_link(prev: &str, content: &str) -> Result<String, SignatureError> {
    let malformed = |what: &str| SignatureError::Malformed(format!("{what} is not a hex SHA-256"));
    let prev = from_hex(prev)
        .filter(|b| b.len() == 32)
        .ok_or_else(|| malformed("`prev`"))?;
    let content = from_hex(content)
        .filter(|b| b.len() == 32)
        .ok_or_else(|| malformed("the content digest"))?;
    let mut hasher = Sha256::new();
    hasher.update(&prev);
    hasher.update(&content);
    Ok(to_hex(&hasher.finalize()))
}

/// A chained record's link from its parts: [`content_digest`] then [`chained_link`].
pub fn chained_link_of(
    kind: &str,
    id: &str,
    body: &Value,
    prev: &str,
) -> Result<String, SignatureError> {
    chained_link(prev, &content_digest(kind, id, body)?)
}

/// The bytes a device signs to seal the chained record whose link is `link`.
pub fn seal_message(link: &str) -> Vec<u8> {
    format!("{SEAL_PREFIX}{link}").into_bytes()
}

/// One record of a device's chain as a verifier walks it: its link, the `prev` it
/// names, and whether its own signature verified (`Some(true)`), failed
/// (`Some(false)`) or is absent (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLink {
    /// The link the record's signed bytes give.
    pub link: String,
    /// The link of the record before it, as its signed bytes name it.
    pub prev: String,
    /// The verdict on its own signature.
    pub signature_ok: Option<bool>,
}

/// What the walk from one record along its device's chain found ([`sealed_by_chain`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sealed {
    /// Its own signature verifies, or the walk reaches one that does: authenticated.
    Verified,
    /// Its own signature fails, or the walk reaches only signatures (or records) that
    /// fail: the record, or one after it, was changed, or the key is not the device's.
    BadSeal,
    /// Unsigned, and the walk reaches no signature: a record after it is missing.
    Unsealed,
}

/// For each of one device's records, what the walk forward along its chain finds: a
/// record whose own signature verifies is [`Sealed::Verified`], one whose signature
/// fails [`Sealed::BadSeal`]; an unsigned record takes the verdict of a record that
/// names its link as `prev` (a verified one first, when a fork gives several), and is
/// [`Sealed::Unsealed`] when there is none. The records may come in any order; each is
/// visited at most twice.
pub fn sealed_by_chain(records: &[ChainLink]) -> Vec<Sealed> {
    let mut by_link: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    for (i, record) in records.iter().enumerate() {
        by_link.entry(record.link.as_str()).or_default().push(i);
    }
    let mut verdict: Vec<Option<Sealed>> = vec![None; records.len()];
    for (seed, outcome) in [(true, Sealed::Verified), (false, Sealed::BadSeal)] {
        let mut work: Vec<usize> = (0..records.len())
            .filter(|&i| records[i].signature_ok == Some(seed))
            .collect();
        for &i in &work {
            verdict[i] = Some(outcome);
        }
        while let Some(i) = work.pop() {
            for &before in by_link.get(records[i].prev.as_str()).into_iter().flatten() {
                if verdict[before].is_none() && records[before].signature_ok.is_none() {
                    verdict[before] = Some(outcome);
                    work.push(before);
                }
            }
        }
    }
    verdict
        .into_iter()
        .map(|v| v.unwrap_or(Sealed::Unsealed))
        .collect()
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

    /// The chained vector of `docs/signing.md` (ADR 12): the documented record chained
    /// (unsigned), then a second record after it sealed by the same key.
    const CHAINED_CONTENT: &str =
        "28a790ee0ff3e3f4f777ac6fc29a9f62382aeb46d38a6d747f9dad5d0cbf2b36";
    const CHAINED_LINK: &str = "13ba930e54975a1e83ab7361ae572c3bfcb5cfbc5111d310a99f734c19b2eba2";
    const SEAL_CONTENT: &str = "93d7a60e178837dd9f6afcf2ea5b22b60b3b7e112edd162ee7d3d2c4eb3913fa";
    const SEAL_LINK: &str = "f1a2e5fd02e22e5a80f59e507dfa93dbef8de04f3d4f13f0e7e8fbd7248beb29";
    const SEAL_SIGNATURE: &str = "3045022100c37010655f6ae5389eb09aedc7fbf668a177212dd5f477cb7c2efd31dca76f5b02200be269272aa7d667691be93c5e92df0c3af7a2de51abef76390e2d71b7bb841e";

    #[test]
    fn the_documented_chained_vector_links_and_seals_as_written() {
        let key = vector_key();
        let content = content_digest("hazard-event", "rec-1", &vector_body()).unwrap();
        let first = chained_link(GENESIS, &content).unwrap();
        let second_body = serde_json::json!({"note": "fixed", "at_ms": 1700000060000_i64});
        let second_content = content_digest("hazard-event", "rec-2", &second_body).unwrap();
        let second = chained_link(&first, &second_content).unwrap();
        let message = seal_message(&second);
        let signature: Signature = key.sign(&message);
        assert_eq!(content, CHAINED_CONTENT);
        assert_eq!(first, CHAINED_LINK);
        assert_eq!(second_content, SEAL_CONTENT);
        assert_eq!(second, SEAL_LINK);
        assert_eq!(
            String::from_utf8(message.clone()).unwrap(),
            format!("gridwalk-seal-v1:{SEAL_LINK}")
        );
        assert_eq!(to_hex(signature.to_der().as_bytes()), SEAL_SIGNATURE);
        verify(VECTOR_PUBLIC_KEY, &message, SEAL_SIGNATURE).unwrap();
        // Chained by hand: SHA-256 of the canonical {"body","id","kind"} object, and of
        // the 64 bytes prev ‖ content.
        let canonical = "{\"body\":{\"at_ms\":1700000000000,\"gone\":null,\"note\":\"Zaun \\\"lose\\\"\\n\",\"ok\":true,\"tags\":[\"b\",\"a\"]},\"id\":\"rec-1\",\"kind\":\"hazard-event\"}";
        assert_eq!(to_hex(&Sha256::digest(canonical.as_bytes())), content);
        let mut both = from_hex(GENESIS).unwrap();
        both.extend(from_hex(&content).unwrap());
        assert_eq!(to_hex(&Sha256::digest(&both)), first);

        // The seal authenticates both; without it, or with a bad one, neither is.
        let walk = |seal: Option<bool>| {
            sealed_by_chain(&[
                ChainLink {
                    link: first.clone(),
                    prev: GENESIS.into(),
                    signature_ok: None,
                },
                ChainLink {
                    link: second.clone(),
                    prev: first.clone(),
                    signature_ok: seal,
                },
            ])
        };
        assert_eq!(walk(Some(true)), [Sealed::Verified, Sealed::Verified]);
        assert_eq!(walk(Some(false)), [Sealed::BadSeal, Sealed::BadSeal]);
        assert_eq!(walk(None), [Sealed::Unsealed, Sealed::Unsealed]);
        // A record whose link nobody names is not sealed by a later signature.
        let broken = sealed_by_chain(&[
            ChainLink {
                link: first.clone(),
                prev: GENESIS.into(),
                signature_ok: None,
            },
            ChainLink {
                link: second.clone(),
                prev: GENESIS.into(),
                signature_ok: Some(true),
            },
        ]);
        assert_eq!(broken, [Sealed::Unsealed, Sealed::Verified]);
        assert!(matches!(
            chained_link("ab", &content),
            Err(SignatureError::Malformed(_))
        ));
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
