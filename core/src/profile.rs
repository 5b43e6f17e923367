//! The local profile: who is using this device, in which role, for which org unit.
//!
//! Until device enrolment exists (the sync work), the shells set it by hand; enrolment
//! will later fill the same record. Every hazard event this device records names the
//! profile's person and role, so the rules can be checked where the work happens.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::store::Store;

/// Settings key under which the profile is stored as JSON.
const PROFILE_KEY: &str = "profile";

/// The roles of the campaign, from the field up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Grid worker (网格员): inspects the sites of one grid.
    GridWorker,
    /// Community staff (社区工作人员): runs the community level, takes resident and
    /// hotline reports, calls hazards in to the street.
    CommunityStaff,
    /// Street/town office officer (街道/乡镇): calls hazards in, assigns departments.
    StreetOfficer,
    /// Officer of a functional department (fire, housing, ...): responds and fixes.
    DepartmentOfficer,
    /// Supervision group member (督导组): spot checks, verifies, may close.
    Supervisor,
    /// Administrator: any workflow step, still bound by the state rules.
    Admin,
}

impl Role {
    /// Every role, in the order above.
    pub const ALL: [Role; 6] = [
        Role::GridWorker,
        Role::CommunityStaff,
        Role::StreetOfficer,
        Role::DepartmentOfficer,
        Role::Supervisor,
        Role::Admin,
    ];

    /// The stable text form used in storage, JSON and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::GridWorker => "grid-worker",
            Role::CommunityStaff => "community-staff",
            Role::StreetOfficer => "street-officer",
            Role::DepartmentOfficer => "department-officer",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                CoreError::InvalidInput(format!(
                    "unknown role `{s}` (expected one of: {})",
                    known.join(", ")
                ))
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The person using this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Display name, recorded as the actor of every event.
    pub name: String,
    /// The person's role.
    pub role: Role,
    /// The org unit the person works for (a grid, community, street or district id).
    pub unit: String,
    /// The department code; required for, and only for, department officers.
    pub department: Option<String>,
}

impl Profile {
    /// Checks the profile is complete and consistent; returns it trimmed.
    pub fn validated(&self) -> Result<Profile> {
        let name = self.name.trim().to_string();
        let unit = self.unit.trim().to_string();
        let department = self
            .department
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string);
        if name.is_empty() {
            return Err(CoreError::InvalidInput("profile name is empty".into()));
        }
        if unit.is_empty() {
            return Err(CoreError::InvalidInput("profile unit is empty".into()));
        }
        match (self.role, &department) {
            (Role::DepartmentOfficer, None) => {
                return Err(CoreError::InvalidInput(
                    "a department officer needs a department code".into(),
                ));
            }
            (role, Some(code)) if role != Role::DepartmentOfficer => {
                return Err(CoreError::InvalidInput(format!(
                    "only a department officer has a department (got `{code}` for a {role})"
                )));
            }
            _ => {}
        }
        Ok(Profile {
            name,
            role: self.role,
            unit,
            department,
        })
    }
}

/// Reads the profile through any connection or transaction.
pub(crate) fn load(conn: &rusqlite::Connection) -> Result<Option<Profile>> {
    use rusqlite::OptionalExtension;
    let json: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [PROFILE_KEY],
            |r| r.get(0),
        )
        .optional()?;
    match json {
        None => Ok(None),
        Some(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| CoreError::InvalidInput(format!("the stored profile is unreadable: {e}"))),
    }
}

impl Store {
    /// The local profile, if one was set.
    pub fn profile(&self) -> Result<Option<Profile>> {
        load(&self.conn)
    }

    /// The local profile, or [`CoreError::NoProfile`] when none was set.
    pub fn require_profile(&self) -> Result<Profile> {
        self.profile()?.ok_or(CoreError::NoProfile)
    }

    /// Validates and stores the local profile, replacing any earlier one.
    pub fn set_profile(&self, profile: &Profile) -> Result<Profile> {
        let profile = profile.validated()?;
        let json = serde_json::to_string(&profile)
            .map_err(|e| CoreError::InvalidInput(format!("profile cannot be stored: {e}")))?;
        self.set_setting(PROFILE_KEY, &json)?;
        Ok(profile)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn officer(department: Option<&str>) -> Profile {
        Profile {
            name: " Li Wei ".into(),
            role: Role::DepartmentOfficer,
            unit: "d1".into(),
            department: department.map(str::to_string),
        }
    }

    #[test]
    fn profile_round_trips_through_the_store_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.db")).unwrap();
        assert_eq!(store.profile().unwrap(), None);
        assert!(matches!(store.require_profile(), Err(CoreError::NoProfile)));
        store.set_profile(&officer(Some("fire-rescue"))).unwrap();
        let p = store.require_profile().unwrap();
        assert_eq!(p.name, "Li Wei");
        assert_eq!(p.department.as_deref(), Some("fire-rescue"));
    }

    #[test]
    fn department_is_required_for_and_only_for_department_officers() {
        assert!(officer(None).validated().is_err());
        let mut p = officer(Some("housing"));
        p.role = Role::GridWorker;
        assert!(p.validated().is_err());
        p.department = None;
        assert!(p.validated().is_ok());
    }

    #[test]
    fn roles_parse_from_their_text_form_only() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("mayor".parse::<Role>().is_err());
    }
}
