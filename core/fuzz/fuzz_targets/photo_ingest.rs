//! Fuzzes the photo pipeline's entry point on arbitrary bytes: sniffing, EXIF parsing,
//! JPEG/PNG decoding with shrink-on-load, resizing, orientation and encoding. Any panic,
//! abort, hang or runaway allocation is a bug; every input must end in Ok or a typed
//! PhotoError.
#![no_main]

use gridwalk_core::photo::{IngestOptions, process_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Small limits keep each execution fast; the limit checks themselves are what is
    // being exercised on hostile headers.
    let options = IngestOptions {
        long_edge: 256,
        thumbnail_edge: 64,
        max_pixels: 4 * 1024 * 1024,
        max_file_bytes: 1024 * 1024,
        ..IngestOptions::default()
    };
    if let Ok(photo) = process_bytes(data, &options) {
        // What comes out must be a consistent record.
        assert_eq!(photo.sha256.len(), 64);
        assert!(photo.width >= 1 && photo.height >= 1);
        assert!(photo.width.max(photo.height) <= 256);
        assert!(!photo.evidence.is_empty() && !photo.thumbnail.is_empty());
    }
});
