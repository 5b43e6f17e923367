//! The photo pipeline on real JPEG and PNG files in temp folders: orientation, metadata
//! stripping, shrink-on-load, dedupe, atomic writes and every kind of bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};

use gridwalk_core::photo::{self, IngestOptions, PhotoError, decode};
use gridwalk_core::{CoreError, Store};
use support::*;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn opts() -> IngestOptions {
    IngestOptions::default()
}

#[test]
fn every_exif_orientation_yields_upright_pixels() {
    let dir = tempfile::tempdir().unwrap();
    // Not square, so a missed axis swap shows up in the dimensions too.
    let upright = marker_scene(96, 64, 16);
    for o in 1..=8u32 {
        let stored = stored_for_orientation(&upright, o);
        let src = write(
            dir.path(),
            &format!("o{o}.jpg"),
            &jpeg(
                &stored,
                95,
                &Meta {
                    orientation: Some(o as u16),
                    ..Meta::default()
                },
            ),
        );
        let out = photo::ingest(&src, &dir.path().join("photos"), &opts()).unwrap();
        assert_eq!((out.width, out.height), (96, 64), "orientation {o}");
        let img = decode(&std::fs::read(&out.path).unwrap());
        assert_eq!((img.w, img.h), (96, 64), "orientation {o}");
        // Sample the middle of each marker block.
        assert!(
            close(img.get(8, 8), RED, 40),
            "orientation {o}: top-left is {:?}",
            img.get(8, 8)
        );
        assert!(
            close(img.get(87, 8), GREEN, 40),
            "orientation {o}: top-right is {:?}",
            img.get(87, 8)
        );
        assert!(
            close(img.get(8, 55), BLUE, 40),
            "orientation {o}: bottom-left is {:?}",
            img.get(8, 55)
        );
        assert!(
            close(img.get(87, 55), GRAY, 40),
            "orientation {o}: bottom-right is {:?}",
            img.get(87, 55)
        );
    }
}

#[test]
fn orientation_is_applied_after_shrinking_too() {
    let dir = tempfile::tempdir().unwrap();
    let upright = marker_scene(640, 480, 96);
    let stored = stored_for_orientation(&upright, 6);
    assert_eq!((stored.w, stored.h), (480, 640));
    let src = write(
        dir.path(),
        "big.jpg",
        &jpeg(
            &stored,
            90,
            &Meta {
                orientation: Some(6),
                ..Meta::default()
            },
        ),
    );
    let options = IngestOptions {
        long_edge: 200,
        thumbnail_edge: 64,
        ..opts()
    };
    let out = photo::ingest(&src, &dir.path().join("photos"), &options).unwrap();
    assert_eq!((out.width, out.height), (200, 150));
    let img = decode(&std::fs::read(&out.path).unwrap());
    assert!(close(img.get(10, 10), RED, 40));
    assert!(close(img.get(189, 10), GREEN, 40));
    assert!(close(img.get(10, 139), BLUE, 40));
    let thumb = decode(&std::fs::read(&out.thumbnail_path).unwrap());
    assert_eq!((thumb.w, thumb.h), (64, 48));
    assert!(close(thumb.get(3, 3), RED, 50));
}

#[test]
fn jpeg_is_decoded_at_reduced_scale_when_the_target_allows() {
    let img = textured(1024, 768, 1);
    let bytes = jpeg(&img, 85, &Meta::default());
    // 1/4 scale covers a 256 px target exactly.
    let d = decode::jpeg(bytes.as_slice(), 256, u64::MAX).unwrap();
    assert_eq!((d.source_width, d.source_height), (1024, 768));
    assert_eq!((d.image.width, d.image.height), (256, 192));
    // 1/2 scale (512 px) covers a 500 px target.
    let d = decode::jpeg(bytes.as_slice(), 500, u64::MAX).unwrap();
    assert_eq!((d.image.width, d.image.height), (512, 384));
    // A 600 px target is not covered by 512, so the full size is decoded.
    let d = decode::jpeg(bytes.as_slice(), 600, u64::MAX).unwrap();
    assert_eq!((d.image.width, d.image.height), (1024, 768));
}

