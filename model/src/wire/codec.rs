//! The `/v2` body codec: one zstd frame made with a dictionary of [`super::DICTIONARIES`],
//! without the frame's dictionary id (the [`super::DICTIONARY_HEADER`] header names it).
//! The device and the server both go through here.
//!
//! Each dictionary is prepared once per process, for compressing at each
//! [`Effort`] and for decompressing, and kept: loading a dictionary of this size at
//! level 19 took ~3 ms, more than the rest of a push on the server
//! (`docs/BENCHMARKS.md`, "City load"), and it was done for every request and every
//! answer.

use std::sync::OnceLock;

use zstd::dict::{DecoderDictionary, EncoderDictionary};

/// How hard to compress a body: which side sends it decides. Any frame decompresses the
/// same way, so this is the sender's choice alone.
///
/// Measured on the dictionary trainer's 914 pushes and answers (`docs/BENCHMARKS.md`,
/// "Compression effort"): level 19 makes frames ~9 % smaller than level 3 and costs ~50×
/// the CPU (~1 ms against ~20 µs for a 2–8 KB body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// Level 19, for a device's pushes: sent once, from one phone, often over a weak
    /// village link, where every byte waits on the radio and a millisecond of the
    /// phone's CPU does not.
    Thorough,
    /// Level 3, for the server's answers: it answers every device, and at level 19 the
    /// answers were a quarter of all the CPU of the city load bench.
    Quick,
}

impl Effort {
    /// The zstd level.
    pub const fn level(self) -> i32 {
        match self {
            Effort::Thorough => 19,
            Effort::Quick => 3,
        }
    }
}

/// Why a body could not be compressed or decompressed.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// This build holds no dictionary with this id.
    #[error("this build holds no compression dictionary {0}")]
    UnknownDictionary(u32),
    /// The frame says it decompresses to more than the caller allows.
    #[error("the body decompresses to {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// What the frame header declares.
        size: u64,
        /// The caller's limit.
        limit: usize,
    },
    /// The bytes are not a frame made with the dictionary, or exceed the limit while
    /// decompressing.
    #[error("not a zstd frame of at most {limit} bytes made with dictionary {id}: {reason}")]
    Corrupt {
        /// The dictionary tried.
        id: u32,
        /// The caller's limit.
        limit: usize,
        /// zstd's words.
        reason: String,
    },
    /// zstd failed to compress (out of memory).
    #[error("cannot compress: {0}")]
    Compress(String),
}

/// One dictionary, ready for both directions.
struct Prepared {
    id: u32,
    /// For [`Effort::Thorough`] and [`Effort::Quick`], each built on its first use.
    thorough: OnceLock<EncoderDictionary<'static>>,
    quick: OnceLock<EncoderDictionary<'static>>,
    decoder: DecoderDictionary<'static>,
    bytes: &'static [u8],
}

impl Prepared {
    fn encoder(&self, effort: Effort) -> &EncoderDictionary<'static> {
        let slot = match effort {
            Effort::Thorough => &self.thorough,
            Effort::Quick => &self.quick,
        };
        slot.get_or_init(|| EncoderDictionary::copy(self.bytes, effort.level()))
    }
}

/// Every dictionary of this build, prepared on first use.
fn prepared(id: u32) -> Result<&'static Prepared, CodecError> {
    static ALL: OnceLock<Vec<Prepared>> = OnceLock::new();
    ALL.get_or_init(|| {
        super::DICTIONARIES
            .iter()
            .map(|(id, bytes)| Prepared {
                id: *id,
                thorough: OnceLock::new(),
                quick: OnceLock::new(),
                decoder: DecoderDictionary::copy(bytes),
                bytes,
            })
            .collect()
    })
    .iter()
    .find(|p| p.id == id)
    .ok_or(CodecError::UnknownDictionary(id))
}

