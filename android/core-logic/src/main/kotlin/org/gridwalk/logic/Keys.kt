package org.gridwalk.logic

import org.gridwalk.ffi.SignerException
import java.io.File
import java.security.SecureRandom

/**
 * The DER prefix of an X.509 SubjectPublicKeyInfo holding an EC P-256 key (id-ecPublicKey,
 * prime256v1, a 66-byte BIT STRING): what Android's `PublicKey.getEncoded()` returns
 * before the 65-byte SEC1 point.
 */
private val P256_SPKI_PREFIX = byteArrayOf(
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86.toByte(), 0x48, 0xce.toByte(), 0x3d, 0x02, 0x01,
    0x06, 0x08, 0x2a, 0x86.toByte(), 0x48, 0xce.toByte(), 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
)

/** The length of a SEC1 uncompressed P-256 point: `0x04 ‖ X ‖ Y`. */
const val SEC1_P256_BYTES = 65

/**
 * The SEC1 uncompressed point of a P-256 public key from its X.509 encoding, after
 * checking that the encoding is exactly that (anything else is refused, never truncated
 * into a wrong key).
 */
fun sec1FromX509(spki: ByteArray): ByteArray {
    if (spki.size != P256_SPKI_PREFIX.size + SEC1_P256_BYTES ||
        !spki.copyOfRange(0, P256_SPKI_PREFIX.size).contentEquals(P256_SPKI_PREFIX) ||
        spki[P256_SPKI_PREFIX.size] != 0x04.toByte()
    ) {
        throw SignerException.Unavailable("the keystore's public key is not an uncompressed P-256 key")
    }
    return spki.copyOfRange(P256_SPKI_PREFIX.size, spki.size)
}

/**
 * Encrypts and decrypts the store key with a key the platform keystore holds and never
 * releases (Android: an AndroidKeyStore AES-GCM key). [wrap] returns the IV and the
 * ciphertext with its tag; [unwrap] authenticates before returning anything.
 */
interface KeyWrapper {
    /** Encrypts [key]: a fresh IV, and the ciphertext with its tag. */
    fun wrap(key: ByteArray): Pair<ByteArray, ByteArray>

    /** Decrypts what [wrap] made; throws if it was altered or the wrapping key is gone. */
    fun unwrap(iv: ByteArray, sealed: ByteArray): ByteArray
}

/**
 * The store key: 32 random bytes made once, kept wrapped by [wrapper] in [file] (app-private
 * files, excluded from backup and transfer, so a copied file is useless elsewhere: the
 * wrapping key never leaves this phone's keystore).
 *
 * File format, version 1: `0x01 ‖ IV length (1 byte) ‖ IV ‖ ciphertext+tag`. Written to a
 * temporary file and renamed, so a crash never leaves half a key.
 */
class StoreKeyFile(private val file: File, private val wrapper: KeyWrapper, private val random: SecureRandom = SecureRandom()) {
    /**
     * The store key: read and unwrapped, or made and saved on first use. A file that
     * exists but cannot be read is an error, never a reason to make a new key (that would
     * lock the store's data away for good).
     */
    fun getOrCreate(): ByteArray {
        if (file.exists()) return read()
        val key = ByteArray(STORE_KEY_BYTES).also(random::nextBytes)
        val (iv, sealed) = try {
            wrapper.wrap(key)
        } catch (e: Exception) {
            throw StoreKeyUnavailable("cannot wrap a new store key: ${e.message}", e)
        }
        val tmp = file.resolveSibling(file.name + ".tmp")
        tmp.writeBytes(byteArrayOf(VERSION, iv.size.toByte()) + iv + sealed)
        if (!tmp.renameTo(file)) throw StoreKeyUnavailable("cannot save the store key in $file")
        return key
    }

    private fun read(): ByteArray {
        val bytes = file.readBytes()
        if (bytes.size < 2 || bytes[0] != VERSION) throw StoreKeyUnavailable("store key file has an unknown format")
        val ivLength = bytes[1].toInt() and 0xff
        if (bytes.size < 2 + ivLength + 1) throw StoreKeyUnavailable("store key file is truncated")
        val iv = bytes.copyOfRange(2, 2 + ivLength)
        val key = try {
            wrapper.unwrap(iv, bytes.copyOfRange(2 + ivLength, bytes.size))
        } catch (e: Exception) {
            throw StoreKeyUnavailable("cannot unwrap the store key: ${e.message}", e)
        }
        if (key.size != STORE_KEY_BYTES) throw StoreKeyUnavailable("store key has ${key.size} bytes")
        return key
    }

    private companion object {
        const val VERSION: Byte = 1
    }
}
