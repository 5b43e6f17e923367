//! Format detection from a file's first bytes. The extension is never trusted: phones
//! and file managers rename freely, and a PNG screenshot saved as `.jpg` is still a PNG.

/// How many leading bytes [`sniff`] needs to recognise every format it knows.
pub const SNIFF_LEN: usize = 32;

/// What a file's first bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JPEG (JFIF, Exif or bare), decoded by the core.
    Jpeg,
    /// PNG, decoded by the core.
    Png,
    /// An image format the core recognises but does not decode; the name is for messages.
    Unsupported(&'static str),
    /// Not an image format we recognise.
    Unknown,
}

/// Detects the format from the first bytes of a file (at most [`SNIFF_LEN`] are looked at;
/// fewer is fine for short files).
pub fn sniff(head: &[u8]) -> Format {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Format::Jpeg;
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Format::Png;
    }
    if let Some(name) = unsupported(head) {
        return Format::Unsupported(name);
    }
    Format::Unknown
}

/// Recognises the image formats a phone or a user might hand us that we do not decode,
/// so the message can name them instead of saying "not an image".
fn unsupported(head: &[u8]) -> Option<&'static str> {
    // ISO base media files (HEIC, AVIF): a box size, then `ftyp`, then the major brand.
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return match &head[8..12] {
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" => Some("HEIC"),
            b"mif1" | b"msf1" | b"heif" => Some("HEIF"),
            b"avif" | b"avis" => Some("AVIF"),
            b"jxl " => Some("JPEG XL"),
            b"jp2 " => Some("JPEG 2000"),
            // Other ftyp brands are videos (mp4, mov, 3gp), not images.
            _ => None,
        };
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some("WebP");
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Some("GIF");
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Some("TIFF");
    }
    if head.starts_with(&[0xFF, 0x0A]) || head.starts_with(b"\0\0\0\x0CJXL \r\n\x87\n") {
        return Some("JPEG XL");
    }
    if head.starts_with(b"\0\0\0\x0CjP  \r\n\x87\n") {
        return Some("JPEG 2000");
    }
    if head.starts_with(b"8BPS") {
        return Some("PSD");
    }
    // "BM" alone is too weak (text can start with it): also require a known DIB header size.
    if head.len() >= 18 && head.starts_with(b"BM") {
        let dib = u32::from_le_bytes([head[14], head[15], head[16], head[17]]);
        if matches!(dib, 12 | 40 | 52 | 56 | 64 | 108 | 124) {
            return Some("BMP");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_by_content_not_name() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE1, 0, 0]), Format::Jpeg);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Format::Png);
        assert_eq!(
            sniff(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
            Format::Unsupported("HEIC")
        );
        assert_eq!(
            sniff(b"\0\0\0\x1cftypavif\0\0\0\0"),
            Format::Unsupported("AVIF")
        );
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Format::Unsupported("WebP"));
        assert_eq!(sniff(b"GIF89a\x01\0"), Format::Unsupported("GIF"));
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Format::Unsupported("TIFF"));
        assert_eq!(sniff(b"hello, this is text"), Format::Unknown);
        assert_eq!(sniff(b"BMW service notes for the van"), Format::Unknown);
        assert_eq!(sniff(b""), Format::Unknown);
        assert_eq!(sniff(&[0xFF, 0xD8]), Format::Unknown);
    }
}
