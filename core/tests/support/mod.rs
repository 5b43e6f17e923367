//! Real camera-like files for the photo tests, made here rather than shipped: JPEGs from
//! a real encoder with hand-built EXIF (orientation, time, GPS, make/model, maker note),
//! XMP and ICC segments, and PNGs from a real PNG encoder.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;

use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};

pub const RED: [u8; 3] = [230, 20, 20];
pub const GREEN: [u8; 3] = [20, 200, 40];
pub const BLUE: [u8; 3] = [20, 40, 220];
pub const GRAY: [u8; 3] = [128, 128, 128];

/// A plain RGB image for building fixtures.
#[derive(Clone, Debug, PartialEq)]
pub struct Img {
    pub w: usize,
    pub h: usize,
    pub px: Vec<u8>,
}

impl Img {
    pub fn filled(w: usize, h: usize, c: [u8; 3]) -> Img {
        Img {
            w,
            h,
            px: c.repeat(w * h),
        }
    }
    pub fn get(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.w + x) * 3;
        [self.px[i], self.px[i + 1], self.px[i + 2]]
    }
    pub fn set(&mut self, x: usize, y: usize, c: [u8; 3]) {
        let i = (y * self.w + x) * 3;
        self.px[i..i + 3].copy_from_slice(&c);
    }
    pub fn fill_rect(&mut self, x0: usize, y0: usize, w: usize, h: usize, c: [u8; 3]) {
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                self.set(x, y, c);
            }
        }
    }
    /// Rotated a quarter turn clockwise.
    pub fn rot90cw(&self) -> Img {
        let mut out = Img::filled(self.h, self.w, [0; 3]);
        for y in 0..self.h {
            for x in 0..self.w {
                out.set(self.h - 1 - y, x, self.get(x, y));
            }
        }
        out
    }
    pub fn flip_h(&self) -> Img {
        let mut out = self.clone();
        for y in 0..self.h {
            for x in 0..self.w {
                out.set(self.w - 1 - x, y, self.get(x, y));
            }
        }
        out
    }
    pub fn flip_v(&self) -> Img {
        let mut out = self.clone();
        for y in 0..self.h {
            for x in 0..self.w {
                out.set(x, self.h - 1 - y, self.get(x, y));
            }
        }
        out
    }
}

/// The upright scene: grey, with a red block top-left, green top-right, blue bottom-left.
pub fn marker_scene(w: usize, h: usize, block: usize) -> Img {
    let mut img = Img::filled(w, h, GRAY);
    img.fill_rect(0, 0, block, block, RED);
    img.fill_rect(w - block, 0, block, block, GREEN);
    img.fill_rect(0, h - block, block, block, BLUE);
    img
}

/// How a camera stores an upright scene under EXIF orientation `o`: the inverse of the
/// transform a viewer applies, built from quarter turns and flips (deliberately not the
/// per-pixel mapping the pipeline uses, so the two check each other).
pub fn stored_for_orientation(upright: &Img, o: u32) -> Img {
    match o {
        1 => upright.clone(),
        2 => upright.flip_h(),
        3 => upright.rot90cw().rot90cw(),
        4 => upright.flip_v(),
        // Transpose is its own inverse: a quarter turn then a left-right flip.
        5 => upright.rot90cw().flip_h(),
        // The viewer turns it clockwise, so the camera stored it turned anticlockwise.
        6 => upright.rot90cw().rot90cw().rot90cw(),
        // Transverse is its own inverse: a quarter turn then a top-bottom flip.
        7 => upright.rot90cw().flip_v(),
        8 => upright.rot90cw(),
        _ => panic!("orientation {o}"),
    }
}

/// Phone-like detail: gradients plus deterministic noise (a flat image compresses to
/// nothing and tells nothing about speed or size).
pub fn textured(w: usize, h: usize, seed: u32) -> Img {
    let mut img = Img::filled(w, h, [0; 3]);
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    for y in 0..h {
        for x in 0..w {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let n = (state & 0x3f) as i32 - 32;
            let r = (x * 255 / w.max(1)) as i32 + n;
            let g = (y * 255 / h.max(1)) as i32 + n;
            let b = (((x + y) / 4) % 256) as i32 - n;
            img.set(
                x,
                y,
                [
                    r.clamp(0, 255) as u8,
                    g.clamp(0, 255) as u8,
                    b.clamp(0, 255) as u8,
                ],
            );
        }
    }
    img
}

