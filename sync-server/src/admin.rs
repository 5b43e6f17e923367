//! The admin subcommands' work: importing org units and sites, adding people, and
//! shutting people and devices out.
//!
//! CSV files are validated by the model's importers (the same rules a device applies),
//! with parents checked against the units the server already holds; only a file that
//! passes whole is written to the server's store.
//!
//! People and devices are named by id or by an unambiguous prefix of one (as `people
//! list` and `devices list` print them); an ambiguous prefix lists the candidates. A
//! change takes effect from the next request of the devices concerned (see
//! [`crate::auth`]).

use std::fs::File;
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use gridwalk_model::ModelError;
use gridwalk_model::hazard::CampaignReport;
use gridwalk_model::org::{self, OrgUnit, Site};
use gridwalk_model::profile::Role;
use gridwalk_model::protocol::Person;
use gridwalk_model::time::{Zone, show_rfc3339};
use serde::Serialize;

use crate::auth::{enrolment_code_hash, new_enrolment_code};
use crate::kinds::templates;
use crate::scope::UnitTree;
use crate::storage::{ChainBreaks, DeviceSummary, PersonSummary, RecordStore, StoreError};

/// What an admin command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The input (file or arguments) is invalid; nothing was changed.
    #[error("{0}")]
    Invalid(String),
    /// The model's rules refused the input (a bad row, an unknown role...); nothing was
    /// changed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The input file could not be opened or read; nothing was changed.
    #[error("{path}: {source}")]
    File {
        /// The file, as the admin named it.
        path: String,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// No person or device has an id starting with what was given; nothing changed.
    #[error("no {what} has an id starting with `{prefix}`; `{list}` shows them")]
    NotFound {
        /// `person` or `device`.
        what: &'static str,
        /// The id or prefix as given.
        prefix: String,
        /// The command that lists the candidates.
        list: &'static str,
    },
    /// More than one person or device has an id starting with what was given; nothing
    /// changed.
    #[error(
        "`{prefix}` could be any of {} {}; give more of the id:\n{}",
        .candidates.len(),
        plural(.what),
        .candidates.join("\n")
    )]
    Ambiguous {
        /// `person` or `device`.
        what: &'static str,
        /// The prefix as given.
        prefix: String,
        /// Each candidate's id and a word on who it is.
        candidates: Vec<String>,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `people` or `devices`, for messages about several.
fn plural(what: &str) -> String {
    match what {
        "person" => "people".into(),
        other => format!("{other}s"),
    }
}

/// How many rows an import wrote.
#[derive(Debug, Serialize)]
pub struct ImportReport {
    /// Rows imported from the file.
    pub imported: usize,
}

/// A person added, with their one-time enrolment code.
#[derive(Debug, Serialize)]
pub struct AddedPerson {
    /// The new person.
    pub person: Person,
    /// The code to type into the app once; it is not stored and cannot be shown again.
    pub enrolment_code: String,
}

/// Opens an import file; a failure names the file.
fn open(file: &Path) -> Result<File, AdminError> {
    File::open(file).map_err(|source| AdminError::File {
        path: file.display().to_string(),
        source,
    })
}

/// Reads and checks org units from `id,name,level,parent` CSV against the units the
/// server already holds (a parent may be stored already or come later in the file).
fn units_from_file(store: &dyn RecordStore, file: &Path) -> Result<Vec<OrgUnit>, AdminError> {
    units_from_reader(store, &file.display().to_string(), open(file)?)
}

/// [`import_units`]' check over any input (the console's upload), named `name` in
/// errors: every bad row is named at once.
pub fn units_from_reader(
    store: &dyn RecordStore,
    name: &str,
    input: impl std::io::Read,
) -> Result<Vec<OrgUnit>, AdminError> {
    let known = store.units()?;
    Ok(org::units_from_csv(name, input, &known)?)
}

/// Reads and checks sites from `id,name,kind,unit,address,lat,lon` CSV; every site's
/// unit must be one the server already holds.
fn sites_from_file(store: &dyn RecordStore, file: &Path) -> Result<Vec<Site>, AdminError> {
    sites_from_reader(store, &file.display().to_string(), open(file)?)
}

/// [`import_sites`]' check over any input (the console's upload), named `name` in
/// errors: every bad row, and every site of an unknown unit, is named at once.
pub fn sites_from_reader(
    store: &dyn RecordStore,
    name: &str,
    input: impl std::io::Read,
) -> Result<Vec<Site>, AdminError> {
    let sites = org::sites_from_csv(name, input)?;
    let tree = UnitTree::new(&store.units()?);
    // Every stray site at once, so one correction of the file is enough.
    let stray: Vec<String> = sites
        .iter()
        .filter(|s| !tree.is_within(&s.unit, &s.unit))
        .map(|s| format!("site {} names unknown unit `{}`", s.id, s.unit))
        .collect();
    if !stray.is_empty() {
        return Err(AdminError::Invalid(format!(
            "{name}: {}; import the units first",
            stray.join("; ")
        )));
    }
    Ok(sites)
}

/// Imports org units from `id,name,level,parent` CSV, all rows or none.
pub fn import_units(store: &dyn RecordStore, file: &Path) -> Result<ImportReport, AdminError> {
    let units = units_from_file(store, file)?;
    store.upsert_units(&units)?;
    Ok(ImportReport {
        imported: units.len(),
    })
}

/// Imports sites from `id,name,kind,unit,address,lat,lon` CSV, all rows or none; every
/// site's unit must be a known unit.
pub fn import_sites(store: &dyn RecordStore, file: &Path) -> Result<ImportReport, AdminError> {
    let sites = sites_from_file(store, file)?;
    store.upsert_sites(&sites)?;
    Ok(ImportReport {
        imported: sites.len(),
    })
}

/// [`add_person`], refused when someone of the same name (ignoring case and spaces
/// around it) is already in the unit, unless `allow_duplicate_name`: two codes for one
/// person are a mistake far more often than two namesakes in one grid.
pub fn add_person_once(
    store: &dyn RecordStore,
    name: &str,
    role: &str,
    unit: &str,
    department: Option<&str>,
    allow_duplicate_name: bool,
) -> Result<AddedPerson, AdminError> {
    if !allow_duplicate_name {
        let same = |other: &str| other.trim().to_lowercase() == name.trim().to_lowercase();
        if let Some(existing) = store
            .people()?
            .into_iter()
            .find(|p| p.unit == unit && same(&p.name))
        {
            return Err(AdminError::Invalid(format!(
                "{} ({}, {}) is already in {unit}; for a new phone use `people reissue {}`, \
                 for a namesake add --allow-duplicate-name",
                existing.name, existing.id, existing.role, existing.id
            )));
        }
    }
    add_person(store, name, role, unit, department)
}

/// Adds a person and makes their one-time enrolment code. The person must be one a
/// device accepts as its profile (the model's rule), in a known unit, with a known
/// department if any.
pub fn add_person(
    store: &dyn RecordStore,
    name: &str,
    role: &str,
    unit: &str,
    department: Option<&str>,
) -> Result<AddedPerson, AdminError> {
    let role: Role = role.parse()?;
    if name.trim().is_empty() {
        return Err(AdminError::Invalid("a person needs a name".into()));
    }
    let tree = UnitTree::new(&store.units()?);
    if !tree.is_within(unit, unit) {
        return Err(AdminError::Invalid(format!(
            "unknown unit `{unit}`; import the units first"
        )));
    }
    let department = department.map(str::trim).filter(|d| !d.is_empty());
    match (role, department) {
        (Role::DepartmentOfficer, None) => {
            return Err(AdminError::Invalid(
                "a department officer needs --department CODE".into(),
            ));
        }
        (_, Some(code)) => {
            let known: Vec<&str> = templates()
                .iter()
                .flat_map(|t| t.departments.iter().map(|d| d.code.as_str()))
                .collect();
            if !known.contains(&code) {
                return Err(AdminError::Invalid(format!(
                    "unknown department `{code}` (expected one of: {})",
                    known.join(", ")
                )));
            }
        }
        (_, None) => {}
    }
    let person = Person {
        id: uuid::Uuid::now_v7().to_string(),
        name: name.trim().to_string(),
        role,
        unit: unit.to_string(),
        department: department.map(str::to_string),
    };
    // The profile a device will store when this person enrols: refuse here what the
    // device would refuse then (e.g. a department for someone who is no officer).
    person.profile().validated()?;
    let code = new_enrolment_code().map_err(|e| AdminError::Invalid(e.to_string()))?;
    store.add_person(&person, &enrolment_code_hash(&code))?;
    Ok(AddedPerson {
        person,
        enrolment_code: code,
    })
}

/// Everyone on the server, for `people list`.
#[derive(Debug, Serialize)]
pub struct PeopleList {
    /// In id order.
    pub people: Vec<PersonSummary>,
}

/// A person after `people disable` or `people enable`.
#[derive(Debug, Serialize)]
pub struct PersonChange {
    /// The person as they are now.
    pub person: PersonSummary,
    /// `false` when they already were so: nothing changed.
    pub changed: bool,
}

/// A new enrolment code for a person, from `people reissue`.
#[derive(Debug, Serialize)]
pub struct ReissuedCode {
    /// Whose code it is.
    pub person: PersonSummary,
    /// The code to type into the app once; not stored, cannot be shown again.
    pub enrolment_code: String,
    /// How many unused codes of theirs stopped working.
    pub replaced_codes: usize,
}

/// Devices, for `devices list`.
#[derive(Debug, Serialize)]
pub struct DeviceList {
    /// In order of enrolment.
    pub devices: Vec<DeviceSummary>,
}

/// A device after `devices revoke`.
#[derive(Debug, Serialize)]
pub struct DeviceChange {
    /// The device as it is now.
    pub device: DeviceSummary,
    /// `false` when it was already revoked: nothing changed.
    pub changed: bool,
}

/// The one item whose id is `prefix` or starts with it.
fn resolve<'a, T>(
    what: &'static str,
    list: &'static str,
    prefix: &str,
    items: &'a [T],
    id: impl Fn(&T) -> &str,
    describe: impl Fn(&T) -> String,
) -> Result<&'a T, AdminError> {
    let prefix = prefix.trim().to_ascii_lowercase();
    if prefix.is_empty() {
        return Err(AdminError::Invalid(format!(
            "give a {what} id (or the start of one); `{list}` shows them"
        )));
    }
    if let Some(exact) = items.iter().find(|i| id(i) == prefix) {
        return Ok(exact);
    }
    let matching: Vec<&T> = items
        .iter()
        .filter(|i| id(i).starts_with(&prefix))
        .collect();
    match matching.as_slice() {
        [] => Err(AdminError::NotFound { what, prefix, list }),
        [one] => Ok(one),
        many => Err(AdminError::Ambiguous {
            what,
            prefix,
            candidates: many.iter().map(|i| describe(i)).collect(),
        }),
    }
}

