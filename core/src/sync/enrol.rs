//! Enrolment: a one-time code (printed by `gridwalk-server people add`) becomes this
//! device's token, and the person it belongs to becomes the local profile.

use serde::{Deserialize, Serialize};

use gridwalk_model::protocol::{EnrolRequest, EnrolResponse, paths};

use crate::error::{CoreError, Result};
use crate::profile::Profile;
use crate::store::{SharedStore, settings};
use crate::sync::client::Client;
use crate::sync::progress::Progress;
use crate::sync::{
    CURSOR_KEY, PERSON_ID_KEY, SERVER_KEY, SyncOptions, SyncReport, TOKEN_KEY, reference,
};

/// The result of enrolling this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Enrolment {
    /// The device id the server gave.
    pub device_id: String,
    /// The person using the device, now the local profile.
    pub person: Profile,
    /// The server's base URL.
    pub server: String,
}

/// Enrols the store with the server at `server_url` using a one-time `code`, with the
/// default options.
pub async fn enroll(store: &SharedStore, server_url: &str, code: &str) -> Result<Enrolment> {
    enroll_with(store, server_url, code, &SyncOptions::default()).await
}

/// [`enroll`] with explicit options. Stores the server, the token and the person (as
/// the local profile), then fetches the reference data (sites, units, templates) so the
/// device can start inspecting; if that fetch fails the next sync does it.
///
/// The enrolment request itself is never retried once sent: the code is one-time, and
/// a second try after a lost answer would be refused. (The server keeps no token in
/// clear to show twice: a lost answer means asking for a new code.)
pub async fn enroll_with(
    store: &SharedStore,
    server_url: &str,
    code: &str,
    options: &SyncOptions,
) -> Result<Enrolment> {
    let code = code.trim();
    if code.is_empty() {
        return Err(CoreError::InvalidInput(
            "the enrolment code is empty".into(),
        ));
    }
    let client = Client::new(server_url, None, options)?;
    // The server holds every record this device pushes from now on to this key.
    let public_key = store.with(|s| s.signing_public_key())?;
    let answer: EnrolResponse = client
        .post_json(
            paths::ENROL,
            &EnrolRequest {
                code: code.to_string(),
                public_key: Some(public_key),
            },
            false,
        )
        .await?;
    let server = client.base().to_string();
    // Everything the enrolment says is stored together: a device is enrolled (server,
    // token, its id, its person) or, after a crash here, not at all.
    let person = store.with(|s| {
        s.write(|tx, _| {
            let profile = crate::profile::save(tx, &answer.person.profile())
                .map_err(|e| e.sent_by_server("the enrolment's person"))?;
            let previous = settings::get(tx, SERVER_KEY)?;
            settings::set(tx, SERVER_KEY, &server)?;
            settings::set(tx, TOKEN_KEY, &answer.token)?;
            crate::device::set_id(tx, &answer.device_id)?;
            settings::set(tx, PERSON_ID_KEY, &answer.person.id)?;
            if previous.as_deref() != Some(server.as_str()) {
                // A cursor belongs to one server; a new server starts from the beginning.
                settings::set(tx, CURSOR_KEY, "")?;
            }
            Ok(profile)
        })
    })?;
    let authed = Client::new(&server, Some(answer.token.clone()), options)?;
    let mut ignored = SyncReport::default();
    if let Err(e) = reference::fetch_and_store(&authed, store, Progress(None), &mut ignored).await {
        // Enrolment succeeded; the reference data comes with the next sync.
        let _ = e;
    }
    Ok(Enrolment {
        device_id: answer.device_id,
        person,
        server,
    })
}
