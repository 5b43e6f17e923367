//! The organisation tree (district → street/town → community/village → grid) and the
//! sites that get inspected, with the checks every import passes, on a device or on the
//! server: all or nothing, naming the file, the line and the reason.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::checklist::SITE_KINDS;
use crate::error::{ModelError, Result};

/// The levels of the organisation tree, from the top.
pub const UNIT_LEVELS: [&str; 4] = ["district", "street", "community", "grid"];

/// A node of the organisation tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OrgUnit {
    /// Unit id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// One of [`UNIT_LEVELS`].
    pub level: String,
    /// The parent unit; `None` only for a district.
    pub parent: Option<String>,
}

/// A place that gets inspected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Site {
    /// Site id (also what its QR code holds).
    pub id: String,
    /// Display name.
    pub name: String,
    /// One of [`SITE_KINDS`]; decides which checklist items apply.
    pub kind: String,
    /// The org unit (normally a grid) the site belongs to.
    pub unit: String,
    /// Street address.
    pub address: String,
    /// Latitude in degrees, when known.
    pub lat: Option<f64>,
    /// Longitude in degrees, when known.
    pub lon: Option<f64>,
}

/// The org-unit tree, for "is this unit inside that area" questions: who may see or
/// write what is decided by where a unit lies in it.
#[derive(Debug, Clone, Default)]
pub struct UnitTree {
    parents: HashMap<String, Option<String>>,
}

impl UnitTree {
    /// Builds the tree from a list of units (parents need not come first).
    pub fn new(units: &[OrgUnit]) -> UnitTree {
        UnitTree {
            parents: units
                .iter()
                .map(|u| (u.id.clone(), u.parent.clone()))
                .collect(),
        }
    }

    /// Whether `unit` is `area` or lies under it. Unknown units are inside nothing.
    pub fn is_within(&self, unit: &str, area: &str) -> bool {
        let mut current = Some(unit.to_string());
        // Bounded walk: a (corrupt) cycle in the tree must not hang a request.
        for _ in 0..=self.parents.len() {
            match current {
                None => return false,
                Some(u) if u == area => return self.parents.contains_key(area),
                Some(u) => current = self.parents.get(&u).cloned().flatten(),
            }
        }
        false
    }

    /// Every unit within `area` (`area` itself and the units under it), in no order;
    /// empty for an unknown area.
    pub fn area(&self, area: &str) -> Vec<String> {
        if !self.parents.contains_key(area) {
            return Vec::new();
        }
        let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
        for (unit, parent) in &self.parents {
            if let Some(parent) = parent {
                children.entry(parent).or_default().push(unit);
            }
        }
        // Breadth first, each unit once: a (corrupt) cycle must not hang a request.
        let mut seen = HashSet::from([area]);
        let mut found = vec![area];
        let mut next = 0;
        while let Some(unit) = found.get(next).copied() {
            next += 1;
            for child in children.get(unit).into_iter().flatten() {
                if seen.insert(child) {
                    found.push(child);
                }
            }
        }
        found.into_iter().map(str::to_owned).collect()
    }

    /// How many units the tree holds.
    pub fn len(&self) -> usize {
        self.parents.len()
    }

    /// Whether the tree holds no unit.
    pub fn is_empty(&self) -> bool {
        self.parents.is_empty()
    }

    /// Whether `unit` is one of the units above `of` (its ancestors).
    pub fn is_above(&self, unit: &str, of: &str) -> bool {
        unit != of && self.is_within(of, unit)
    }
}

#[derive(Debug, Deserialize)]
struct SiteRow {
    id: String,
    name: String,
    kind: String,
    unit: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
}

#[derive(Debug, Deserialize)]
struct UnitRow {
    id: String,
    name: String,
    level: String,
    #[serde(default)]
    parent: String,
}

