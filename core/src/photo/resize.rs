//! Downscaling with SIMD convolution (`fast_image_resize`: SSE4.1/AVX2 on x86, NEON on
//! ARM phones, picked at run time). Lanczos3 keeps small print on a hazard sign legible.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::decode::fit;
use super::error::PhotoError;
use super::orient::Rgb;

/// Shrinks `image` so its long edge is at most `long_edge`; never enlarges.
pub fn to_long_edge(image: Rgb, long_edge: u32) -> Result<Rgb, PhotoError> {
    let (width, height) = fit(image.width, image.height, long_edge);
    if (width, height) == (image.width, image.height) {
        return Ok(image);
    }
    resize(&image, width, height)
}

/// Resizes `image` to exactly `width`×`height`.
pub fn resize(image: &Rgb, width: u32, height: u32) -> Result<Rgb, PhotoError> {
    let failed = |e: &dyn std::fmt::Display| PhotoError::Encode(format!("resize failed: {e}"));
    let src = ImageRef::new(image.width, image.height, &image.pixels, PixelType::U8x3)
        .map_err(|e| failed(&e))?;
    let mut dst = Image::new(width, height, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| failed(&e))?;
    Ok(Rgb {
        width,
        height,
        pixels: dst.into_vec(),
    })
}
