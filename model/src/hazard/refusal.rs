//! The named workflow rules and a refusal naming one. Kept apart from the rules' logic
//! ([`super::rules`]) because a case's state records which rule ignored an event, and
//! the rules read the state: each depends on this module, not on the other.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A workflow rule. The text form names it in errors, the CLI and conflict records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Rule {
    /// A case is reported once.
    ReportOnce,
    /// Resident, hotline and online reports are entered by community staff (or admins);
    /// anyone who submits an inspection opens cases from its hazard answers.
    PublicReportsByCommunityStaff,
    /// The category is one of the nine.
    KnownCategory,
    /// Every event but `reported` needs the case to have been reported.
    CaseMustExist,
    /// A closed case only takes a reopen or a comment.
    ClosedCaseIsFinal,
    /// Community staff call in to the street; street officers (and admins) to the district.
    CallInByOffice,
    /// A call-in moves the case to a higher level.
    CallInGoesUp,
    /// Departments are assigned by street officers or admins.
    AssignByStreet,
    /// A department is assigned only once the case was called in to the street or higher.
    AssignAfterCallIn,
    /// A department is assigned (or reassigned) only before the case is rectified.
    AssignWhileUnfixed,
    /// Only an officer of the assigned department accepts.
    AcceptOwnDepartment,
    /// A case is accepted only while assigned and not yet accepted.
    AcceptWhenAssigned,
    /// Progress notes come from the people working the case.
    ProgressByParticipant,
    /// The fix is reported by whoever is responsible: the accepted department, or the
    /// community or street office itself when no department is assigned.
    RectifyByResponsible,
    /// A rectification carries at least one photo, named by its SHA-256.
    RectifyNeedsPhoto,
    /// A fix is verified by an inspector who is not the department that made it.
    VerifyByIndependentInspector,
    /// Only a rectified case is verified.
    VerifyAfterRectify,
    /// Cases are reopened by community staff, street officers, supervisors or admins.
    ReopenByOffice,
    /// Only a verified or closed case is reopened.
    ReopenWhenDone,
    /// Cases are closed by community staff, street officers, supervisors or admins.
    CloseByOffice,
    /// A closed case is not closed again.
    CloseOnce,
    /// An unverified case is closed only by a supervisor or admin, with a note.
    CloseAfterVerify,
    /// The event's text (reason, comment, department) may not be empty.
    TextRequired,
}

impl Rule {
    /// The stable code, e.g. `close-after-verify`.
    pub fn code(self) -> &'static str {
        match self {
            Rule::ReportOnce => "report-once",
            Rule::PublicReportsByCommunityStaff => "public-reports-by-community-staff",
            Rule::KnownCategory => "known-category",
            Rule::CaseMustExist => "case-must-exist",
            Rule::ClosedCaseIsFinal => "closed-case-is-final",
            Rule::CallInByOffice => "call-in-by-office",
            Rule::CallInGoesUp => "call-in-goes-up",
            Rule::AssignByStreet => "assign-by-street",
            Rule::AssignAfterCallIn => "assign-after-call-in",
            Rule::AssignWhileUnfixed => "assign-while-unfixed",
            Rule::AcceptOwnDepartment => "accept-own-department",
            Rule::AcceptWhenAssigned => "accept-when-assigned",
            Rule::ProgressByParticipant => "progress-by-participant",
            Rule::RectifyByResponsible => "rectify-by-responsible",
            Rule::RectifyNeedsPhoto => "rectify-needs-photo",
            Rule::VerifyByIndependentInspector => "verify-by-independent-inspector",
            Rule::VerifyAfterRectify => "verify-after-rectify",
            Rule::ReopenByOffice => "reopen-by-office",
            Rule::ReopenWhenDone => "reopen-when-done",
            Rule::CloseByOffice => "close-by-office",
            Rule::CloseOnce => "close-once",
            Rule::CloseAfterVerify => "close-after-verify",
            Rule::TextRequired => "text-required",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why an event is refused: the rule and what about this event broke it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("refused by rule `{rule}`: {detail}")]
pub struct Refusal {
    /// The rule broken.
    pub rule: Rule,
    /// What about this event broke it.
    pub detail: String,
}
