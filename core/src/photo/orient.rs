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
    // Along any output row the source pixel moves by a constant step, so each row is a
    // start index and a stride: no per-pixel coordinate arithmetic.
    let (w_i, h_i) = (w as isize, h as isize);
    let row_start_and_step = |oy: isize| -> (isize, isize) {
        match orientation {
            Orientation::Normal => (oy * w_i, 1),
            Orientation::FlipHorizontal => (oy * w_i + w_i - 1, -1),
            Orientation::Rotate180 => ((h_i - 1 - oy) * w_i + w_i - 1, -1),
            Orientation::FlipVertical => ((h_i - 1 - oy) * w_i, 1),
            // Source (x, y) = (oy, ox).
            Orientation::Transpose => (oy, w_i),
            // Source (x, y) = (oy, h-1-ox).
            Orientation::Rotate90 => ((h_i - 1) * w_i + oy, -w_i),
            // Source (x, y) = (w-1-oy, h-1-ox).
            Orientation::Transverse => ((h_i - 1) * w_i + (w_i - 1 - oy), -w_i),
            // Source (x, y) = (w-1-oy, ox).
            Orientation::Rotate270 => (w_i - 1 - oy, w_i),
        }
    };
    let src = &image.pixels;
    let mut out = vec![0u8; src.len()];
    for (oy, row) in out.chunks_exact_mut(out_w * 3).enumerate() {
        let (start, step) = row_start_and_step(oy as isize);
        for (ox, px) in row.chunks_exact_mut(3).enumerate() {
            // In range by construction: every (ox, oy) maps inside the source image.
            let i = (start + step * ox as isize) as usize * 3;
            px.copy_from_slice(&src[i..i + 3]);
        }
    }
    Rgb {
        width: out_w as u32,
        height: out_h as u32,
        pixels: out,
    }
}
