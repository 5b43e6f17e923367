//! CSV exports (issue 15 item 7, in part): the campaign report as the report command
//! writes it, and the signed-in person's queue filtered like the screen. UTF-8 with a
//! byte-order mark, so a spreadsheet opened by double-click reads the Chinese names;
//! a cell that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`) is quoted
//! with a leading `'`.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::cases::{self, Filter};
use super::session::Viewer;
use super::{ConsoleError, blocking};
use crate::admin;
use crate::scope::UnitTree;
use crate::state::AppState;

/// One CSV cell: quoted when it holds a comma, quote or line break; a leading formula
/// character defused.
fn cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// A CSV download named `file`.
fn csv(file: &str, body: String) -> Response {
    let mut response = format!("\u{feff}{body}").into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /console/export/report.csv`: the campaign report, as `report` prints it.
pub async fn report_csv(
    State(state): State<AppState>,
    _viewer: Viewer,
) -> Result<Response, ConsoleError> {
    let store = state.store.clone();
    let now_ms = Utc::now().timestamp_millis();
    let text = blocking(move || {
        let report = admin::campaign_report(store.as_ref(), now_ms)
            .map_err(|e| ConsoleError::Internal(e.to_string()))?;
        report
            .to_csv()
            .map_err(|e| ConsoleError::Internal(e.to_string()))
    })
    .await?;
    Ok(csv("report.csv", text))
}

/// `GET /console/export/cases.csv?…`: the viewer's queue with the screen's filter.
pub async fn cases_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filter): Query<Filter>,
) -> Result<Response, ConsoleError> {
    let store = state.store.clone();
    let now_ms = Utc::now().timestamp_millis();
    let found = blocking(move || {
        let tree = UnitTree::new(&store.units()?);
        Ok(cases::queue(
            store.as_ref(),
            &viewer.person,
            &filter,
            &tree,
            now_ms,
        )?)
    })
    .await?;
    let mut out = String::from(
        "case_id,category,status,unit,level,department,reported_at_ms,due_ms,overdue\n",
    );
    for c in &found {
        let category = c
            .state
            .report
            .as_ref()
            .map(|r| r.category.as_str())
            .unwrap_or_default();
        let fields = [
            cell(&c.scope.case_id),
            cell(category),
            cell(c.state.status.as_str()),
            cell(&c.scope.unit),
            cell(c.state.level.as_str()),
            cell(c.state.department.as_deref().unwrap_or_default()),
            c.state
                .reported_at_ms
                .map(|m| m.to_string())
                .unwrap_or_default(),
            c.due_ms.map(|m| m.to_string()).unwrap_or_default(),
            c.overdue.to_string(),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    Ok(csv("cases.csv", out))
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(cell("-1,2"), "\"'-1,2\"");
    }
}
