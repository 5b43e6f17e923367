//! printf-style placeholders as Android's `String.format` and Apple's
//! `String(format:)` read them: `%1$s`, `%d`, `%1$@`, `%lld`, `%%`.

/// What kind of value a placeholder takes; `%s` and `%@` both take text.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Kind {
    Text,
    Integer,
    Decimal,
}

/// One placeholder: the argument it takes (1-based) and its kind.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Placeholder {
    pub index: usize,
    pub kind: Kind,
    /// Written with an explicit position (`%2$s`).
    pub positional: bool,
}

/// The placeholders of `text`, sorted by argument; an error for one it cannot read.
pub fn placeholders(text: &str) -> Result<Vec<Placeholder>, String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut next = 1;
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'%' {
            at += 1;
            continue;
        }
        let start = at;
        at += 1;
        if bytes.get(at) == Some(&b'%') {
            at += 1;
            continue;
        }
        let digits = bytes[at..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let positional = digits > 0 && bytes.get(at + digits) == Some(&b'$');
        let index = if positional {
            let n = text[at..at + digits]
                .parse::<usize>()
                .map_err(|e| e.to_string())?;
            at += digits + 1;
            n
        } else {
            next
        };
        next = index + 1;
        at += bytes[at..]
            .iter()
            .take_while(|c| b"-#+ 0,(".contains(c))
            .count();
        at += bytes[at..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if bytes.get(at) == Some(&b'.') {
            at += 1 + bytes[at + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
        }
        at += bytes[at..]
            .iter()
            .take_while(|c| b"hlqLjzt".contains(c))
            .count();
        let kind = match bytes.get(at) {
            Some(b's' | b'S' | b'@') => Kind::Text,
            Some(b'd' | b'i' | b'u' | b'x' | b'X' | b'o') => Kind::Integer,
            Some(b'f' | b'e' | b'g') => Kind::Decimal,
            _ => {
                return Err(format!(
                    "cannot read the placeholder at `{}`",
                    &text[start..]
                ));
            }
        };
        at += 1;
        found.push(Placeholder {
            index,
            kind,
            positional,
        });
    }
    found.sort();
    Ok(found)
}

/// What is wrong with one string's placeholders on their own: with more than one, each
/// must say its position, since a translation may put them in another order.
pub fn problems(found: &[Placeholder]) -> Option<String> {
    if found.len() > 1 && found.iter().any(|p| !p.positional) {
        return Some("has several placeholders, not all positional (%1$s, %2$s…)".into());
    }
    let indices: Vec<usize> = found.iter().map(|p| p.index).collect();
    let expected: Vec<usize> = (1..=found.len()).collect();
    if indices != expected {
        return Some(format!(
            "placeholders {indices:?} are not %1$ to %{}$ once each",
            found.len()
        ));
    }
    None
}

/// The signature two languages' versions of a string must share.
pub fn signature(found: &[Placeholder]) -> Vec<(usize, Kind)> {
    found.iter().map(|p| (p.index, p.kind)).collect()
}
