//! Exports (issue 15 item 7): the campaign report as the report command writes it,
//! and the signed-in person's queue filtered like the screen, each as CSV and as XLSX
//! made from the same cells ([`Table`]).
//!
//! CSV is UTF-8 with a byte-order mark, so a spreadsheet opened by double-click reads
//! the Chinese names; a cell that a spreadsheet would take for a formula (`=`, `+`, `-`,
//! `@`) is quoted with a leading `'`. XLSX (rust_xlsxwriter) writes text as text cells,
//! which a spreadsheet never evaluates, so there the text is kept as it is; plain
//! decimal numbers become number cells.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use rust_xlsxwriter::{Format, Workbook};

use super::cases::{self, Filter};
use super::session::Viewer;
use super::{ConsoleError, blocking};
use crate::admin;
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

/// Rows of cells, the first one the header: what one export holds, in either format.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table(pub Vec<Vec<String>>);

impl Table {
    /// As CSV (without the byte-order mark), formulas defused.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        for row in &self.0 {
            let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }

    /// As an XLSX workbook of one sheet named `sheet`: the header bold and frozen,
    /// numbers as numbers, everything else as text.
    pub fn to_xlsx(&self, sheet: &str) -> Result<Vec<u8>, ConsoleError> {
        let fail = |e: rust_xlsxwriter::XlsxError| ConsoleError::Internal(format!("XLSX: {e}"));
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let worksheet = workbook.add_worksheet();
        worksheet.set_name(sheet).map_err(fail)?;
        for (r, row) in self.0.iter().enumerate() {
            let r = u32::try_from(r)
                .map_err(|_| ConsoleError::Internal("too many rows for XLSX".into()))?;
            for (c, text) in row.iter().enumerate() {
                let c = u16::try_from(c)
                    .map_err(|_| ConsoleError::Internal("too many columns for XLSX".into()))?;
                if r == 0 {
                    worksheet
                        .write_string_with_format(r, c, text, &bold)
                        .map_err(fail)?;
                } else if let Some(number) = as_number(text) {
                    worksheet.write_number(r, c, number).map_err(fail)?;
                } else if !text.is_empty() {
                    worksheet.write_string(r, c, text).map_err(fail)?;
                }
            }
        }
        worksheet.set_freeze_panes(1, 0).map_err(fail)?;
        workbook.save_to_buffer().map_err(fail)
    }
}

/// A plain decimal number (`-12`, `0.5`; no sign `+`, exponent, leading zeros or
/// `NaN`), which a spreadsheet should sum; anything else stays text.
fn as_number(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && (whole == "0" || !whole.starts_with('0'))
        && fraction.is_empty() != digits.contains('.')
        // Beyond 15 digits a spreadsheet's number loses digits: keep it as text.
        && whole.len() + fraction.len() <= 15;
    if plain { text.parse().ok() } else { None }
}

/// A download named `file`.
fn download(file: &str, content_type: &'static str, body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A CSV download named `file`.
fn csv_download(file: &str, table: &Table) -> Response {
    download(
        file,
        "text/csv; charset=utf-8",
        format!("\u{feff}{}", table.to_csv()).into_bytes(),
    )
}

/// An XLSX download named `file`, its sheet named `sheet`.
fn xlsx(file: &str, sheet: &str, table: &Table) -> Result<Response, ConsoleError> {
    Ok(download(
        file,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        table.to_xlsx(sheet)?,
    ))
}

/// The campaign report's CSV, as `report` prints it, and its cells.
async fn report_table(state: &AppState) -> Result<(String, Table), ConsoleError> {
    let store = state.store.clone();
    let now_ms = Utc::now().timestamp_millis();
    blocking(move || {
        let report = admin::campaign_report(store.as_ref(), now_ms)
            .map_err(|e| ConsoleError::Internal(e.to_string()))?;
        let text = report
            .to_csv()
            .map_err(|e| ConsoleError::Internal(e.to_string()))?;
        let mut rows = Vec::new();
        for record in csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
        {
            let record = record.map_err(|e| ConsoleError::Internal(format!("report CSV: {e}")))?;
            rows.push(record.iter().map(str::to_string).collect());
        }
        Ok((text, Table(rows)))
    })
    .await
}

/// The viewer's queue with the screen's filter, as cells.
async fn cases_table(
    state: &AppState,
    viewer: Viewer,
    filter: Filter,
) -> Result<Table, ConsoleError> {
    let store = state.store.clone();
    let now_ms = Utc::now().timestamp_millis();
    // Every line of the filtered queue, not one page of it.
    let found = blocking(move || {
        Ok(cases::queue(
            store.as_ref(),
            &viewer.person,
            &filter,
            now_ms,
            0,
            u64::MAX,
        )?)
    })
    .await?;
    let header = [
        "case_id",
        "category",
        "status",
        "unit",
        "level",
        "department",
        "reported_at_ms",
        "due_ms",
        "overdue",
    ];
    let mut rows = vec![header.iter().map(|h| (*h).to_string()).collect()];
    for c in &found.lines {
        rows.push(vec![
            c.case_id.clone(),
            c.category.clone().unwrap_or_default(),
            c.status.as_str().to_string(),
            c.unit.clone(),
            c.level.as_str().to_string(),
            c.department.clone().unwrap_or_default(),
            c.reported_at_ms.map(|m| m.to_string()).unwrap_or_default(),
            c.due_ms.map(|m| m.to_string()).unwrap_or_default(),
            cases::overdue(c, now_ms).to_string(),
        ]);
    }
    Ok(Table(rows))
}

/// `GET /console/export/report.csv`: the campaign report, as `report` prints it.
pub async fn report_csv(
    State(state): State<AppState>,
    _viewer: Viewer,
) -> Result<Response, ConsoleError> {
    let (text, _) = report_table(&state).await?;
    Ok(download(
        "report.csv",
        "text/csv; charset=utf-8",
        format!("\u{feff}{text}").into_bytes(),
    ))
}

/// `GET /console/export/report.xlsx`: the same cells as the report's CSV.
pub async fn report_xlsx(
    State(state): State<AppState>,
    _viewer: Viewer,
) -> Result<Response, ConsoleError> {
    xlsx("report.xlsx", "report", &report_table(&state).await?.1)
}

/// `GET /console/export/cases.csv?…`: the viewer's queue with the screen's filter.
pub async fn cases_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filter): Query<Filter>,
) -> Result<Response, ConsoleError> {
    Ok(csv_download(
        "cases.csv",
        &cases_table(&state, viewer, filter).await?,
    ))
}

/// `GET /console/export/cases.xlsx?…`: the same cells as `cases.csv` with that filter.
pub async fn cases_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filter): Query<Filter>,
) -> Result<Response, ConsoleError> {
    xlsx(
        "cases.xlsx",
        "cases",
        &cases_table(&state, viewer, filter).await?,
    )
}

#[cfg(test)]
mod tests {
    use super::{as_number, cell};

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(cell("-1,2"), "\"'-1,2\"");
    }

    #[test]
    fn only_plain_decimals_become_numbers() {
        assert_eq!(as_number("12"), Some(12.0));
        assert_eq!(as_number("-3.5"), Some(-3.5));
        assert_eq!(as_number("0.25"), Some(0.25));
        assert_eq!(as_number("1764460800000"), Some(1_764_460_800_000.0));
        for text in [
            "",
            "-",
            "+1",
            "1e5",
            "NaN",
            "inf",
            "007",
            "1.",
            ".5",
            "1.2.3",
            "0x1f",
            "12345678901234567",
        ] {
            assert_eq!(as_number(text), None, "{text}");
        }
    }
}
