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
//! - nobody records as someone else ([`check_authorship`]): a hazard event's actor
//!   is the caller (name, role, unit, department) and its device one the caller's
//!   person enrolled; an inspection's inspector is the caller's name or no one's;
//! - spot checks are recorded only by supervisors (and admins); a spot check that is
//!   still a draft (a planned visit) is read only by its author's devices and admins
//!   (not even by other supervisors of the area), so the inspected community never
//!   learns of it before it is submitted;
//! - personal details (checklist categories `key-groups` and `disputes`) reach the
//!   roles that act on them: community staff, street officers, admins, the department
//!   a case is assigned to, and the author; everyone else gets them redacted;
//! - a photo is read by its uploaders, admins, and whoever may read a record that one
//!   of its uploaders attached it to (in full, for a photo of personal details):
//!   naming someone else's photo in a record of one's own grants nothing
//!   ([`may_read_blob`]); a photo record (what the device attests about a photo) is
//!   read by exactly those who may read its photo ([`may_read_photo`]).

use std::collections::HashMap;

use gridwalk_model::profile::Role;
use gridwalk_model::protocol::Person;

use crate::auth::Caller;
use crate::kinds::{CheckError, ClaimedAuthor, Reject};
use crate::storage::{BlobLink, CaseScope, RecordFilter, RecordStore, StoreError, StoredRecord};

pub use gridwalk_model::org::UnitTree;

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
    /// Whether it is an event of a hazard case.
    pub case_event: bool,
}

/// Whether `caller` may push a record with this intent; a [`Reject::Forbidden`] says
/// why not.
pub fn may_write(caller: &Person, intent: &WriteIntent<'_>, tree: &UnitTree) -> Result<(), Reject> {
    if caller.role == Role::Admin {
        return Ok(());
    }
    if intent.spot_check && caller.role != Role::Supervisor {
        return Err(Reject::Forbidden(format!(
            "only supervisors record spot checks; you are a {}",
            caller.role
        )));
    }
    if caller.role == Role::DepartmentOfficer && intent.case_event {
        // A department works the cases assigned to it, wherever they are.
        return match (intent.department, caller.department.as_deref()) {
            (Some(case), Some(mine)) if case == mine => Ok(()),
            _ => Err(Reject::Forbidden(
                "the case is not assigned to your department".into(),
            )),
        };
    }
    if tree.is_within(intent.unit, &caller.unit) {
        Ok(())
    } else {
        Err(Reject::Forbidden(format!(
            "unit `{}` is outside your area `{}`",
            intent.unit, caller.unit
        )))
    }
}

/// A person's name as people compare it: case and runs of white space do not matter.
fn same_name(a: &str, b: &str) -> bool {
    let normal = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    normal(a) == normal(b)
}