/// Reads org units from CSV (`id,name,level,parent`) and checks them as a tree together
/// with the units already `known`: parents may come later in the same file or be known
/// already, and a parent must be exactly one level up. `file` names the input in errors.
/// Returns the file's units, trimmed; any bad row refuses the whole file.
pub fn units_from_csv(file: &str, input: impl Read, known: &[OrgUnit]) -> Result<Vec<OrgUnit>> {
    let mut bad = BadRows::new(file);
    let rows: Vec<(u64, UnitRow)> = read_csv(file, input, &mut bad)?;
    let mut levels: HashMap<&str, &str> = known
        .iter()
        .map(|u| (u.id.as_str(), u.level.as_str()))
        .collect();
    for (_, row) in &rows {
        levels.insert(row.id.trim(), row.level.trim());
    }
    let mut units = Vec::with_capacity(rows.len());
    for (line, row) in &rows {
        let unit = OrgUnit {
            id: row.id.trim().to_string(),
            name: row.name.trim().to_string(),
            level: row.level.trim().to_string(),
            parent: Some(row.parent.trim().to_string()).filter(|p| !p.is_empty()),
        };
        let placed = unit_depth(&unit).and_then(|depth| match (&unit.parent, depth) {
            (None, 0) => Ok(()),
            (Some(_), 0) => Err("a district has no parent".into()),
            (None, _) => Err(format!("a {} needs a parent", unit.level)),
            (Some(parent), _) => match levels.get(parent.as_str()) {
                None => Err(format!("unknown parent `{parent}`")),
                Some(pl) if *pl != UNIT_LEVELS[depth - 1] => Err(format!(
                    "parent `{parent}` is a {pl}, expected a {}",
                    UNIT_LEVELS[depth - 1]
                )),
                Some(_) => Ok(()),
            },
        });
        match placed {
            Ok(()) => units.push(unit),
            Err(reason) => bad.add(*line, reason),
        }
    }
    bad.into_result()?;
    Ok(units)
}

/// Reads sites from CSV (`id,name,kind,unit,address,lat,lon`), each checked with
/// [`validate_site`]. `file` names the input in errors; any bad row refuses the file.
pub fn sites_from_csv(file: &str, input: impl Read) -> Result<Vec<Site>> {
    let mut bad = BadRows::new(file);
    let rows: Vec<(u64, SiteRow)> = read_csv(file, input, &mut bad)?;
    let mut sites = Vec::with_capacity(rows.len());
    for (line, row) in rows {
        match site_from_row(row) {
            Ok(site) => sites.push(site),
            Err(reason) => bad.add(line, reason),
        }
    }
    bad.into_result()?;
    Ok(sites)
}

/// The bad rows of one import file, gathered so that one attempt shows all of them.
struct BadRows {
    file: String,
    rows: Vec<(u64, String)>,
}

impl BadRows {
    fn new(file: &str) -> BadRows {
        BadRows {
            file: file.to_string(),
            rows: Vec::new(),
        }
    }

    fn add(&mut self, line: u64, reason: String) {
        self.rows.push((line, reason));
    }

    /// [`ModelError::BadImportRow`] for the first bad row, its reason followed by every
    /// other bad row's line and reason; `Ok` when there was none.
    fn into_result(self) -> Result<()> {
        let mut rows = self.rows.into_iter();
        let Some((line, reason)) = rows.next() else {
            return Ok(());
        };
        let more: Vec<String> = rows.map(|(l, r)| format!("line {l}: {r}")).collect();
        let reason = if more.is_empty() {
            reason
        } else {
            format!(
                "{reason}; {} more bad row(s): {}",
                more.len(),
                more.join("; ")
            )
        };
        Err(ModelError::BadImportRow {
            file: self.file,
            line,
            reason,
        })
    }
}

/// Checks what every unit must have: an id, a name and a known level. (Where it sits in
/// the tree is checked against the whole tree by [`units_from_csv`].)
pub fn validate_unit(unit: &OrgUnit) -> Result<()> {
    unit_depth(unit).map(|_| ()).map_err(ModelError::Invalid)
}

