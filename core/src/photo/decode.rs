//! Decoding camera files into RGB pixels, as small as the target size allows.
//!
//! Two rules make this safe on a cheap phone:
//! - The header's dimensions are checked against the pixel limit before a single pixel
//!   buffer is allocated, so a 100-byte file that claims to be 60000×60000 costs nothing.
//! - JPEGs are decoded at a reduced DCT scale (1/2, 1/4, 1/8) whenever the result still
//!   covers the target long edge ("shrink-on-load"): a 12 MP photo headed for 1600 px is
//!   decoded straight to 2000×1500, a quarter of the memory and much less IDCT work.
//!   Large PNGs are box-averaged by the same factors while their rows stream in.

use std::io::{BufRead, Read, Seek};

use super::coef_release::{self, ReleaseReport};
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

/// The DCT scales libjpeg-turbo decodes with SIMD, smallest first, as eighths.
const JPEG_SCALES: [u8; 4] = [1, 2, 4, 8];

/// Decodes a JPEG at the smallest DCT scale that still covers `long_edge`.
///
/// libjpeg-turbo (built from source by `mozjpeg-sys`, the decoder Android and libvips
/// use) does the work: the header is read and the pixel limit checked before any pixel
/// memory exists, then the IDCT runs at 1/8, 1/4, 1/2 or full scale, so a 12 MP photo
/// headed for 1600 px never exists in memory at full size. libjpeg reports fatal
/// errors by unwinding (the crate's error manager); they are caught here and become
/// typed errors. A file that ends early is padded by libjpeg with a fake end marker and
/// decoded grey; the reader notes the early end, and it is refused as truncated.
///
/// A progressive file's coefficient memory is given back row by row while its pixels
/// are output ([`coef_release`]), so the decoded image never sits on top of all of it.
pub fn jpeg<R: BufRead>(reader: R, long_edge: u32, max_pixels: u64) -> Result<Decoded, PhotoError> {
    jpeg_releasing(reader, long_edge, max_pixels, true).map(|(decoded, _)| decoded)
}

/// [`jpeg`], also saying how much coefficient memory was given back; with `release`
/// false nothing is (the reference the tests compare pixels with).
fn jpeg_releasing<R: BufRead>(
    reader: R,
    long_edge: u32,
    max_pixels: u64,
    release: bool,
) -> Result<(Decoded, ReleaseReport), PhotoError> {
    let hit_end = std::rc::Rc::new(std::cell::Cell::new(false));
    let watched = EndWatch {
        inner: reader,
        hit_end: std::rc::Rc::clone(&hit_end),
    };
    let releasing = coef_release::Releasing::begin(release);
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        jpeg_unguarded(watched, long_edge, max_pixels)
    }));
    let report = releasing.finish();
    let decoded = match decoded {
        // A file too short to hold the tables also ends in a libjpeg failure.
        Err(_) | Ok(Err(PhotoError::Corrupt { .. })) if hit_end.get() => {
            Err(PhotoError::Truncated { format: "JPEG" })
        }
        Ok(Ok(_)) if hit_end.get() => Err(PhotoError::Truncated { format: "JPEG" }),
        Ok(result) => result,
        Err(payload) => Err(libjpeg_failure(payload.as_ref())),
    }?;
    if report.reread_released {
        // Cannot happen with the libjpeg-turbo built here (its output pass reads rows in
        // rising order); refused rather than storing evidence with zeroed stripes.
        return Err(PhotoError::Corrupt {
            format: "JPEG",
            reason: "the decoder re-read coefficient rows already given back".into(),
        });
    }
    Ok((decoded, report))
}

/// The width and height a JPEG's frame header declares, reading nothing but the header;
/// `None` when it is not a readable JPEG.
pub fn jpeg_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    std::panic::catch_unwind(|| {
        let decoder = mozjpeg::Decompress::new_mem(bytes).ok()?;
        Some((
            u32::try_from(decoder.width()).ok()?,
            u32::try_from(decoder.height()).ok()?,
        ))
    })
    .ok()
    .flatten()
}

/// A reader that remembers whether libjpeg asked for bytes past the end of the file
/// (which it answers with a fake end-of-image marker and a warning, not an error).
struct EndWatch<R> {
    inner: R,
    hit_end: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<R: Read> Read for EndWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.hit_end.set(true);
        }
        Ok(n)
    }
}

