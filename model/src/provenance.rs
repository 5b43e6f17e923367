//! Provenance flags a supervisor can act on (issue 12 item 4): evidence that may not be
//! what it claims to be. Each flag names the photo or event it is about and the value
//! measured, so the supervisor can judge it; nothing is refused or reordered for a flag.
//!
//! - a photo whose GPS (read from the camera's original) is farther than
//!   [`ProvenanceConfig::max_distance_m`] from the site's coordinates (haversine);
//! - a photo whose capture time is more than [`ProvenanceConfig::max_capture_gap_ms`]
//!   from the time of the answer or event that attached it;
//! - an event recorded with a device clock far from the receiver's clock or from its
//!   HLC — the same check as [`crate::hazard::skew`], whose flags are carried here;
//! - a photo (the same SHA-256) used by records of different cases or different sites.
//!
//! The inputs are plain facts: the device has the photo metadata, the server and a case
//! bundle have what was pushed. Whatever is not known (no GPS, a site without
//! coordinates) raises no flag.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::hazard::Event;
use crate::hazard::skew::{self, DEFAULT_MAX_SKEW_MS, SkewKind};
use crate::org::Site;

/// Photos farther than this from their site are flagged unless configured otherwise:
/// 300 m, well beyond phone GPS error in a dense compound, well short of the next one.
pub const DEFAULT_MAX_DISTANCE_M: f64 = 300.0;

/// Photos captured more than this before or after their answer are flagged unless
/// configured otherwise: 24 hours (a photo from yesterday's visit is worth a look).
pub const DEFAULT_MAX_CAPTURE_GAP_MS: i64 = 24 * 60 * 60 * 1000;

/// The mean Earth radius in metres (IUGG), for the haversine distance.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The thresholds beyond which a value is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProvenanceConfig {
    /// Largest distance in metres between a photo's GPS and its site.
    pub max_distance_m: f64,
    /// Largest gap in ms between a photo's capture time and its answer or event.
    pub max_capture_gap_ms: i64,
    /// Largest device clock skew in ms ([`crate::hazard::skew`]).
    pub max_skew_ms: i64,
}

impl Default for ProvenanceConfig {
    fn default() -> ProvenanceConfig {
        ProvenanceConfig {
            max_distance_m: DEFAULT_MAX_DISTANCE_M,
            max_capture_gap_ms: DEFAULT_MAX_CAPTURE_GAP_MS,
            max_skew_ms: DEFAULT_MAX_SKEW_MS,
        }
    }
}

/// What is known of a photo's capture, read from the camera's original.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoFacts {
    /// The evidence photo's SHA-256.
    pub sha256: String,
    /// Capture time in ms since the Unix epoch, when the original had one.
    pub taken_at_ms: Option<i64>,
    /// Latitude in degrees, when the original had GPS.
    pub lat: Option<f64>,
    /// Longitude in degrees, when the original had GPS.
    pub lon: Option<f64>,
}

/// One record attaching a photo: an answer of an inspection or a hazard event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoUse {
    /// The photo's SHA-256.
    pub sha256: String,
    /// The record that attached it (an event id, or `inspection/item`).
    pub record: String,
    /// When the record says it was made (answer time or event wall time), in ms.
    pub at_ms: Option<i64>,
    /// The case the record belongs to, when it belongs to one.
    pub case_id: Option<String>,
    /// The site the record is about, when known.
    pub site_id: Option<String>,
}

/// What a flag is about and the value measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FlagKind {
    /// The photo's GPS is `distance_m` from the site.
    GpsFarFromSite {
        /// The site.
        site_id: String,
        /// The haversine distance in metres.
        distance_m: f64,
    },
    /// The photo was captured `gap_ms` after (negative: before) its record's time.
    CaptureFarFromRecord {
        /// Capture time minus the record's time, in ms.
        gap_ms: i64,
    },
    /// The event's device clock was off by `skew_ms` against another clock.
    ClockSkew {
        /// Which clock it disagreed with.
        against: SkewKind,
        /// The event's wall time minus the other clock, in ms.
        skew_ms: i64,
    },
    /// The photo is also used by records of other cases or other sites.
    PhotoReused {
        /// Every case using it (this one included), sorted.
        cases: Vec<String>,
        /// Every site using it, sorted.
        sites: Vec<String>,
    },
}

/// One provenance flag: what it names, which record, what was measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvenanceFlag {
    /// The photo's SHA-256, or the event's id for a clock skew.
    pub subject: String,
    /// The record it was found on (event id, or `inspection/item`).
    pub record: String,
    /// What was found.
    #[serde(flatten)]
    pub flag: FlagKind,
    /// A sentence for people naming the measured value ("GPS 1.2 km from the site").
    pub message: String,
}

