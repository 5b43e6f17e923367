//! The local profile on this device: who uses it. The types and their validation are
//! the model's ([`gridwalk_model::profile`]); this module stores the profile.

pub use gridwalk_model::profile::{Profile, Role};

use crate::error::{CoreError, Result};
use crate::store::{Store, settings};

/// Settings key under which the profile is stored as JSON.
const PROFILE_KEY: &str = "profile";

/// Reads the profile through any connection or transaction.
pub(crate) fn load(conn: &rusqlite::Connection) -> Result<Option<Profile>> {
    match settings::get(conn, PROFILE_KEY)? {
        None => Ok(None),
        Some(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(CoreError::unreadable("the stored profile")),
    }
}

/// Validates and stores the profile through any connection or transaction, replacing
/// any earlier one; returns it as stored (trimmed).
pub(crate) fn save(conn: &rusqlite::Connection, profile: &Profile) -> Result<Profile> {
    let profile = profile.validated()?;
    let json = serde_json::to_string(&profile)
        .map_err(|e| CoreError::Internal(format!("profile cannot be encoded: {e}")))?;
    settings::set(conn, PROFILE_KEY, &json)?;
    Ok(profile)
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
        save(&self.conn, profile)
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
}