impl<R: BufRead> BufRead for EndWatch<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let buf = self.inner.fill_buf()?;
        if buf.is_empty() {
            self.hit_end.set(true);
        }
        Ok(buf)
    }
    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
    }
}

fn jpeg_unguarded<R: BufRead>(
    reader: R,
    long_edge: u32,
    max_pixels: u64,
) -> Result<Decoded, PhotoError> {
    use mozjpeg::{ColorSpace, Marker};
    // APP1 carries EXIF (and XMP, ignored); APP2 carries the ICC profile in chunks.
    let mut decoder = coef_release::builder(&[Marker::APP(1), Marker::APP(2)])
        .from_reader(reader)
        .map_err(jpeg_io_error)?;
    let source_width = u32::try_from(decoder.width()).unwrap_or(u32::MAX);
    let source_height = u32::try_from(decoder.height()).unwrap_or(u32::MAX);
    check_pixels("JPEG", source_width, source_height, max_pixels)?;

    let (exif, icc) = jpeg_metadata(decoder.markers());
    let (want_w, want_h) = fit(source_width, source_height, long_edge);
    let scaled = |side: u32, eighths: u8| (u64::from(side) * u64::from(eighths)).div_ceil(8);
    let eighths = JPEG_SCALES
        .into_iter()
        .find(|&n| {
            scaled(source_width, n) >= u64::from(want_w)
                && scaled(source_height, n) >= u64::from(want_h)
        })
        .unwrap_or(8);
    decoder.scale(eighths);
    let cmyk = matches!(
        decoder.color_space(),
        ColorSpace::JCS_CMYK | ColorSpace::JCS_YCCK
    );
    let mut started = if cmyk {
        decoder.to_colorspace(ColorSpace::JCS_CMYK)
    } else {
        // Grey and YCbCr files alike come out as RGB: libjpeg converts while it writes rows.
        decoder.rgb()
    }
    .map_err(jpeg_io_error)?;
    let width = u32::try_from(started.width()).unwrap_or(u32::MAX);
    let height = u32::try_from(started.height()).unwrap_or(u32::MAX);
    let samples: Vec<u8> = started.read_scanlines().map_err(jpeg_io_error)?;
    drop(started);
    let pixels = if cmyk { cmyk_to_rgb(&samples) } else { samples };
    if pixels.len() != width as usize * height as usize * 3 {
        return Err(PhotoError::Corrupt {
            format: "JPEG",
            reason: "decoded size does not match the header".into(),
        });
    }
    Ok(Decoded {
        image: Rgb {
            width,
            height,
            pixels,
        },
        source_width,
        source_height,
        icc,
        exif,
    })
}

/// The EXIF block (the TIFF structure after `Exif\0\0`) and the ICC profile (its
/// `ICC_PROFILE` chunks joined in sequence order) from the saved APP1/APP2 segments.
fn jpeg_metadata(
    markers: mozjpeg::decompress::MarkerIter<'_>,
) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    const EXIF: &[u8] = b"Exif\0\0";
    const ICC: &[u8] = b"ICC_PROFILE\0";
    let mut exif = None;
    let mut icc_chunks: Vec<(u8, &[u8])> = Vec::new();
    for marker in markers {
        match marker.marker {
            mozjpeg::Marker::APP(1) if exif.is_none() => {
                if let Some(tiff) = marker.data.strip_prefix(EXIF) {
                    exif = Some(tiff.to_vec());
                }
            }
            mozjpeg::Marker::APP(2) => {
                // ICC_PROFILE\0, then the chunk's 1-based number and the chunk count.
                if let Some([number, _count, chunk @ ..]) = marker.data.strip_prefix(ICC) {
                    icc_chunks.push((*number, chunk));
                }
            }
            _ => {}
        }
    }
    icc_chunks.sort_by_key(|(number, _)| *number);
    let icc = (!icc_chunks.is_empty()).then(|| {
        icc_chunks
            .iter()
            .flat_map(|(_, c)| c.iter().copied())
            .collect()
    });
    (exif, icc)
}

