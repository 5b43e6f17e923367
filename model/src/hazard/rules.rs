//! Who may record which event in which state. One function, [`check`], used both when a
//! person acts on this device (a refusal is returned to them as a typed error naming the
//! rule) and by the fold (an event that breaks a rule in the merged order is kept but
//! ignored, the same way on every device).
//!
//! Rules cover role and state only. Which cases a person may *see* (their grid, their
//! department, personal data in categories 4 and 5) is enforced by the sync server.

use serde::{Deserialize, Serialize};

use crate::checklist::CATEGORIES;
use crate::evidence::is_sha256_hex;
use crate::hazard::event::{Actor, Event, Level, Payload, Withheld};
use crate::hazard::state::{CaseState, Status};
use crate::profile::Role;

pub use crate::hazard::refusal::{Refusal, Rule};

fn refuse(rule: Rule, detail: impl Into<String>) -> Result<(), Refusal> {
    Err(Refusal {
        rule,
        detail: detail.into(),
    })
}

/// Text a redacting server withheld was written: it counts as present.
fn require_text(what: &str, text: &str, withheld: Withheld) -> Result<(), Refusal> {
    if text.trim().is_empty() && !withheld.text {
        refuse(Rule::TextRequired, format!("{what} is empty"))
    } else {
        Ok(())
    }
}

/// Whether `actor` may record `payload` on a case in `state`.
pub fn check(state: &CaseState, actor: &Actor, payload: &Payload) -> Result<(), Refusal> {
    check_with(state, actor, payload, Withheld::default())
}

/// Whether a recorded event is valid on a case in `state`: [`check`] of its actor and
/// payload, with what redaction withheld counted as present (withheld text as written,
/// withheld photos as attached), so a redacted copy is judged exactly as the full one.
pub fn check_event(state: &CaseState, event: &Event) -> Result<(), Refusal> {
    check_with(
        state,
        &event.actor,
        &event.payload,
        event.withheld.unwrap_or_default(),
    )
}

fn check_with(
    state: &CaseState,
    actor: &Actor,
    payload: &Payload,
    withheld: Withheld,
) -> Result<(), Refusal> {
    use Role::*;
    let role = actor.role;
    let status = state.status;
    let is_own_department = role == DepartmentOfficer
        && actor.department.is_some()
        && actor.department == state.department;

    if let Payload::Reported(report) = payload {
        if status != Status::Unreported {
            return refuse(Rule::ReportOnce, "the case is already reported");
        }
        if report.source.is_public() && !matches!(role, CommunityStaff | Admin) {
            return refuse(
                Rule::PublicReportsByCommunityStaff,
                format!("a {role} cannot enter a resident, hotline or online report"),
            );
        }
        if !CATEGORIES.contains(&report.category.as_str()) {
            return refuse(
                Rule::KnownCategory,
                format!("unknown category `{}`", report.category),
            );
        }
        require_text("the unit", &report.unit, Withheld::default())?;
        return Ok(());
    }
    if status == Status::Unreported {
        return refuse(Rule::CaseMustExist, "the case has not been reported");
    }
    let kind = payload.kind();
    if status == Status::Closed
        && !matches!(
            payload,
            Payload::Reopened { .. } | Payload::Comment { .. } | Payload::Closed { .. }
        )
    {
        return refuse(
            Rule::ClosedCaseIsFinal,
            format!("the case is closed; `{kind}` is not possible"),
        );
    }

    match payload {
        Payload::Reported(_) => Ok(()),
        Payload::CalledIn { level, .. } => {
            let may = matches!(
                (role, level),
                (Admin, _)
                    | (CommunityStaff, Level::Street)
                    | (StreetOfficer, Level::Street | Level::District)
            );
            if !may {
                return refuse(
                    Rule::CallInByOffice,
                    format!("a {role} cannot call a case in to the {level} level"),
                );
            }
            if *level <= state.level {
                return refuse(
                    Rule::CallInGoesUp,
                    format!("the case is already at the {} level", state.level),
                );
            }
            if !status.is_open() {
                return refuse(Rule::CallInGoesUp, format!("the case is {status}"));
            }
            Ok(())
        }
        Payload::Assigned { department, .. } => {
            if !matches!(role, StreetOfficer | Admin) {
                return refuse(Rule::AssignByStreet, format!("a {role} cannot assign"));
            }
            require_text("the department", department, Withheld::default())?;
            if state.level < Level::Street {
                return refuse(
                    Rule::AssignAfterCallIn,
                    "the case has not been called in to the street",
                );
            }
            if !matches!(
                status,
                Status::Reported | Status::Assigned | Status::InProgress
            ) {
                return refuse(Rule::AssignWhileUnfixed, format!("the case is {status}"));
            }
            Ok(())
        }
        Payload::Accepted { .. } => {
            if !is_own_department && role != Admin {
                return refuse(
                    Rule::AcceptOwnDepartment,
                    format!(
                        "the case is assigned to {}, not to this {role}'s department",
                        state.department.as_deref().unwrap_or("no department")
                    ),
                );
            }
            if status != Status::Assigned {
                return refuse(Rule::AcceptWhenAssigned, format!("the case is {status}"));
            }
            Ok(())
        }
        Payload::Progress { note } => {
            if !(is_own_department || matches!(role, CommunityStaff | StreetOfficer | Admin)) {
                return refuse(
                    Rule::ProgressByParticipant,
                    format!("a {role} is not working this case"),
                );
            }
            require_text("the note", note, withheld)
        }
        Payload::Rectified { photos, .. } => {
            let responsible = match (&state.department, role) {
                (_, Admin) => matches!(
                    status,
                    Status::Reported | Status::Assigned | Status::InProgress
                ),
                (Some(_), _) => is_own_department && status == Status::InProgress,
                (None, CommunityStaff) => {
                    state.level == Level::Community && status == Status::Reported
                }
                (None, StreetOfficer) => state.level == Level::Street && status == Status::Reported,
                (None, _) => false,
            };
            if !responsible {
                return refuse(
                    Rule::RectifyByResponsible,
                    format!(
                        "a {role} is not responsible for fixing this case while it is {status} \
                         at the {} level",
                        state.level
                    ),
                );
            }
            if (photos.is_empty() && withheld.photos == 0)
                || photos.iter().any(|p| !is_sha256_hex(p))
            {
                return refuse(
                    Rule::RectifyNeedsPhoto,
                    "a rectification needs at least one photo named by a lower-case hex SHA-256",
                );
            }
            Ok(())
        }
        Payload::Verified { .. } => {
            if !matches!(
                role,
                GridWorker | CommunityStaff | StreetOfficer | Supervisor | Admin
            ) {
                return refuse(
                    Rule::VerifyByIndependentInspector,
                    format!("a {role} cannot verify a fix"),
                );
            }
            if status != Status::Rectified {
                return refuse(Rule::VerifyAfterRectify, format!("the case is {status}"));
            }
            Ok(())
        }
        Payload::Reopened { reason } => {
            if !matches!(role, CommunityStaff | StreetOfficer | Supervisor | Admin) {
                return refuse(Rule::ReopenByOffice, format!("a {role} cannot reopen"));
            }
            if !matches!(status, Status::Verified | Status::Closed) {
                return refuse(Rule::ReopenWhenDone, format!("the case is {status}"));
            }
            require_text("the reason", reason, withheld)
        }
        Payload::Closed { note } => {
            if !matches!(role, CommunityStaff | StreetOfficer | Supervisor | Admin) {
                return refuse(Rule::CloseByOffice, format!("a {role} cannot close"));
            }
            if status == Status::Closed {
                return refuse(Rule::CloseOnce, "the case is already closed");
            }
            let may_close_unverified =
                matches!(role, Supervisor | Admin) && (!note.trim().is_empty() || withheld.text);
            if status != Status::Verified && !may_close_unverified {
                return refuse(
                    Rule::CloseAfterVerify,
                    format!(
                        "the case is {status}; only a supervisor or admin closes it now, with a note"
                    ),
                );
            }
            Ok(())
        }
        Payload::Comment { text } => require_text("the comment", text, withheld),
    }
}

