package org.gridwalk.app.keys

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.PrivateKey
import java.security.Signature
import java.security.spec.ECGenParameterSpec
import org.gridwalk.ffi.DeviceSigner
import org.gridwalk.ffi.SignerException
import org.gridwalk.logic.sec1FromX509

/**
 * The device key in the Android Keystore: an EC P-256 key pair made once on this phone
 * (in the TEE or StrongBox where the phone has one), never exportable, used with
 * `SHA256withECDSA`. The core calls [sign] for every record it chains and [publicKey] at
 * enrolment; the private key never crosses the FFI. The keystore entry does not travel
 * with a backup or a phone-to-phone transfer, so a restored app makes a new key and
 * enrols afresh.
 */
class KeystoreSigner(private val alias: String = ALIAS) : DeviceSigner {
    private val keyStore: KeyStore by lazy { KeyStore.getInstance(PROVIDER).apply { load(null) } }

    private fun privateKey(): PrivateKey = unavailableOnFailure {
        (keyStore.getKey(alias, null) as? PrivateKey) ?: create()
    }

    private fun create(): PrivateKey {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN or KeyProperties.PURPOSE_VERIFY)
            .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
            .setDigests(KeyProperties.DIGEST_SHA256)
            .build()
        return KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, PROVIDER)
            .apply { initialize(spec) }
            .generateKeyPair()
            .private
    }

    override fun sign(message: ByteArray): ByteArray = unavailableOnFailure {
        // DER-encoded ECDSA, which is what the core expects.
        Signature.getInstance("SHA256withECDSA").run {
            initSign(privateKey())
            update(message)
            sign()
        }
    }

    override fun publicKey(): ByteArray = unavailableOnFailure {
        privateKey()
        // A failed check is wrapped as Unavailable, with this detail, by unavailableOnFailure.
        val encoded = keyStore.getCertificate(alias)?.publicKey?.encoded ?: error("the keystore has no certificate for $alias")
        sec1FromX509(encoded)
    }

    private inline fun <T> unavailableOnFailure(block: () -> T): T = try {
        block()
    } catch (e: SignerException) {
        throw e
    } catch (e: Exception) {
        throw SignerException.Unavailable("${e.javaClass.simpleName}: ${e.message}")
    }

    private companion object {
        const val PROVIDER = "AndroidKeyStore"
        const val ALIAS = "gridwalk-device-key"
    }
}