/// An I/O error from the wrapper: the reader's own failure, or libjpeg suspending
/// (which a complete in-memory or file source never does).
fn jpeg_io_error(e: std::io::Error) -> PhotoError {
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => PhotoError::Truncated { format: "JPEG" },
        std::io::ErrorKind::OutOfMemory => PhotoError::Corrupt {
            format: "JPEG",
            reason: "not enough memory for the decoded image".into(),
        },
        _ => PhotoError::Corrupt {
            format: "JPEG",
            reason: e.to_string(),
        },
    }
}

/// A libjpeg fatal error, caught as it unwound: its message names what was wrong.
fn libjpeg_failure(payload: &(dyn std::any::Any + Send)) -> PhotoError {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("libjpeg failed");
    let reason = message
        .strip_prefix("libjpeg fatal error: ")
        .unwrap_or(message)
        .to_string();
    // libjpeg says "Unsupported ..." (12-bit samples, odd sampling) or "Not implemented"
    // (arithmetic coding, hierarchical mode) for valid files it cannot decode.
    if reason.starts_with("Unsupported")
        || reason.contains("not implemented")
        || reason.contains("Not implemented")
    {
        PhotoError::Unsupported {
            format: format!("JPEG ({reason})"),
        }
    } else {
        PhotoError::Corrupt {
            format: "JPEG",
            reason,
        }
    }
}

/// Decodes a PNG to RGB. The pixel limit applies before any buffer is allocated.
///
/// PNG has no reduced-scale decoding, so a large non-interlaced PNG is shrunk while it
/// streams: rows are read one at a time and averaged in `k`×`k` boxes (k = 2, 4 or 8,
/// the largest that still covers `long_edge`, as for JPEG), so a 12 MP PNG headed for
/// 1600 px needs a 2000×1500 buffer, never the full 36 MB. Interlaced PNGs (rare from
/// cameras) and ones already near the target are decoded whole.
pub fn png<R: BufRead + Seek>(
    reader: R,
    long_edge: u32,
    max_pixels: u64,
) -> Result<Decoded, PhotoError> {
    let mut decoder = png::Decoder::new(reader);
    // Palette, low bit depths and tRNS become plain 8-bit channels.
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(png_error)?;
    let (source_width, source_height) = (reader.info().width, reader.info().height);
    check_pixels("PNG", source_width, source_height, max_pixels)?;
    let icc = reader.info().icc_profile.as_ref().map(|c| c.to_vec());
    let exif = reader.info().exif_metadata.as_ref().map(|c| c.to_vec());
    let (color, _) = reader.output_color_type();

    let (want_w, want_h) = fit(source_width, source_height, long_edge);
    let k = [8u32, 4, 2]
        .into_iter()
        .find(|&k| source_width.div_ceil(k) >= want_w && source_height.div_ceil(k) >= want_h)
        .filter(|_| !reader.info().interlaced)
        .unwrap_or(1);
    let image = if k > 1 {
        png_box_reduced(&mut reader, color, source_width, source_height, k)?
    } else {
        png_whole(&mut reader, color, source_width, source_height, max_pixels)?
    };
    if image.pixels.len() != image.width as usize * image.height as usize * 3 {
        return Err(PhotoError::Corrupt {
            format: "PNG",
            reason: "decoded size does not match the header".into(),
        });
    }
    Ok(Decoded {
        image,
        source_width,
        source_height,
        icc,
        exif,
    })
}

/// The whole frame at full size.
fn png_whole<R: BufRead + Seek>(
    reader: &mut png::Reader<R>,
    color: png::ColorType,
    width: u32,
    height: u32,
    max_pixels: u64,
) -> Result<Rgb, PhotoError> {
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| PhotoError::TooManyPixels {
            width,
            height,
            pixels: u64::from(width) * u64::from(height),
            limit: max_pixels,
        })?;
    let mut buf = vec![0u8; size];
    let frame = reader.next_frame(&mut buf).map_err(png_error)?;
    buf.truncate(frame.buffer_size());
    let pixels = if color == png::ColorType::Rgb {
        buf
    } else {
        let mut rgb = Vec::with_capacity(frame.width as usize * frame.height as usize * 3);
        for row in buf.chunks_exact(frame.line_size.max(1)) {
            push_rgb_row(color, row, &mut rgb)?;
        }
        rgb
    };
    Ok(Rgb {
        width: frame.width,
        height: frame.height,
        pixels,
    })
}

