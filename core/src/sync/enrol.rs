//! Enrolment: a one-time code (printed by `gridwalk-server people add`) becomes this
//! device's token, and the person it belongs to becomes the local profile.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::profile::Profile;
use crate::protocol::{EnrolRequest, EnrolResponse, paths};
use crate::sync::client::Client;
use crate::sync::progress::Progress;
use crate::sync::{
    CURSOR_KEY, DEVICE_ID_KEY, PERSON_ID_KEY, SERVER_KEY, SyncOptions, SyncReport, TOKEN_KEY,
    reference, with_store,
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

/// Enrols the store at `store_path` with the server at `server_url` using a one-time
/// `code`, with the default options.
pub async fn enroll(store_path: &Path, server_url: &str, code: &str) -> Result<Enrolment> {
    enroll_with(store_path, server_url, code, &SyncOptions::default()).await
}

/// [`enroll`] with explicit options. Stores the server, the token and the person (as
/// the local profile), then fetches the reference data (sites, units, templates) so the
/// device can start inspecting; if that fetch fails the next sync does it.
///
/// The enrolment request itself is never retried once sent: the code is one-time, and
/// a second try after a lost answer would be refused. (The server keeps no token in
/// clear to show twice: a lost answer means asking for a new code.)
pub async fn enroll_with(
    store_path: &Path,
    server_url: &str,
    code: &str,
    options: &SyncOptions,
) -> Result<Enrolment> {
    let code = code.trim();
    if code.is_empty() {
        return Err(crate::CoreError::InvalidInput(
            "the enrolment code is empty".into(),
        ));
    }
    // Opening the store first refuses a bad path before the code is spent.
    with_store(store_path, |_| Ok(()))?;
    let client = Client::new(server_url, None, options)?;
    let answer: EnrolResponse = client
        .post_json(
            paths::ENROL,
            &EnrolRequest {
                code: code.to_string(),
            },
            false,
        )
        .await?;
    let server = client.base().to_string();
    let person = with_store(store_path, |s| {
        let profile = s
            .set_profile(&answer.person.profile())
            .map_err(|e| e.sent_by_server("the enrolment's person"))?;
        let previous = s.setting(SERVER_KEY)?;
        s.set_setting(SERVER_KEY, &server)?;
        s.set_setting(TOKEN_KEY, &answer.token)?;
        s.set_setting(DEVICE_ID_KEY, &answer.device_id)?;
        s.set_setting(PERSON_ID_KEY, &answer.person.id)?;
        if previous.as_deref() != Some(server.as_str()) {
            // A cursor belongs to one server; a new server starts from the beginning.
            s.set_setting(CURSOR_KEY, "")?;
        }
        Ok(profile)
    })?;
    let authed = Client::new(&server, Some(answer.token.clone()), options)?;
    let mut ignored = SyncReport::default();
    if let Err(e) =
        reference::fetch_and_store(&authed, store_path, Progress(None), &mut ignored).await
    {
        // Enrolment succeeded; the reference data comes with the next sync.
        let _ = e;
    }
    Ok(Enrolment {
        device_id: answer.device_id,
        person,
        server,
    })
}
