//! The desk console under `/console/` (issue 15): server-rendered HTML for community
//! staff, street officers, department officers, supervisors and admins, in Simplified
//! Chinese first and English as a switch, with no JavaScript at all.
//!
//! Same process, same stores and same rules as the sync protocol: pages read cases
//! through [`crate::scope`] (a desk person sees exactly what their phone would pull, and
//! redacted alike), and an action is recorded as a hazard event pushed through
//! [`crate::api::push::push_one`], the very path a phone's push takes (the model's
//! rules, authorship, the write scope, the case lock and row). The person's events name
//! their console device, made when they set their password (see
//! [`crate::storage::console`]). Photos of a fix go through the upload bookkeeping of
//! the tus route (size limit, per-device caps, hash, uploader recorded).
//!
//! Templates are askama's, compiled into the binary and checked at build time
//! (`sync-server/templates/console/`); charts are SVG drawn by the server
//! ([`chart`]). Pages lay out in one column below 700 px, so they work on a 360 px
//! phone as on a 1366×768 office screen.
//!
//! Modules: [`i18n`] (languages), [`names`] (unit, category, department names; times), [`session`] (passwords, cookies, CSRF, rate limit),
//! [`signin`] (sign-in, first password, sign-out, language switch), [`cases`] (the
//! cases a person may see, as queue lines), [`queue`], [`case`] (the case page and its
//! actions), [`photo`] (photos in and out), [`chart`], [`dashboard`] and [`export`]
//! (CSV and XLSX), [`sample`] (the seeded spot-check sample), [`spotcheck`] (the planner) and
//! [`discrepancy`] (what spot checks found that routine rounds marked ok), [`people`]
//! (administration of people and devices), [`sites`] (unit and site imports, the QR
//! sheet).

pub mod case;
pub mod cases;
pub mod chart;
pub mod dashboard;
pub mod discrepancy;
pub mod export;
pub mod i18n;
pub mod names;
pub mod people;
pub mod photo;
pub mod queue;
pub mod sample;
pub mod session;
pub mod signin;
pub mod sites;
pub mod spotcheck;

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::auth::ClientAddr;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::StoreError;
use i18n::{Lang, Texts};
use session::{Ended, Viewer};

/// What a console request can fail with; each answers an HTML page (or, signed out, a
/// redirect to the sign-in page saying why).
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No session, or it ended: go and sign in.
    #[error("signed out")]
    SignedOut(Ended),
    /// A form without the right token (CSRF): nothing was changed.
    #[error("the form's token is missing or wrong")]
    Csrf,
    /// Not there, or not the viewer's to see (the two look the same).
    #[error("not found")]
    NotFound,
    /// The request is malformed; nothing was changed.
    #[error("{0}")]
    BadRequest(String),
    /// Too large (a photo over the limit); nothing was changed.
    #[error("{0}")]
    TooLarge(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bug or the system failed.
    #[error("{0}")]
    Internal(String),
}

impl From<ApiError> for ConsoleError {
    fn from(e: ApiError) -> Self {
        ConsoleError::Internal(e.to_string())
    }
}

/// The bilingual error page (no request is at hand to choose a language).
#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage<'a> {
    zh: &'a str,
    en: &'a str,
    detail: &'a str,
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, zh, en) = match &self {
            ConsoleError::SignedOut(ended) => {
                let to = match ended.reason() {
                    "" => "/console/signin".to_string(),
                    why => format!("/console/signin?why={why}"),
                };
                return Redirect::to(&to).into_response();
            }
            ConsoleError::Csrf => (
                StatusCode::FORBIDDEN,
                i18n::ZH.form_expired,
                i18n::EN.form_expired,
            ),
            ConsoleError::NotFound => (
                StatusCode::NOT_FOUND,
                i18n::ZH.not_found,
                i18n::EN.not_found,
            ),
            ConsoleError::BadRequest(_) => {
                (StatusCode::BAD_REQUEST, i18n::ZH.error, i18n::EN.error)
            }
            ConsoleError::TooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                i18n::ZH.error,
                i18n::EN.error,
            ),
            ConsoleError::Store(_) | ConsoleError::Internal(_) => {
                tracing::error!(error = %self, "console request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    i18n::ZH.error,
                    i18n::EN.error,
                )
            }
        };
        let detail = match &self {
            ConsoleError::BadRequest(d) | ConsoleError::TooLarge(d) => d.clone(),
            _ => String::new(),
        };
        let page = ErrorPage {
            zh,
            en,
            detail: &detail,
        };
        (status, html(&page)).into_response()
    }
}

/// Runs blocking storage work off the async threads.
pub async fn blocking<T, F>(work: F) -> Result<T, ConsoleError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ConsoleError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ConsoleError::Internal(format!("background task failed: {e}")))?
}