/// The frame streamed row by row and averaged in `k`×`k` boxes (edge boxes average
/// the pixels they have).
fn png_box_reduced<R: BufRead + Seek>(
    reader: &mut png::Reader<R>,
    color: png::ColorType,
    width: u32,
    height: u32,
    k: u32,
) -> Result<Rgb, PhotoError> {
    let (out_w, out_h) = (width.div_ceil(k) as usize, height.div_ceil(k) as usize);
    let k = k as usize;
    let mut out = Vec::new();
    out.try_reserve_exact(out_w * out_h * 3)
        .map_err(|_| PhotoError::Corrupt {
            format: "PNG",
            reason: "not enough memory for the reduced image".into(),
        })?;
    let mut sums = vec![0u32; out_w * 3];
    let mut rgb_row = Vec::with_capacity(width as usize * 3);
    let mut rows_in_box = 0u32;
    let flush = |sums: &mut [u32], rows: u32, out: &mut Vec<u8>| {
        for (ox, px) in sums.chunks_exact_mut(3).enumerate() {
            let cols = (width as usize - ox * k).min(k) as u32;
            let n = cols * rows;
            for v in px.iter_mut() {
                out.push(((*v + n / 2) / n) as u8);
                *v = 0;
            }
        }
    };
    for _ in 0..height {
        let row = reader
            .next_row()
            .map_err(png_error)?
            .ok_or(PhotoError::Truncated { format: "PNG" })?;
        rgb_row.clear();
        push_rgb_row(color, row.data(), &mut rgb_row)?;
        for (x, px) in rgb_row.chunks_exact(3).enumerate() {
            let sum = &mut sums[(x / k) * 3..(x / k) * 3 + 3];
            for (s, &v) in sum.iter_mut().zip(px) {
                *s += u32::from(v);
            }
        }
        rows_in_box += 1;
        if rows_in_box as usize == k {
            flush(&mut sums, rows_in_box, &mut out);
            rows_in_box = 0;
        }
    }
    if rows_in_box > 0 {
        flush(&mut sums, rows_in_box, &mut out);
    }
    Ok(Rgb {
        width: out_w as u32,
        height: out_h as u32,
        pixels: out,
    })
}