/// The person `prefix` names, as `people list` shows them now.
fn find_person(
    store: &dyn RecordStore,
    prefix: &str,
    now: DateTime<Utc>,
) -> Result<PersonSummary, AdminError> {
    let people = store.person_summaries(now)?;
    resolve(
        "person",
        "people list",
        prefix,
        &people,
        |p| p.person.id.as_str(),
        |p| {
            format!(
                "{}  {} ({}, {})",
                p.person.id, p.person.name, p.person.role, p.person.unit
            )
        },
    )
    .cloned()
}

/// The device `prefix` names, as `devices list` shows it now.
fn find_device(
    store: &dyn RecordStore,
    prefix: &str,
    now: DateTime<Utc>,
) -> Result<DeviceSummary, AdminError> {
    let devices = store.device_summaries(None, now)?;
    resolve(
        "device",
        "devices list",
        prefix,
        &devices,
        |d| d.id.as_str(),
        |d| format!("{}  of {}, enrolled {}", d.id, d.person_name, d.enrolled_at),
    )
    .cloned()
}

/// Everyone, with whether they are disabled and how many devices are active.
pub fn list_people(store: &dyn RecordStore, now: DateTime<Utc>) -> Result<PeopleList, AdminError> {
    Ok(PeopleList {
        people: store.person_summaries(now)?,
    })
}

