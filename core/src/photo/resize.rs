//! Downscaling with SIMD convolution (`fast_image_resize`: SSE4.1/AVX2 on x86, NEON on
//! ARM phones, picked at run time). Lanczos3 keeps small print on a hazard sign legible;
//! thumbnails use a cheaper filter.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::decode::fit;
use super::error::PhotoError;
use super::orient::Rgb;

/// The resampling filter: a trade between sharpness and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quality {
    /// Lanczos3: the sharpest; for evidence, where small print must stay legible.
    Sharp,
    /// Hamming: bicubic-like quality at bilinear cost; for thumbnails, where a big
    /// reduction makes Lanczos3's wide kernel expensive and its sharpness invisible.
    Fast,
}

/// Shrinks `image` so its long edge is at most `long_edge`; never enlarges.
pub fn to_long_edge(image: Rgb, long_edge: u32, quality: Quality) -> Result<Rgb, PhotoError> {
    let (width, height) = fit(image.width, image.height, long_edge);
    if (width, height) == (image.width, image.height) {
        return Ok(image);
    }
    resize(&image, width, height, quality)
}

/// Resizes `image` to exactly `width`×`height`.
pub fn resize(image: &Rgb, width: u32, height: u32, quality: Quality) -> Result<Rgb, PhotoError> {
    let failed = |e: &dyn std::fmt::Display| PhotoError::Encode(format!("resize failed: {e}"));
    let src = ImageRef::new(image.width, image.height, &image.pixels, PixelType::U8x3)
        .map_err(|e| failed(&e))?;
    let mut dst = Image::new(width, height, PixelType::U8x3);
    let filter = match quality {
        Quality::Sharp => FilterType::Lanczos3,
        Quality::Fast => FilterType::Hamming,
    };
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| failed(&e))?;
    Ok(Rgb {
        width,
        height,
        pixels: dst.into_vec(),
    })
}
