//! What the camera wrote in the EXIF block that the record needs: orientation (applied
//! to the pixels, then dropped), capture time, GPS position and camera make/model
//! (returned as fields for the record). Nothing read here is kept in the stored file.
//!
//! EXIF is untrusted input like the pixels: a missing, damaged or nonsensical block
//! yields "unknown" fields, never an error, because the photo itself is still evidence.

use exif::{In, Reader, Tag, Value};

/// How the stored pixels must be transformed to show the scene upright (EXIF tag 0x0112).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Orientation {
    /// 1: already upright.
    #[default]
    Normal,
    /// 2: mirrored left-right.
    FlipHorizontal,
    /// 3: upside down.
    Rotate180,
    /// 4: mirrored top-bottom.
    FlipVertical,
    /// 5: mirrored along the top-left/bottom-right diagonal.
    Transpose,
    /// 6: needs a quarter turn clockwise (phone held upright, the most common case).
    Rotate90,
    /// 7: mirrored along the top-right/bottom-left diagonal.
    Transverse,
    /// 8: needs a quarter turn anticlockwise.
    Rotate270,
}

impl Orientation {
    /// From the EXIF value 1–8; anything else is treated as upright, as viewers do.
    pub fn from_exif(value: u32) -> Orientation {
        match value {
            2 => Orientation::FlipHorizontal,
            3 => Orientation::Rotate180,
            4 => Orientation::FlipVertical,
            5 => Orientation::Transpose,
            6 => Orientation::Rotate90,
            7 => Orientation::Transverse,
            8 => Orientation::Rotate270,
            _ => Orientation::Normal,
        }
    }

    /// Whether applying it swaps width and height.
    pub fn swaps_axes(self) -> bool {
        matches!(
            self,
            Orientation::Transpose
                | Orientation::Rotate90
                | Orientation::Transverse
                | Orientation::Rotate270
        )
    }
}

/// The fields read from a camera file's EXIF block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CameraMeta {
    /// How to turn the pixels upright.
    pub orientation: Orientation,
    /// Capture time as the camera recorded it: `YYYY-MM-DDTHH:MM:SS`, with the UTC offset
    /// (`+02:00`) appended when the camera wrote one. Camera clocks lie; the record keeps
    /// its own device and logical times beside this.
    pub taken_at: Option<String>,
    /// Latitude in decimal degrees, north positive.
    pub lat: Option<f64>,
    /// Longitude in decimal degrees, east positive.
    pub lon: Option<f64>,
    /// Camera make and model, e.g. "Xiaomi Redmi Note 9".
    pub camera: Option<String>,
}

/// Reads the fields from a raw EXIF block (the TIFF structure, after `Exif\0\0`).
pub fn read(raw: &[u8]) -> CameraMeta {
    let Ok(exif) = Reader::new().read_raw(raw.to_vec()) else {
        return CameraMeta::default();
    };
    let orientation = exif
        .get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .map(Orientation::from_exif)
        .unwrap_or_default();
    let (lat, lon) = match (
        coordinate(&exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S', 90.0),
        coordinate(&exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W', 180.0),
    ) {
        // One without the other is no position.
        (Some(lat), Some(lon)) => (Some(lat), Some(lon)),
        _ => (None, None),
    };
    CameraMeta {
        orientation,
        taken_at: taken_at(&exif),
        lat,
        lon,
        camera: camera(&exif),
    }
}

fn ascii(exif: &exif::Exif, tag: Tag) -> Option<String> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(parts) => {
            let first = parts.first()?;
            let text = String::from_utf8_lossy(first);
            let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
            (!text.is_empty()).then(|| text.to_string())
        }
        _ => None,
    }
}

fn taken_at(exif: &exif::Exif) -> Option<String> {
    let field = exif
        .get_field(Tag::DateTimeOriginal, In::PRIMARY)
        .or_else(|| exif.get_field(Tag::DateTime, In::PRIMARY))?;
    let Value::Ascii(parts) = &field.value else {
        return None;
    };
    let dt = exif::DateTime::from_ascii(parts.first()?).ok()?;
    // from_ascii does not range-check; a record must not carry month 13.
    let valid = (1..=12).contains(&dt.month)
        && (1..=31).contains(&dt.day)
        && dt.hour < 24
        && dt.minute < 60
        && dt.second < 61;
    if !valid {
        return None;
    }
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second
    );
    if let Some(offset) = ascii(exif, Tag::OffsetTimeOriginal).filter(|o| valid_offset(o)) {
        out.push_str(&offset);
    }
    Some(out)
}

/// `+HH:MM` or `-HH:MM`, as EXIF 2.31 writes offsets.
fn valid_offset(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 6
        && (b[0] == b'+' || b[0] == b'-')
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b[3] == b':'
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit()
}

fn coordinate(exif: &exif::Exif, tag: Tag, ref_tag: Tag, negative: u8, max: f64) -> Option<f64> {
    let Value::Rational(parts) = &exif.get_field(tag, In::PRIMARY)?.value else {
        return None;
    };
    if parts.len() < 3 || parts.iter().take(3).any(|r| r.denom == 0) {
        return None;
    }
    let degrees = parts[0].to_f64() + parts[1].to_f64() / 60.0 + parts[2].to_f64() / 3600.0;
    let sign = match ascii(exif, ref_tag)?.as_bytes().first() {
        Some(&c) if c == negative => -1.0,
        Some(_) => 1.0,
        None => return None,
    };
    let value = sign * degrees;
    (value.is_finite() && value.abs() <= max).then_some(value)
}

fn camera(exif: &exif::Exif) -> Option<String> {
    let make = ascii(exif, Tag::Make);
    let model = ascii(exif, Tag::Model);
    match (make, model) {
        // Many cameras repeat the make in the model ("Canon" + "Canon EOS R6").
        (Some(make), Some(model)) if model.to_lowercase().starts_with(&make.to_lowercase()) => {
            Some(model)
        }
        (Some(make), Some(model)) => Some(format!("{make} {model}")),
        (make, model) => make.or(model),
    }
}
