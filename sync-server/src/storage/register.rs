//! The register a push is checked against (the org-unit tree and the sites), read once
//! per change rather than once per request.
//!
//! Every push, pull and photo read decides access by where units lie in the tree, and
//! each used to read the whole `units` table to build it: a few rows in a district, but
//! thousands in a city (every community, street and department), on every request of
//! every replica. A push also looked its site up for the inspection and again for each
//! hazard it reports, nine queries for one inspection with three hazards. Units and
//! sites change rarely and anywhere (the admin command is another process; a city has
//! several replicas), so the database keeps a counter that triggers bump on every
//! change to either (`units_version`, migrations `0014`/`0015` and `0010`/`0011`), and
//! a store reads the counter, which is one row, and starts a new [`Register`] only when
//! it moved.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use gridwalk_model::org::{OrgUnit, UnitTree};

use super::{RecordStore, Site, StoreError, StoreResult};

/// The units and sites as of one `units_version`: the tree, built at once, and each
/// site as it is first asked for.
#[derive(Debug)]
pub struct Register {
    /// The org-unit tree.
    pub tree: UnitTree,
    /// Sites found so far. Unknown ids are not kept: a device naming made-up sites
    /// costs a query each, as before, and cannot grow this map.
    sites: Mutex<HashMap<String, Site>>,
}

impl Register {
    /// A register of `units`, its sites to be looked up as asked for.
    pub fn new(units: &[OrgUnit]) -> Register {
        Register {
            tree: UnitTree::new(units),
            sites: Mutex::new(HashMap::new()),
        }
    }

    /// The site `id`, from `store` the first time this register is asked for it.
    pub fn site(&self, store: &dyn RecordStore, id: &str) -> StoreResult<Option<Site>> {
        if let Some(site) = self.sites.lock().map_err(|_| StoreError::Poisoned)?.get(id) {
            return Ok(Some(site.clone()));
        }
        let found = store.site(id)?;
        if let Some(site) = &found {
            self.sites
                .lock()
                .map_err(|_| StoreError::Poisoned)?
                .insert(id.to_owned(), site.clone());
        }
        Ok(found)
    }
}

/// The last register started, with the `units_version` it was started at.
#[derive(Debug, Default)]
pub struct RegisterCache {
    current: Mutex<Option<(i64, Arc<Register>)>>,
}

impl RegisterCache {
    /// The register at `version` (read from the database before `load`), a new one from
    /// `load`'s units unless the current one was started at that version.
    ///
    /// `version` must be read before `load` runs: a change in between is then cached
    /// under the older number, and the next call, seeing the newer one, starts again.
    /// The other order could cache old units under a new number for good. Sites are
    /// read later still, so they are never older than the number either.
    pub fn register(
        &self,
        version: i64,
        load: impl FnOnce() -> StoreResult<Vec<OrgUnit>>,
    ) -> StoreResult<Arc<Register>> {
        if let Some((started_at, register)) =
            &*self.current.lock().map_err(|_| StoreError::Poisoned)?
            && *started_at == version
        {
            return Ok(register.clone());
        }
        // Built outside the lock: a slow read must not hold up requests that find the
        // register current. Two requests may both build after a change; the later wins.
        let register = Arc::new(Register::new(&load()?));
        *self.current.lock().map_err(|_| StoreError::Poisoned)? = Some((version, register.clone()));
        Ok(register)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: &str, parent: Option<&str>) -> OrgUnit {
        OrgUnit {
            id: id.into(),
            name: id.into(),
            level: "community".into(),
            parent: parent.map(Into::into),
        }
    }

    #[test]
    fn the_tree_is_built_once_per_version() {
        let cache = RegisterCache::default();
        let mut loads = 0;
        for _ in 0..3 {
            let register = cache
                .register(7, || {
                    loads += 1;
                    Ok(vec![unit("street", None), unit("c1", Some("street"))])
                })
                .unwrap();
            assert!(register.tree.is_within("c1", "street"));
        }
        assert_eq!(loads, 1);
        let register = cache
            .register(8, || {
                loads += 1;
                Ok(vec![unit("street", None), unit("c1", None)])
            })
            .unwrap();
        assert_eq!(loads, 2);
        assert!(!register.tree.is_within("c1", "street"));
    }

    #[test]
    fn a_failed_load_caches_nothing() {
        let cache = RegisterCache::default();
        let failed = cache.register(1, || Err(StoreError::Corrupt("gone".into())));
        assert!(failed.is_err());
        let register = cache.register(1, || Ok(vec![unit("a", None)])).unwrap();
        assert!(register.tree.is_within("a", "a"));
    }
}