#[test]
fn progressive_jpegs_are_decoded_at_reduced_scale_and_upright() {
    let scene = marker_scene(1024, 768, 128);
    let meta = Meta {
        orientation: Some(6),
        ..Meta::default()
    };
    let bytes = jpeg_progressive(&stored_for_orientation(&scene, 6), 90, &meta);
    // Stored rotated: 768×1024; 1/4 scale covers a 256 px target.
    let d = decode::jpeg(bytes.as_slice(), 256, u64::MAX).unwrap();
    assert_eq!((d.source_width, d.source_height), (768, 1024));
    assert_eq!((d.image.width, d.image.height), (192, 256));

    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "web-export.jpg", &bytes);
    let options = IngestOptions {
        long_edge: 512,
        ..opts()
    };
    let photo = photo::ingest(&file, &dir.path().join("photos"), &options).unwrap();
    assert_eq!((photo.width, photo.height), (512, 384));
    let stored = decode(&std::fs::read(&photo.path).unwrap());
    assert!(
        close(stored.get(20, 20), RED, 40),
        "{:?}",
        stored.get(20, 20)
    );
    assert!(close(stored.get(500, 20), GREEN, 40));
    assert!(close(stored.get(20, 370), BLUE, 40));
    assert!(close(stored.get(256, 192), GRAY, 20));

    // Cut in the middle of its scans: refused as truncated, like a baseline file.
    let cut = write(dir.path(), "cut.jpg", &bytes[..bytes.len() * 2 / 3]);
    let photos = dir.path().join("other-photos");
    assert_refused(photo::ingest(&cut, &photos, &options), &photos, |e| {
        matches!(e, PhotoError::Truncated { format: "JPEG" })
    });
}

#[test]
fn large_pngs_are_box_averaged_while_they_stream_in() {
    // 1030×770: not a multiple of the box, so the last column and row of boxes are
    // partial and must average only the pixels they have.
    let mut img = marker_scene(1030, 770, 256);
    img.fill_rect(1028, 0, 2, 770, [0, 0, 0]);
    let bytes = png(&img);
    // 1/4 (258 px) covers a 256 px target: decoded at 258×193, never at full size.
    let d = decode::png(std::io::Cursor::new(&bytes), 256, u64::MAX).unwrap();
    assert_eq!((d.source_width, d.source_height), (1030, 770));
    assert_eq!((d.image.width, d.image.height), (258, 193));
    let px = |x: usize, y: usize| {
        let i = (y * 258 + x) * 3;
        [
            d.image.pixels[i],
            d.image.pixels[i + 1],
            d.image.pixels[i + 2],
        ]
    };
    assert_eq!(
        px(10, 10),
        RED,
        "a whole box of one colour keeps it exactly"
    );
    assert_eq!(px(10, 100), GRAY);
    assert_eq!(px(10, 190), BLUE);
    // The last box column holds the 2 black columns and nothing else.
    assert_eq!(px(257, 100), [0, 0, 0]);
    // The box before it: 4 grey columns (1024..1028).
    assert_eq!(px(256, 100), GRAY);
    // A target the PNG barely covers: decoded whole.
    let d = decode::png(std::io::Cursor::new(&bytes), 1000, u64::MAX).unwrap();
    assert_eq!((d.image.width, d.image.height), (1030, 770));

    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "screenshot.png", &bytes);
    let options = IngestOptions {
        long_edge: 256,
        thumbnail_edge: 64,
        ..opts()
    };
    let photo = photo::ingest(&file, &dir.path().join("photos"), &options).unwrap();
    // Fitted from the reduced 258×193 (as JPEG shrink-on-load does): 256×192.
    assert_eq!((photo.width, photo.height), (256, 192));
    let stored = decode(&std::fs::read(&photo.path).unwrap());
    assert!(close(stored.get(20, 20), RED, 30));
    assert!(close(stored.get(20, 180), BLUE, 30));
}

