//! Ids as people type them: any unambiguous start of an inspection or case id, in
//! upper or lower case (as `gridwalk-server people` takes people's), and short ids that
//! are long enough to be unambiguous in the store that prints them.

use gridwalk_core::hazard::CaseFilter;
use gridwalk_core::inspection::InspectionFilter;
use gridwalk_core::{CoreError, Result, Store};

/// The fewest characters a printed short id has: the first block of a UUID.
const MIN_SHORT: usize = 8;

/// The inspection `prefix` names: its full id.
pub fn inspection(store: &Store, prefix: &str) -> Result<String> {
    let all = store.list_inspections(&InspectionFilter::default())?;
    resolve(
        "inspection",
        "gridwalk inspect list",
        prefix,
        all.iter().map(|i| {
            (
                i.id.as_str(),
                format!("{} {} at {}", i.status, i.kind, i.site_name),
            )
        }),
    )
}

/// The hazard case `prefix` names: its full id.
pub fn case(store: &Store, prefix: &str) -> Result<String> {
    let all = store.list_cases(&CaseFilter::default())?;
    resolve(
        "hazard case",
        "gridwalk hazards list",
        prefix,
        all.iter().map(|c| {
            (
                c.case_id.as_str(),
                format!("{} {}: {}", c.status.as_str(), c.category, c.description),
            )
        }),
    )
}

/// Picks the one id starting with `prefix`; none is not-found, several list the
/// candidates (each with `describe`'s words) so the user can give more of the id.
fn resolve<'a>(
    what: &'static str,
    list: &str,
    prefix: &str,
    ids: impl Iterator<Item = (&'a str, String)>,
) -> Result<String> {
    let wanted = prefix.trim().to_ascii_lowercase();
    if wanted.is_empty() {
        return Err(CoreError::InvalidInput(format!("the {what} id is empty")));
    }
    let found: Vec<(&str, String)> = ids
        .filter(|(id, _)| id.to_ascii_lowercase().starts_with(&wanted))
        .collect();
    match found.as_slice() {
        [(one, _)] => Ok((*one).to_string()),
        [] => Err(CoreError::NotFound {
            kind: what,
            id: format!("{prefix} (no {what} id starts with it; `{list}` shows them)"),
        }),
        many => Err(CoreError::InvalidInput(format!(
            "`{prefix}` matches more than one {what}; give more of the id:\n{}",
            many.iter()
                .map(|(id, words)| format!("  {id}  {words}"))
                .collect::<Vec<_>>()
                .join("\n")
        ))),
    }
}

/// How many characters of each id in `ids` tell it apart from every other one (at
/// least [`MIN_SHORT`], at most the longest id).
pub fn short_len<'a>(ids: impl IntoIterator<Item = &'a str>) -> usize {
    let mut sorted: Vec<&str> = ids.into_iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    let shared = |a: &str, b: &str| a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let longest_shared = sorted
        .windows(2)
        .map(|w| shared(w[0], w[1]))
        .max()
        .unwrap_or(0);
    let longest = sorted.iter().map(|s| s.len()).max().unwrap_or(0);
    (longest_shared + 1)
        .max(MIN_SHORT)
        .min(longest.max(MIN_SHORT))
}

/// The first `len` characters of `id` (all of it when shorter).
pub fn short(id: &str, len: usize) -> &str {
    id.get(..len).unwrap_or(id)
}

/// The length of printed case ids in this store.
pub fn case_short_len(store: &Store) -> Result<usize> {
    let all = store.list_cases(&CaseFilter::default())?;
    Ok(short_len(all.iter().map(|c| c.case_id.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_are_one_character_longer_than_any_shared_start() {
        assert_eq!(short_len(["0190abcd-1111", "0190abcd-2222"]), 10);
        assert_eq!(short_len(["a", "b"]), MIN_SHORT);
        assert_eq!(short_len(Vec::<&str>::new()), MIN_SHORT);
        let ids = ["0190abcd-1111-x", "0190abcd-1112-y", "ffff0000-0000-z"];
        let len = short_len(ids);
        let shorts: Vec<&str> = ids.iter().map(|id| short(id, len)).collect();
        assert!(
            shorts[0] != shorts[1] && shorts[1] != shorts[2],
            "{shorts:?}"
        );
    }
}
