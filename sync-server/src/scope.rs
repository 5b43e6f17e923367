//! Every authorisation decision, in one place: which records a caller may write, which
//! they may read, and whether they see personal details.
//!
//! The rules, by role (an *area* is the caller's org unit and every unit under it):
//! - everyone reads what they pushed themselves, in full;
//! - `admin` reads and writes everything;
//! - `grid-worker`, `community-staff`, `street-officer`, `supervisor`: read and write
//!   records whose site lies in their area (a grid, a community, a street/town, ...);
//! - `department-officer`: reads only the events of cases assigned to their department
//!   now (by the model's fold), including the case's earlier history; writes events
//!   only on those cases, and inspections in their area;
//! - a hazard event's recorded actor must be the caller (role, unit, department);
//! - spot checks are recorded only by supervisors (and admins); a spot check that is
//!   still a draft (a planned visit) is read only by supervisors of the area and admins,
//!   so the inspected community never learns of it before it is submitted;
//! - personal details (checklist categories `key-groups` and `disputes`) reach the
//!   roles that act on them: community staff, street officers, admins, the department
//!   a case is assigned to, and the author; everyone else gets them redacted.

use std::collections::HashMap;

use gridwalk_model::hazard::Actor;
use gridwalk_model::org::OrgUnit;
use gridwalk_model::profile::Role;
use gridwalk_model::protocol::Person;

use crate::storage::{CaseScope, StoredRecord};

/// The org-unit tree, for "is this unit inside that area" questions.
#[derive(Debug, Clone, Default)]
pub struct UnitTree {
    parents: HashMap<String, Option<String>>,
}

impl UnitTree {
    /// Builds the tree from the stored units.
    pub fn new(units: &[OrgUnit]) -> UnitTree {
        UnitTree {
            parents: units
                .iter()
                .map(|u| (u.id.clone(), u.parent.clone()))
                .collect(),
        }
    }

    /// Whether `unit` is `area` or lies under it. Unknown units are inside nothing.
    pub fn is_within(&self, unit: &str, area: &str) -> bool {
        let mut current = Some(unit.to_string());
        // Bounded walk: a (corrupt) cycle in the tree must not hang a request.
        for _ in 0..=self.parents.len() {
            match current {
                None => return false,
                Some(u) if u == area => return self.parents.contains_key(area),
                Some(u) => current = self.parents.get(&u).cloned().flatten(),
            }
        }
        false
    }

    /// Whether `unit` is one of the units above `of` (its ancestors).
    pub fn is_above(&self, unit: &str, of: &str) -> bool {
        unit != of && self.is_within(of, unit)
    }
}

/// How much of a record a caller may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// All of it.
    Full,
    /// All but the personal details, which are redacted.
    Redacted,
}

/// What a push wants to write, as far as authorisation cares.
#[derive(Debug, Clone)]
pub struct WriteIntent<'a> {
    /// The org unit of the site the record is about.
    pub unit: &'a str,
    /// Whether it is a spot check (or a plan for one).
    pub spot_check: bool,
    /// The department the case is assigned to, for case events.
    pub department: Option<&'a str>,
    /// Who the record says recorded it, when it says (hazard events).
    pub actor: Option<&'a Actor>,
    /// Whether it is an event of a hazard case.
    pub case_event: bool,
}

/// Whether `caller` may push a record with this intent; `Err` says why not.
pub fn may_write(caller: &Person, intent: &WriteIntent<'_>, tree: &UnitTree) -> Result<(), String> {
    if let Some(actor) = intent.actor
        && (actor.role != caller.role
            || actor.unit != caller.unit
            || actor.department != caller.department)
    {
        return Err(format!(
            "the event names {} ({} of {}) as its author, not you ({} of {})",
            actor.name, actor.role, actor.unit, caller.role, caller.unit
        ));
    }
    if caller.role == Role::Admin {
        return Ok(());
    }
    if intent.spot_check && caller.role != Role::Supervisor {
        return Err(format!(
            "only supervisors record spot checks; you are a {}",
            caller.role
        ));
    }
    if caller.role == Role::DepartmentOfficer && intent.case_event {
        // A department works the cases assigned to it, wherever they are.
        return match (intent.department, caller.department.as_deref()) {
            (Some(case), Some(mine)) if case == mine => Ok(()),
            _ => Err("the case is not assigned to your department".into()),
        };
    }
    if tree.is_within(intent.unit, &caller.unit) {
        Ok(())
    } else {
        Err(format!(
            "unit `{}` is outside your area `{}`",
            intent.unit, caller.unit
        ))
    }
}

/// Whether and how `caller` may read `record` (with its case's scope, for hazard
/// events); `None` hides it entirely.
pub fn read_access(
    caller: &Person,
    record: &StoredRecord,
    case: Option<&CaseScope>,
    tree: &UnitTree,
) -> Option<Access> {
    if record.author_person == caller.id || caller.role == Role::Admin {
        return Some(Access::Full);
    }
    let assigned_to_caller = caller.role == Role::DepartmentOfficer
        && caller.department.is_some()
        && case.is_some_and(|c| c.department == caller.department);
    let visible = match caller.role {
        Role::Admin => true,
        Role::DepartmentOfficer => assigned_to_caller && !record.draft,
        Role::Supervisor => tree.is_within(&record.unit, &caller.unit),
        // Drafts are only ever planned spot checks: hidden from the inspected area.
        Role::GridWorker | Role::CommunityStaff | Role::StreetOfficer => {
            !record.draft && tree.is_within(&record.unit, &caller.unit)
        }
    };
    if !visible {
        return None;
    }
    let needs_personal =
        assigned_to_caller || matches!(caller.role, Role::CommunityStaff | Role::StreetOfficer);
    if !record.personal || needs_personal {
        Some(Access::Full)
    } else {
        Some(Access::Redacted)
    }
}

/// A record referring to a photo: the record, whether the photo is part of personal
/// details, and the record's case scope (hazard events).
pub type BlobReference = (StoredRecord, bool, Option<CaseScope>);

/// Whether `caller` may fetch a photo, given the records that refer to it and whether
/// the caller's person uploaded it.
pub fn may_read_blob(
    caller: &Person,
    uploaded_by_caller: bool,
    referring: &[BlobReference],
    tree: &UnitTree,
) -> bool {
    uploaded_by_caller
        || caller.role == Role::Admin
        || referring.iter().any(|(record, personal, case)| {
            match read_access(caller, record, case.as_ref(), tree) {
                Some(Access::Full) => true,
                Some(Access::Redacted) => !personal,
                None => false,
            }
        })
}

/// Whether `caller` sees a unit in the reference data: their area and the units above
/// it (so a grid worker can name their street).
pub fn sees_unit(caller: &Person, unit: &str, tree: &UnitTree) -> bool {
    caller.role == Role::Admin
        || tree.is_within(unit, &caller.unit)
        || tree.is_above(unit, &caller.unit)
}

/// Whether `caller` sees a site in the reference data: sites in their area. (Sites are
/// not secret, but a device only needs the ones it may inspect.)
pub fn sees_site(caller: &Person, site_unit: &str, tree: &UnitTree) -> bool {
    caller.role == Role::Admin || tree.is_within(site_unit, &caller.unit)
}

/// Whether `caller` sees a person in the reference data: people working in their area
/// or above it, i.e. the colleagues and officers they deal with.
pub fn sees_person(caller: &Person, person: &Person, tree: &UnitTree) -> bool {
    sees_unit(caller, &person.unit, tree)
}