#[test]
fn stored_files_carry_no_exif_gps_xmp_or_maker_notes_but_fields_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let meta = Meta {
        orientation: Some(1),
        taken: Some("2026:05:04 10:30:15"),
        offset: Some("+08:00"),
        gps: Some((31.2304, -121.4737)),
        make: Some("Xiaomi"),
        model: Some("Redmi Note 9"),
        maker_note: true,
        xmp: true,
        icc: true,
    };
    let original = jpeg(&textured(320, 240, 7), 90, &meta);
    // The fixture really has what we claim to strip.
    let segs = segments(&original);
    assert!(
        segs.iter()
            .any(|(m, p)| *m == 0xE1 && p.starts_with(b"Exif\0\0"))
    );
    assert!(
        segs.iter()
            .any(|(m, p)| *m == 0xE1 && p.starts_with(b"http://ns.adobe.com/xap/"))
    );
    assert!(original.windows(MAKER_NOTE.len()).any(|w| w == MAKER_NOTE));

    let src = write(dir.path(), "camera.jpg", &original);
    let out = photo::ingest(&src, &dir.path().join("photos"), &opts()).unwrap();
    assert_eq!(out.taken_at.as_deref(), Some("2026-05-04T10:30:15+08:00"));
    assert!((out.lat.unwrap() - 31.2304).abs() < 1e-4);
    assert!((out.lon.unwrap() + 121.4737).abs() < 1e-4);
    assert_eq!(out.camera.as_deref(), Some("Xiaomi Redmi Note 9"));

    for path in [&out.path, &out.thumbnail_path] {
        let stored = std::fs::read(path).unwrap();
        for (marker, payload) in segments(&stored) {
            assert_ne!(
                marker,
                0xE1,
                "{}: APP1 (EXIF/XMP) segment left",
                path.display()
            );
            // APPn other than JFIF (APP0) and ICC (APP2) must not appear.
            if (0xE3..=0xEF).contains(&marker) {
                panic!("{}: APP{} segment left", path.display(), marker - 0xE0);
            }
            if marker == 0xE2 {
                assert!(
                    payload.starts_with(b"ICC_PROFILE\0"),
                    "APP2 that is not ICC"
                );
            }
        }
        for needle in [
            &b"Exif\0\0"[..],
            b"xmpmeta",
            b"Xiaomi",
            b"Redmi",
            MAKER_NOTE,
            b"2026:05:04",
        ] {
            assert!(
                !stored.windows(needle.len()).any(|w| w == needle),
                "{}: still contains {:?}",
                path.display(),
                String::from_utf8_lossy(needle)
            );
        }
        // The ICC profile is allowed (and wanted) to stay.
        assert!(stored.windows(FAKE_ICC.len()).any(|w| w == FAKE_ICC));
    }
}

#[test]
fn same_photo_twice_is_one_file_with_one_hash() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    let bytes = jpeg(&textured(300, 200, 3), 90, &Meta::default());
    let a = write(dir.path(), "a.jpg", &bytes);
    let b = write(dir.path(), "copy-of-a.jpeg", &bytes);
    let first = photo::ingest(&a, &photos, &opts()).unwrap();
    let second = photo::ingest(&b, &photos, &opts()).unwrap();
    assert_eq!(first.sha256, second.sha256);
    assert_eq!(first.path, second.path);
    assert!(!first.already_stored);
    assert!(second.already_stored);
    let rest = &first.sha256[2..];
    assert_eq!(
        files_under(&photos),
        vec![
            format!("{}/", &first.sha256[..2]),
            format!("{}/{rest}.jpg", &first.sha256[..2]),
            format!("{}/{rest}.thumb.jpg", &first.sha256[..2]),
        ]
    );
    // The name is the hash of the bytes.
    use sha2::Digest;
    let stored = std::fs::read(&first.path).unwrap();
    let hash = sha2::Sha256::digest(&stored);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, first.sha256);
    assert_eq!(first.bytes, stored.len() as u64);
}

#[test]
fn a_damaged_earlier_copy_is_replaced_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    let src = write(
        dir.path(),
        "a.jpg",
        &jpeg(&textured(200, 150, 9), 90, &Meta::default()),
    );
    let first = photo::ingest(&src, &photos, &opts()).unwrap();
    std::fs::write(&first.path, b"half a file").unwrap();
    let again = photo::ingest(&src, &photos, &opts()).unwrap();
    assert!(!again.already_stored);
    assert_eq!(
        std::fs::read(&again.path).unwrap().len() as u64,
        again.bytes
    );
}

#[test]
fn a_png_named_jpg_is_ingested_by_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(
        dir.path(),
        "screenshot.jpg",
        &png(&marker_scene(96, 64, 16)),
    );
    let out = photo::ingest(&src, &dir.path().join("photos"), &opts()).unwrap();
    assert_eq!((out.width, out.height), (96, 64));
    let img = decode(&std::fs::read(&out.path).unwrap());
    assert!(close(img.get(8, 8), RED, 40));
}