/// The evidence of one case, as far as it is known where the flags are computed.
#[derive(Debug, Clone, Default)]
pub struct CaseEvidence<'a> {
    /// The case's site, with its coordinates if it has them.
    pub site: Option<&'a Site>,
    /// Every record of the case attaching a photo.
    pub uses: Vec<PhotoUse>,
    /// Every use of those photos anywhere (other cases and sites), for re-use.
    pub uses_elsewhere: Vec<PhotoUse>,
    /// The capture facts of the case's photos, where known.
    pub photos: Vec<PhotoFacts>,
    /// The case's events, each with the receiver's clock at arrival if known.
    pub events: Vec<(Event, Option<i64>)>,
}

/// The great-circle distance in metres between two points given in degrees.
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().clamp(0.0, 1.0).asin()
}

/// A distance for people: `850 m`, `1.2 km`.
pub fn show_distance(m: f64) -> String {
    if m < 1000.0 {
        format!("{} m", m.round())
    } else {
        format!("{:.1} km", m / 1000.0)
    }
}

/// A duration for people: `45 min`, `26.5 h`, `3.0 days`.
pub fn show_duration(ms: i64) -> String {
    let ms = ms.unsigned_abs();
    let minutes = ms as f64 / 60_000.0;
    if minutes < 120.0 {
        format!("{} min", minutes.round())
    } else if minutes < 72.0 * 60.0 {
        format!("{:.1} h", minutes / 60.0)
    } else {
        format!("{:.1} days", minutes / (24.0 * 60.0))
    }
}

