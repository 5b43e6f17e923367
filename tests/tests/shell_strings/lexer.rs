//! Just enough of a Kotlin and Swift lexer to tell code from comments and string
//! literals. The result is the source with every comment and every literal's text
//! blanked out (same byte length, newlines kept), so calls can be found and split on
//! commas without being fooled by text, plus the literals themselves. Code inside a
//! string template (`${…}` in Kotlin, `\(…)` in Swift) stays code: it is where
//! `stringResource(…)` or `localized(…)` is often called.

/// Which language's string syntax to read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Lang {
    Kotlin,
    Swift,
}

/// One string literal of the source.
#[derive(Debug, Clone)]
pub struct Literal {
    /// Byte offset of the opening quote.
    pub start: usize,
    /// The literal's text with each template expression replaced by [`HOLE`].
    pub text: String,
}

/// Stands for a template expression (`${x}`, `$x`, `\(x)`) inside [`Literal::text`].
pub const HOLE: char = '\u{FFFC}';

/// A source file read by [`lex`].
#[derive(Debug)]
pub struct Lexed {
    /// The source with comments and literal text replaced by spaces; quotes and
    /// template code kept.
    pub code: Vec<u8>,
    /// Every string literal, in order of their opening quotes.
    pub literals: Vec<Literal>,
}

impl Lexed {
    /// The 1-based line of byte offset `at`.
    pub fn line(&self, at: usize) -> usize {
        1 + self.code[..at.min(self.code.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    }
}

/// Reads `source`; an unterminated literal or comment is an error naming its line.
pub fn lex(source: &str, lang: Lang) -> Result<Lexed, String> {
    let mut lexer = Lexer {
        src: source.as_bytes(),
        code: source.as_bytes().to_vec(),
        literals: Vec::new(),
        lang,
    };
    let end = lexer.code_until(0, None)?;
    debug_assert_eq!(end, source.len());
    lexer.literals.sort_by_key(|l| l.start);
    Ok(Lexed {
        code: lexer.code,
        literals: lexer.literals,
    })
}

struct Lexer<'a> {
    src: &'a [u8],
    code: Vec<u8>,
    literals: Vec<Literal>,
    lang: Lang,
}

impl Lexer<'_> {
    fn line(&self, at: usize) -> usize {
        1 + self.src[..at].iter().filter(|&&b| b == b'\n').count()
    }

    fn blank(&mut self, from: usize, to: usize) {
        for b in &mut self.code[from..to] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    }

