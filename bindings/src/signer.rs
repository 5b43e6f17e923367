//! The device signer across the FFI: the shells implement [`DeviceSigner`] with the
//! platform keystore (an Android Keystore key, a Secure Enclave key on iOS) and hand it
//! to [`GridwalkStore::open`](crate::GridwalkStore::open). Only the message to sign and
//! the signature and public key cross the FFI; the private key stays in the hardware.

use std::sync::Arc;

use gridwalk_core::CoreError;

/// Why the shell's signer could not sign.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum SignerError {
    /// The keystore cannot sign now (locked, the key is gone, the user refused). The
    /// sync that needed the signature sends nothing and the records stay queued; the
    /// shell may sync again once the keystore is open.
    #[error("the signer is unavailable: {reason}")]
    Unavailable {
        /// What the keystore said.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for SignerError {
    /// A shell signer that throws something other than [`SignerError`] is unavailable
    /// too: the push is refused rather than sent unsealed.
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        SignerError::Unavailable { reason: e.reason }
    }
}

/// Signs this device's records with a key the shell's platform keystore holds.
#[uniffi::export(with_foreign)]
pub trait DeviceSigner: Send + Sync {
    /// The DER-encoded ECDSA P-256 signature of SHA-256(`message`)
    /// (`SHA256withECDSA` on Android, `.ecdsaSignatureMessageX962SHA256` on iOS).
    fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, SignerError>;
    /// The public key as the SEC1 uncompressed point: 65 bytes, `04 ‖ X ‖ Y`.
    fn public_key(&self) -> Result<Vec<u8>, SignerError>;
}

/// The shell's signer as the core's.
pub(crate) struct Foreign(pub(crate) Arc<dyn DeviceSigner>);

fn unavailable(SignerError::Unavailable { reason }: SignerError) -> CoreError {
    CoreError::SignerUnavailable { reason }
}

impl gridwalk_core::signer::DeviceSigner for Foreign {
    fn sign(&self, message: &[u8]) -> gridwalk_core::Result<Vec<u8>> {
        self.0.sign(message.to_vec()).map_err(unavailable)
    }

    fn public_key(&self) -> gridwalk_core::Result<Vec<u8>> {
        self.0.public_key().map_err(unavailable)
    }
}
