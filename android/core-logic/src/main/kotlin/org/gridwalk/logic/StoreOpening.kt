package org.gridwalk.logic

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.gridwalk.ffi.DeviceSigner
import org.gridwalk.ffi.GridwalkException
import org.gridwalk.ffi.GridwalkStore
import org.gridwalk.ffi.SignerException

/** The store key could not be read from or made in the platform keystore. */
class StoreKeyUnavailable(val reason: String, cause: Throwable? = null) : Exception(reason, cause)

/** The length of the store's encryption key, in bytes (32 random bytes: AES-256). */
const val STORE_KEY_BYTES = 32

/**
 * Opens the device's store: the single call of `GridwalkStore.open` in the shell. [key] is the 32-byte store key from the platform keystore and
 * [signer] the device key; both are checked here so a wrong key length never reaches the
 * core as a silent mistake.
 */
fun openStore(path: String, key: ByteArray, signer: DeviceSigner): GridwalkStore {
    if (key.size != STORE_KEY_BYTES) throw StoreKeyUnavailable("store key has ${key.size} bytes, not $STORE_KEY_BYTES")
    return GridwalkStore.open(path, key, signer)
}

/** Where the app is in opening its store, for the first screen. */
sealed class LaunchState {
    /** Opening (loading the library, SQLite, migrations): a progress screen. */
    object Opening : LaunchState()

    /** Open: the screens work over [repository]. */
    class Ready(val repository: GridwalkRepository) : LaunchState()

    /** The store could not be opened; [problem] says what to do. Never a crash. */
    class Failed(val problem: OpenProblem, val error: Throwable) : LaunchState()
}

/** Why the store did not open, as what the user can do about it. */
enum class OpenProblem {
    /** The disk is full or unwritable: free space, then reopen. */
    FREE_SPACE,

    /** The store was written by a newer app version: update the app. */
    UPDATE_APP,

    /** The store is damaged: contact the office; the file is kept for recovery. */
    DAMAGED,

    /** The keystore could not give the store key or the device key: restart the phone. */
    KEYSTORE,

    /** Anything else (a missing native library, a bug): report it. */
    OTHER,
}

/** What a failed open means for the user. */
fun openProblem(error: Throwable): OpenProblem = when (error) {
    // The core says "newer" when the store's schema is ahead of this app.
    is GridwalkException.Storage ->
        if (error.reason.contains("newer")) OpenProblem.UPDATE_APP else OpenProblem.FREE_SPACE
    is GridwalkException.Corrupt -> OpenProblem.DAMAGED
    // A key that does not open the store is the keystore's problem, never the store's:
    // the file is kept, and the right key opens it.
    is GridwalkException.WrongKey, is GridwalkException.SignerUnavailable,
    is SignerException, is StoreKeyUnavailable,
    -> OpenProblem.KEYSTORE
    else -> OpenProblem.OTHER
}

/**
 * Opens the store off the main thread (loading the native library, opening SQLite and
 * migrating can take long enough to freeze a launch) and turns any failure, including a
 * missing library (`UnsatisfiedLinkError`), into [LaunchState.Failed] instead of a crash.
 * [open] is the platform's part: fetch the key and signer, then call [openStore].
 */
suspend fun openInBackground(io: CoroutineDispatcher = Dispatchers.IO, open: () -> GridwalkStore): LaunchState =
    withContext(io) {
        try {
            LaunchState.Ready(GridwalkRepository(open(), io))
        } catch (e: Throwable) {
            // Errors, not only exceptions: a JNA load failure is an Error, and it must
            // show the failure screen rather than kill every launch.
            if (e is VirtualMachineError && e !is OutOfMemoryError) throw e
            LaunchState.Failed(openProblem(e), e)
        }
    }
