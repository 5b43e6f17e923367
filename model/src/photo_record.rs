//! The photo record (record kind `photo`): what a device attests about an evidence photo
//! when it first attaches it to a record it sends (a submitted inspection's answer, a
//! hazard event). It binds the evidence file to the camera's original as it arrived
//! (its SHA-256), to where and when the camera says it was taken (read from the
//! original's EXIF), and to when the device ingested it (its clock and its hybrid
//! logical clock), and it is signed and chained like every other record
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