/// Disables (`true`) or enables again (`false`) the person `prefix` names. A disabled
/// person's devices are refused from their next request, and their codes do not enrol.
pub fn set_person_disabled(
    store: &dyn RecordStore,
    prefix: &str,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<PersonChange, AdminError> {
    let person = find_person(store, prefix, now)?;
    let changed = store.set_person_disabled(&person.person.id, disabled.then_some(now))?;
    Ok(PersonChange {
        person: find_person(store, &person.person.id, now)?,
        changed,
    })
}

/// A new one-time enrolment code for the person `prefix` names (a new phone); their
/// unused codes stop working. Refused for a disabled person, whose code would not
/// enrol.
pub fn reissue_code(
    store: &dyn RecordStore,
    prefix: &str,
    now: DateTime<Utc>,
) -> Result<ReissuedCode, AdminError> {
    let person = find_person(store, prefix, now)?;
    if person.disabled {
        return Err(AdminError::Invalid(format!(
            "{} ({}) is disabled; `people enable {}` first",
            person.person.name, person.person.id, person.person.id
        )));
    }
    let code = new_enrolment_code().map_err(|e| AdminError::Invalid(e.to_string()))?;
    let replaced_codes = store.reissue_enrolment(&person.person.id, &enrolment_code_hash(&code))?;
    Ok(ReissuedCode {
        person,
        enrolment_code: code,
        replaced_codes,
    })
}

/// Every device, or those of the person `person` names.
pub fn list_devices(
    store: &dyn RecordStore,
    person: Option<&str>,
    now: DateTime<Utc>,
) -> Result<DeviceList, AdminError> {
    let person = person
        .map(|prefix| find_person(store, prefix, now))
        .transpose()?;
    Ok(DeviceList {
        devices: store.device_summaries(person.as_ref().map(|p| p.person.id.as_str()), now)?,
    })
}

/// Revokes the device `prefix` names (a lost phone): it is refused from its next
/// request; the person's other devices keep working.
pub fn revoke_device(
    store: &dyn RecordStore,
    prefix: &str,
    now: DateTime<Utc>,
) -> Result<DeviceChange, AdminError> {
    let device = find_device(store, prefix, now)?;
    let changed = store.revoke_device(&device.id, now)?;
    Ok(DeviceChange {
        device: find_device(store, &device.id, now)?,
        changed,
    })
}

/// `people list` for people: one aligned row each.
pub fn people_table(list: &PeopleList) -> String {
    let rows: Vec<Vec<String>> = list
        .people
        .iter()
        .map(|p| {
            vec![
                p.person.id.clone(),
                p.person.name.clone(),
                p.person.role.to_string(),
                p.person.unit.clone(),
                p.person.department.clone().unwrap_or_else(|| "-".into()),
                if p.disabled { "disabled" } else { "enabled" }.into(),
                p.active_devices.to_string(),
            ]
        })
        .collect();
    table(
        &[
            "ID",
            "NAME",
            "ROLE",
            "UNIT",
            "DEPT",
            "STATUS",
            "ACTIVE DEVICES",
        ],
        &rows,
    )
}

/// `devices list` for people: one aligned row each, times in `zone`.
pub fn devices_table(list: &DeviceList, zone: Zone) -> String {
    let at = |t: &str| show_rfc3339(t, zone);
    let rows: Vec<Vec<String>> = list
        .devices
        .iter()
        .map(|d| {
            vec![
                d.id.clone(),
                format!("{} ({})", d.person_name, d.person),
                at(&d.enrolled_at),
                d.last_seen_at.as_deref().map_or_else(|| "-".into(), at),
                at(&d.expires_at),
                device_status(d).into(),
            ]
        })
        .collect();
    table(
        &["ID", "PERSON", "ENROLLED", "LAST SEEN", "EXPIRES", "STATUS"],
        &rows,
    )
}

/// `revoked`, `expired` or `active`.
pub fn device_status(device: &DeviceSummary) -> &'static str {
    if device.revoked {
        "revoked"
    } else if device.expired {
        "expired"
    } else {
        "active"
    }
}

