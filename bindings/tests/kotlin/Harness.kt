// A tiny test harness shared by the Kotlin programs: named tests, assertions, and the
// closing "N passed, M failed" line the Rust runner checks.
package org.gridwalk.tests

import kotlin.system.exitProcess

class Harness {
    private var passed = 0
    private var failed = 0

    fun test(name: String, body: () -> Unit) {
        try {
            body()
            passed++
            println("PASS $name")
        } catch (e: Throwable) {
            failed++
            println("FAIL $name: $e")
        }
    }

    fun finish(): Nothing {
        println("$passed passed, $failed failed")
        exitProcess(if (failed == 0) 0 else 1)
    }
}

fun <T> assertEq(expected: T, actual: T, what: String) {
    if (expected != actual) throw AssertionError("$what: expected $expected, got $actual")
}

inline fun <reified E : Throwable> assertThrows(body: () -> Unit): E {
    try {
        body()
    } catch (e: Throwable) {
        if (e is E) return e
        throw AssertionError("expected ${E::class.simpleName}, got $e")
    }
    throw AssertionError("expected ${E::class.simpleName}, nothing was thrown")
}

// The device signer a shell implements, here in software with java.security (the
// Android shell does the same with an AndroidKeyStore key): ECDSA P-256 with SHA-256,
// DER signatures, and the public key as the SEC1 uncompressed point the core expects
// (Java hands out X.509 SubjectPublicKeyInfo, so the point is rebuilt from X and Y).
class KotlinSigner : org.gridwalk.ffi.DeviceSigner {
    private val pair: java.security.KeyPair =
        java.security.KeyPairGenerator.getInstance("EC").run {
            initialize(java.security.spec.ECGenParameterSpec("secp256r1"))
            generateKeyPair()
        }
    var signatures = 0
        private set
    @Volatile var locked = false

    override fun sign(message: ByteArray): ByteArray {
        if (locked) throw org.gridwalk.ffi.SignerException.Unavailable("the keystore is locked")
        signatures++
        return java.security.Signature.getInstance("SHA256withECDSA").run {
            initSign(pair.private)
            update(message)
            sign()
        }
    }

    override fun publicKey(): ByteArray {
        val point = (pair.public as java.security.interfaces.ECPublicKey).w
        return byteArrayOf(4) + fixed32(point.affineX) + fixed32(point.affineY)
    }

    // A coordinate as exactly 32 big-endian bytes (BigInteger adds a sign byte or drops
    // leading zeros).
    private fun fixed32(n: java.math.BigInteger): ByteArray {
        val bytes = n.toByteArray().takeLast(32).toByteArray()
        return ByteArray(32 - bytes.size) + bytes
    }
}

// The store key a shell would keep in its keystore; one per test run.
val TEST_STORE_KEY: ByteArray = ByteArray(32).also { java.security.SecureRandom().nextBytes(it) }

private val signers = java.util.concurrent.ConcurrentHashMap<String, KotlinSigner>()

// The signer of the device whose store is at `path`: the same key every time it is opened.
fun signerFor(path: String): KotlinSigner = signers.getOrPut(path) { KotlinSigner() }

// Opens a store as a shell does: its key and its device's signer.
fun openStore(path: String, key: ByteArray = TEST_STORE_KEY): org.gridwalk.ffi.GridwalkStore =
    org.gridwalk.ffi.GridwalkStore.open(path, key, signerFor(path))