/// A phone-like scene: smooth lighting gradients, hard-edged objects (walls, signs,
/// cables) and mild sensor noise, which compresses to what a 12 MP phone JPEG weighs
/// (a few MB at q92) rather than the 10+ MB of pure noise.
pub fn phone_like(w: usize, h: usize, seed: u32) -> Img {
    let mut img = Img::filled(w, h, [0; 3]);
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    // Objects: rectangles of flat-ish colour at random places and sizes.
    let rects: Vec<(usize, usize, usize, usize, [i32; 3])> = (0..120)
        .map(|_| {
            let (rw, rh) = (next() as usize % (w / 4) + 8, next() as usize % (h / 4) + 8);
            let (x, y) = (next() as usize % (w - rw), next() as usize % (h - rh));
            let c = [
                (next() % 200) as i32,
                (next() % 200) as i32,
                (next() % 200) as i32,
            ];
            (x, y, rw, rh, c)
        })
        .collect();
    for y in 0..h {
        for x in 0..w {
            let mut c = [
                (x * 200 / w) as i32 + 20,
                (y * 180 / h) as i32 + 30,
                ((x + y) * 120 / (w + h)) as i32 + 60,
            ];
            for &(rx, ry, rw, rh, rc) in rects.iter().rev() {
                if x >= rx && x < rx + rw && y >= ry && y < ry + rh {
                    // Fine texture inside objects (brick, fabric, print).
                    let t = if (x / 3 + y / 5) % 2 == 0 { 12 } else { -12 };
                    c = [rc[0] + t, rc[1] + t, rc[2] + t];
                    break;
                }
            }
            let n = (next() & 0x0f) as i32 - 8;
            img.set(x, y, c.map(|v| (v + n).clamp(0, 255) as u8));
        }
    }
    img
}

/// What to put in a fixture JPEG besides pixels.
#[derive(Default, Clone)]
pub struct Meta {
    pub orientation: Option<u16>,
    pub taken: Option<&'static str>,
    pub offset: Option<&'static str>,
    /// (lat, lon) in degrees.
    pub gps: Option<(f64, f64)>,
    pub make: Option<&'static str>,
    pub model: Option<&'static str>,
    pub maker_note: bool,
    pub xmp: bool,
    pub icc: bool,
}

pub const FAKE_ICC: &[u8] = b"ICC-PROFILE-FOR-TEST-0123456789";
pub const XMP: &[u8] = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><rdf:Description GPSLatitude='31,14.5N'/></rdf:RDF></x:xmpmeta>";
pub const MAKER_NOTE: &[u8] = b"SECRET-MAKER-NOTE-SERIAL-123456";

fn ascii(tag: Tag, s: &str) -> Field {
    Field {
        tag,
        ifd_num: In::PRIMARY,
        value: Value::Ascii(vec![s.as_bytes().to_vec()]),
    }
}

fn dms(v: f64) -> Vec<Rational> {
    let v = v.abs();
    let d = v.floor();
    let m = ((v - d) * 60.0).floor();
    let s = ((v - d) * 60.0 - m) * 60.0;
    vec![
        Rational {
            num: d as u32,
            denom: 1,
        },
        Rational {
            num: m as u32,
            denom: 1,
        },
        Rational {
            num: (s * 10000.0).round() as u32,
            denom: 10000,
        },
    ]
}

/// The EXIF block (TIFF structure) for `meta`, or `None` when it has no EXIF fields.
pub fn exif_block(meta: &Meta) -> Option<Vec<u8>> {
    let mut fields = Vec::new();
    if let Some(o) = meta.orientation {
        fields.push(Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![o]),
        });
    }
    if let Some(t) = meta.taken {
        fields.push(ascii(Tag::DateTimeOriginal, t));
    }
    if let Some(o) = meta.offset {
        fields.push(ascii(Tag::OffsetTimeOriginal, o));
    }
    if let Some((lat, lon)) = meta.gps {
        fields.push(ascii(
            Tag::GPSLatitudeRef,
            if lat < 0.0 { "S" } else { "N" },
        ));
        fields.push(Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(dms(lat)),
        });
        fields.push(ascii(
            Tag::GPSLongitudeRef,
            if lon < 0.0 { "W" } else { "E" },
        ));
        fields.push(Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(dms(lon)),
        });
    }
    if let Some(m) = meta.make {
        fields.push(ascii(Tag::Make, m));
    }
    if let Some(m) = meta.model {
        fields.push(ascii(Tag::Model, m));
    }
    if meta.maker_note {
        fields.push(Field {
            tag: Tag::MakerNote,
            ifd_num: In::PRIMARY,
            value: Value::Undefined(MAKER_NOTE.to_vec(), 0),
        });
    }
    if fields.is_empty() {
        return None;
    }
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut out = Cursor::new(Vec::new());
    writer.write(&mut out, false).unwrap();
    Some(out.into_inner())
}

