//! Signing in and out: the sign-in page, setting a first (or new) password with a
//! one-time code, sign-out, and the language switch.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;

use super::i18n::{LANG_COOKIE, Lang};
use super::session::{
    self, FAILURE_WINDOW_MS, FORM_COOKIE, MAX_FAILURES, MIN_PASSWORD_CHARS, SESSION_COOKIE,
    SESSION_HOURS, Viewer, cookie, is_desk_role, new_secret, password_matches, same_secret,
    set_cookie,
};
use super::{Chrome, ConsoleError, blocking, html};
use crate::auth::{ClientAddr, device_token_hash, enrolment_code_hash, new_device_token};
use crate::state::AppState;
use crate::storage::console::{NewAccount, PasswordSet, SigninGate};
use crate::storage::sha256_hex;

/// The sign-in page.
#[derive(Template)]
#[template(path = "console/signin.html")]
struct SigninPage {
    chrome: Chrome,
    form_token: String,
    login: String,
    message: &'static str,
    error: String,
}

/// The set-password page.
#[derive(Template)]
#[template(path = "console/password.html")]
struct PasswordPage {
    chrome: Chrome,
    form_token: String,
    login: String,
    error: &'static str,
}

/// Why the sign-in page is shown (`?why=`).
#[derive(Debug, Deserialize)]
pub struct Why {
    why: Option<String>,
}

/// The form token of the forms made before sign-in: the `gw_form` cookie's, or a new
/// one (then set with the page).
fn form_token(headers: &HeaderMap) -> Result<(String, bool), ConsoleError> {
    match cookie(headers, FORM_COOKIE) {
        Some(v) if v.len() >= 32 => Ok((v.to_string(), false)),
        _ => Ok((new_secret()?, true)),
    }
}

/// A page made before sign-in, setting its form cookie when it is new.
fn with_form_cookie(
    mut response: Response,
    token: &str,
    new: bool,
    status: StatusCode,
) -> Response {
    *response.status_mut() = status;
    if new {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(FORM_COOKIE, token, SESSION_HOURS * 3600),
        );
    }
    response
}

/// Refuses a pre-session form whose token is not its cookie's.
fn check_form_token(headers: &HeaderMap, sent: &str) -> Result<(), ConsoleError> {
    match cookie(headers, FORM_COOKIE) {
        Some(expected) if same_secret(sent, expected) => Ok(()),
        _ => Err(ConsoleError::Csrf),
    }
}

