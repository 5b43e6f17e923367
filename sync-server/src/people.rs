//! Roles and people as the server knows them.
//!
//! The role names are the ones the issue fixes for the whole product. When the hazard
//! cases land in `gridwalk-core` with their own role type, this enum is replaced by it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a person does in the campaign; decides what they may read and write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Walks one grid and reports hazards there.
    GridWorker,
    /// Works for a community (village) over all its grids.
    CommunityStaff,
    /// Street/town office: calls hazards in, over all communities of the street.
    StreetOfficer,
    /// A functional department's officer: works the cases assigned to the department.
    DepartmentOfficer,
    /// Member of a supervision group: makes unannounced spot checks.
    Supervisor,
    /// Runs the server; sees everything.
    Admin,
}

/// Every role, in the order the issue lists them.
pub const ROLES: [Role; 6] = [
    Role::GridWorker,
    Role::CommunityStaff,
    Role::StreetOfficer,
    Role::DepartmentOfficer,
    Role::Supervisor,
    Role::Admin,
];

impl Role {
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
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ROLES.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = ROLES.iter().map(|r| r.as_str()).collect();
            format!("unknown role `{s}` (expected one of: {})", names.join(", "))
        })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person who may enrol devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// Person id (UUIDv7).
    pub id: String,
    /// Display name.
    pub name: String,
    /// What they do.
    pub role: Role,
    /// The org unit they work in (a grid for a grid worker, a street for a street officer...).
    pub unit: String,
    /// The department code, for department officers.
    pub department: Option<String>,
}
