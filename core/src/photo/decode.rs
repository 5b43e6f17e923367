//! Decoding camera files into RGB pixels, as small as the target size allows.
//!
//! Two rules make this safe on a cheap phone:
//! - The header's dimensions are checked against the pixel limit before a single pixel
//!   buffer is allocated, so a 100-byte file that claims to be 60000×60000 costs nothing.
//! - JPEGs are decoded at a reduced DCT scale (1/2, 1/4, 1/8) whenever the result still
//!   covers the target long edge ("shrink-on-load"): a 12 MP photo headed for 1600 px is
//!   decoded straight to 2000×1500, a third of the memory and much less IDCT work.

use std::io::{BufRead, Read, Seek};

use super::error::PhotoError;
use super::orient::Rgb;

/// A decoded image with what the file carried besides its pixels.
pub struct Decoded {
    /// The pixels, possibly already reduced by shrink-on-load.
    pub image: Rgb,
    /// Width declared in the file's header (before any shrink-on-load).
    pub source_width: u32,
    /// Height declared in the file's header.
    pub source_height: u32,
    /// The embedded ICC colour profile, kept so colours stay right.
    pub icc: Option<Vec<u8>>,
    /// The raw EXIF block (TIFF structure), read for its fields and then dropped.
    pub exif: Option<Vec<u8>>,
}

/// Refuses dimensions whose pixel count exceeds `limit` (or that are zero).
pub fn check_pixels(
    format: &'static str,
    width: u32,
    height: u32,
    limit: u64,
) -> Result<(), PhotoError> {
    if width == 0 || height == 0 {
        return Err(PhotoError::Corrupt {
            format,
            reason: format!("the header declares a {width}x{height} image"),
        });
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limit {
        return Err(PhotoError::TooManyPixels {
            width,
            height,
            pixels,
            limit,
        });
    }
    Ok(())
}

/// The size that fits `width`×`height` within `long_edge` keeping the aspect ratio, never
/// enlarging and never below 1 px.
pub fn fit(width: u32, height: u32, long_edge: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= long_edge {
        return (width, height);
    }
    let scale = |side: u32| -> u32 {
        let v = (u64::from(side) * u64::from(long_edge) + u64::from(long) / 2) / u64::from(long);
        (v as u32).max(1)
    };
    (scale(width), scale(height))
}

/// Decodes a JPEG at the smallest DCT scale that still covers `long_edge`.
pub fn jpeg<R: Read>(reader: R, long_edge: u32, max_pixels: u64) -> Result<Decoded, PhotoError> {
    let mut decoder = jpeg_decoder::Decoder::new(reader);
    decoder.read_info().map_err(jpeg_error)?;
    let info = decoder.info().ok_or_else(|| PhotoError::Corrupt {
        format: "JPEG",
        reason: "no frame header".into(),
    })?;
    let (source_width, source_height) = (u32::from(info.width), u32::from(info.height));
    check_pixels("JPEG", source_width, source_height, max_pixels)?;

    let (want_w, want_h) = fit(source_width, source_height, long_edge);
    // Both fit in u16 because they are no larger than the u16 source dimensions.
    decoder
        .scale(want_w as u16, want_h as u16)
        .map_err(jpeg_error)?;
    // Defence in depth: the decoder itself refuses to allocate past the limit too
    // (4 bytes a pixel covers CMYK, the widest output).
    decoder.set_max_decoding_buffer_size(
        usize::try_from(max_pixels.saturating_mul(4)).unwrap_or(usize::MAX),
    );
    let pixels = decoder.decode().map_err(jpeg_error)?;
    let info = decoder.info().ok_or_else(|| PhotoError::Corrupt {
        format: "JPEG",
        reason: "no frame header".into(),
    })?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let rgb = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => pixels,
        jpeg_decoder::PixelFormat::L8 => gray_to_rgb(&pixels),
        // 16-bit samples arrive big-endian; the high byte is the 8-bit value.
        jpeg_decoder::PixelFormat::L16 => {
            gray_to_rgb(&pixels.chunks_exact(2).map(|p| p[0]).collect::<Vec<_>>())
        }
        jpeg_decoder::PixelFormat::CMYK32 => cmyk_to_rgb(&pixels),
    };
    if rgb.len() != width as usize * height as usize * 3 {
        return Err(PhotoError::Corrupt {
            format: "JPEG",
            reason: "decoded size does not match the header".into(),
        });
    }
    Ok(Decoded {
        image: Rgb {
            width,
            height,
            pixels: rgb,
        },
        source_width,
        source_height,
        icc: decoder.icc_profile(),
        exif: decoder.exif_data().map(<[u8]>::to_vec),
    })
}