/// `GET /console/signin`.
pub async fn signin_page(
    headers: HeaderMap,
    Query(why): Query<Why>,
) -> Result<Response, ConsoleError> {
    let lang = Lang::of(&headers);
    let t = lang.texts();
    let message = match why.why.as_deref() {
        Some("disabled") => t.signed_out_disabled,
        Some("expired") => t.signed_out_expired,
        Some("out") => t.signed_out,
        Some("password-set") => t.password_set,
        _ => "",
    };
    let (token, new) = form_token(&headers)?;
    let page = SigninPage {
        chrome: Chrome::new(lang, "/console/signin", None),
        form_token: token.clone(),
        login: String::new(),
        message,
        error: String::new(),
    };
    Ok(with_form_cookie(html(&page), &token, new, StatusCode::OK))
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct SigninForm {
    login: String,
    password: String,
    csrf: String,
}

/// `POST /console/signin`: a session for a desk person whose password matches, within
/// the rate limit.
pub async fn signin(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<SigninForm>,
) -> Result<Response, ConsoleError> {
    check_form_token(&headers, &form.csrf)?;
    let lang = Lang::of(&headers);
    let t = lang.texts();
    let login = form.login.trim().to_lowercase();
    let keys = [format!("addr:{}", client.label()), format!("login:{login}")];
    let store = state.store.clone();
    let now = Utc::now();
    let now_ms = now.timestamp_millis();
    let password = form.password;
    let attempt_login = login.clone();
    let outcome = blocking(move || {
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        if let SigninGate::Closed { retry_after_ms } =
            store.console_signin_gate(&keys, now_ms, FAILURE_WINDOW_MS, MAX_FAILURES)?
        {
            return Ok(Err(Some(retry_after_ms)));
        }
        let account = store.console_account(&attempt_login)?;
        let stored = account.as_ref().map(|a| a.password_hash.as_str());
        let matches = password_matches(&password, stored);
        match account {
            Some(account) if matches => Ok(Ok(account.person)),
            _ => {
                store.note_console_signin_failure(&keys, now_ms)?;
                Ok(Err(None))
            }
        }
    })
    .await?;
    let (token, new) = form_token(&headers)?;
    let refused = |error: String, status| {
        let page = SigninPage {
            chrome: Chrome::new(lang, "/console/signin", None),
            form_token: token.clone(),
            login: login.clone(),
            message: "",
            error,
        };
        with_form_cookie(html(&page), &token, new, status)
    };
    let person = match outcome {
        Ok(person) => person,
        Err(Some(retry_after_ms)) => {
            let secs = ((retry_after_ms + 999) / 1000).max(1);
            tracing::info!(client = %client.label(), "console sign-in rate-limited");
            let mut response = refused(
                format!("{} {secs}", t.too_many),
                StatusCode::TOO_MANY_REQUESTS,
            );
            if let Ok(v) = secs.to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(response);
        }
        Err(None) => {
            tracing::info!(client = %client.label(), "console sign-in failed");
            return Ok(refused(t.bad_signin.to_string(), StatusCode::UNAUTHORIZED));
        }
    };
    if !is_desk_role(person.role) {
        return Ok(refused(t.desk_only.to_string(), StatusCode::FORBIDDEN));
    }
    let value = new_secret()?;
    let csrf = new_secret()?;
    let hash = sha256_hex(value.as_bytes());
    let store = state.store.clone();
    let person_id = person.id.clone();
    let expires = now + chrono::TimeDelta::hours(SESSION_HOURS);
    blocking(move || Ok(store.create_console_session(&hash, &person_id, &csrf, now, expires)?))
        .await?;
    tracing::info!(person = %person.id, "console sign-in");
    let mut response = Redirect::to("/console/queue").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &value, SESSION_HOURS * 3600),
    );
    Ok(response)
}

/// `GET /console/password`.
pub async fn password_page(headers: HeaderMap) -> Result<Response, ConsoleError> {
    let lang = Lang::of(&headers);
    let (token, new) = form_token(&headers)?;
    let page = PasswordPage {
        chrome: Chrome::new(lang, "/console/password", None),
        form_token: token.clone(),
        login: String::new(),
        error: "",
    };
    Ok(with_form_cookie(html(&page), &token, new, StatusCode::OK))
}

/// The set-password form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    code: String,
    login: String,
    password: String,
    password_again: String,
    csrf: String,
}