/// An action a person may take on a case now: the kind of event and, for a call-in, the
/// levels it may go to. Shells offer exactly these buttons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AllowedAction {
    /// The kind of event.
    pub kind: crate::hazard::event::EventKind,
    /// For `called-in`, the levels allowed; empty for other kinds.
    pub levels: Vec<Level>,
}

/// The actions `actor` may take on a case in `state`, decided by [`check`] itself on a
/// well-formed example of each kind, so there is no second copy of the rules. Content the
/// person must still supply (a note, a photo) is checked again when they act.
pub fn allowed_actions(state: &CaseState, actor: &Actor) -> Vec<AllowedAction> {
    const TEXT: &str = "-";
    let photo = "0".repeat(64);
    let department = state
        .department
        .clone()
        .unwrap_or_else(|| "department".to_string());
    let examples = [
        Payload::Assigned {
            department,
            note: TEXT.into(),
        },
        Payload::Accepted { note: TEXT.into() },
        Payload::Progress { note: TEXT.into() },
        Payload::Rectified {
            photos: vec![photo],
            note: TEXT.into(),
        },
        Payload::Verified {
            passed: true,
            inspection_id: None,
            note: TEXT.into(),
        },
        Payload::Reopened {
            reason: TEXT.into(),
        },
        Payload::Closed { note: TEXT.into() },
        Payload::Comment { text: TEXT.into() },
    ];
    let levels: Vec<Level> = Level::ALL
        .into_iter()
        .filter(|level| {
            let call_in = Payload::CalledIn {
                level: *level,
                note: TEXT.into(),
            };
            check(state, actor, &call_in).is_ok()
        })
        .collect();
    let mut allowed = Vec::new();
    if !levels.is_empty() {
        allowed.push(AllowedAction {
            kind: crate::hazard::event::EventKind::CalledIn,
            levels,
        });
    }
    for example in examples {
        if check(state, actor, &example).is_ok() {
            allowed.push(AllowedAction {
                kind: example.kind(),
                levels: Vec::new(),
            });
        }
    }
    allowed
}