fn jpeg_error(e: jpeg_decoder::Error) -> PhotoError {
    use jpeg_decoder::{Error, UnsupportedFeature};
    match e {
        Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            PhotoError::Truncated { format: "JPEG" }
        }
        Error::Io(io) => PhotoError::Corrupt {
            format: "JPEG",
            reason: io.to_string(),
        },
        Error::Format(reason) => PhotoError::Corrupt {
            format: "JPEG",
            reason,
        },
        Error::Unsupported(feature) => PhotoError::Unsupported {
            format: match feature {
                UnsupportedFeature::ArithmeticEntropyCoding => "arithmetic-coded JPEG".into(),
                UnsupportedFeature::Hierarchical => "hierarchical JPEG".into(),
                other => format!("JPEG with {other:?}"),
            },
        },
        Error::Internal(inner) => PhotoError::Corrupt {
            format: "JPEG",
            reason: inner.to_string(),
        },
    }
}

/// Decodes a PNG to RGB (PNG has no reduced-scale decoding; the pixel limit still
/// applies before the buffer is allocated).
pub fn png<R: BufRead + Seek>(reader: R, max_pixels: u64) -> Result<Decoded, PhotoError> {
    let mut decoder = png::Decoder::new(reader);
    // Palette, low bit depths and tRNS become plain 8-bit channels.
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(png_error)?;
    let (source_width, source_height) = (reader.info().width, reader.info().height);
    check_pixels("PNG", source_width, source_height, max_pixels)?;
    let icc = reader.info().icc_profile.as_ref().map(|c| c.to_vec());
    let exif = reader.info().exif_metadata.as_ref().map(|c| c.to_vec());

    let size = reader
        .output_buffer_size()
        .ok_or_else(|| PhotoError::TooManyPixels {
            width: source_width,
            height: source_height,
            pixels: u64::from(source_width) * u64::from(source_height),
            limit: max_pixels,
        })?;
    let mut buf = vec![0u8; size];
    let frame = reader.next_frame(&mut buf).map_err(png_error)?;
    buf.truncate(frame.buffer_size());
    let (width, height) = (frame.width, frame.height);
    let rgb = match frame.color_type {
        png::ColorType::Rgb => buf,
        png::ColorType::Grayscale => gray_to_rgb(&buf),
        png::ColorType::GrayscaleAlpha => buf
            .chunks_exact(2)
            .flat_map(|p| {
                let v = over_white(p[0], p[1]);
                [v, v, v]
            })
            .collect(),
        png::ColorType::Rgba => buf
            .chunks_exact(4)
            .flat_map(|p| {
                [
                    over_white(p[0], p[3]),
                    over_white(p[1], p[3]),
                    over_white(p[2], p[3]),
                ]
            })
            .collect(),
        png::ColorType::Indexed => {
            return Err(PhotoError::Corrupt {
                format: "PNG",
                reason: "palette was not expanded".into(),
            });
        }
    };
    if rgb.len() != width as usize * height as usize * 3 {
        return Err(PhotoError::Corrupt {
            format: "PNG",
            reason: "decoded size does not match the header".into(),
        });
    }
    Ok(Decoded {
        image: Rgb {
            width,
            height,
            pixels: rgb,
        },
        source_width,
        source_height,
        icc,
        exif,
    })
}

fn png_error(e: png::DecodingError) -> PhotoError {
    match e {
        png::DecodingError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            PhotoError::Truncated { format: "PNG" }
        }
        png::DecodingError::LimitsExceeded => PhotoError::Corrupt {
            format: "PNG",
            reason: "metadata larger than allowed".into(),
        },
        other => PhotoError::Corrupt {
            format: "PNG",
            reason: other.to_string(),
        },
    }
}

/// Evidence has no transparency: composite onto white, as a viewer would show it.
fn over_white(value: u8, alpha: u8) -> u8 {
    let (v, a) = (u32::from(value), u32::from(alpha));
    ((v * a + 255 * (255 - a) + 127) / 255) as u8
}

fn gray_to_rgb(gray: &[u8]) -> Vec<u8> {
    gray.iter().flat_map(|&v| [v, v, v]).collect()
}

/// Naive CMYK to RGB for the rare CMYK JPEG (print workflows, not phones). The decoder
/// hands back Adobe-style inverted values, so each channel is simply scaled by K.
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    cmyk.chunks_exact(4)
        .flat_map(|p| {
            let k = u32::from(p[3]);
            [0, 1, 2].map(|i| ((u32::from(p[i]) * k + 127) / 255) as u8)
        })
        .collect()
}