#[test]
fn no_temp_files_remain_after_success() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    for seed in 0..3 {
        let src = write(
            dir.path(),
            "p.jpg",
            &jpeg(&textured(120, 90, seed), 90, &Meta::default()),
        );
        photo::ingest(&src, &photos, &opts()).unwrap();
    }
    let files = files_under(&photos);
    // Three evidence files; each no larger than a thumbnail, so each is its own.
    assert_eq!(files.iter().filter(|f| !f.ends_with('/')).count(), 3);
    assert!(
        files
            .iter()
            .all(|f| f.ends_with('/') || f.ends_with(".jpg")),
        "{files:?}"
    );
    assert!(
        !files
            .iter()
            .any(|f| f.contains("/.") || f.ends_with(".tmp")),
        "{files:?}"
    );
}

/// Asserts `result` failed with an error `check` accepts and that nothing was written.
fn assert_refused(
    result: Result<photo::IngestedPhoto, PhotoError>,
    photos: &Path,
    check: impl Fn(&PhotoError) -> bool,
) {
    match result {
        Err(e) => assert!(check(&e), "unexpected error: {e:?} ({e})"),
        Ok(p) => panic!("expected a refusal, got {p:?}"),
    }
    assert!(
        !photos.exists() || files_under(photos).is_empty(),
        "{:?}",
        files_under(photos)
    );
}

#[test]
fn bad_input_gets_a_typed_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    let good = jpeg(&textured(200, 150, 5), 90, &Meta::default());
    let good_png = png(&textured(64, 48, 5));

    let empty = write(dir.path(), "empty.jpg", b"");
    assert_refused(photo::ingest(&empty, &photos, &opts()), &photos, |e| {
        matches!(e, PhotoError::Empty)
    });

    let truncated = write(dir.path(), "cut.jpg", &good[..good.len() / 2]);
    assert_refused(photo::ingest(&truncated, &photos, &opts()), &photos, |e| {
        matches!(e, PhotoError::Truncated { format: "JPEG" })
    });

    let header_only = write(dir.path(), "header.jpg", &good[..sof_offset(&good) + 4]);
    assert_refused(
        photo::ingest(&header_only, &photos, &opts()),
        &photos,
        |e| matches!(e, PhotoError::Truncated { .. } | PhotoError::Corrupt { .. }),
    );

    let cut_png = write(dir.path(), "cut.png", &good_png[..good_png.len() - 20]);
    assert_refused(photo::ingest(&cut_png, &photos, &opts()), &photos, |e| {
        matches!(
            e,
            PhotoError::Truncated { format: "PNG" } | PhotoError::Corrupt { format: "PNG", .. }
        )
    });

    // A JPEG start followed by garbage where the tables should be.
    let mut corrupt = good.clone();
    for (i, b) in corrupt.iter_mut().enumerate().skip(20).take(400) {
        *b = (i * 37 % 251) as u8;
    }
    let corrupt = write(dir.path(), "corrupt.jpg", &corrupt);
    assert_refused(photo::ingest(&corrupt, &photos, &opts()), &photos, |e| {
        matches!(e, PhotoError::Corrupt { format: "JPEG", .. })
    });

    // A PNG whose pixel data fails its checksum.
    let mut bad_png = good_png.clone();
    let n = bad_png.len();
    bad_png[n - 30] ^= 0xFF;
    let bad_png = write(dir.path(), "bad.png", &bad_png);
    assert_refused(photo::ingest(&bad_png, &photos, &opts()), &photos, |e| {
        matches!(e, PhotoError::Corrupt { format: "PNG", .. })
    });

    let text = write(
        dir.path(),
        "notes.txt",
        b"pump house, east gate, padlock broken\n",
    );
    assert_refused(photo::ingest(&text, &photos, &opts()), &photos, |e| {
        matches!(e, PhotoError::NotAnImage)
    });

    let text_jpg = write(
        dir.path(),
        "IMG_0001.JPG",
        b"pump house, east gate, padlock broken\n",
    );
    assert_refused(
        photo::ingest(&text_jpg, &photos, &opts()),
        &photos,
        |e| matches!(e, PhotoError::MisleadingExtension { extension } if extension == "jpg"),
    );

    let heic = write(
        dir.path(),
        "IMG_0002.jpg",
        b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\0",
    );
    assert_refused(
        photo::ingest(&heic, &photos, &opts()),
        &photos,
        |e| matches!(e, PhotoError::Unsupported { format } if format == "HEIC"),
    );
    let message = photo::ingest(&heic, &photos, &opts())
        .unwrap_err()
        .to_string();
    assert!(message.contains("HEIC"), "{message}");

    let missing = dir.path().join("no-such-photo.jpg");
    assert_refused(
        photo::ingest(&missing, &photos, &opts()),
        &photos,
        |e| matches!(e, PhotoError::Unreadable { path, .. } if path.contains("no-such-photo")),
    );
    assert_refused(photo::ingest(dir.path(), &photos, &opts()), &photos, |e| {
        matches!(e, PhotoError::Unreadable { .. })
    });

    let small_limit = IngestOptions {
        max_file_bytes: 100,
        ..opts()
    };
    let ok = write(dir.path(), "ok.jpg", &good);
    assert_refused(photo::ingest(&ok, &photos, &small_limit), &photos, |e| {
        matches!(e, PhotoError::FileTooLarge { limit: 100, .. })
    });
}