/// A unit's depth in the tree (0 for a district), or why the unit is not valid.
fn unit_depth(unit: &OrgUnit) -> Result<usize, String> {
    if unit.id.trim().is_empty() || unit.name.trim().is_empty() {
        return Err(format!("unit `{}`: id and name are required", unit.id));
    }
    UNIT_LEVELS
        .iter()
        .position(|l| *l == unit.level)
        .ok_or_else(|| format!("unit `{}`: unknown level `{}`", unit.id, unit.level))
}

/// Checks what every site must have: an id, a name, a known kind and a unit.
pub fn validate_site(site: &Site) -> Result<()> {
    check_site(site).map_err(ModelError::Invalid)
}

/// Reads every record of CSV input with a header row, each with its 1-based line number;
/// rows that do not parse go to `bad` (the others are still read, so every bad row is
/// reported). A header that is one column holding `;`, tab or `|` is a file separated by
/// the wrong character, and is named as such.
fn read_csv<T: serde::de::DeserializeOwned>(
    file: &str,
    input: impl Read,
    bad: &mut BadRows,
) -> Result<Vec<(u64, T)>> {
    let header_error = |reason: String| ModelError::BadImportRow {
        file: file.to_string(),
        line: 1,
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| header_error(e.to_string()))?
        .clone();
    if let [only] = headers.iter().collect::<Vec<_>>().as_slice()
        && let Some(sep) = [';', '\t', '|'].into_iter().find(|c| only.contains(*c))
    {
        let name = if sep == '\t' {
            "tabs".to_string()
        } else {
            format!("`{sep}`")
        };
        return Err(header_error(format!(
            "the columns are separated by {name}; this import reads comma-separated \
             values (save the file as CSV with commas)"
        )));
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                bad.add(e.position().map(|p| p.line()).unwrap_or(0), e.to_string());
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        match record.deserialize(Some(&headers)) {
            Ok(row) => out.push((line, row)),
            Err(e) => {
                let reason = match e.kind() {
                    csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
                    _ => e.to_string(),
                };
                bad.add(line, reason);
            }
        }
    }
    Ok(out)
}

fn parse_coordinate(text: &str, name: &str, limit: f64) -> Result<Option<f64>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{name} `{text}` is not a number"))?;
    if !value.is_finite() || value.abs() > limit {
        return Err(format!("{name} {value} is out of range ±{limit}"));
    }
    Ok(Some(value))
}

fn site_from_row(row: SiteRow) -> Result<Site, String> {
    let site = Site {
        lat: parse_coordinate(row.lat.trim(), "lat", 90.0)?,
        lon: parse_coordinate(row.lon.trim(), "lon", 180.0)?,
        id: row.id,
        name: row.name,
        kind: row.kind,
        unit: row.unit,
        address: row.address,
    };
    check_site(&site)?;
    Ok(site)
}

