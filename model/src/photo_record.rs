//! The photo record (record kind `photo`): what a device attests about an evidence photo
//! when it first attaches it to a record it sends (a submitted inspection's answer, a
//! hazard event). It binds the evidence file to the camera's original as it arrived
//! (its SHA-256), to where and when the camera says it was taken (read from the
//! original's EXIF), and to when the device ingested it (its clock and its hybrid
//! logical clock), and it is chained and sealed like every other record
//! (`docs/signing.md`), so the photo's provenance can be checked by anyone holding the
//! device's public key, without the server.
//!
//! Positions are integers (degrees × 10⁷, the resolution of a phone's GPS fix) because
//! the canonical encoding has no form for fractions.

use serde::{Deserialize, Serialize};

use crate::evidence::is_sha256_hex;
use crate::hazard::Hlc;
use crate::provenance::PhotoFacts;
use crate::time::camera_time_ms;

/// The prefix of a photo record's id; the rest is the evidence file's SHA-256, so a
/// device attests a photo once, whatever it is attached to.
pub const ID_PREFIX: &str = "photo-";

/// A photo record's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoRecord {
    /// The record's id, [`PhotoRecord::id_for`] its photo (carried in the body like every
    /// kind's, so the `/v2` wire form, which sends it beside the body, gives it back).
    pub id: String,
    /// Lower-case hex SHA-256 of the evidence file (the photo's content address).
    pub sha256: String,
    /// Lower-case hex SHA-256 of the camera's original file, as it arrived on the device.
    pub original_sha256: String,
    /// The capture time the original's EXIF gave (`YYYY-MM-DDTHH:MM:SS`, with an offset
    /// when the camera wrote one), `null` when it had none.
    pub taken_at: Option<String>,
    /// Latitude from the original's EXIF, degrees × 10⁷, north positive.
    pub lat_e7: Option<i64>,
    /// Longitude from the original's EXIF, degrees × 10⁷, east positive.
    pub lon_e7: Option<i64>,
    /// The device's clock when it ingested the photo, ms since the Unix epoch.
    pub ingested_ms: i64,
    /// The device's hybrid logical clock at ingest.
    pub hlc: Hlc,
}

/// Degrees as the record holds them (× 10⁷, rounded).
pub fn to_e7(degrees: f64) -> i64 {
    (degrees * 1e7).round() as i64
}

/// Degrees from the record's × 10⁷ form.
pub fn from_e7(e7: i64) -> f64 {
    e7 as f64 / 1e7
}

impl PhotoRecord {
    /// The record id of the photo record for evidence photo `sha256`.
    pub fn id_for(sha256: &str) -> String {
        format!("{ID_PREFIX}{sha256}")
    }

    /// Checks what the signature cannot: the item's id is the body's and names this
    /// photo, the hashes are hex SHA-256, the position is on the globe and whole (both
    /// or neither).
    pub fn check(&self, id: &str) -> Result<(), String> {
        if id != self.id || id != Self::id_for(&self.sha256) {
            return Err(format!(
                "a photo record's id is `{ID_PREFIX}` and its photo's SHA-256, not `{id}`"
            ));
        }
        for (name, hash) in [
            ("sha256", &self.sha256),
            ("original_sha256", &self.original_sha256),
        ] {
            if !is_sha256_hex(hash) {
                return Err(format!("{name} `{hash}` is not a lower-case hex SHA-256"));
            }
        }
        match (self.lat_e7, self.lon_e7) {
            (None, None) => Ok(()),
            (Some(lat), Some(lon))
                if lat.abs() <= 90 * 10_000_000 && lon.abs() <= 180 * 10_000_000 =>
            {
                Ok(())
            }
            (Some(_), Some(_)) => Err("the position is off the globe".into()),
            _ => Err("a position needs both latitude and longitude".into()),
        }
    }

