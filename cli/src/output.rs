//! Printing results: JSON for scripts (`--json`), short text for people.

use gridwalk_core::CoreError;
use serde::Serialize;
use serde_json::json;

/// Where results and errors go, in the format the user asked for.
pub struct Output {
    json: bool,
}

impl Output {
    /// An output in JSON or text mode.
    pub fn new(json: bool) -> Output {
        Output { json }
    }

    /// Prints a result: `value` as JSON in JSON mode, otherwise the text `human` makes.
    pub fn print<T: Serialize>(&self, value: &T, human: impl FnOnce(&T) -> String) {
        if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(text) => println!("{text}"),
                Err(e) => eprintln!("gridwalk: cannot print result: {e}"),
            }
        } else {
            let text = human(value);
            if !text.is_empty() {
                println!("{text}");
            }
        }
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
