//! A case's provenance flags as this device knows them ([`gridwalk_model::provenance`]):
//! the device holds what the camera files said (capture time and GPS, read at ingest
//! and kept in `photos`), the answers' times, the site's coordinates and every other
//! record naming the same photo, so it can raise all four kinds of flag.

use std::collections::BTreeSet;

use chrono::DateTime;
use gridwalk_model::provenance::{
    self, CaseEvidence, PhotoFacts, PhotoUse, ProvenanceConfig, ProvenanceFlag,
};
use gridwalk_model::time::camera_time_ms;

use crate::error::{CoreError, Result};
use crate::hazard::event::{Payload, ReportSource};
use crate::store::{Store, answer_photos, hazard_events, photos, sites};

impl Store {
    /// The provenance flags of case `case_id` under `config` (the clock-skew limit is
    /// the device's, [`Store::max_clock_skew_ms`], unless the caller set another).
    pub fn case_provenance(
        &self,
        case_id: &str,
        config: &ProvenanceConfig,
    ) -> Result<Vec<ProvenanceFlag>> {
        let conn = &self.conn;
        let events = hazard_events::of_case_with_receipt(conn, case_id)?;
        if events.is_empty() {
            return Err(CoreError::NotFound {
                kind: "hazard case",
                id: case_id.to_string(),
            });
        }
        // The site and the answer the case came from, from its report.
        let mut site_id = None;
        let mut source = None;
        for (e, _) in &events {
            if let Payload::Reported(r) = &e.payload {
                site_id = r.site_id.clone();
                if let ReportSource::Inspection {
                    inspection_id,
                    item,
                } = &r.source
                {
                    source = Some((inspection_id.clone(), item.clone()));
                }
            }
        }
        let site = match &site_id {
            Some(id) => sites::get(conn, id)?,
            None => None,
        };
        let mut uses = Vec::new();
        let mut shas = BTreeSet::new();
        for (e, _) in &events {
            for sha in e.payload.photos() {
                shas.insert(sha.clone());
                uses.push(PhotoUse {
                    sha256: sha.clone(),
                    record: e.id.clone(),
                    at_ms: Some(e.wall_ms),
                    case_id: Some(case_id.to_string()),
                    site_id: site_id.clone(),
                });
            }
        }
        let mut uses_elsewhere = Vec::new();
        let mut facts = Vec::new();
        for sha in &shas {
            for (inspection, item, site, answered_at) in answer_photos::answers_with(conn, sha)? {
                let answer = PhotoUse {
                    sha256: sha.clone(),
                    record: format!("{inspection}/{item}"),
                    at_ms: rfc3339_ms(&answered_at),
                    case_id: None,
                    site_id: Some(site),
                };
                if source.as_ref() == Some(&(inspection, item)) {
                    uses.push(answer);
                } else {
                    uses_elsewhere.push(answer);
                }
            }
            for other in hazard_events::naming_photo(conn, sha)? {
                if other.case_id != case_id {
                    let site_id = match &other.payload {
                        Payload::Reported(r) => r.site_id.clone(),
                        _ => None,
                    };
                    uses_elsewhere.push(PhotoUse {
                        sha256: sha.clone(),
                        record: other.id.clone(),
                        at_ms: Some(other.wall_ms),
                        case_id: Some(other.case_id.clone()),
                        site_id,
                    });
                }
            }
            if let Some((taken_at, lat, lon)) = photos::capture(conn, sha)? {
                facts.push(PhotoFacts {
                    sha256: sha.clone(),
                    taken_at_ms: taken_at.as_deref().and_then(camera_time_ms),
                    lat,
                    lon,
                });
            }
        }
        Ok(provenance::flags(
            &CaseEvidence {
                site: site.as_ref(),
                uses,
                uses_elsewhere,
                photos: facts,
                events,
            },
            config,
        ))
    }
}

fn rfc3339_ms(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
}
