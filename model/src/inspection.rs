//! Inspections: one visit to one site with one template version, its answers, and when
//! it is complete enough to submit. The device stores drafts; the server receives them
//! submitted; both read them with these types.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::checklist::Template;
pub use crate::error::Incomplete;
use crate::error::{ModelError, Result};

/// The template used when a caller does not name one.
pub const DEFAULT_TEMPLATE: &str = "safe-community";

/// Why a site is being inspected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum InspectionKind {
    /// The grid worker's regular round.
    Routine,
    /// An unannounced check by a supervisor.
    SpotCheck,
    /// A visit to verify that a hazard was fixed.
    Reinspection,
}

/// Where an inspection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum InspectionStatus {
    /// On this device only; answers may change.
    Draft,
    /// Final and immutable; queued for sync.
    Submitted,
}

/// The answer to one checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Outcome {
    /// Checked, no hazard.
    #[serde(rename = "ok")]
    Ok,
    /// A hazard was found.
    #[serde(rename = "hazard")]
    Hazard,
    /// The item turned out not to be relevant at this site.
    #[serde(rename = "na")]
    NotApplicable,
}

macro_rules! text_enum {
    ($ty:ty, $what:literal, { $($variant:path => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The stable text form used in storage, JSON and the CLI.
            pub fn as_str(self) -> &'static str {
                match self { $($variant => $text),+ }
            }
        }
        impl FromStr for $ty {
            type Err = ModelError;
            fn from_str(s: &str) -> Result<Self> {
                match s {
                    $($text => Ok($variant),)+
                    other => Err(ModelError::Invalid(format!(
                        concat!("unknown ", $what, " `{}` (expected one of: {})"),
                        other,
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(InspectionKind, "inspection kind", {
    InspectionKind::Routine => "routine",
    InspectionKind::SpotCheck => "spot-check",
    InspectionKind::Reinspection => "reinspection",
});
text_enum!(InspectionStatus, "inspection status", {
    InspectionStatus::Draft => "draft",
    InspectionStatus::Submitted => "submitted",
});
text_enum!(Outcome, "answer", {
    Outcome::Ok => "ok",
    Outcome::Hazard => "hazard",
    Outcome::NotApplicable => "na",
});

/// One recorded answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Answer {
    /// The item code.
    pub item: String,
    /// The outcome.
    pub outcome: Outcome,
    /// Free text from the inspector.
    pub note: Option<String>,
    /// SHA-256 names of attached evidence photos.
    pub photos: Vec<String>,
    /// When the answer was last set (device time).
    pub answered_at: String,
}

/// An inspection with its answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Inspection {
    /// Inspection id (UUIDv7).
    pub id: String,
    /// The site visited.
    pub site_id: String,
    /// Template id.
    pub template_id: String,
    /// Template version.
    pub template_version: u32,
    /// Why the visit happened.
    pub kind: InspectionKind,
    /// Draft or submitted.
    pub status: InspectionStatus,
    /// Who inspects.
    pub inspector: String,
    /// When it was started (device time).
    pub started_at: String,
    /// When it was submitted.
    pub submitted_at: Option<String>,
    /// The answers so far, in template order.
    pub answers: Vec<Answer>,
}

/// Whether checklist item `item` of `template` applies at a site of kind `site_kind`.
pub fn is_applicable(template: &Template, site_kind: &str, item: &str) -> bool {
    template
        .item(item)
        .is_some_and(|(_, i)| i.applies_to_kind(site_kind))
}

/// Checks that `answers` complete an inspection of a site of kind `site_kind`: every
/// applicable item answered, every hazard whose item requires a photo with one.
pub fn check_complete(
    template: &Template,
    site_kind: &str,
    answers: &[Answer],
) -> Result<(), Incomplete> {
    let mut unanswered = Vec::new();
    let mut missing_photos = Vec::new();
    for (_, item) in template
        .items()
        .filter(|(_, i)| i.applies_to_kind(site_kind))
    {
        match answers.iter().find(|a| a.item == item.code) {
            None => unanswered.push(item.code.clone()),
            Some(a)
                if a.outcome == Outcome::Hazard && item.photo_required && a.photos.is_empty() =>
            {
                missing_photos.push(item.code.clone())
            }
            Some(_) => {}
        }
    }
    if unanswered.is_empty() && missing_photos.is_empty() {
        Ok(())
    } else {
        Err(Incomplete {
            unanswered,
            missing_photos,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn answer(item: &str, outcome: Outcome, photos: &[&str]) -> Answer {
        Answer {
            item: item.into(),
            outcome,
            note: None,
            photos: photos.iter().map(|p| p.to_string()).collect(),
            answered_at: String::new(),
        }
    }

    #[test]
    fn completeness_names_unanswered_items_and_hazards_without_photos() {
        let template = &Template::builtin().unwrap()[0];
        let applicable: Vec<String> = template
            .items()
            .filter(|(_, i)| i.applies_to_kind("market"))
            .map(|(_, i)| i.code.clone())
            .collect();
        let e = check_complete(template, "market", &[]).unwrap_err();
        assert_eq!(e.unanswered, applicable);
        let (_, photo_item) = template
            .items()
            .find(|(_, i)| i.applies_to_kind("market") && i.photo_required)
            .unwrap();
        let mut answers: Vec<Answer> = applicable
            .iter()
            .map(|c| answer(c, Outcome::Ok, &[]))
            .collect();
        assert_eq!(check_complete(template, "market", &answers), Ok(()));
        if let Some(a) = answers.iter_mut().find(|a| a.item == photo_item.code) {
            a.outcome = Outcome::Hazard;
        }
        let e = check_complete(template, "market", &answers).unwrap_err();
        assert_eq!(e.missing_photos, vec![photo_item.code.clone()]);
        assert!(e.unanswered.is_empty());
        assert!(is_applicable(template, "market", &photo_item.code));
        assert!(!is_applicable(template, "market", "no-such-item"));
    }

    #[test]
    fn text_forms_round_trip() {
        for kind in [
            InspectionKind::Routine,
            InspectionKind::SpotCheck,
            InspectionKind::Reinspection,
        ] {
            assert_eq!(kind.as_str().parse::<InspectionKind>().unwrap(), kind);
        }
        assert!("audit".parse::<InspectionKind>().is_err());
        assert_eq!("na".parse::<Outcome>().unwrap(), Outcome::NotApplicable);
    }
}