/// A real baseline JPEG of `img` with the requested metadata segments (the encoder's
/// default sampling: 4:2:0 below quality 90, 4:4:4 from 90 up).
pub fn jpeg(img: &Img, quality: u8, meta: &Meta) -> Vec<u8> {
    encode_jpeg(img, quality, meta, false, None)
}

/// A real baseline JPEG with 4:2:0 chroma subsampling whatever the quality, as phone
/// cameras write them.
pub fn jpeg_420(img: &Img, quality: u8, meta: &Meta) -> Vec<u8> {
    encode_jpeg(
        img,
        quality,
        meta,
        false,
        Some(jpeg_encoder::SamplingFactor::R_4_2_0),
    )
}

/// A real progressive 4:2:0 JPEG of `img`, as image editors and web exports write them:
/// every scan covers the whole image, so a decoder must hold all coefficients at once.
pub fn jpeg_progressive(img: &Img, quality: u8, meta: &Meta) -> Vec<u8> {
    encode_jpeg(
        img,
        quality,
        meta,
        true,
        Some(jpeg_encoder::SamplingFactor::R_4_2_0),
    )
}

fn encode_jpeg(
    img: &Img,
    quality: u8,
    meta: &Meta,
    progressive: bool,
    sampling: Option<jpeg_encoder::SamplingFactor>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
    enc.set_progressive(progressive);
    if let Some(sampling) = sampling {
        enc.set_sampling_factor(sampling);
    }
    if let Some(block) = exif_block(meta) {
        enc.add_exif_metadata(&block).unwrap();
    }
    if meta.xmp {
        enc.add_app_segment(1, XMP.to_vec()).unwrap();
    }
    if meta.icc {
        enc.add_icc_profile(FAKE_ICC).unwrap();
    }
    enc.encode(
        &img.px,
        img.w as u16,
        img.h as u16,
        jpeg_encoder::ColorType::Rgb,
    )
    .unwrap();
    out
}

/// A real PNG of `img`.
pub fn png(img: &Img) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, img.w as u32, img.h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&img.px).unwrap();
    }
    out
}

/// Decodes a stored JPEG for checking (full size, no scaling), with libjpeg-turbo: a
/// different codebase from the encoder that wrote it.
pub fn decode(bytes: &[u8]) -> Img {
    let d = gridwalk_core::photo::decode::jpeg(bytes, u32::MAX, u64::MAX).unwrap();
    Img {
        w: d.image.width as usize,
        h: d.image.height as usize,
        px: d.image.pixels,
    }
}

/// The JPEG's marker segments before the image data: (marker, payload).
pub fn segments(bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    assert_eq!(&bytes[..2], &[0xFF, 0xD8], "not a JPEG");
    let mut out = Vec::new();
    let mut i = 2;
    while i + 4 <= bytes.len() {
        assert_eq!(bytes[i], 0xFF, "marker expected at {i}");
        let marker = bytes[i + 1];
        let len = u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
        out.push((marker, bytes[i + 4..i + 2 + len].to_vec()));
        if marker == 0xDA {
            break; // start of scan: entropy-coded data follows
        }
        i += 2 + len;
    }
    out
}

/// Offset of the SOF0/SOF2 segment's marker.
pub fn sof_offset(bytes: &[u8]) -> usize {
    let mut i = 2;
    loop {
        let marker = bytes[i + 1];
        if marker == 0xC0 || marker == 0xC2 {
            return i;
        }
        let len = u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
        i += 2 + len;
    }
}

/// CRC-32 as PNG uses it, for hand-patched chunks.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub fn close(a: [u8; 3], b: [u8; 3], tol: i32) -> bool {
    a.iter()
        .zip(b.iter())
        .all(|(&x, &y)| (i32::from(x) - i32::from(y)).abs() <= tol)
}

/// Every file under `dir`, recursively, as paths relative to it (sorted).
pub fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(base: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let e = e.unwrap();
            let p = e.path();
            if p.is_dir() {
                out.push(format!("{}/", p.strip_prefix(base).unwrap().display()));
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}