fn check_site(site: &Site) -> Result<(), String> {
    if site.id.trim().is_empty() {
        return Err("site id is empty".into());
    }
    if site.name.trim().is_empty() {
        return Err(format!("site {} has no name", site.id));
    }
    if !SITE_KINDS.contains(&site.kind.as_str()) {
        return Err(format!(
            "site {} has unknown kind `{}` (expected one of {})",
            site.id,
            site.kind,
            SITE_KINDS.join(", ")
        ));
    }
    if site.unit.trim().is_empty() {
        return Err(format!("site {} has no unit", site.id));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn district() -> OrgUnit {
        OrgUnit {
            id: "d1".into(),
            name: "D".into(),
            level: "district".into(),
            parent: None,
        }
    }

    #[test]
    fn units_check_parents_against_the_file_and_the_known_tree() {
        let csv = "id,name,level,parent\ng1,G,grid,c1\nc1,C,community,s1\ns1,S,street,d1\n";
        let units = units_from_csv("u.csv", csv.as_bytes(), &[district()]).unwrap();
        assert_eq!(units.len(), 3);
        let e = units_from_csv("u.csv", csv.as_bytes(), &[]).unwrap_err();
        assert_eq!(
            e,
            ModelError::BadImportRow {
                file: "u.csv".into(),
                line: 4,
                reason: "unknown parent `d1`".into()
            }
        );
        let skip = "id,name,level,parent\ng1,G,grid,d1\n";
        let e = units_from_csv("u.csv", skip.as_bytes(), &[district()]).unwrap_err();
        assert!(e.to_string().contains("expected a community"), "{e}");
    }

    #[test]
    fn a_bad_site_row_names_its_line() {
        let csv =
            "id,name,kind,unit,address,lat,lon\nA,a,market,g1,,30.1,104\nB,b,spaceport,g1,,,\n";
        let e = sites_from_csv("s.csv", csv.as_bytes()).unwrap_err();
        match e {
            ModelError::BadImportRow { line, reason, .. } => {
                assert_eq!(line, 3);
                assert!(reason.contains("spaceport"));
            }
            other => panic!("{other:?}"),
        }
        let csv = "id,name,kind,unit,address,lat,lon\nA,a,market,g1,,91,104\n";
        assert!(sites_from_csv("s.csv", csv.as_bytes()).is_err());
    }

    #[test]
    fn every_bad_row_is_reported_not_only_the_first() {
        let csv = "id,name,kind,unit,address,lat,lon\nA,a,market,g1,,,\nB,b,spaceport,g1,,,\n\
                   C,c,market,g1,,95,104\nD,d,castle,g1,,,\n";
        let e = sites_from_csv("s.csv", csv.as_bytes()).unwrap_err();
        let ModelError::BadImportRow { line, reason, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(*line, 3);
        assert!(
            reason.contains("spaceport")
                && reason.contains("2 more bad row(s)")
                && reason.contains("line 4:")
                && reason.contains("line 5:")
                && reason.contains("castle"),
            "{reason}"
        );
        let units = "id,name,level,parent\ng1,G,grid,c9\nc1,C,community,d1\nx,X,planet,\n";
        let e = units_from_csv("u.csv", units.as_bytes(), &[]).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("line 2: unknown parent `c9`")
                && text.contains("line 3: unknown parent `d1`")
                && text.contains("line 4:"),
            "{text}"
        );
    }

    #[test]
    fn a_file_separated_by_the_wrong_character_is_named_as_such() {
        for (text, name) in [
            ("id;name;level;parent\nd1;D;district;\n", "`;`"),
            ("id\tname\tlevel\tparent\nd1\tD\tdistrict\t\n", "tabs"),
        ] {
            let e = units_from_csv("u.csv", text.as_bytes(), &[]).unwrap_err();
            let message = e.to_string();
            assert!(
                message.contains(&format!("separated by {name}")) && message.contains("line 1"),
                "{message}"
            );
        }
    }

    #[test]
    fn an_area_is_its_unit_and_every_unit_under_it_and_agrees_with_is_within() {
        let unit = |id: &str, parent: Option<&str>| OrgUnit {
            id: id.into(),
            name: id.into(),
            level: "grid".into(),
            parent: parent.map(str::to_owned),
        };
        let units = [
            unit("d", None),
            unit("s1", Some("d")),
            unit("s2", Some("d")),
            unit("c1", Some("s1")),
            unit("g1", Some("c1")),
            unit("g2", Some("c1")),
            unit("g3", Some("s2")),
            // A corrupt cycle, which must not hang the walk.
            unit("x", Some("y")),
            unit("y", Some("x")),
        ];
        let tree = UnitTree::new(&units);
        for area in ["d", "s1", "c1", "g3", "x", "nowhere"] {
            let mut found = tree.area(area);
            found.sort();
            let mut expected: Vec<String> = units
                .iter()
                .filter(|u| tree.is_within(&u.id, area))
                .map(|u| u.id.clone())
                .collect();
            expected.sort();
            assert_eq!(found, expected, "area {area}");
        }
        assert_eq!(tree.area("s1").len(), 4);
        assert!(tree.area("nowhere").is_empty());
        assert_eq!(tree.len(), units.len());
    }
}