/// `json` compressed with dictionary `id` at `effort`, the frame without a dictionary id.
pub fn compress(json: &[u8], id: u32, effort: Effort) -> Result<Vec<u8>, CodecError> {
    let fail = |e: std::io::Error| CodecError::Compress(e.to_string());
    let dictionary = prepared(id)?;
    let mut compressor =
        zstd::bulk::Compressor::with_prepared_dictionary(dictionary.encoder(effort))
            .map_err(fail)?;
    compressor
        .set_parameter(zstd::zstd_safe::CParameter::DictIdFlag(false))
        .map_err(fail)?;
    compressor.compress(json).map_err(fail)
}

/// The frame `bytes` decompressed with dictionary `id`, refused beyond `limit` bytes: a
/// frame declaring more is refused before any work, one that does not declare its size
/// stops at the limit.
pub fn decompress(bytes: &[u8], id: u32, limit: usize) -> Result<Vec<u8>, CodecError> {
    let dictionary = prepared(id)?;
    if let Ok(Some(size)) = zstd::zstd_safe::get_frame_content_size(bytes)
        && size > limit as u64
    {
        return Err(CodecError::TooLarge { size, limit });
    }
    let corrupt = |e: std::io::Error| CodecError::Corrupt {
        id,
        limit,
        reason: e.to_string(),
    };
    zstd::bulk::Decompressor::with_prepared_dictionary(&dictionary.decoder)
        .map_err(corrupt)?
        .decompress(bytes, limit)
        .map_err(corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::CURRENT_DICTIONARY;

    const JSON: &[u8] = br#"{"i":[{"d":"0193c3a4-1b2e-7a00-8000-000000000001","k":"inspection"}]}"#;

    const EFFORTS: [Effort; 2] = [Effort::Thorough, Effort::Quick];

    #[test]
    fn a_body_comes_back_as_it_went_in_at_either_effort() {
        for effort in EFFORTS {
            let frame = compress(JSON, CURRENT_DICTIONARY, effort).unwrap();
            assert_eq!(decompress(&frame, CURRENT_DICTIONARY, 1024).unwrap(), JSON);
        }
    }

    #[test]
    fn the_frame_carries_no_dictionary_id_the_header_names_it() {
        for effort in EFFORTS {
            let frame = compress(JSON, CURRENT_DICTIONARY, effort).unwrap();
            assert_eq!(zstd::zstd_safe::get_dict_id_from_frame(&frame), None);
        }
    }

    #[test]
    fn the_prepared_dictionary_compresses_as_the_raw_one_does() {
        // Preparing once must not change a byte on the wire (the sizes of issue 13's
        // targets are measured on these frames).
        let raw = crate::wire::dictionary(CURRENT_DICTIONARY).unwrap();
        for effort in EFFORTS {
            let mut plain = zstd::bulk::Compressor::with_dictionary(effort.level(), raw).unwrap();
            plain
                .set_parameter(zstd::zstd_safe::CParameter::DictIdFlag(false))
                .unwrap();
            assert_eq!(
                compress(JSON, CURRENT_DICTIONARY, effort).unwrap(),
                plain.compress(JSON).unwrap()
            );
        }
    }

    #[test]
    fn an_unknown_dictionary_is_named() {
        assert!(matches!(
            compress(JSON, 999, Effort::Quick),
            Err(CodecError::UnknownDictionary(999))
        ));
        assert!(matches!(
            decompress(b"x", 999, 10),
            Err(CodecError::UnknownDictionary(999))
        ));
    }

    #[test]
    fn a_frame_over_the_limit_is_refused_before_or_while_decompressing() {
        let big = vec![b'a'; 10_000];
        let frame = compress(&big, CURRENT_DICTIONARY, Effort::Quick).unwrap();
        assert!(matches!(
            decompress(&frame, CURRENT_DICTIONARY, 100),
            Err(CodecError::TooLarge {
                size: 10_000,
                limit: 100
            })
        ));
        assert!(matches!(
            decompress(b"not a frame", CURRENT_DICTIONARY, 100),
            Err(CodecError::Corrupt { .. })
        ));
    }
}