/// Appends one decoded PNG row as RGB (alpha composited over white).
fn push_rgb_row(color: png::ColorType, row: &[u8], out: &mut Vec<u8>) -> Result<(), PhotoError> {
    match color {
        png::ColorType::Rgb => out.extend_from_slice(row),
        png::ColorType::Grayscale => out.extend(row.iter().flat_map(|&v| [v, v, v])),
        png::ColorType::GrayscaleAlpha => out.extend(row.chunks_exact(2).flat_map(|p| {
            let v = over_white(p[0], p[1]);
            [v, v, v]
        })),
        png::ColorType::Rgba => out.extend(row.chunks_exact(4).flat_map(|p| {
            [
                over_white(p[0], p[3]),
                over_white(p[1], p[3]),
                over_white(p[2], p[3]),
            ]
        })),
        png::ColorType::Indexed => {
            return Err(PhotoError::Corrupt {
                format: "PNG",
                reason: "palette was not expanded".into(),
            });
        }
    }
    Ok(())
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

/// Naive CMYK to RGB for the rare CMYK JPEG (print workflows, not phones). libjpeg
/// hands back the values as stored, Adobe-style inverted, so each channel is simply scaled by K.
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    cmyk.chunks_exact(4)
        .flat_map(|p| {
            let k = u32::from(p[3]);
            [0, 1, 2].map(|i| ((u32::from(p[i]) * k + 127) / 255) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fit_keeps_aspect_never_enlarges_and_never_reaches_zero() {
        assert_eq!(fit(4000, 3000, 1600), (1600, 1200));
        assert_eq!(fit(3000, 4000, 1600), (1200, 1600));
        assert_eq!(fit(800, 600, 1600), (800, 600));
        assert_eq!(fit(10000, 1, 256), (256, 1));
        assert_eq!(fit(1, 65535, 16), (1, 16));
    }

    #[test]
    fn transparency_is_shown_over_white() {
        assert_eq!(over_white(0, 0), 255);
        assert_eq!(over_white(0, 255), 0);
        assert_eq!(over_white(100, 255), 100);
        assert_eq!(over_white(0, 128), 127);
    }

    /// A progressive 4:2:0 JPEG of a busy scene (gradients plus hashed noise, so every
    /// coefficient row holds real data).
    fn progressive_jpeg(width: u16, height: u16, progressive: bool) -> Vec<u8> {
        let mut pixels = Vec::with_capacity(usize::from(width) * usize::from(height) * 3);
        for y in 0..u32::from(height) {
            for x in 0..u32::from(width) {
                let noise = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 27;
                pixels.extend([
                    (x * 255 / u32::from(width)) as u8 ^ noise as u8,
                    (y * 255 / u32::from(height)) as u8,
                    ((x + y) % 256) as u8 ^ (noise as u8).wrapping_mul(3),
                ]);
            }
        }
        let mut out = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
        encoder.set_progressive(progressive);
        encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
        encoder
            .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        out
    }

    #[test]
    fn progressive_coefficients_are_given_back_without_changing_a_pixel() {
        let bytes = progressive_jpeg(1024, 768, true);
        // 1/2 scale for a 512 px target: the reduced IDCT reads every coefficient row.
        let (released, report) = jpeg_releasing(bytes.as_slice(), 512, u64::MAX, true).unwrap();
        let (kept, kept_report) = jpeg_releasing(bytes.as_slice(), 512, u64::MAX, false).unwrap();
        assert_eq!((released.image.width, released.image.height), (512, 384));
        assert!(
            released.image.pixels == kept.image.pixels,
            "releasing finished rows changed the decoded pixels"
        );
        assert_eq!(kept_report.released_bytes, 0);
        assert!(!report.reread_released && !kept_report.reread_released);
        // 128×96 luma and 2 × 64×48 chroma blocks of 128 bytes: 2.25 MiB of
        // coefficients; all but the last iMCU row of each array (and page edges) goes.
        let coefficients = (128 * 96 + 2 * 64 * 48) * 128;
        assert!(
            report.released_bytes * 10 >= coefficients * 9,
            "only {} of {coefficients} coefficient bytes were given back",
            report.released_bytes
        );
        // Full scale too (a target the file does not exceed).
        let (full, full_report) = jpeg_releasing(bytes.as_slice(), 4096, u64::MAX, true).unwrap();
        let (full_kept, _) = jpeg_releasing(bytes.as_slice(), 4096, u64::MAX, false).unwrap();
        assert!(full.image.pixels == full_kept.image.pixels);
        assert!(full_report.released_bytes * 10 >= coefficients * 9);
    }

    #[test]
    fn baseline_jpegs_have_no_coefficient_arrays_to_give_back() {
        let bytes = progressive_jpeg(512, 384, false);
        let (_, report) = jpeg_releasing(bytes.as_slice(), 256, u64::MAX, true).unwrap();
        assert_eq!(report, ReleaseReport::default());
    }

    #[test]
    fn a_failed_progressive_decode_leaves_the_next_one_clean() {
        let bytes = progressive_jpeg(256, 192, true);
        // Damage the first scan's entropy data's header: libjpeg fails mid-decode.
        let mut broken = bytes.clone();
        let sos = broken.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
        broken[sos + 4] = 9; // a component count the frame does not have
        assert!(jpeg_releasing(broken.as_slice(), 128, u64::MAX, true).is_err());
        let (_, report) = jpeg_releasing(bytes.as_slice(), 128, u64::MAX, true).unwrap();
        assert!(report.released_bytes > 0 && !report.reread_released);
    }

    #[test]
    fn zero_and_oversized_dimensions_are_refused() {
        assert!(matches!(
            check_pixels("PNG", 0, 10, 100),
            Err(PhotoError::Corrupt { .. })
        ));
        assert!(matches!(
            check_pixels("PNG", 11, 10, 100),
            Err(PhotoError::TooManyPixels {
                pixels: 110,
                limit: 100,
                ..
            })
        ));
        assert!(check_pixels("PNG", 10, 10, 100).is_ok());
    }
}
