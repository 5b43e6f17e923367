//! People as the server knows them. Their roles are the core's
//! [`gridwalk_model::profile::Role`]: one list of role names for devices and server.

use serde::{Deserialize, Serialize};

pub use gridwalk_model::profile::Role;

/// Parses a role name, with the core's message for an unknown one.
pub fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
        .map_err(|e: gridwalk_model::ModelError| e.to_string())
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