    /// What provenance checks need of it.
    pub fn facts(&self) -> PhotoFacts {
        PhotoFacts {
            sha256: self.sha256.clone(),
            taken_at_ms: self.taken_at.as_deref().and_then(camera_time_ms),
            lat: self.lat_e7.map(from_e7),
            lon: self.lon_e7.map(from_e7),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn record() -> PhotoRecord {
        PhotoRecord {
            id: PhotoRecord::id_for(&"a".repeat(64)),
            sha256: "a".repeat(64),
            original_sha256: "b".repeat(64),
            taken_at: Some("2026-05-04T09:30:00+08:00".into()),
            lat_e7: Some(to_e7(31.230_416_7)),
            lon_e7: Some(to_e7(121.473_701_2)),
            ingested_ms: 1_777_858_260_000,
            hlc: Hlc {
                ms: 1_777_858_260_000,
                counter: 0,
            },
        }
    }

    #[test]
    fn a_well_formed_record_passes_and_gives_its_facts() {
        let r = record();
        r.check(&PhotoRecord::id_for(&r.sha256)).unwrap();
        let facts = r.facts();
        assert_eq!(facts.lat, Some(31.230_416_7));
        assert_eq!(facts.lon, Some(121.473_701_2));
        assert_eq!(
            facts.taken_at_ms,
            camera_time_ms("2026-05-04T09:30:00+08:00")
        );
        assert!(facts.taken_at_ms.is_some());
    }

    #[test]
    fn a_wrong_id_hash_or_position_is_refused_by_name() {
        let r = record();
        assert!(r.check("photo-x").unwrap_err().contains("id"));
        let mut bad = record();
        bad.original_sha256 = "B".repeat(64);
        assert!(
            bad.check(&PhotoRecord::id_for(&bad.sha256))
                .unwrap_err()
                .contains("original_sha256")
        );
        let mut half = record();
        half.lon_e7 = None;
        assert!(half.check(&PhotoRecord::id_for(&half.sha256)).is_err());
        let mut off = record();
        off.lat_e7 = Some(91 * 10_000_000);
        assert!(off.check(&PhotoRecord::id_for(&off.sha256)).is_err());
    }

    #[test]
    fn unknown_fields_are_refused_so_nothing_unsigned_rides_along() {
        let mut value = serde_json::to_value(record()).unwrap();
        value["extra"] = serde_json::json!(1);
        assert!(serde_json::from_value::<PhotoRecord>(value).is_err());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod vector {
    use super::*;
    use crate::signing::{GENESIS, link, signed_bytes, to_hex, verify};
    use p256::ecdsa::signature::Signer;
    use p256::ecdsa::{Signature, SigningKey};

    /// The photo record of `docs/signing.md`'s test vector.
    fn vector_record() -> PhotoRecord {
        let sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        PhotoRecord {
            id: PhotoRecord::id_for(sha),
            sha256: sha.into(),
            original_sha256: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
                .into(),
            taken_at: Some("2026-05-04T09:30:00+08:00".into()),
            lat_e7: Some(306_601_000),
            lon_e7: Some(1_040_801_000),
            ingested_ms: 1_777_858_265_123,
            hlc: Hlc {
                ms: 1_777_858_265_123,
                counter: 2,
            },
        }
    }

    const VECTOR_SIGNED: &str = "{\"body\":{\"hlc\":{\"counter\":2,\"ms\":1777858265123},\"id\":\"photo-9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\",\"ingested_ms\":1777858265123,\"lat_e7\":306601000,\"lon_e7\":1040801000,\"original_sha256\":\"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\",\"sha256\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\",\"taken_at\":\"2026-05-04T09:30:00+08:00\"},\"id\":\"photo-9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\",\"kind\":\"photo\",\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"}";
    const VECTOR_SIGNATURE: &str = "3045022100b043d943f8a2092a6c328b54e5a6a9dbb07b86d88eb4d3b9d456d07bfad8ce2702205be3afece19406f46607e3930822dcc39eee6300f277ca4d6fc722e7bc9f5edb";
    const VECTOR_LINK: &str = "18c6d161585486422a4f2cc53e89bc181330233fd39e7bc6ee045b6e9a2ec605";

    #[test]
    fn the_documented_photo_record_vector_signs_verifies_and_links_as_written() {
        let scalar: Vec<u8> = (1u8..=32).collect();
        let key = SigningKey::from_slice(&scalar).unwrap();
        let r = vector_record();
        r.check(&r.id).unwrap();
        let body = serde_json::to_value(&r).unwrap();
        let signed = signed_bytes("photo", &r.id, &body, GENESIS).unwrap();
        assert_eq!(String::from_utf8(signed.clone()).unwrap(), VECTOR_SIGNED);
        assert_eq!(signed.len(), 561);
        let signature: Signature = key.sign(&signed);
        let der = signature.to_der();
        assert_eq!(to_hex(der.as_bytes()), VECTOR_SIGNATURE);
        let public = to_hex(&key.verifying_key().to_encoded_point(false).to_bytes());
        verify(&public, &signed, VECTOR_SIGNATURE).unwrap();
        assert_eq!(link(&signed, der.as_bytes()), VECTOR_LINK);
        // The body reads back into the same record (what the server re-serialises).
        assert_eq!(serde_json::from_value::<PhotoRecord>(body).unwrap(), r);
    }
}