#[test]
fn decompression_bombs_are_refused_from_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    // A real JPEG whose frame header is patched to claim 65000×65000 (4.2 gigapixels).
    let mut bomb = jpeg(&textured(64, 48, 2), 80, &Meta::default());
    let sof = sof_offset(&bomb);
    bomb[sof + 5..sof + 7].copy_from_slice(&65000u16.to_be_bytes());
    bomb[sof + 7..sof + 9].copy_from_slice(&65000u16.to_be_bytes());
    let bomb = write(dir.path(), "bomb.jpg", &bomb);
    let started = std::time::Instant::now();
    assert_refused(
        photo::ingest(&bomb, &photos, &opts()),
        &photos,
        |e| matches!(e, PhotoError::TooManyPixels { width: 65000, height: 65000, limit, .. } if *limit == opts().max_pixels),
    );
    // Allocating 12 GiB and decoding would not finish in well under a second.
    assert!(started.elapsed().as_secs() < 5);

    // A PNG whose IHDR claims 100000×100000 (with a valid CRC, so only the size is wrong).
    let mut png_bomb = png(&textured(8, 8, 2));
    png_bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png_bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&png_bomb[12..29]);
    png_bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    let png_bomb = write(dir.path(), "bomb.png", &png_bomb);
    assert_refused(photo::ingest(&png_bomb, &photos, &opts()), &photos, |e| {
        matches!(
            e,
            PhotoError::TooManyPixels {
                width: 100_000,
                height: 100_000,
                ..
            }
        )
    });

    // The limit is configurable: an ordinary photo over a small limit is refused too.
    let normal = write(
        dir.path(),
        "normal.jpg",
        &jpeg(&textured(200, 150, 2), 80, &Meta::default()),
    );
    let tight = IngestOptions {
        max_pixels: 200 * 150 - 1,
        ..opts()
    };
    assert_refused(photo::ingest(&normal, &photos, &tight), &photos, |e| {
        matches!(
            e,
            PhotoError::TooManyPixels {
                pixels: 30_000,
                limit: 29_999,
                ..
            }
        )
    });
    let exact = IngestOptions {
        max_pixels: 200 * 150,
        ..opts()
    };
    photo::ingest(&normal, &photos, &exact).unwrap();
}

#[test]
fn a_photo_folder_that_cannot_be_written_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(
        dir.path(),
        "p.jpg",
        &jpeg(&textured(160, 120, 4), 90, &Meta::default()),
    );

    // A file where the photo folder should be.
    let blocker = write(dir.path(), "photos-is-a-file", b"x");
    let err = photo::ingest(&src, &blocker.join("photos"), &opts()).unwrap_err();
    assert!(matches!(err, PhotoError::WriteFailed { .. }), "{err:?}");
    assert_eq!(std::fs::read(&blocker).unwrap(), b"x");

    // A file where the hash's shard folder should be: the root exists, the shard cannot.
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    let sha = photo::process_bytes(&std::fs::read(&src).unwrap(), &opts())
        .unwrap()
        .sha256;
    write(&photos, &sha[..2], b"in the way");
    let err = photo::ingest(&src, &photos, &opts()).unwrap_err();
    assert!(matches!(err, PhotoError::WriteFailed { .. }), "{err:?}");
    assert_eq!(files_under(&photos), vec![sha[..2].to_string()]);

    // A folder even root cannot write into (procfs), so this holds in CI as root too.
    let err = photo::ingest(&src, Path::new("/proc/gridwalk-photos-test"), &opts()).unwrap_err();
    assert!(
        matches!(
            err,
            PhotoError::WriteFailed { .. } | PhotoError::DiskFull { .. }
        ),
        "{err:?}"
    );
}

