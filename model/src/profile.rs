//! Roles, and the profile: who is using a device, in which role, for which org unit.
//!
//! Enrolment fills the profile from the server's record of the person (or a shell sets
//! it by hand before enrolment). Every hazard event a device records names the
//! profile's person and role, so the rules can be checked where the work happens.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// The roles of the campaign, from the field up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
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
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                ModelError::Invalid(format!(
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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
            return Err(ModelError::Invalid("profile name is empty".into()));
        }
        if unit.is_empty() {
            return Err(ModelError::Invalid("profile unit is empty".into()));
        }
        match (self.role, &department) {
            (Role::DepartmentOfficer, None) => {
                return Err(ModelError::Invalid(
                    "a department officer needs a department code".into(),
                ));
            }
            (role, Some(code)) if role != Role::DepartmentOfficer => {
                return Err(ModelError::Invalid(format!(
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
