//! This device's signing key, behind [`DeviceSigner`]: the shells will implement it with
//! the platform keystore (Android Keystore, the Secure Enclave), so the private key
//! never leaves the hardware, and hand it to the store when they open it; a store opened
//! with one never holds a private key. [`SoftwareSigner`] is the core's own
//! implementation, for the terminal shell and tests, whose key the store keeps in its
//! settings (of the encrypted store).
//!
//! What is signed, and how, is the model's ([`gridwalk_model::signing`],
//! `docs/signing.md`): ECDSA P-256 with SHA-256, DER signatures, SEC1 public keys.

use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};

use crate::error::{CoreError, Result};

/// Signs this device's records. `Send + Sync` because the store that holds it is shared
/// by a shell's screens and its sync client.
pub trait DeviceSigner: Send + Sync {
    /// The DER-encoded ECDSA P-256 SHA-256 signature of `message`.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>>;
    /// The public key: the SEC1 uncompressed point (65 bytes, `04 ‖ X ‖ Y`).
    fn public_key(&self) -> Result<Vec<u8>>;
}

/// A P-256 key held in memory (RFC 6979 deterministic signatures).
pub struct SoftwareSigner {
    key: SigningKey,
}

impl SoftwareSigner {
    /// A new random key, from the operating system's random source.
    pub fn generate() -> SoftwareSigner {
        SoftwareSigner {
            key: SigningKey::random(&mut rand_core::OsRng),
        }
    }

    /// The key whose 32-byte private scalar is `secret`.
    pub fn from_secret(secret: &[u8]) -> Result<SoftwareSigner> {
        let key = SigningKey::from_slice(secret).map_err(|e| CoreError::Corrupt {
            what: "this device's signing key".into(),
            detail: format!("it is not a P-256 private key: {e}"),
        })?;
        Ok(SoftwareSigner { key })
    }

    /// The 32-byte private scalar, for the store to keep.
    pub fn secret(&self) -> Vec<u8> {
        self.key.to_bytes().to_vec()
    }
}

impl DeviceSigner for SoftwareSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let signature: Signature = self.key.sign(message);
        Ok(signature.to_der().as_bytes().to_vec())
    }

    fn public_key(&self) -> Result<Vec<u8>> {
        Ok(self
            .key
            .verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use gridwalk_model::signing::{to_hex, verify};

    #[test]
    fn a_kept_key_signs_what_the_models_check_accepts() {
        let signer = SoftwareSigner::generate();
        let again = SoftwareSigner::from_secret(&signer.secret()).unwrap();
        assert_eq!(again.public_key().unwrap(), signer.public_key().unwrap());
        let signature = again.sign(b"record").unwrap();
        let public = to_hex(&signer.public_key().unwrap());
        verify(&public, b"record", &to_hex(&signature)).unwrap();
        assert!(verify(&public, b"other", &to_hex(&signature)).is_err());
        assert!(matches!(
            SoftwareSigner::from_secret(&[0u8; 32]),
            Err(CoreError::Corrupt { .. })
        ));
    }
}
