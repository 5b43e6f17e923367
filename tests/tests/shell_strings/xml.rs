//! A small, strict XML reader for the shells' resource files (Android `strings.xml`,
//! Apple `.stringsdict` and `Info.plist`): elements, attributes, text, comments and the
//! five named entities plus numeric ones. Anything else (CDATA, processing instructions
//! inside the document, other entities) is an error rather than something skipped, so a
//! file this reader accepts is read completely.

/// An element and what it holds.
#[derive(Debug, Clone)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

/// A child of an element.
#[derive(Debug, Clone)]
pub enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    /// The value of attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The child elements, text between them left out.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The text of an element that holds only text; an error if it holds elements.
    pub fn text(&self) -> Result<String, String> {
        let mut text = String::new();
        for child in &self.children {
            match child {
                Node::Text(t) => text.push_str(t),
                Node::Element(e) => {
                    return Err(format!(
                        "<{}> holds markup <{}>, which this check does not read",
                        self.name, e.name
                    ));
                }
            }
        }
        Ok(text)
    }
}

/// Parses a whole document and returns its root element.
pub fn parse(source: &str) -> Result<Element, String> {
    let mut p = Parser { s: source, at: 0 };
    p.skip_prolog()?;
    let root = p.element()?;
    p.skip_misc()?;
    if p.at != p.s.len() {
        return Err(p.error("content after the root element"));
    }
    Ok(root)
}

struct Parser<'a> {
    s: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        let line = 1 + self.s[..self.at].matches('\n').count();
        format!("line {line}: {what}")
    }

    fn rest(&self) -> &str {
        &self.s[self.at..]
    }

    fn skip_ws(&mut self) {
        let n = self.rest().len() - self.rest().trim_start().len();
        self.at += n;
    }

    fn skip_until(&mut self, end: &str) -> Result<(), String> {
        match self.rest().find(end) {
            Some(p) => {
                self.at += p + end.len();
                Ok(())
            }
            None => Err(self.error(&format!("`{end}` missing"))),
        }
    }

    /// Whitespace and comments.
    fn skip_misc(&mut self) -> Result<(), String> {
        loop {
            self.skip_ws();
            if self.rest().starts_with("<!--") {
                self.skip_until("-->")?;
            } else {
                return Ok(());
            }
        }
    }

    fn skip_prolog(&mut self) -> Result<(), String> {
        self.skip_ws();
        if self.rest().starts_with("<?xml") {
            self.skip_until("?>")?;
        }
        self.skip_misc()?;
        if self.rest().starts_with("<!DOCTYPE") {
            self.skip_until(">")?;
        }
        self.skip_misc()
    }

    fn name(&mut self) -> Result<String, String> {
        let n = self
            .rest()
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, ':' | '_' | '-' | '.')))
            .unwrap_or(0);
        if n == 0 {
            return Err(self.error("a name was expected"));
        }
        let name = self.rest()[..n].to_string();
        self.at += n;
        Ok(name)
    }

    fn element(&mut self) -> Result<Element, String> {
        if !self.rest().starts_with('<') {
            return Err(self.error("an element was expected"));
        }
        self.at += 1;
        let name = self.name()?;
        let mut attrs = Vec::new();
        loop {
            self.skip_ws();
            if self.rest().starts_with("/>") {
                self.at += 2;
                return Ok(Element {
                    name,
                    attrs,
                    children: Vec::new(),
                });
            }
            if self.rest().starts_with('>') {
                self.at += 1;
                break;
            }
            let key = self.name()?;
            self.skip_ws();
            if !self.rest().starts_with('=') {
                return Err(self.error("`=` expected after an attribute name"));
            }
            self.at += 1;
            self.skip_ws();
            let quote = self
                .rest()
                .chars()
                .next()
                .filter(|c| *c == '"' || *c == '\'');
            let Some(quote) = quote else {
                return Err(self.error("a quoted attribute value was expected"));
            };
            self.at += 1;
            let end = self
                .rest()
                .find(quote)
                .ok_or_else(|| self.error("attribute value never closed"))?;
            let value = unescape(&self.rest()[..end]).map_err(|e| self.error(&e))?;
            self.at += end + 1;
            attrs.push((key, value));
        }
        let mut children = Vec::new();
        loop {
            let text_end = self
                .rest()
                .find('<')
                .ok_or_else(|| self.error(&format!("<{name}> never closed")))?;
            if text_end > 0 {
                let text = unescape(&self.rest()[..text_end]).map_err(|e| self.error(&e))?;
                children.push(Node::Text(text));
                self.at += text_end;
            }
            if self.rest().starts_with("<!--") {
                self.skip_until("-->")?;
            } else if self.rest().starts_with("</") {
                self.at += 2;
                let close = self.name()?;
                if close != name {
                    return Err(self.error(&format!("</{close}> closes <{name}>")));
                }
                self.skip_ws();
                if !self.rest().starts_with('>') {
                    return Err(self.error("`>` expected"));
                }
                self.at += 1;
                return Ok(Element {
                    name,
                    attrs,
                    children,
                });
            } else if self.rest().starts_with("<!") || self.rest().starts_with("<?") {
                return Err(
                    self.error("CDATA, declarations and processing instructions are not read here")
                );
            } else {
                children.push(Node::Element(self.element()?));
            }
        }
    }
}

/// Replaces the XML entities of `text`.
fn unescape(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let end = rest.find(';').ok_or("an `&` that starts no entity")?;
        let entity = &rest[1..end];
        let c = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ if entity.starts_with("#x") => u32::from_str_radix(&entity[2..], 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or("bad numeric entity")?,
            _ if entity.starts_with('#') => entity[1..]
                .parse::<u32>()
                .ok()
                .and_then(char::from_u32)
                .ok_or("bad numeric entity")?,
            _ => return Err(format!("unknown entity &{entity};")),
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}