/// Whether a sign-in name is one we accept: 3 to 32 of `a-z 0-9 . - _`.
fn valid_login(login: &str) -> bool {
    (3..=32).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// `POST /console/password`: uses up a one-time code to set a sign-in name and
/// password. Failed attempts count against the sign-in rate limit (the code is a
/// secret too).
pub async fn set_password(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Result<Response, ConsoleError> {
    check_form_token(&headers, &form.csrf)?;
    let lang = Lang::of(&headers);
    let t = lang.texts();
    let login = form.login.trim().to_lowercase();
    let (token, new) = form_token(&headers)?;
    let refused = |error: &'static str, status| {
        let page = PasswordPage {
            chrome: Chrome::new(lang, "/console/password", None),
            form_token: token.clone(),
            login: login.clone(),
            error,
        };
        with_form_cookie(html(&page), &token, new, status)
    };
    if !valid_login(&login) {
        return Ok(refused(t.login_bad, StatusCode::BAD_REQUEST));
    }
    if form.password.chars().count() < MIN_PASSWORD_CHARS {
        return Ok(refused(t.password_short, StatusCode::BAD_REQUEST));
    }
    if form.password != form.password_again {
        return Ok(refused(t.password_mismatch, StatusCode::BAD_REQUEST));
    }
    let password_hash = session::hash_password(&form.password)?;
    let device_id = format!("console-{}", uuid::Uuid::now_v7());
    // A token nobody is ever given: the console device can record events, not sync.
    let token_hash =
        device_token_hash(&new_device_token().map_err(|e| ConsoleError::Internal(e.to_string()))?);
    let code_hash = enrolment_code_hash(&form.code);
    let store = state.store.clone();
    let now = Utc::now();
    let now_ms = now.timestamp_millis();
    let key = format!("addr:{}", client.label());
    let account_login = login.clone();
    let outcome = blocking(move || {
        if let SigninGate::Closed { retry_after_ms } =
            store.console_signin_gate(&[&key], now_ms, FAILURE_WINDOW_MS, MAX_FAILURES)?
        {
            return Ok(Err(retry_after_ms));
        }
        let outcome = store.set_console_password(
            &NewAccount {
                code_hash: &code_hash,
                login: &account_login,
                password_hash: &password_hash,
                device_id: &device_id,
                token_hash: &token_hash,
            },
            now,
        )?;
        if outcome == PasswordSet::UnknownCode {
            store.note_console_signin_failure(&[&key], now_ms)?;
        }
        Ok(Ok(outcome))
    })
    .await?;
    match outcome {
        Err(_) => Ok(refused(t.too_many, StatusCode::TOO_MANY_REQUESTS)),
        Ok(PasswordSet::UnknownCode) => Ok(refused(t.code_unknown, StatusCode::UNAUTHORIZED)),
        Ok(PasswordSet::PersonDisabled) => Ok(refused(t.person_disabled, StatusCode::FORBIDDEN)),
        Ok(PasswordSet::LoginTaken) => Ok(refused(t.login_taken, StatusCode::CONFLICT)),
        Ok(PasswordSet::Set(person)) => {
            tracing::info!(person = %person.id, "console password set");
            Ok(Redirect::to("/console/signin?why=password-set").into_response())
        }
    }
}

/// The sign-out form.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    csrf: String,
}

/// `POST /console/signout`: ends the session and deletes the cookie.
pub async fn signout(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Result<Response, ConsoleError> {
    viewer.check_csrf(&form.csrf)?;
    if let Some(value) = cookie(&headers, SESSION_COOKIE) {
        let hash = sha256_hex(value.as_bytes());
        let store = state.store.clone();
        blocking(move || Ok(store.end_console_session(&hash)?)).await?;
    }
    let mut response = Redirect::to("/console/signin?why=out").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0));
    Ok(response)
}

/// Where the language switch returns to.
#[derive(Debug, Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// `GET /console/lang/{zh|en}?back=`: remembers the language in a cookie (a year) and
/// returns to the page it was pressed on (a console page only, never elsewhere).
pub async fn switch_language(
    Path(lang): Path<String>,
    Query(back): Query<Back>,
) -> Result<Response, ConsoleError> {
    let lang = Lang::parse(&lang).ok_or(ConsoleError::NotFound)?;
    let back = back
        .back
        .filter(|b| b.starts_with("/console/") && !b.starts_with("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/console/queue".to_string());
    let code = match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    };
    let mut response = Redirect::to(&back).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LANG_COOKIE, code, 365 * 24 * 3600),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::valid_login;

    #[test]
    fn sign_in_names_are_short_plain_and_lower_case() {
        assert!(valid_login("chen.jie"));
        assert!(valid_login("police_01"));
        assert!(!valid_login("cj"));
        assert!(!valid_login("陈杰"));
        assert!(!valid_login("Chen"));
        assert!(!valid_login("a b c"));
    }
}
