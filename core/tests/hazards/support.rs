//! Helpers shared by the hazard tests: stores with profiles, hand-built events, sync.

use gridwalk_core::Store;
use gridwalk_core::checklist::Severity;
use gridwalk_core::evidence::PhotoRef;
use gridwalk_core::hazard::{Actor, Event, HazardReport, Hlc, Payload, ReportSource};
use gridwalk_core::profile::{Profile, Role};

/// A profile for `role`; department officers work for `fire-rescue` unless named.
pub fn profile(name: &str, role: Role, department: Option<&str>) -> Profile {
    let department = match (role, department) {
        (Role::DepartmentOfficer, None) => Some("fire-rescue".to_string()),
        (_, d) => d.map(str::to_string),
    };
    Profile {
        name: name.into(),
        role,
        unit: "c1".into(),
        department,
    }
}

/// Opens a store file in `dir` acting as `profile`.
pub fn device(dir: &std::path::Path, file: &str, profile: &Profile) -> Store {
    let store = Store::open(dir.join(file)).unwrap();
    store.set_profile(profile).unwrap();
    store
}

/// The actor of a profile.
pub fn actor(name: &str, role: Role, department: Option<&str>) -> Actor {
    Actor::from(&profile(name, role, department))
}

/// A processed photo reference with a hash made of one repeated byte.
pub fn photo(byte: u8) -> PhotoRef {
    PhotoRef {
        sha256: format!("{byte:02x}").repeat(32),
        bytes: 1000,
        width: 1600,
        height: 1200,
        taken_at: None,
        lat: None,
        lon: None,
        camera: None,
    }
}

/// A hazard report of `category` at `unit`.
pub fn report(
    source: ReportSource,
    category: &str,
    severity: Severity,
    unit: &str,
) -> HazardReport {
    HazardReport {
        source,
        category: category.into(),
        item: None,
        severity,
        unit: unit.into(),
        site_id: None,
        description: format!("{category} hazard"),
        photos: Vec::new(),
        suggested_department: None,
    }
}

/// Copies every hazard event of `from` into `to`.
pub fn sync(from: &Store, to: &mut Store) {
    to.apply_remote_events(&from.all_hazard_events().unwrap())
        .unwrap();
}

/// Makes every store hold every event of every other.
pub fn sync_all(stores: &mut [&mut Store]) {
    let mut all = Vec::new();
    for s in stores.iter() {
        all.extend(s.all_hazard_events().unwrap());
    }
    for s in stores.iter_mut() {
        s.apply_remote_events(&all).unwrap();
    }
}

/// A hand-built event with a fixed id (`n`), HLC time and parents, for pure tests.
pub fn event(
    n: u128,
    case: &str,
    actor: &Actor,
    ms: i64,
    parents: &[&Event],
    payload: Payload,
) -> Event {
    Event {
        id: uuid::Uuid::from_u128(n).to_string(),
        case_id: case.into(),
        actor: actor.clone(),
        device: format!("device-{}", actor.name),
        hlc: Hlc { ms, counter: 0 },
        wall_ms: ms,
        parents: parents.iter().map(|p| p.id.clone()).collect(),
        withheld: None,
        payload,
    }
}
