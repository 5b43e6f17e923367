//! `/console/admin`: people and devices for administrators (issue 15 item 6, in part).
//! People are added (their one-time code shown once, as text and as a QR code the
//! phone's enrolment screen scans), listed, disabled or enabled, and given a new code;
//! devices are listed and revoked. Each form is the admin subcommands' own function
//! ([`crate::admin`]), so the console and the terminal keep one set of rules; each
//! carries the session's CSRF token; every other role is told the page is not there.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use gridwalk_model::profile::Role;
use qrcode::QrCode;
use qrcode::render::svg;
use serde::Deserialize;

use super::i18n::Lang;
use super::session::Viewer;
use super::{Chrome, ConsoleError, blocking, html, percent_encode};
use crate::admin::{self, AdminError};
use crate::state::AppState;
use crate::storage::{DeviceSummary, PersonSummary};

/// A code just made, to show once.
#[derive(Debug)]
pub struct NewCode {
    /// Whose code it is.
    pub name: String,
    /// The code.
    pub code: String,
    /// The code as an SVG QR code (markup the server drew).
    pub qr_svg: String,
}

/// The administration page.
#[derive(Template)]
#[template(path = "console/people.html")]
struct PeoplePage {
    chrome: Chrome,
    people: Vec<PersonSummary>,
    devices: Vec<DeviceSummary>,
    roles: Vec<&'static str>,
    new_code: Option<NewCode>,
    error: String,
}

/// Administrators only.
fn admin_only(viewer: &Viewer) -> Result<(), ConsoleError> {
    if viewer.person.role == Role::Admin {
        Ok(())
    } else {
        Err(ConsoleError::NotFound)
    }
}

/// An admin function's refusal as the page's message; a storage failure as an error.
fn refusal(e: AdminError) -> Result<String, ConsoleError> {
    match e {
        AdminError::Store(e) => Err(ConsoleError::Store(e)),
        other => Ok(other.to_string()),
    }
}

/// `text` as a QR code in SVG: dark modules on white, with the quiet zone.
pub fn qr_svg(text: &str) -> Result<String, ConsoleError> {
    let code = QrCode::new(text.as_bytes())
        .map_err(|e| ConsoleError::Internal(format!("QR code: {e}")))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    new_code: Option<NewCode>,
    error: String,
) -> Result<Response, ConsoleError> {
    let store = state.store.clone();
    let (people, devices) = blocking(move || {
        let now = Utc::now();
        let people = admin::list_people(store.as_ref(), now).map_err(|e| match e {
            AdminError::Store(e) => ConsoleError::Store(e),
            other => ConsoleError::Internal(other.to_string()),
        })?;
        let devices = admin::list_devices(store.as_ref(), None, now).map_err(|e| match e {
            AdminError::Store(e) => ConsoleError::Store(e),
            other => ConsoleError::Internal(other.to_string()),
        })?;
        Ok((people.people, devices.devices))
    })
    .await?;
    let page = PeoplePage {
        chrome: Chrome::new(lang, "/console/admin", Some(viewer)),
        people,
        devices,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        new_code,
        error,
    };
    Ok(html(&page))
}

/// `GET /console/admin`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, ConsoleError> {
    admin_only(&viewer)?;
    render(&state, &viewer, Lang::of(&headers), None, String::new()).await
}

/// The add-a-person form.
#[derive(Debug, Deserialize)]
pub struct AddForm {
    csrf: String,
    name: String,
    role: String,
    unit: String,
    #[serde(default)]
    department: String,
}

/// `POST /console/admin/people`: adds a person; their code is shown once.
pub async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(form): Form<AddForm>,
) -> Result<Response, ConsoleError> {
    viewer.check_csrf(&form.csrf)?;
    admin_only(&viewer)?;
    let lang = Lang::of(&headers);
    let store = state.store.clone();
    let added = blocking(move || {
        let department = Some(form.department.trim()).filter(|d| !d.is_empty());
        Ok(admin::add_person(
            store.as_ref(),
            form.name.trim(),
            form.role.trim(),
            form.unit.trim(),
            department,
        ))
    })
    .await?;
    match added {
        Ok(added) => {
            tracing::info!(person = %added.person.id, "console: person added");
            let new_code = NewCode {
                qr_svg: qr_svg(&added.enrolment_code)?,
                name: added.person.name,
                code: added.enrolment_code,
            };
            render(&state, &viewer, lang, Some(new_code), String::new()).await
        }
        Err(e) => render(&state, &viewer, lang, None, refusal(e)?).await,
    }
}

/// A form with only its token.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    csrf: String,
}

/// `POST /console/admin/people/{id}/{change}`: `disable`, `enable` or `reissue`.
pub async fn change_person(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path((id, change)): Path<(String, String)>,
    Form(form): Form<TokenForm>,
) -> Result<Response, ConsoleError> {
    viewer.check_csrf(&form.csrf)?;
    admin_only(&viewer)?;
    let lang = Lang::of(&headers);
    let store = state.store.clone();
    // An exact id, never a prefix: a button names one person.
    let exact = id.clone();
    let outcome = blocking(move || {
        let now = Utc::now();
        if !store.people()?.iter().any(|p| p.id == exact) {
            return Err(ConsoleError::NotFound);
        }
        Ok(match change.as_str() {
            "disable" => {
                admin::set_person_disabled(store.as_ref(), &exact, true, now).map(|_| None)
            }
            "enable" => {
                admin::set_person_disabled(store.as_ref(), &exact, false, now).map(|_| None)
            }
            "reissue" => admin::reissue_code(store.as_ref(), &exact, now).map(Some),
            _ => return Err(ConsoleError::NotFound),
        })
    })
    .await?;
    match outcome {
        Ok(None) => {
            tracing::info!(person = %id, "console: person changed");
            Ok(Redirect::to("/console/admin").into_response())
        }
        Ok(Some(reissued)) => {
            tracing::info!(person = %id, "console: code reissued");
            let new_code = NewCode {
                qr_svg: qr_svg(&reissued.enrolment_code)?,
                name: reissued.person.person.name,
                code: reissued.enrolment_code,
            };
            render(&state, &viewer, lang, Some(new_code), String::new()).await
        }
        Err(e) => render(&state, &viewer, lang, None, refusal(e)?).await,
    }
}

/// `POST /console/admin/devices/{id}/revoke`.
pub async fn revoke_device(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<TokenForm>,
) -> Result<Response, ConsoleError> {
    viewer.check_csrf(&form.csrf)?;
    admin_only(&viewer)?;
    let lang = Lang::of(&headers);
    let store = state.store.clone();
    let exact = id.clone();
    let outcome = blocking(move || {
        let now = Utc::now();
        let known = admin::list_devices(store.as_ref(), None, now)
            .map_err(|e| ConsoleError::Internal(e.to_string()))?
            .devices
            .iter()
            .any(|d| d.id == exact);
        if !known {
            return Err(ConsoleError::NotFound);
        }
        Ok(admin::revoke_device(store.as_ref(), &exact, now))
    })
    .await?;
    match outcome {
        Ok(_) => {
            tracing::info!(device = %id, "console: device revoked");
            Ok(
                Redirect::to(&format!("/console/admin#device-{}", percent_encode(&id)))
                    .into_response(),
            )
        }
        Err(e) => render(&state, &viewer, lang, None, refusal(e)?).await,
    }
}