/// Columns padded to their widest cell, in terminal columns (a Chinese character takes
/// two), so names in Chinese line up.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.width());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell}{}", " ".repeat(width - cell.width())))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(header.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    out.join("\n")
}

/// The campaign report as of `as_of_ms` ([`crate::report::campaign_report`]: SQL
/// aggregates over the case rows' indexed columns, the model's fold of the events for
/// a time before some case's latest event).
pub fn campaign_report(
    store: &dyn RecordStore,
    as_of_ms: i64,
) -> Result<CampaignReport, AdminError> {
    Ok(crate::report::campaign_report(store, as_of_ms)?)
}

/// The campaign report as JSON with `chain_breaks`: per device, how many of its
/// records arrived after a gap or on a fork of its chain (issue 12; `verify` names them).
pub fn report_json(report: &CampaignReport, breaks: &[ChainBreaks]) -> Result<String, String> {
    let mut value = serde_json::to_value(report).map_err(|e| e.to_string())?;
    if let serde_json::Value::Object(map) = &mut value {
        map.insert(
            "chain_breaks".into(),
            serde_json::to_value(breaks).map_err(|e| e.to_string())?,
        );
    }
    serde_json::to_string_pretty(&value).map_err(|e| e.to_string())
}

/// One sentence per device whose chain broke, for the report's text form.
pub fn chain_break_lines(breaks: &[ChainBreaks]) -> Vec<String> {
    breaks
        .iter()
        .map(|b| {
            format!(
                "device {} ({}): {} record(s) after a gap, {} on a fork of its chain; \
                 `verify` names them",
                b.device, b.person_name, b.gap, b.fork
            )
        })
        .collect()
}