/// Every provenance flag of a case, in the order: GPS, capture time, clock, re-use.
pub fn flags(evidence: &CaseEvidence<'_>, config: &ProvenanceConfig) -> Vec<ProvenanceFlag> {
    let mut out = Vec::new();
    let facts: BTreeMap<&str, &PhotoFacts> = evidence
        .photos
        .iter()
        .map(|p| (p.sha256.as_str(), p))
        .collect();
    let site_point = evidence
        .site
        .and_then(|s| Some((s.id.as_str(), s.lat?, s.lon?)));
    // Where a photo was taken is the photo's, not the record's: one flag per photo.
    let mut placed = BTreeSet::new();
    for photo_use in &evidence.uses {
        let Some(fact) = facts.get(photo_use.sha256.as_str()) else {
            continue;
        };
        if !placed.insert(photo_use.sha256.as_str()) {
            continue;
        }
        if let (Some((site, lat, lon)), Some(plat), Some(plon)) = (site_point, fact.lat, fact.lon) {
            let distance_m = haversine_m(lat, lon, plat, plon);
            if distance_m > config.max_distance_m {
                out.push(ProvenanceFlag {
                    subject: photo_use.sha256.clone(),
                    record: photo_use.record.clone(),
                    message: format!(
                        "photo {} GPS {} from the site {site}",
                        short(&photo_use.sha256),
                        show_distance(distance_m)
                    ),
                    flag: FlagKind::GpsFarFromSite {
                        site_id: site.to_string(),
                        distance_m,
                    },
                });
            }
        }
    }
    for photo_use in &evidence.uses {
        let Some(fact) = facts.get(photo_use.sha256.as_str()) else {
            continue;
        };
        if let (Some(taken), Some(at)) = (fact.taken_at_ms, photo_use.at_ms) {
            let gap_ms = taken.saturating_sub(at);
            if gap_ms.saturating_abs() > config.max_capture_gap_ms {
                out.push(ProvenanceFlag {
                    subject: photo_use.sha256.clone(),
                    record: photo_use.record.clone(),
                    message: format!(
                        "photo {} captured {} {} its record",
                        short(&photo_use.sha256),
                        show_duration(gap_ms),
                        if gap_ms < 0 { "before" } else { "after" }
                    ),
                    flag: FlagKind::CaptureFarFromRecord { gap_ms },
                });
            }
        }
    }
    for skewed in skew::flag(&evidence.events, config.max_skew_ms) {
        let against = match skewed.kind {
            SkewKind::WallVersusHlc => "its clock (HLC)",
            SkewKind::AheadOfReceiver => "the receiver's clock",
        };
        out.push(ProvenanceFlag {
            subject: skewed.event.clone(),
            record: skewed.event.clone(),
            message: format!(
                "device {} clock {} {} {against}",
                skewed.device,
                show_duration(skewed.skew_ms),
                if skewed.skew_ms < 0 {
                    "behind"
                } else {
                    "ahead of"
                }
            ),
            flag: FlagKind::ClockSkew {
                against: skewed.kind,
                skew_ms: skewed.skew_ms,
            },
        });
    }
    let mut seen = BTreeSet::new();
    for photo_use in &evidence.uses {
        if !seen.insert(photo_use.sha256.as_str()) {
            continue;
        }
        let all = evidence
            .uses
            .iter()
            .chain(&evidence.uses_elsewhere)
            .filter(|u| u.sha256 == photo_use.sha256);
        let mut cases = BTreeSet::new();
        let mut sites = BTreeSet::new();
        for u in all {
            cases.extend(u.case_id.clone());
            sites.extend(u.site_id.clone());
        }
        if cases.len() > 1 || sites.len() > 1 {
            let cases: Vec<String> = cases.into_iter().collect();
            let sites: Vec<String> = sites.into_iter().collect();
            out.push(ProvenanceFlag {
                subject: photo_use.sha256.clone(),
                record: photo_use.record.clone(),
                message: format!(
                    "photo {} also used in {} case(s) and {} site(s): {}",
                    short(&photo_use.sha256),
                    cases.len(),
                    sites.len(),
                    cases
                        .iter()
                        .chain(&sites)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                flag: FlagKind::PhotoReused { cases, sites },
            });
        }
    }
    out
}

/// The first 12 characters of a hash, enough for people to tell photos apart.
fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::checklist::Severity;
    use crate::hazard::{Actor, HazardReport, Hlc, Payload, ReportSource};
    use crate::profile::Role;

    fn site(lat: Option<f64>, lon: Option<f64>) -> Site {
        Site {
            id: "site-a".into(),
            name: "A".into(),
            kind: "residential".into(),
            unit: "g1".into(),
            address: String::new(),
            lat,
            lon,
        }
    }

    fn photo_use(sha: &str, record: &str, at_ms: i64, case: &str, site: &str) -> PhotoUse {
        PhotoUse {
            sha256: sha.into(),
            record: record.into(),
            at_ms: Some(at_ms),
            case_id: Some(case.into()),
            site_id: Some(site.into()),
        }
    }

    fn facts(sha: &str, taken: Option<i64>, lat: f64, lon: f64) -> PhotoFacts {
        PhotoFacts {
            sha256: sha.into(),
            taken_at_ms: taken,
            lat: Some(lat),
            lon: Some(lon),
        }
    }

    fn event(id: &str, wall_ms: i64, hlc_ms: i64) -> Event {
        Event {
            id: id.into(),
            case_id: "case-1".into(),
            actor: Actor {
                name: "Li".into(),
                role: Role::GridWorker,
                unit: "g1".into(),
                department: None,
            },
            device: "dev-1".into(),
            hlc: Hlc {
                ms: hlc_ms,
                counter: 0,
            },
            wall_ms,
            parents: vec![],
            withheld: None,
            payload: Payload::Reported(HazardReport {
                source: ReportSource::Hotline,
                category: "fire".into(),
                item: None,
                severity: Severity::High,
                unit: "g1".into(),
                site_id: Some("site-a".into()),
                description: "x".into(),
                photos: vec![],
                suggested_department: None,
            }),
        }
    }

    #[test]
    fn haversine_matches_known_distances() {
        // One degree of latitude is about 111.2 km everywhere.
        let d = haversine_m(30.0, 104.0, 31.0, 104.0);
        assert!((d - 111_195.0).abs() < 50.0, "{d}");
        // Chengdu Tianfu Square to Chunxi Road: about 1.2 km.
        let d = haversine_m(30.6574, 104.0657, 30.6555, 104.0781);
        assert!((1_150.0..1_250.0).contains(&d), "{d}");
        assert_eq!(haversine_m(30.0, 104.0, 30.0, 104.0), 0.0);
        assert_eq!(show_distance(849.6), "850 m");
        assert_eq!(show_distance(1_234.0), "1.2 km");
        assert_eq!(show_duration(-26 * 3_600_000 - 1_800_000), "26.5 h");
    }

    #[test]
    fn a_photo_far_from_its_site_is_flagged_with_the_distance_and_a_near_one_is_not() {
        let site = site(Some(30.6574), Some(104.0657));
        let evidence = CaseEvidence {
            site: Some(&site),
            uses: vec![
                photo_use("aa", "ev-1", 0, "case-1", "site-a"),
                photo_use("aa", "insp/fire-01", 0, "case-1", "site-a"),
                photo_use("bb", "ev-2", 0, "case-1", "site-a"),
            ],
            photos: vec![
                facts("aa", None, 30.6555, 104.0781),
                // About 100 m north: within the default 300 m.
                facts("bb", None, 30.6583, 104.0657),
            ],
            ..CaseEvidence::default()
        };
        let found = flags(&evidence, &ProvenanceConfig::default());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].subject, "aa");
        assert_eq!(found[0].record, "ev-1");
        assert!(
            matches!(found[0].flag, FlagKind::GpsFarFromSite { distance_m, .. } if distance_m > 1_100.0)
        );
        assert!(
            found[0].message.contains("GPS 1.2 km from the site"),
            "{}",
            found[0].message
        );
        // A tighter limit flags the near one too; a site without coordinates, none.
        let tight = ProvenanceConfig {
            max_distance_m: 50.0,
            ..ProvenanceConfig::default()
        };
        assert_eq!(flags(&evidence, &tight).len(), 2);
        let unplaced = self::site(None, None);
        let evidence = CaseEvidence {
            site: Some(&unplaced),
            ..evidence
        };
        assert!(flags(&evidence, &ProvenanceConfig::default()).is_empty());
    }

    #[test]
    fn a_capture_time_far_from_the_answer_is_flagged_either_way() {
        let hour = 3_600_000;
        let answered = 1_700_000_000_000;
        let evidence = CaseEvidence {
            uses: vec![
                photo_use("aa", "insp/fire-01", answered, "c", "s"),
                photo_use("bb", "insp/fire-02", answered, "c", "s"),
                photo_use("cc", "insp/fire-03", answered, "c", "s"),
            ],
            photos: vec![
                PhotoFacts {
                    sha256: "aa".into(),
                    taken_at_ms: Some(answered - 30 * hour),
                    lat: None,
                    lon: None,
                },
                PhotoFacts {
                    sha256: "bb".into(),
                    taken_at_ms: Some(answered - hour),
                    lat: None,
                    lon: None,
                },
                PhotoFacts {
                    sha256: "cc".into(),
                    taken_at_ms: Some(answered + 25 * hour),
                    lat: None,
                    lon: None,
                },
            ],
            ..CaseEvidence::default()
        };
        let found = flags(&evidence, &ProvenanceConfig::default());
        let gaps: Vec<(&str, i64)> = found
            .iter()
            .map(|f| match f.flag {
                FlagKind::CaptureFarFromRecord { gap_ms } => (f.subject.as_str(), gap_ms),
                _ => panic!("{f:?}"),
            })
            .collect();
        assert_eq!(gaps, [("aa", -30 * hour), ("cc", 25 * hour)]);
        assert!(
            found[0].message.contains("30.0 h before"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn clock_skew_comes_from_the_skew_check_with_the_measured_value() {
        let minute = 60_000;
        let evidence = CaseEvidence {
            events: vec![
                (event("ev-ok", 1_000, 1_000), Some(2_000)),
                (
                    event("ev-fast", 1_000 + 40 * minute, 1_000 + 40 * minute),
                    Some(1_000),
                ),
            ],
            ..CaseEvidence::default()
        };
        let found = flags(&evidence, &ProvenanceConfig::default());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].subject, "ev-fast");
        assert_eq!(
            found[0].flag,
            FlagKind::ClockSkew {
                against: SkewKind::AheadOfReceiver,
                skew_ms: 40 * minute
            }
        );
        assert!(
            found[0].message.contains("40 min ahead of the receiver"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn a_photo_used_in_another_case_or_site_is_flagged_once_naming_them() {
        let evidence = CaseEvidence {
            uses: vec![
                photo_use("aa", "ev-1", 0, "case-1", "site-a"),
                photo_use("aa", "ev-3", 0, "case-1", "site-a"),
                photo_use("bb", "ev-2", 0, "case-1", "site-a"),
            ],
            uses_elsewhere: vec![
                photo_use("aa", "ev-9", 0, "case-2", "site-b"),
                // The inspection the case came from: no case, same site — not re-use.
                PhotoUse {
                    sha256: "bb".into(),
                    record: "insp/fire-01".into(),
                    at_ms: None,
                    case_id: None,
                    site_id: Some("site-a".into()),
                },
            ],
            ..CaseEvidence::default()
        };
        let found = flags(&evidence, &ProvenanceConfig::default());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].flag,
            FlagKind::PhotoReused {
                cases: vec!["case-1".into(), "case-2".into()],
                sites: vec!["site-a".into(), "site-b".into()],
            }
        );
        assert!(found[0].message.contains("case-2"), "{}", found[0].message);
    }
}