    /// Reads code from `at` until an unmatched `close` (returning its offset) or the end.
    fn code_until(&mut self, mut at: usize, close: Option<u8>) -> Result<usize, String> {
        let mut depth = 0usize;
        while at < self.src.len() {
            let b = self.src[at];
            let next = self.src.get(at + 1).copied();
            match b {
                b'/' if next == Some(b'/') => {
                    let end = self.src[at..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(self.src.len(), |p| at + p);
                    self.blank(at, end);
                    at = end;
                }
                b'/' if next == Some(b'*') => at = self.block_comment(at)?,
                b'"' => at = self.string(at, 0)?,
                b'#' if self.lang == Lang::Swift && self.raw_string_hashes(at).is_some() => {
                    let hashes = self.raw_string_hashes(at).unwrap_or(0);
                    at = self.string(at + hashes, hashes)?;
                }
                b'\'' if self.lang == Lang::Kotlin => at = self.char_literal(at)?,
                b'`' if self.lang == Lang::Kotlin => {
                    let end = self.src[at + 1..]
                        .iter()
                        .position(|&c| c == b'`' || c == b'\n');
                    at = end.map_or(self.src.len(), |p| at + 2 + p);
                }
                b'(' | b'{' | b'[' => {
                    depth += 1;
                    at += 1;
                }
                b')' | b'}' | b']' => {
                    if depth == 0 && Some(b) == close {
                        return Ok(at);
                    }
                    depth = depth.saturating_sub(1);
                    at += 1;
                }
                _ => at += 1,
            }
        }
        match close {
            None => Ok(at),
            Some(c) => Err(format!(
                "line {}: template expression never closed with `{}`",
                self.line(at),
                c as char
            )),
        }
    }

    /// `#"`, `##"`: the number of `#` before a Swift raw string's quote.
    fn raw_string_hashes(&self, at: usize) -> Option<usize> {
        let hashes = self.src[at..].iter().take_while(|&&c| c == b'#').count();
        (self.src.get(at + hashes) == Some(&b'"')).then_some(hashes)
    }

    fn block_comment(&mut self, start: usize) -> Result<usize, String> {
        // Both languages nest block comments.
        let mut depth = 0usize;
        let mut at = start;
        while at + 1 < self.src.len() {
            match (self.src[at], self.src[at + 1]) {
                (b'/', b'*') => {
                    depth += 1;
                    at += 2;
                }
                (b'*', b'/') => {
                    depth -= 1;
                    at += 2;
                    if depth == 0 {
                        self.blank(start, at);
                        return Ok(at);
                    }
                }
                _ => at += 1,
            }
        }
        Err(format!(
            "line {}: block comment never closed",
            self.line(start)
        ))
    }

    fn char_literal(&mut self, start: usize) -> Result<usize, String> {
        let mut at = start + 1;
        if self.src.get(at) == Some(&b'\\') {
            at += 1;
        }
        // One character (maybe several bytes, or `\uXXXX`), then the closing quote.
        let end = self.src[at + 1..]
            .iter()
            .position(|&c| c == b'\'' || c == b'\n')
            .map(|p| at + 1 + p);
        match end {
            Some(e) if self.src[e] == b'\'' => {
                self.blank(start + 1, e);
                Ok(e + 1)
            }
            _ => Err(format!(
                "line {}: character literal never closed",
                self.line(start)
            )),
        }
    }

    /// Reads a literal whose opening quote is at `start` (after `hashes` `#` of a Swift
    /// raw string); returns the offset after it.
    fn string(&mut self, start: usize, hashes: usize) -> Result<usize, String> {
        let triple = self.src[start..].starts_with(b"\"\"\"");
        let open = if triple { 3 } else { 1 };
        let raw = self.lang == Lang::Kotlin && triple;
        let mut text = String::new();
        let mut at = start + open;
        let mut piece_start = at;
        let hash_run =
            |src: &[u8], at: usize| src[at..].iter().take_while(|&&c| c == b'#').count() >= hashes;
        loop {
            let Some(&b) = self.src.get(at) else {
                return Err(format!(
                    "line {}: string literal never closed",
                    self.line(start)
                ));
            };
            if b == b'\n' && !triple {
                return Err(format!(
                    "line {}: string literal runs past the end of the line",
                    self.line(start)
                ));
            }
            let closes = if triple {
                self.src[at..].starts_with(b"\"\"\"")
            } else {
                b == b'"'
            };
            if closes && hash_run(self.src, at + open) {
                text.push_str(&String::from_utf8_lossy(&self.src[piece_start..at]));
                self.blank(piece_start, at);
                let end = at + open + hashes;
                self.literals.push(Literal { start, text });
                return Ok(end);
            }
            match (self.lang, b) {
                (Lang::Kotlin, b'\\') if !raw => at += 2,
                (Lang::Kotlin, b'$') if self.src.get(at + 1) == Some(&b'{') => {
                    text.push_str(&String::from_utf8_lossy(&self.src[piece_start..at]));
                    self.blank(piece_start, at);
                    text.push(HOLE);
                    let close = self.code_until(at + 2, Some(b'}'))?;
                    at = close + 1;
                    piece_start = at;
                }
                (Lang::Kotlin, b'$')
                    if self
                        .src
                        .get(at + 1)
                        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') =>
                {
                    text.push_str(&String::from_utf8_lossy(&self.src[piece_start..at]));
                    self.blank(piece_start, at);
                    text.push(HOLE);
                    at += 1;
                    while self
                        .src
                        .get(at)
                        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                    {
                        at += 1;
                    }
                    piece_start = at;
                }
                (Lang::Swift, b'\\') => {
                    let interpolation = self.src[at + 1..]
                        .iter()
                        .take_while(|&&c| c == b'#')
                        .count()
                        == hashes
                        && self.src.get(at + 1 + hashes) == Some(&b'(');
                    if interpolation {
                        text.push_str(&String::from_utf8_lossy(&self.src[piece_start..at]));
                        self.blank(piece_start, at);
                        text.push(HOLE);
                        let close = self.code_until(at + 2 + hashes, Some(b')'))?;
                        at = close + 1;
                        piece_start = at;
                    } else {
                        at += if hashes == 0 { 2 } else { 1 };
                    }
                }
                _ => at += 1,
            }
        }
    }
}

/// A call found in lexed code: the offsets of its arguments, split on top-level commas.
#[derive(Debug)]
pub struct Call {
    /// Byte offset of the callee's name.
    pub at: usize,
    /// `(start, end)` of each argument, trimmed of nothing; empty for `f()`.
    pub args: Vec<(usize, usize)>,
}

/// Every call of `name(` in `lexed` (the name standing alone, not the end of a longer
/// identifier, and not a declaration `fun name(` / `func name(`).
pub fn calls(lexed: &Lexed, name: &str) -> Vec<Call> {
    let code = &lexed.code;
    let needle = format!("{name}(");
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(pos) = find(code, needle.as_bytes(), from) {
        from = pos + 1;
        let before = pos.checked_sub(1).map(|i| code[i]);
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_') {
            continue;
        }
        let head = String::from_utf8_lossy(&code[pos.saturating_sub(6)..pos]).to_string();
        if head.ends_with("fun ") || head.ends_with("func ") {
            continue;
        }
        let open = pos + needle.len() - 1;
        if let Some(args) = split_args(code, open) {
            found.push(Call { at: pos, args });
        }
    }
    found
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Splits the arguments of the call whose `(` is at `open`; `None` if it never closes.
fn split_args(code: &[u8], open: usize) -> Option<Vec<(usize, usize)>> {
    let mut depth = 0usize;
    let mut args = Vec::new();
    let mut start = open + 1;
    for (i, &b) in code.iter().enumerate().skip(open + 1) {
        match b {
            b'(' | b'{' | b'[' => depth += 1,
            b')' | b'}' | b']' if depth > 0 => depth -= 1,
            b')' => {
                if !code[start..i].iter().all(u8::is_ascii_whitespace) {
                    args.push((start, i));
                }
                return Some(args);
            }
            b',' if depth == 0 => {
                args.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    None
}

/// Every `prefix` in the code within `within`, with the identifier characters that follow
/// it: `R.string.` → the resource names; `.titleZh` → "" for the field itself.
pub fn references(lexed: &Lexed, prefix: &str, within: (usize, usize)) -> Vec<(usize, String)> {
    let code = &lexed.code[..within.1];
    let mut found = Vec::new();
    let mut from = within.0;
    while let Some(pos) = find(code, prefix.as_bytes(), from) {
        from = pos + 1;
        // `R.string.` must start a name; `.titleZh` follows one.
        let starts_name = prefix.starts_with(|c: char| c.is_ascii_alphabetic());
        if starts_name
            && pos > 0
            && (code[pos - 1].is_ascii_alphanumeric() || code[pos - 1] == b'_')
        {
            continue;
        }
        let name: String = code[pos + prefix.len()..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .map(|&c| c as char)
            .collect();
        found.push((pos, name));
    }
    found
}
