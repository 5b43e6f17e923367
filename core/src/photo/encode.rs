//! Re-encoding as baseline JPEG. The encoder is given pixels and (optionally) an ICC
//! profile and nothing else, so the stored file carries no EXIF, GPS, XMP, maker notes
//! or embedded camera thumbnail: there is nothing to strip because nothing is copied.

use jpeg_encoder::{ColorType, Encoder};

use super::error::PhotoError;
use super::orient::Rgb;

/// Encodes `image` as a JPEG at `quality` (1–100), embedding `icc` when given.
pub fn jpeg(image: &Rgb, quality: u8, icc: Option<&[u8]>) -> Result<Vec<u8>, PhotoError> {
    let failed = |e: jpeg_encoder::EncodingError| PhotoError::Encode(e.to_string());
    let (Ok(width), Ok(height)) = (u16::try_from(image.width), u16::try_from(image.height)) else {
        return Err(PhotoError::Encode(format!(
            "{}x{} is too large for JPEG",
            image.width, image.height
        )));
    };
    // A typical q80 evidence photo is a tenth of its raw size; start there to avoid
    // regrowing the buffer.
    let mut out = Vec::with_capacity(image.pixels.len() / 8);
    let mut encoder = Encoder::new(&mut out, quality.clamp(1, 100));
    if let Some(icc) = icc.filter(|p| !p.is_empty()) {
        // An unusable (oversized) profile is dropped rather than failing the evidence.
        let _ = encoder.add_icc_profile(icc);
    }
    encoder
        .encode(&image.pixels, width, height, ColorType::Rgb)
        .map_err(failed)?;
    Ok(out)
}