/// Prints a command's result as JSON or as a line for people.
pub fn print<T: Serialize>(json: bool, value: &T, human: &str) -> std::io::Result<()> {
    if json {
        let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
        print_text(&text)
    } else {
        print_text(human)
    }
}

/// Writes `text` and a newline to stdout. A reader that went away (`report | head -1`)
/// is not an error: the output was not wanted any more, so the command ends quietly.
pub fn print_text(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        done => done,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::sqlite::SqliteStore;

    fn store(dir: &tempfile::TempDir) -> SqliteStore {
        SqliteStore::open(&dir.path().join("server.sqlite")).unwrap()
    }

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn units_are_checked_against_the_units_the_server_holds() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let top = write(&dir, "top.csv", "id,name,level,parent\nd1,D,district,\n");
        assert_eq!(import_units(&store, &top).unwrap().imported, 1);
        // The street's parent is only in the server's store, not in this file.
        let streets = write(
            &dir,
            "streets.csv",
            "id,name,level,parent\ns1,S,street,d1\n",
        );
        assert_eq!(import_units(&store, &streets).unwrap().imported, 1);
        // A grid under a street skips a level: refused whole, naming file and line.
        let bad = write(
            &dir,
            "bad.csv",
            "id,name,level,parent\nc1,C,community,s1\ng1,G,grid,s1\n",
        );
        let e = import_units(&store, &bad).unwrap_err();
        assert!(
            matches!(
                &e,
                AdminError::Model(ModelError::BadImportRow { line: 3, .. })
            ),
            "{e:?}"
        );
        let message = e.to_string();
        assert!(message.contains("bad.csv") && message.contains("expected a community"));
        let mut ids: Vec<String> = store.units().unwrap().into_iter().map(|u| u.id).collect();
        ids.sort();
        assert_eq!(ids, ["d1", "s1"], "nothing of the bad file was written");
    }

    #[test]
    fn the_devices_table_shows_times_with_their_offset_and_lines_up() {
        let device = |name: &str| DeviceSummary {
            id: format!("dev-{name}"),
            person: "p1".into(),
            person_name: name.into(),
            enrolled_at: "2026-12-07T01:25:00.000Z".into(),
            last_seen_at: None,
            expires_at: "2027-03-07T01:25:00.000Z".into(),
            expired: false,
            revoked: false,
            revoked_at: None,
        };
        let list = DeviceList {
            devices: vec![device("王芳"), device("Li Wei")],
        };
        let table = devices_table(&list, Zone::Utc);
        assert!(table.contains("2026-12-07 01:25 +00:00"), "{table}");
        let starts: Vec<usize> = table
            .lines()
            .map(|l| {
                let at = l.find("2026-12-07").or_else(|| l.find("ENROLLED")).unwrap();
                unicode_width::UnicodeWidthStr::width(&l[..at])
            })
            .collect();
        assert!(starts.windows(2).all(|w| w[0] == w[1]), "{table}");
    }

    #[test]
    fn a_missing_file_is_named_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let missing = dir.path().join("nowhere.csv");
        for result in [
            import_units(&store, &missing).map(|_| ()),
            import_sites(&store, &missing).map(|_| ()),
        ] {
            let e = result.unwrap_err();
            assert!(matches!(e, AdminError::File { .. }), "{e:?}");
            assert!(e.to_string().contains("nowhere.csv"), "{e}");
        }
        assert!(store.units().unwrap().is_empty());
        assert!(store.sites().unwrap().is_empty());
    }

    #[test]
    fn sites_need_known_units_and_valid_rows() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let units = write(
            &dir,
            "units.csv",
            "id,name,level,parent\nd1,D,district,\ns1,S,street,d1\nc1,C,community,s1\ng1,G,grid,c1\n",
        );
        import_units(&store, &units).unwrap();
        let header = "id,name,kind,unit,address,lat,lon\n";
        let stray = write(
            &dir,
            "stray.csv",
            &format!("{header}a,A,market,g1,,,\nb,B,market,g9,,,\n"),
        );
        let e = import_sites(&store, &stray).unwrap_err();
        assert!(e.to_string().contains("unknown unit `g9`"), "{e}");
        let bad_kind = write(&dir, "kind.csv", &format!("{header}a,A,spaceport,g1,,,\n"));
        let e = import_sites(&store, &bad_kind).unwrap_err();
        assert!(
            matches!(
                &e,
                AdminError::Model(ModelError::BadImportRow { line: 2, .. })
            ),
            "{e:?}"
        );
        assert!(store.sites().unwrap().is_empty(), "nothing was written");
        let good = write(
            &dir,
            "good.csv",
            &format!("{header}a,A,market,g1,1 Road,30.1,104.2\n"),
        );
        assert_eq!(import_sites(&store, &good).unwrap().imported, 1);
        assert_eq!(store.site("a").unwrap().unwrap().lat, Some(30.1));
    }

    #[test]
    fn a_person_a_device_would_refuse_as_its_profile_is_refused_here() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let units = write(&dir, "units.csv", "id,name,level,parent\nd1,D,district,\n");
        import_units(&store, &units).unwrap();
        let department = templates()[0].departments[0].code.clone();
        let e = add_person(&store, "Li Na", "grid-worker", "d1", Some(&department)).unwrap_err();
        assert!(e.to_string().contains("only a department officer"), "{e}");
        let e = add_person(&store, "Li Na", "mayor", "d1", None).unwrap_err();
        assert!(
            matches!(&e, AdminError::Model(ModelError::Invalid(_))),
            "{e:?}"
        );
        assert!(e.to_string().contains("unknown role `mayor`"), "{e}");
        assert!(store.people().unwrap().is_empty(), "nobody was added");
        let added = add_person(
            &store,
            "Wang Fang",
            "department-officer",
            "d1",
            Some(&department),
        )
        .unwrap();
        assert_eq!(
            added.person.department.as_deref(),
            Some(department.as_str())
        );
        assert_eq!(store.people().unwrap(), [added.person]);
    }

    #[test]
    fn people_and_devices_are_named_by_an_unambiguous_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let units = write(&dir, "units.csv", "id,name,level,parent\nd1,D,district,\n");
        import_units(&store, &units).unwrap();
        let li = add_person(&store, "Li Na", "admin", "d1", None)
            .unwrap()
            .person;
        let zhao = add_person(&store, "Zhao Lei", "admin", "d1", None)
            .unwrap()
            .person;
        let now = Utc::now();
        // UUIDv7 ids made together share their start: ambiguous, both listed.
        let common: String = li
            .id
            .chars()
            .zip(zhao.id.chars())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a)
            .collect();
        let e = set_person_disabled(&store, &common, true, now).unwrap_err();
        assert!(matches!(&e, AdminError::Ambiguous { candidates, .. } if candidates.len() == 2));
        let message = e.to_string();
        assert!(
            message.contains("2 people")
                && message.contains("Li Na")
                && message.contains("Zhao Lei"),
            "{message}"
        );
        let e = set_person_disabled(&store, "zzz", true, now).unwrap_err();
        assert!(
            matches!(&e, AdminError::NotFound { what: "person", .. }),
            "{e:?}"
        );
        let e = set_person_disabled(&store, "  ", true, now).unwrap_err();
        assert!(matches!(&e, AdminError::Invalid(_)), "{e:?}");
        let e = revoke_device(&store, "0", now).unwrap_err();
        assert!(e.to_string().contains("devices list"), "{e}");
        assert!(
            store
                .person_summaries(now)
                .unwrap()
                .iter()
                .all(|p| !p.disabled)
        );

        // One more character than they share picks one, upper case or not.
        let prefix = li.id[..common.len() + 1].to_ascii_uppercase();
        let change = set_person_disabled(&store, &prefix, true, now).unwrap();
        assert_eq!(change.person.person.id, li.id);
        assert!(change.changed && change.person.disabled);
    }
}
