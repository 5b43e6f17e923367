//! Turning pixels upright according to the EXIF orientation. Done on the already
//! shrunk image, where it costs a fraction of what it would on the camera's full size.

use super::exif::Orientation;

/// An 8-bit RGB image, rows top to bottom, no padding.
#[derive(Debug, Clone, PartialEq)]
pub struct Rgb {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes.
    pub pixels: Vec<u8>,
}

/// Returns the image as it should be seen: for each output pixel, the stored pixel that
/// belongs there under the given orientation.
pub fn apply(image: Rgb, orientation: Orientation) -> Rgb {
    if orientation == Orientation::Normal {
        return image;
    }
    let (w, h) = (image.width as usize, image.height as usize);
    let (out_w, out_h) = if orientation.swaps_axes() {
        (h, w)
    } else {
        (w, h)
    };
    let mut out = vec![0u8; image.pixels.len()];
    for oy in 0..out_h {
        for ox in 0..out_w {
            // Source coordinates in the stored image for display position (ox, oy).
            let (sx, sy) = match orientation {
                Orientation::Normal => (ox, oy),
                Orientation::FlipHorizontal => (w - 1 - ox, oy),
                Orientation::Rotate180 => (w - 1 - ox, h - 1 - oy),
                Orientation::FlipVertical => (ox, h - 1 - oy),
                Orientation::Transpose => (oy, ox),
                Orientation::Rotate90 => (oy, h - 1 - ox),
                Orientation::Transverse => (w - 1 - oy, h - 1 - ox),
                Orientation::Rotate270 => (w - 1 - oy, ox),
            };
            let s = (sy * w + sx) * 3;
            let o = (oy * out_w + ox) * 3;
            out[o..o + 3].copy_from_slice(&image.pixels[s..s + 3]);
        }
    }
    Rgb {
        width: out_w as u32,
        height: out_h as u32,
        pixels: out,
    }
}