#[cfg(unix)]
#[test]
fn a_full_disk_mid_write_leaves_no_partial_file() {
    // The kernel's file-size limit (RLIMIT_FSIZE) makes a real write fail part-way, as a
    // full disk does. It applies to a child process: this test binary re-run on the
    // helper below, with SIGXFSZ ignored so the write returns EFBIG instead of killing.
    let dir = tempfile::tempdir().unwrap();
    let src = write(
        dir.path(),
        "p.jpg",
        &jpeg(&textured(640, 480, 8), 95, &Meta::default()),
    );
    let evidence = photo::process_bytes(&std::fs::read(&src).unwrap(), &opts())
        .unwrap()
        .evidence;
    assert!(evidence.len() > 16 * 1024, "fixture must exceed the limit");
    let photos = dir.path().join("photos");
    let exe = std::env::current_exe().unwrap();
    // `ulimit -f` counts 512-byte blocks in dash (1024 in bash): 16 blocks is at most 16 KiB.
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 16; exec \"$0\" --exact full_disk_helper --nocapture")
        .arg(&exe)
        .env("GRIDWALK_FULL_DISK_SRC", &src)
        .env("GRIDWALK_FULL_DISK_PHOTOS", &photos)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "helper failed: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // The helper really ran (it returns early when not launched from here).
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 passed"));
    assert!(
        !photos.exists() || files_under(&photos).is_empty(),
        "{:?}",
        files_under(&photos)
    );
}

/// Runs only as the child of `a_full_disk_mid_write_leaves_no_partial_file`.
#[test]
fn full_disk_helper() {
    let (Some(src), Some(photos)) = (
        std::env::var_os("GRIDWALK_FULL_DISK_SRC"),
        std::env::var_os("GRIDWALK_FULL_DISK_PHOTOS"),
    ) else {
        return;
    };
    let err = photo::ingest(Path::new(&src), Path::new(&photos), &opts()).unwrap_err();
    assert!(matches!(err, PhotoError::DiskFull { .. }), "{err:?}");
    assert!(err.to_string().contains("no space"), "{err}");
}

// ---- the store side ----

fn store_with_hazard_answer(dir: &Path) -> (Store, String) {
    use gridwalk_core::inspection::{InspectionKind, NewInspection, Outcome};
    use gridwalk_core::reference::Site;
    let mut store = Store::open(dir.join("device.db")).unwrap();
    store
        .upsert_sites(&[Site {
            id: "site-1".into(),
            name: "East Gate Market".into(),
            kind: "market".into(),
            unit: "grid-1".into(),
            address: String::new(),
            lat: None,
            lon: None,
        }])
        .unwrap();
    let id = store
        .start_inspection(&NewInspection {
            site_id: "site-1".into(),
            template_id: None,
            template_version: None,
            kind: InspectionKind::Routine,
            inspector: "li".into(),
        })
        .unwrap();
    store
        .answer(
            &id,
            "fire-01",
            Outcome::Hazard,
            Some("extinguisher expired"),
        )
        .unwrap();
    (store, id)
}

