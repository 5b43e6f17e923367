//! The model's error type: what is wrong with a value, before anything is stored.
//! The device core and the server each convert it into their own error in one place.

use crate::checklist::TemplateError;

/// Result alias used throughout the model.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;

/// Why a value was refused by the model's rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// A checklist template is malformed; names the file, item and reason.
    #[error(transparent)]
    Template(#[from] TemplateError),

    /// A value is not valid (an unknown role, a malformed event, a bad coordinate...).
    #[error("invalid input: {0}")]
    Invalid(String),

    /// A row of an import file is bad; nothing from the file may be imported.
    #[error("{file}, line {line}: {reason}")]
    BadImportRow {
        /// The file being imported.
        file: String,
        /// 1-based line number in the file (the header is line 1).
        line: u64,
        /// What is wrong with the row.
        reason: String,
    },

    /// An inspection cannot be submitted yet.
    #[error(transparent)]
    Incomplete(#[from] Incomplete),
}

/// Why an inspection cannot be submitted yet: applicable items without an answer, and
/// hazard answers without the photo their item requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe_incomplete(.unanswered, .missing_photos))]
pub struct Incomplete {
    /// Codes of applicable items that have no answer yet, in template order.
    pub unanswered: Vec<String>,
    /// Codes of items answered `hazard` that require a photo and have none.
    pub missing_photos: Vec<String>,
}

fn describe_incomplete(unanswered: &[String], missing_photos: &[String]) -> String {
    let mut parts = Vec::new();
    if !unanswered.is_empty() {
        parts.push(format!("unanswered items: {}", unanswered.join(", ")));
    }
    if !missing_photos.is_empty() {
        parts.push(format!(
            "hazards without the required photo: {}",
            missing_photos.join(", ")
        ));
    }
    format!("cannot submit: {}", parts.join("; "))
}
