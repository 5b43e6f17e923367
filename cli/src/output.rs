//! Printing results: JSON for scripts (`--json`), short text for people.

use gridwalk_core::CoreError;
use gridwalk_core::model::time::{self, Zone};
use serde::Serialize;
use serde_json::json;

/// Where results and errors go, in the format the user asked for.
pub struct Output {
    json: bool,
    zone: Zone,
}

impl Output {
    /// An output in JSON or text mode, showing times in `zone`.
    pub fn new(json: bool, zone: Zone) -> Output {
        Output { json, zone }
    }

    /// Whether results are printed as JSON.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// The zone text output shows times in (JSON keeps RFC 3339 or ms as stored).
    pub fn zone(&self) -> Zone {
        self.zone
    }

    /// A time in ms since the Unix epoch as people read it: `2026-12-07 09:25 +08:00`.
    pub fn time_ms(&self, ms: i64) -> String {
        time::show_ms(ms, self.zone)
    }

    /// A stored RFC 3339 time as people read it.
    pub fn time(&self, rfc3339: &str) -> String {
        time::show_rfc3339(rfc3339, self.zone)
    }

    /// Prints a result: `value` as JSON in JSON mode, otherwise the text `human` makes.
    pub fn print<T: Serialize>(&self, value: &T, human: impl FnOnce(&T) -> String) {
        if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(text) => write_stdout(&format!("{text}\n")),
                Err(e) => eprintln!("gridwalk: cannot print result: {e}"),
            }
        } else {
            let text = human(value);
            if !text.is_empty() {
                write_stdout(&format!("{text}\n"));
            }
        }
    }

    /// Prints `text` as it is (CSV, say), whatever the mode.
    pub fn raw(&self, text: &str) {
        write_stdout(text);
    }

    /// Prints an error on stderr.
    pub fn error(&self, error: &CoreError) {
        if self.json {
            let mut body = json!({ "kind": error.code(), "message": error.to_string() });
            if let CoreError::IncompleteInspection {
                unanswered,
                missing_photos,
            } = error
            {
                body["unanswered"] = json!(unanswered);
                body["missing_photos"] = json!(missing_photos);
            }
            if let CoreError::EventRefused(refusal) = error {
                body["rule"] = json!(refusal.rule);
            }
            if let Some(hint) = hint(error) {
                body["hint"] = json!(hint);
            }
            eprintln!("{}", json!({ "error": body }));
        } else {
            eprintln!("gridwalk: {error}");
            if let Some(hint) = hint(error) {
                eprintln!("  {hint}");
            }
        }
    }
}

/// Writes to stdout. A reader that went away (`gridwalk report | head -1`) is not an
/// error: what was recorded is recorded, nobody wants the rest, so nothing is said
/// (`println!` would panic instead).
fn write_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => eprintln!("gridwalk: cannot print result: {e}"),
        Ok(()) => {}
    }
}

/// The terminal shell's way out of an error, where the core's message cannot name a
/// command of this shell.
fn hint(error: &CoreError) -> Option<&'static str> {
    match error {
        CoreError::NoProfile => Some(
            "set it with `gridwalk profile set --name NAME --role ROLE --unit UNIT`, \
             or enrol with a server (`gridwalk enrol --server URL --code CODE`)",
        ),
        _ => None,
    }
}

/// `text` padded with spaces to `width` terminal columns: by display width, so a
/// Chinese name (two columns a character) lines up with Latin ones.
pub fn pad(text: &str, width: usize) -> String {
    let used = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

#[cfg(test)]
mod tests {
    use super::pad;

    #[test]
    fn padding_counts_terminal_columns_not_bytes_or_chars() {
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("红星", 6), "红星  ");
        assert_eq!(pad("Hongxing 红星", 14), "Hongxing 红星 ");
        assert_eq!(pad("too long", 3), "too long");
    }
}