fn photo_rows(store_dir: &Path) -> i64 {
    let conn = rusqlite::Connection::open(store_dir.join("device.db")).unwrap();
    conn.query_row("SELECT COUNT(*) FROM photos", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn store_ingests_registers_and_dedupes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = store_with_hazard_answer(dir.path());
    let src = write(
        dir.path(),
        "p.jpg",
        &jpeg(&textured(400, 300, 6), 90, &Meta::default()),
    );
    let a = store.ingest_photo(&src, &opts()).unwrap();
    let b = store.ingest_photo(&src, &opts()).unwrap();
    assert_eq!(a.sha256, b.sha256);
    assert_eq!(photo_rows(dir.path()), 1);
    assert_eq!(store.photo_path(&a.sha256).unwrap(), a.path);
    assert!(a.path.starts_with(store.photos_dir()));
    assert_eq!(store.unreferenced_photos().unwrap(), vec![a.sha256.clone()]);
    assert!(store.photos_to_upload().unwrap().is_empty());
}

#[test]
fn attaching_a_photo_file_lets_the_hazard_be_submitted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, id) = store_with_hazard_answer(dir.path());
    let src = write(
        dir.path(),
        "hazard.jpg",
        &jpeg(&textured(400, 300, 6), 90, &Meta::default()),
    );
    let photo = store
        .attach_photo_file(&id, "fire-01", &src, &opts())
        .unwrap();
    let inspection = store.inspection(&id).unwrap();
    let answer = inspection
        .answers
        .iter()
        .find(|a| a.item == "fire-01")
        .unwrap();
    assert_eq!(answer.photos, vec![photo.sha256.clone()]);
    // Attached to a draft: kept (not a cleanup candidate), not yet offered for upload.
    assert!(store.unreferenced_photos().unwrap().is_empty());
    assert!(store.photos_to_upload().unwrap().is_empty());
    assert_eq!(store.pending_sync().unwrap().photos, 0);
}

#[test]
fn a_refused_attachment_or_bad_file_changes_neither_store_nor_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, id) = store_with_hazard_answer(dir.path());
    let src = write(
        dir.path(),
        "p.jpg",
        &jpeg(&textured(400, 300, 6), 90, &Meta::default()),
    );
    // fire-02 has no answer yet: refused, and the freshly made files are taken back.
    let err = store
        .attach_photo_file(&id, "fire-02", &src, &opts())
        .unwrap_err();
    assert!(matches!(err, CoreError::InvalidInput(_)), "{err:?}");
    assert_eq!(photo_rows(dir.path()), 0);
    assert!(
        files_under(&store.photos_dir()).is_empty(),
        "{:?}",
        files_under(&store.photos_dir())
    );

    let text = write(dir.path(), "x.jpg", b"not a photo");
    let err = store
        .attach_photo_file(&id, "fire-01", &text, &opts())
        .unwrap_err();
    assert!(
        matches!(
            err,
            CoreError::Photo(PhotoError::MisleadingExtension { .. })
        ),
        "{err:?}"
    );
    let err = store.ingest_photo(&text, &opts()).unwrap_err();
    assert!(err.to_string().contains(".jpg"), "{err}");
    assert_eq!(photo_rows(dir.path()), 0);
    assert!(files_under(&store.photos_dir()).is_empty());
}

fn link_rows(store_dir: &Path) -> i64 {
    let conn = rusqlite::Connection::open(store_dir.join("device.db")).unwrap();
    conn.query_row("SELECT COUNT(*) FROM answer_photos", [], |r| r.get(0))
        .unwrap()
}

/// The answer to `item` as stored: outcome, note and photos.
fn stored_answer(store: &Store, id: &str, item: &str) -> Option<gridwalk_core::inspection::Answer> {
    store
        .inspection(id)
        .unwrap()
        .answers
        .into_iter()
        .find(|a| a.item == item)
}

#[test]
fn a_bad_later_photo_refuses_the_whole_answer_with_photos() {
    use gridwalk_core::inspection::Outcome;
    let dir = tempfile::tempdir().unwrap();
    let (mut store, id) = store_with_hazard_answer(dir.path());
    let good = write(
        dir.path(),
        "good.jpg",
        &jpeg(&textured(400, 300, 6), 90, &Meta::default()),
    );
    let missing = dir.path().join("IMG_missing.jpg");
    let not_a_jpeg = write(dir.path(), "IMG_text.jpg", b"not a photo");
    for bad in [missing, not_a_jpeg] {
        let err = store
            .answer_with_photos(
                &id,
                "fire-02",
                Outcome::Hazard,
                Some("exit blocked"),
                &[good.clone(), bad.clone()],
                &opts(),
            )
            .unwrap_err();
        assert!(matches!(err, CoreError::Photo(_)), "{bad:?}: {err:?}");
        assert_eq!(stored_answer(&store, &id, "fire-02"), None, "{bad:?}");
        assert_eq!(photo_rows(dir.path()), 0, "{bad:?}");
        assert_eq!(link_rows(dir.path()), 0, "{bad:?}");
        assert!(
            files_under(&store.photos_dir()).is_empty(),
            "{bad:?}: {:?}",
            files_under(&store.photos_dir())
        );
    }
}

