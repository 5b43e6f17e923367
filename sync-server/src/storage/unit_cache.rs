//! The org-unit tree, built once per change of the units rather than once per request.
//!
//! Every push, pull and photo read decides access by where units lie in the tree, and
//! each used to read the whole `units` table to build it: a few rows in a district, but
//! thousands in a city (every community, street and department), on every request of
//! every replica. The units change rarely and anywhere (the admin command is another
//! process; a city has several replicas), so the database keeps a counter that triggers
//! bump on every change to `units` (`units_version`, migrations `0014` and `0010`), and a
//! store reads the counter, which is one row, and rebuilds only when it moved.

use std::sync::{Arc, Mutex};

use gridwalk_model::org::{OrgUnit, UnitTree};

use super::{StoreError, StoreResult};

/// The last tree built, with the `units_version` it was built at.
#[derive(Debug, Default)]
pub struct UnitCache {
    built: Mutex<Option<(i64, Arc<UnitTree>)>>,
}

impl UnitCache {
    /// The tree at `version` (read from the database before `load`), built from `load`
    /// unless the cached one was built at that version.
    ///
    /// `version` must be read before `load` runs: units changed in between are then
    /// cached under the older number, and the next call, seeing the newer one, rebuilds.
    /// The other order could cache old units under a new number for good.
    pub fn tree(
        &self,
        version: i64,
        load: impl FnOnce() -> StoreResult<Vec<OrgUnit>>,
    ) -> StoreResult<Arc<UnitTree>> {
        if let Some((built_at, tree)) = &*self.built.lock().map_err(|_| StoreError::Poisoned)?
            && *built_at == version
        {
            return Ok(tree.clone());
        }
        // Built outside the lock: a slow read must not hold up requests that find the
        // tree current. Two requests may both build after a change; the later one wins.
        let tree = Arc::new(UnitTree::new(&load()?));
        *self.built.lock().map_err(|_| StoreError::Poisoned)? = Some((version, tree.clone()));
        Ok(tree)
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
        let cache = UnitCache::default();
        let mut loads = 0;
        for _ in 0..3 {
            let tree = cache
                .tree(7, || {
                    loads += 1;
                    Ok(vec![unit("street", None), unit("c1", Some("street"))])
                })
                .unwrap();
            assert!(tree.is_within("c1", "street"));
        }
        assert_eq!(loads, 1);
        let tree = cache
            .tree(8, || {
                loads += 1;
                Ok(vec![unit("street", None), unit("c1", None)])
            })
            .unwrap();
        assert_eq!(loads, 2);
        assert!(!tree.is_within("c1", "street"));
    }

    #[test]
    fn a_failed_load_caches_nothing() {
        let cache = UnitCache::default();
        let failed = cache.tree(1, || Err(StoreError::Corrupt("gone".into())));
        assert!(failed.is_err());
        let tree = cache.tree(1, || Ok(vec![unit("a", None)])).unwrap();
        assert!(tree.is_within("a", "a"));
    }
}
