//! Telling words meant for a person from the other strings code holds (routes, keys,
//! file names, separators). A literal reads as prose when it has Chinese text, or two
//! words side by side, or a word beside a template expression ("level ${x}",
//! "Continue (${n})"), or is one capitalised word ("Cancel", "Enrolling…"). Identifiers
//! (`gridwalk-sync-periodic`, `org.gridwalk.network`, `atMs`), routes (`case/$id`),
//! file names and punctuation (` · `, `$a: $b`) do not. One blind spot is known: a lone
//! all-capitals word such as "OK" is not recognised.

use crate::lexer::HOLE;

/// Whether `text` (a literal's text, templates as [`HOLE`]) reads as prose.
pub fn is_prose(text: &str) -> bool {
    if text.chars().any(is_cjk) {
        return true;
    }
    #[derive(PartialEq)]
    enum Item {
        Word,
        Hole,
    }
    let items: Vec<(Item, &str)> = text
        .split_whitespace()
        .filter_map(|token| {
            let has_hole = token.contains(HOLE);
            let letters_outside = token.chars().any(|c| c.is_alphabetic());
            if has_hole {
                // "(${n})" is a value in a sentence; "case/${id}" is a route.
                return (!letters_outside).then_some((Item::Hole, token));
            }
            let core = token.trim_start_matches(|c: char| !c.is_alphanumeric());
            let leading_letters = core.chars().take_while(|c| c.is_alphabetic()).count();
            (leading_letters >= 2).then_some((Item::Word, token))
        })
        .collect();
    if items
        .windows(2)
        .any(|pair| pair[0].0 == Item::Word || pair[1].0 == Item::Word)
    {
        return true;
    }
    // One capitalised word (not camelCase): "Cancel", "Start", "Enrolling…".
    if let [(Item::Word, word)] = items.as_slice() {
        let trimmed = word.trim_end_matches(['…', '.', ':', '!', '?']);
        let mut chars = trimmed.chars();
        return chars.next().is_some_and(|c| c.is_ascii_uppercase())
            && trimmed.len() >= 2
            && chars.all(|c| c.is_ascii_lowercase());
    }
    false
}

/// Han characters and the full-width punctuation Chinese text uses.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}
