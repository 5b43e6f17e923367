//! Charts as SVG drawn by the server: no script, no library, readable without styles,
//! scaled by the browser to any width (`viewBox`, `width="100%"`).

use std::fmt::Write;

/// One series of a bar chart: its name, colour and a value per label.
#[derive(Debug, Clone)]
pub struct Series {
    /// Shown in the legend.
    pub name: String,
    /// A CSS colour.
    pub colour: &'static str,
    /// One value per label, in label order.
    pub values: Vec<u32>,
}

/// Escapes text for SVG (XML) content and attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const ROW: u32 = 22;
const LABEL_WIDTH: u32 = 150;
const BAR_AREA: u32 = 300;
const LEGEND: u32 = 24;

/// A horizontal grouped bar chart: one group of bars per label, one bar per series,
/// each with its value written after it. `title` is the accessible name.
pub fn bars(title: &str, labels: &[String], series: &[Series]) -> String {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let per_label = ROW * u32::try_from(series.len()).unwrap_or(1).max(1) + 6;
    let height = LEGEND + per_label * u32::try_from(labels.len()).unwrap_or(0);
    let width = LABEL_WIDTH + BAR_AREA + 50;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="100%" font-size="12" font-family="sans-serif"><title>{}</title>"#,
        escape(title)
    );
    for (i, s) in series.iter().enumerate() {
        let x = u32::try_from(i).unwrap_or(0) * 140;
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="4" width="12" height="12" fill="{}"/><text x="{}" y="14">{}</text>"#,
            s.colour,
            x + 16,
            escape(&s.name)
        );
    }
    for (row, label) in labels.iter().enumerate() {
        let top = LEGEND + per_label * u32::try_from(row).unwrap_or(0);
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            LABEL_WIDTH - 6,
            top + ROW - 6,
            escape(label)
        );
        for (i, s) in series.iter().enumerate() {
            let value = s.values.get(row).copied().unwrap_or(0);
            let y = top + ROW * u32::try_from(i).unwrap_or(0);
            let w = value * BAR_AREA / max;
            let _ = write!(
                svg,
                r#"<rect x="{LABEL_WIDTH}" y="{}" width="{w}" height="{}" fill="{}"><title>{}: {value}</title></rect><text x="{}" y="{}">{value}</text>"#,
                y + 2,
                ROW - 6,
                s.colour,
                escape(&s.name),
                LABEL_WIDTH + w + 4,
                y + ROW - 8,
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value_and_escape_names() {
        let svg = bars(
            "t<",
            &["a&b".to_string(), "c".to_string()],
            &[Series {
                name: "found".into(),
                colour: "#c33",
                values: vec![4, 2],
            }],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("a&amp;b") && svg.contains("<title>t&lt;</title>"));
        assert!(svg.contains(&format!(r#"width="{BAR_AREA}""#)), "{svg}");
        assert!(
            svg.contains(&format!(r#"width="{}""#, BAR_AREA / 2)),
            "{svg}"
        );
    }
}