#[test]
fn answer_with_photos_is_one_transaction_a_failure_while_writing_leaves_nothing() {
    use gridwalk_core::inspection::Outcome;
    let dir = tempfile::tempdir().unwrap();
    let (mut store, id) = store_with_hazard_answer(dir.path());
    let before = stored_answer(&store, &id, "fire-01").unwrap();
    let first = write(
        dir.path(),
        "first.jpg",
        &jpeg(&textured(400, 300, 6), 90, &Meta::default()),
    );
    let second = write(
        dir.path(),
        "second.jpg",
        &jpeg(&textured(400, 300, 7), 90, &Meta::default()),
    );
    let hash_of = |p: &Path| {
        photo::process_bytes(&std::fs::read(p).unwrap(), &opts())
            .unwrap()
            .sha256
    };
    let (first_sha, second_sha) = (hash_of(&first), hash_of(&second));
    // The database refuses the second photo's link, as a full disk or a bug would part
    // way through: by then the answer, both photo records and the first link are written.
    let conn = rusqlite::Connection::open(dir.path().join("device.db")).unwrap();
    conn.execute_batch(&format!(
        "CREATE TRIGGER refuse_second BEFORE INSERT ON answer_photos
         WHEN NEW.sha256 = '{second_sha}' BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
    ))
    .unwrap();
    let err = store
        .answer_with_photos(
            &id,
            "fire-01",
            Outcome::Hazard,
            Some("two extinguishers expired"),
            &[first.clone(), second.clone()],
            &opts(),
        )
        .unwrap_err();
    assert!(matches!(err, CoreError::Storage(_)), "{err:?}");
    assert!(err.to_string().contains("injected failure"), "{err}");
    assert_eq!(
        stored_answer(&store, &id, "fire-01"),
        Some(before),
        "the earlier answer stays as it was"
    );
    assert_eq!(photo_rows(dir.path()), 0);
    assert_eq!(link_rows(dir.path()), 0, "not even the first photo's link");
    assert!(files_under(&store.photos_dir()).is_empty());

    conn.execute_batch("DROP TRIGGER refuse_second;").unwrap();
    store
        .answer_with_photos(
            &id,
            "fire-01",
            Outcome::Hazard,
            Some("two extinguishers expired"),
            &[first, second],
            &opts(),
        )
        .unwrap();
    let after = stored_answer(&store, &id, "fire-01").unwrap();
    assert_eq!(after.note.as_deref(), Some("two extinguishers expired"));
    assert_eq!(after.photos, vec![first_sha, second_sha]);
    assert_eq!(photo_rows(dir.path()), 2);
}

#[test]
fn a_photo_no_larger_than_a_thumbnail_is_its_own_thumbnail() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    let small = write(
        dir.path(),
        "small.jpg",
        &jpeg(&textured(200, 150, 4), 90, &Meta::default()),
    );
    let photo = photo::ingest(&small, &photos, &opts()).unwrap();
    assert_eq!((photo.width, photo.height), (200, 150));
    assert_eq!(photo.thumbnail_path, photo.path, "no second file");
    let rest = &photo.sha256[2..];
    assert_eq!(
        files_under(&photos),
        vec![
            format!("{}/", &photo.sha256[..2]),
            format!("{}/{rest}.jpg", &photo.sha256[..2]),
        ]
    );
    let layout = photo::Layout::new(&photos);
    assert_eq!(layout.read_thumbnail(&photo.sha256, None).unwrap(), None);
    // A larger one has its own, read back as the JPEG written.
    let large = write(
        dir.path(),
        "large.jpg",
        &jpeg(&textured(640, 480, 5), 90, &Meta::default()),
    );
    let photo = photo::ingest(&large, &photos, &opts()).unwrap();
    let thumbnail = layout.read_thumbnail(&photo.sha256, None).unwrap().unwrap();
    assert_eq!(thumbnail, std::fs::read(&photo.thumbnail_path).unwrap());
    assert_ne!(photo.thumbnail_path, photo.path);
}
