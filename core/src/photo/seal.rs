//! Evidence sealed at rest: photos of personal-detail answers (the model's
//! [`Template::is_personal`](gridwalk_model::checklist::Template::is_personal) items:
//! key groups, disputes) are kept encrypted in the photo folder, like the store itself,
//! so a copied photo folder shows no one's home or face.
//!
//! ChaCha20-Poly1305 (fast in software on phones without AES instructions) with a
//! [`PhotoKey`] derived from the store key, so the shells hand in one key only. A
//! sealed file is `GWSEAL1\0` ‖ 12-byte random nonce ‖ ciphertext and tag; the photo's
//! SHA-256 (its name) is the associated data, so a sealed file moved under another
//! photo's name does not open. The photo's identity stays the SHA-256 of the plaintext
//! JPEG: that is what answers name, what is uploaded and what the server checks.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand_core::{OsRng, RngCore};

use super::error::PhotoError;
#[cfg(test)]
use crate::store::StoreKey;
pub use crate::store::cipher::PhotoKey;

/// The first bytes of every sealed file (and the format's version).
const MAGIC: &[u8; 8] = b"GWSEAL1\0";
/// ChaCha20-Poly1305's nonce length.
const NONCE_LEN: usize = 12;

/// The cipher under the photo key.
fn cipher(key: &PhotoKey) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(Key::from_slice(key.bytes()))
}

/// Seals `plain`, the bytes of the photo named `sha256`.
pub fn seal(key: &PhotoKey, sha256: &str, plain: &[u8]) -> Result<Vec<u8>, PhotoError> {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let sealed = cipher(key)
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plain,
                aad: sha256.as_bytes(),
            },
        )
        .map_err(|_| PhotoError::Encode("the photo could not be sealed".into()))?;
    let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + sealed.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens a sealed file of the photo named `sha256`; `None` when it is not a sealed file,
/// was sealed with another key or for another photo, or was changed.
pub fn open(key: &PhotoKey, sha256: &str, sealed: &[u8]) -> Option<Vec<u8>> {
    let rest = sealed.strip_prefix(MAGIC.as_slice())?;
    if rest.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    cipher(key)
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: sha256.as_bytes(),
            },
        )
        .ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_photo_opens_only_with_its_key_and_under_its_name() {
        let key = PhotoKey::derive(&StoreKey::generate());
        let plain = b"\xff\xd8 a jpeg of someone's front door \xff\xd9";
        let sealed = seal(&key, "ab12", plain).unwrap();
        assert!(!sealed.windows(10).any(|w| w == &plain[3..13]));
        assert_eq!(open(&key, "ab12", &sealed).unwrap(), plain);
        assert_eq!(
            open(&key, "cd34", &sealed),
            None,
            "moved under another name"
        );
        let other = PhotoKey::derive(&StoreKey::generate());
        assert_eq!(open(&other, "ab12", &sealed), None, "another store's key");
        let mut changed = sealed.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert_eq!(open(&key, "ab12", &changed), None, "a changed byte");
        assert_eq!(open(&key, "ab12", plain), None, "not sealed at all");
        // The same store key always derives the same photo key.
        let store_key = StoreKey::generate();
        let sealed = seal(&PhotoKey::derive(&store_key), "ab12", plain).unwrap();
        assert!(open(&PhotoKey::derive(&store_key), "ab12", &sealed).is_some());
    }
}
