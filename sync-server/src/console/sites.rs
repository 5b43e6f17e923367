//! `/console/admin/import` and `/console/admin/sites/qr`: units and sites imported
//! from an uploaded CSV file through the admin subcommands' checks (all rows or none;
//! every bad row named at once, each shown on its own line), and a printable sheet of
//! the sites' QR codes (each holds the site id, what the phone's scanner opens) for the
//! doors of the buildings. Administrators only; the upload carries the CSRF token.

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::i18n::Lang;
use super::people::qr_svg;
use super::session::Viewer;
use super::{Chrome, ConsoleError, blocking, html};
use crate::admin::{self, AdminError};
use crate::state::AppState;

/// The import page: its form and the last import's outcome.
#[derive(Template)]
#[template(path = "console/import.html")]
struct ImportPage {
    chrome: Chrome,
    imported: Option<usize>,
    bad_rows: Vec<String>,
}

/// One site's label on the QR sheet.
#[derive(Debug)]
pub struct Label {
    /// The site id (what the code holds).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its address.
    pub address: String,
    /// The QR code as SVG.
    pub qr_svg: String,
}

/// The printable QR sheet.
#[derive(Template)]
#[template(path = "console/qr_sheet.html")]
struct QrSheet {
    chrome: Chrome,
    unit: String,
    labels: Vec<Label>,
}

fn admin_only(viewer: &Viewer) -> Result<(), ConsoleError> {
    if viewer.person.role == gridwalk_model::profile::Role::Admin {
        Ok(())
    } else {
        Err(ConsoleError::NotFound)
    }
}

/// A refusal's text split into one line per bad row: the model names the first row,
/// then "N more bad row(s): line a: …; line b: …".
fn bad_rows(message: &str) -> Vec<String> {
    let (first, more) = match message.split_once(" more bad row(s): ") {
        Some((head, tail)) => {
            // `head` ends with "; N": drop the count, the list shows the rows.
            let head = head.rsplit_once("; ").map_or(head, |(h, _)| h);
            (
                head.to_string(),
                tail.split("; ").map(str::to_string).collect(),
            )
        }
        None => (message.to_string(), Vec::new()),
    };
    std::iter::once(first).chain(more).collect()
}

/// `GET /console/admin/import`.
pub async fn import_page(viewer: Viewer, headers: HeaderMap) -> Result<Response, ConsoleError> {
    admin_only(&viewer)?;
    let page = ImportPage {
        chrome: Chrome::new(Lang::of(&headers), "/console/admin/import", Some(&viewer)),
        imported: None,
        bad_rows: Vec::new(),
    };
    Ok(html(&page))
}

/// `POST /console/admin/import` (multipart: `csrf`, `kind` = `units` or `sites`,
/// `file`): imports the file, all rows or none.
pub async fn import(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    mut form: Multipart,
) -> Result<Response, ConsoleError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ConsoleError::TooLarge(e.body_text())
        } else {
            ConsoleError::BadRequest(e.body_text())
        }
    };
    let (mut csrf, mut kind, mut file, mut name) =
        (String::new(), String::new(), Vec::new(), String::new());
    while let Some(field) = form.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "file" => {
                name = field.file_name().unwrap_or("upload.csv").to_string();
                file = field.bytes().await.map_err(bad)?.to_vec();
            }
            "csrf" => csrf = field.text().await.map_err(bad)?,
            "kind" => kind = field.text().await.map_err(bad)?,
            _ => {}
        }
    }
    viewer.check_csrf(&csrf)?;
    admin_only(&viewer)?;
    let store = state.store.clone();
    let outcome = blocking(move || {
        let checked = match kind.as_str() {
            "units" => admin::units_from_reader(store.as_ref(), &name, file.as_slice())
                .and_then(|units| Ok(store.upsert_units(&units).map(|()| units.len())?)),
            "sites" => admin::sites_from_reader(store.as_ref(), &name, file.as_slice())
                .and_then(|sites| Ok(store.upsert_sites(&sites).map(|()| sites.len())?)),
            other => {
                return Err(ConsoleError::BadRequest(format!(
                    "unknown import `{other}`"
                )));
            }
        };
        match checked {
            Ok(n) => Ok(Ok(n)),
            Err(AdminError::Store(e)) => Err(ConsoleError::Store(e)),
            Err(refused) => Ok(Err(refused.to_string())),
        }
    })
    .await?;
    let (imported, rows) = match outcome {
        Ok(n) => {
            tracing::info!(imported = n, "console: import");
            (Some(n), Vec::new())
        }
        Err(message) => (None, bad_rows(&message)),
    };
    let page = ImportPage {
        chrome: Chrome::new(Lang::of(&headers), "/console/admin/import", Some(&viewer)),
        imported,
        bad_rows: rows,
    };
    Ok(html(&page))
}

/// The QR sheet's query: the area whose sites are printed (all when empty).
#[derive(Debug, Deserialize)]
pub struct SheetQuery {
    #[serde(default)]
    unit: String,
}

/// `GET /console/admin/sites/qr?unit=ID`: every site in the area as a label with its
/// QR code, laid out to print.
pub async fn qr_sheet(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Query(query): Query<SheetQuery>,
) -> Result<Response, ConsoleError> {
    admin_only(&viewer)?;
    let store = state.store.clone();
    let unit = query.unit.clone();
    let sites = blocking(move || {
        let register = store.register()?;
        Ok(store
            .sites()?
            .into_iter()
            .filter(|s| unit.is_empty() || register.tree.is_within(&s.unit, &unit))
            .collect::<Vec<_>>())
    })
    .await?;
    let labels = sites
        .into_iter()
        .map(|s| {
            Ok(Label {
                qr_svg: qr_svg(&s.id)?,
                id: s.id,
                name: s.name,
                address: s.address,
            })
        })
        .collect::<Result<Vec<_>, ConsoleError>>()?;
    let page = QrSheet {
        chrome: Chrome::new(Lang::of(&headers), "/console/admin/sites/qr", Some(&viewer)),
        unit: query.unit,
        labels,
    };
    Ok(html(&page))
}

#[cfg(test)]
mod tests {
    use super::bad_rows;

    #[test]
    fn each_bad_row_is_a_line() {
        assert_eq!(
            bad_rows(
                "s.csv, line 2: unknown site kind `zoo`; 2 more bad row(s): line 4: no name; line 5: bad lat"
            ),
            vec![
                "s.csv, line 2: unknown site kind `zoo`",
                "line 4: no name",
                "line 5: bad lat"
            ]
        );
        assert_eq!(bad_rows("s.csv, line 2: x"), vec!["s.csv, line 2: x"]);
    }
}
