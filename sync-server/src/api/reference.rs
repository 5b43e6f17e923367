//! `GET /v1/reference`: the units, sites, people and checklist templates the caller's
//! device needs, limited to the caller's area (see [`crate::scope`]).

use axum::Json;
use axum::extract::State;
use gridwalk_model::protocol::ReferenceResponse;

use super::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, blocking};
use crate::kinds::templates;
use crate::scope::{UnitTree, sees_person, sees_site, sees_unit};

/// Handles a reference-data request.
pub async fn reference(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ReferenceResponse>, ApiError> {
    let store = state.store.clone();
    let response = blocking(move || {
        let units = store.units()?;
        let tree = UnitTree::new(&units);
        let me = &caller.person;
        Ok(ReferenceResponse {
            units: units
                .into_iter()
                .filter(|u| sees_unit(me, &u.id, &tree))
                .collect(),
            sites: store
                .sites()?
                .into_iter()
                .filter(|s| sees_site(me, &s.unit, &tree))
                .collect(),
            people: store
                .people()?
                .into_iter()
                .filter(|p| sees_person(me, p, &tree))
                .collect(),
            templates: templates().to_vec(),
            device_id: caller.device.clone(),
            me: caller.person.clone(),
        })
    })
    .await?;
    Ok(Json(response))
}