/// Whether the record's claimed author is the caller, as the server knows them: an
/// event's actor must be the caller's person exactly, and its device the caller's
/// device or another device the same person enrolled (a phone enrolled again still
/// sends what it recorded under its earlier enrolment). A device id the server never
/// enrolled is refused: that is the provisional id a device uses before enrolment, and
/// the actor of such an event is not a person the server vouched for. An inspection's
/// inspector is free text on the device; it may not be the name of another person the
/// server knows.
pub fn check_authorship(
    caller: &Caller,
    claimed: &ClaimedAuthor,
    store: &dyn RecordStore,
) -> Result<(), CheckError> {
    let me = &caller.person;
    match claimed {
        ClaimedAuthor::Event { actor, device } => {
            if actor.name != me.name
                || actor.role != me.role
                || actor.unit != me.unit
                || actor.department != me.department
            {
                return Err(Reject::Forbidden(format!(
                    "the event names {} ({} of {}) as its author, not you, {} ({} of {})",
                    actor.name, actor.role, actor.unit, me.name, me.role, me.unit
                ))
                .into());
            }
            if *device == caller.device {
                return Ok(());
            }
            match store.device_person(device)? {
                Some(person) if person == me.id => Ok(()),
                Some(_) => Err(Reject::Forbidden(format!(
                    "the event was recorded on device `{device}`, which is enrolled to \
                     someone else; your device is `{}`",
                    caller.device
                ))
                .into()),
                None => Err(Reject::Forbidden(format!(
                    "the event names device `{device}`, which was never enrolled; your \
                     device is `{}` (events recorded before enrolment are not accepted)",
                    caller.device
                ))
                .into()),
            }
        }
        // The photo record's check found the caller's device attaching the photo.
        ClaimedAuthor::PhotoOf { .. } => Ok(()),
        ClaimedAuthor::Inspection { inspector } => {
            if same_name(inspector, &me.name) {
                return Ok(());
            }
            let someone_else = store
                .people()?
                .into_iter()
                .any(|p| same_name(inspector, &p.name));
            if someone_else {
                Err(Reject::Forbidden(format!(
                    "the inspection names {inspector} as its inspector, not you, {}",
                    me.name
                ))
                .into())
            } else {
                Ok(())
            }
        }
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
        // Drafts are only ever planned spot checks: read by their author alone (above),
        // hidden from the inspected area and from everyone else.
        Role::Supervisor | Role::GridWorker | Role::CommunityStaff | Role::StreetOfficer => {
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

/// The records worth weighing for `caller` in a pull (without `skip_device`'s): a
/// superset of what [`read_access`] and [`may_read_photo`] let them read, for the store
/// to narrow a page with its indexes.
/// - an admin: everything;
/// - everyone: what they pushed;
/// - `grid-worker`, `community-staff`, `street-officer`, `supervisor`: the records of
///   their area, photo records included (a photo record lies in the unit of the record
///   its device first attached the photo to);
/// - `department-officer`: the records of the cases assigned to their department now,
///   and the photo records of photos attached to them.
///
/// One gap, by design: a photo record lying outside the caller's area, whose photo a
/// record in their area also attaches, is not weighed; the photo itself is still
/// fetched by its hash through that record ([`may_read_blob`]).
pub fn read_filter(caller: &Person, skip_device: Option<&str>, tree: &UnitTree) -> RecordFilter {
    let skip_device = skip_device.map(str::to_owned);
    let units = match caller.role {
        Role::Admin => {
            return RecordFilter {
                skip_device,
                ..RecordFilter::everything()
            };
        }
        Role::DepartmentOfficer => Vec::new(),
        Role::Supervisor | Role::GridWorker | Role::CommunityStaff | Role::StreetOfficer => {
            tree.area(&caller.unit)
        }
    };
    // An area holding every unit reads like an admin's: no list to send.
    let units = (units.len() < tree.len() || tree.is_empty()).then_some(units);
    RecordFilter {
        author: units.as_ref().map(|_| caller.id.clone()),
        department: (caller.role == Role::DepartmentOfficer)
            .then(|| caller.department.clone())
            .flatten(),
        units,
        skip_device,
    }
}

/// A record referring to a photo, with its case scope (hazard events).
#[derive(Debug, Clone)]
pub struct BlobReference {
    /// The stored link: the record, who attached the photo, whether it is personal.
    pub link: BlobLink,
    /// The record's case scope, for hazard events.
    pub case: Option<CaseScope>,
}

/// Whether `caller` may fetch a photo, given who uploaded it and the records that
/// refer to it. Only records attached by an uploader count: anyone may name any hash
/// in their own record, so naming grants nothing. For a photo with no known uploader
/// (stored before uploaders were recorded, schema version 2), the links stored before
/// then count as they always did.
pub fn may_read_blob(
    caller: &Person,
    uploaders: &[String],
    referring: &[BlobReference],
    tree: &UnitTree,
) -> bool {
    if caller.role == Role::Admin || uploaders.contains(&caller.id) {
        return true;
    }
    let attached_by_uploader = |link: &BlobLink| {
        if uploaders.is_empty() {
            link.before_uploaders
        } else {
            uploaders.contains(&link.record.author_person)
        }
    };
    referring
        .iter()
        .filter(|r| attached_by_uploader(&r.link))
        .any(
            |r| match read_access(caller, &r.link.record, r.case.as_ref(), tree) {
                Some(Access::Full) => true,
                Some(Access::Redacted) => !r.link.personal,
                None => false,
            },
        )
}

/// Whether `caller` may fetch photo `sha256`: [`may_read_blob`] over its uploaders and
/// the stored records naming it, with their cases' scopes (looked up through `cases`).
pub fn may_read_photo(
    caller: &Person,
    sha256: &str,
    store: &dyn RecordStore,
    tree: &UnitTree,
    cases: &mut CaseScopes,
) -> Result<bool, StoreError> {
    let referring = blob_references(sha256, store, cases)?;
    let uploaders = store.blob_uploaders(sha256)?;
    Ok(may_read_blob(caller, &uploaders, &referring, tree))
}

/// The stored records naming blob `sha256`, each with its case's scope: what
/// [`may_read_blob`] weighs.
pub fn blob_references(
    sha256: &str,
    store: &dyn RecordStore,
    cases: &mut CaseScopes,
) -> Result<Vec<BlobReference>, StoreError> {
    with_cases(store.records_with_blob(sha256)?, store, cases)
}

/// The links of a blob, each with its record's case scope (through `cases`).
pub fn with_cases(
    links: Vec<BlobLink>,
    store: &dyn RecordStore,
    cases: &mut CaseScopes,
) -> Result<Vec<BlobReference>, StoreError> {
    links
        .into_iter()
        .map(|link| {
            let case = match &link.record.case_id {
                Some(id) => cases.get(store, id)?,
                None => None,
            };
            Ok(BlobReference { link, case })
        })
        .collect()
}

/// Case scopes looked up once per request: a pull page asks for the same few cases over
/// and over (each photo's inspection, report and photo record name one case), and each
/// asking was a query (half of a city pull's statements, `docs/BENCHMARKS.md`).
#[derive(Debug, Default)]
pub struct CaseScopes(HashMap<String, Option<CaseScope>>);

impl CaseScopes {
    /// The scope of case `case_id` (`None` for a case without a report), from the store
    /// the first time this request asks.
    pub fn get(
        &mut self,
        store: &dyn RecordStore,
        case_id: &str,
    ) -> Result<Option<CaseScope>, StoreError> {
        if let Some(scope) = self.0.get(case_id) {
            return Ok(scope.clone());
        }
        let scope = store.case_scope(case_id)?;
        self.0.insert(case_id.to_owned(), scope.clone());
        Ok(scope)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use gridwalk_model::org::OrgUnit;

    fn unit(id: &str, parent: Option<&str>) -> OrgUnit {
        OrgUnit {
            id: id.into(),
            name: id.into(),
            level: if parent.is_some() {
                "grid"
            } else {
                "community"
            }
            .into(),
            parent: parent.map(str::to_string),
        }
    }

    fn link(author: &str, before_uploaders: bool) -> BlobReference {
        BlobReference {
            link: BlobLink {
                record: StoredRecord {
                    seq: 1,
                    id: "r".into(),
                    kind: "inspection".into(),
                    body: "{}".into(),
                    unit: "g1".into(),
                    department: None,
                    case_id: None,
                    author_person: author.into(),
                    author_device: "d".into(),
                    draft: false,
                    personal: false,
                    received_at: String::new(),
                    chain: None,
                },
                personal: false,
                before_uploaders,
            },
            case: None,
        }
    }

    #[test]
    fn only_links_by_an_uploader_grant_a_photo_and_older_links_when_none_is_known() {
        let tree = UnitTree::new(&[unit("c1", None), unit("g1", Some("c1"))]);
        let reader = Person {
            id: "reader".into(),
            name: "Reader".into(),
            role: Role::GridWorker,
            unit: "g1".into(),
            department: None,
        };
        let none: &[String] = &[];
        let x = ["x".to_string()];
        let y = ["y".to_string()];
        // Uploader unknown (a photo stored before schema version 2).
        assert!(may_read_blob(&reader, none, &[link("x", true)], &tree));
        assert!(!may_read_blob(&reader, none, &[link("x", false)], &tree));
        // Uploader known: only their records count, however old the link.
        assert!(may_read_blob(&reader, &x, &[link("x", false)], &tree));
        assert!(!may_read_blob(&reader, &y, &[link("x", true)], &tree));
        // The uploader reads it with no record at all.
        assert!(may_read_blob(&reader, &["reader".to_string()], &[], &tree));
    }
}