/// A rendered page, or the error page when a template fails (a bug).
pub fn html<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(text) => {
            let mut response = Html(text).into_response();
            let h = response.headers_mut();
            // Pages name people and hazards: never cached, never framed.
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert("x-frame-options", HeaderValue::from_static("DENY"));
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
                     form-action 'self'; frame-ancestors 'none'",
                ),
            );
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "console template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// What every page's frame shows: the language and its switch, and who is signed in.
#[derive(Debug)]
pub struct Chrome {
    /// The page's texts.
    pub t: &'static Texts,
    /// The page's language (the `lang` attribute).
    pub lang: &'static str,
    /// The switch to the other language: its link.
    pub switch_href: String,
    /// The signed-in person's name and role, and the session's form token.
    pub viewer: Option<ChromeViewer>,
}

/// The signed-in part of the frame.
#[derive(Debug)]
pub struct ChromeViewer {
    /// Their name.
    pub name: String,
    /// Their role, in the page's language.
    pub role: &'static str,
    /// The session's form token, for the sign-out form.
    pub csrf: String,
    /// Whether they see the dashboard link (every desk role does).
    pub dashboard: bool,
    /// Whether they see the spot-check planner and discrepancies (supervisors, admins).
    pub supervises: bool,
    /// Whether they see the administration link (admins).
    pub administers: bool,
}

impl Chrome {
    /// The frame of a page at `path_and_query` in `lang`, for `viewer` if signed in.
    pub fn new(lang: Lang, path_and_query: &str, viewer: Option<&Viewer>) -> Chrome {
        let other = match lang.other() {
            Lang::Zh => "zh",
            Lang::En => "en",
        };
        Chrome {
            t: lang.texts(),
            lang: lang.code(),
            switch_href: format!(
                "/console/lang/{other}?back={}",
                percent_encode(path_and_query)
            ),
            viewer: viewer.map(|v| ChromeViewer {
                name: v.person.name.clone(),
                role: lang.role(v.person.role),
                csrf: v.csrf.clone(),
                dashboard: true,
                administers: v.person.role == gridwalk_model::profile::Role::Admin,
                supervises: matches!(
                    v.person.role,
                    gridwalk_model::profile::Role::Supervisor
                        | gridwalk_model::profile::Role::Admin
                ),
            }),
        }
    }
}

/// Percent-encodes text for a query value.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The console's router: every route under `/console`, with its own request log line,
/// body limits (a form is small; a rectification carries one photo) and the API's body
/// read timeout.
pub fn router(state: AppState) -> Router {
    let body_timeout = state.limits.body_read_timeout;
    let photo_form_limit = usize::try_from(state.limits.max_photo_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(64 * 1024);
    Router::new()
        .route("/console", get(|| async { Redirect::to("/console/queue") }))
        .route(
            "/console/",
            get(|| async { Redirect::to("/console/queue") }),
        )
        .route(
            "/console/signin",
            get(signin::signin_page).post(signin::signin),
        )
        .route(
            "/console/password",
            get(signin::password_page).post(signin::set_password),
        )
        .route("/console/signout", post(signin::signout))
        .route("/console/lang/{lang}", get(signin::switch_language))
        .route("/console/queue", get(queue::queue))
        .route("/console/dashboard", get(dashboard::dashboard))
        .route("/console/cases/{id}", get(case::case_page))
        .route(
            "/console/cases/{id}/act",
            post(case::act).layer(DefaultBodyLimit::max(photo_form_limit)),
        )
        .route("/console/photos/{sha256}", get(photo::photo))
        .route("/console/photos/{sha256}/thumbnail", get(photo::thumbnail))
        .route(
            "/console/spot-checks",
            get(spotcheck::planner).post(spotcheck::plan),
        )
        .route("/console/discrepancies", get(discrepancy::page))
        .route("/console/admin", get(people::page))
        .route("/console/admin/people", post(people::add))
        .route(
            "/console/admin/import",
            get(sites::import_page).post(sites::import),
        )
        .route("/console/admin/sites/qr", get(sites::qr_sheet))
        .route(
            "/console/admin/people/{id}/{change}",
            post(people::change_person),
        )
        .route(
            "/console/admin/devices/{id}/revoke",
            post(people::revoke_device),
        )
        .route("/console/export/report.csv", get(export::report_csv))
        .route("/console/export/cases.csv", get(export::cases_csv))
        .route("/console/export/report.xlsx", get(export::report_xlsx))
        .route("/console/export/cases.xlsx", get(export::cases_xlsx))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<Body>| {
                    tracing::info_span!(
                        "console",
                        method = %req.method(),
                        path = %req.uri().path(),
                        client = %ClientAddr::of(req.extensions()).label(),
                        person = tracing::field::Empty,
                    )
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        // A form that trickles holds its connection no longer than an API body may.
        .layer(axum::middleware::map_request(move |req: Request<Body>| {
            std::future::ready(crate::api::body::with_timeout(req, body_timeout))
        }))
        .with_state(state)
}
