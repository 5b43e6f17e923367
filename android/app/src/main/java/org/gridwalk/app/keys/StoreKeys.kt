package org.gridwalk.app.keys

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.security.KeyStore
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import org.gridwalk.logic.KeyWrapper
import org.gridwalk.logic.StoreKeyFile

/**
 * The store's encryption key: 32 random bytes (made and kept by [StoreKeyFile] in the
 * plain module, tested there), wrapped by an AES-256-GCM key that lives in the Android
 * Keystore and never leaves it. The wrapped key is kept in app-private files
 * (`files/store.key`), which data_extraction_rules.xml keeps out of backup and transfer;
 * even copied, it opens nothing without this phone's keystore.
 */
class StoreKeys(context: Context) {
    private val file = context.filesDir.resolve("store.key")

    /** The store key, made on first use. */
    fun storeKey(): ByteArray = StoreKeyFile(file, AndroidKeystoreWrapper()).getOrCreate()
}

/** AES-GCM with a non-exportable AndroidKeyStore key; the keystore picks each IV. */
private class AndroidKeystoreWrapper : KeyWrapper {
    private val keyStore = KeyStore.getInstance(PROVIDER).apply { load(null) }

    private fun key(): SecretKey = (keyStore.getKey(ALIAS, null) as? SecretKey) ?: KeyGenerator
        .getInstance(KeyProperties.KEY_ALGORITHM_AES, PROVIDER)
        .apply {
            init(
                KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                    .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                    .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                    .setKeySize(256)
                    .build(),
            )
        }
        .generateKey()

    override fun wrap(key: ByteArray): Pair<ByteArray, ByteArray> {
        val cipher = Cipher.getInstance(TRANSFORMATION).apply { init(Cipher.ENCRYPT_MODE, key()) }
        return cipher.iv to cipher.doFinal(key)
    }

    override fun unwrap(iv: ByteArray, sealed: ByteArray): ByteArray {
        // StoreKeyFile turns a failure here into StoreKeyUnavailable, keeping the file.
        val key = keyStore.getKey(ALIAS, null) as? SecretKey ?: error("the wrapping key is gone from the keystore")
        return Cipher.getInstance(TRANSFORMATION)
            .apply { init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(128, iv)) }
            .doFinal(sealed)
    }

    private companion object {
        const val PROVIDER = "AndroidKeyStore"
        const val ALIAS = "gridwalk-store-key-wrap"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
    }
}
