package org.gridwalk.logic

import org.gridwalk.core.SyncReport
import org.gridwalk.ffi.GridwalkException
import org.gridwalk.ffi.SignerException
import org.gridwalk.ffi.SyncListener

/**
 * What the background scheduler does after a sync attempt. The core's sync is resumable
 * and idempotent, so retrying is always safe; it is only pointless, or harmful to the
 * battery, when nothing but the user can fix the cause.
 */
sealed class SyncDecision {
    /** Synced; the periodic schedule continues. */
    class Done(val report: SyncReport) : SyncDecision()

    /** Not enrolled: nothing to do and nothing to say until the user enrols. */
    object NotEnrolled : SyncDecision()

    /** A passing problem (network, a malformed answer): retry with back-off. */
    class RetryLater(val error: Throwable) : SyncDecision()

    /**
     * Only the user can fix it: stop retrying and show [error] on the Sync screen (and a
     * notification). [reenrol] says the fix is enrolling again (token revoked or expired,
     * the server forgot the device).
     */
    class Stop(val error: Throwable, val reenrol: Boolean) : SyncDecision()
}

/** The decision for a sync that failed with [error]. Every core error has its answer. */
fun decideAfter(error: Throwable): SyncDecision = when (error) {
    // Passing: the next attempt may well succeed.
    is GridwalkException.Network, is GridwalkException.ServerMalformed -> SyncDecision.RetryLater(error)
    // The server no longer knows this phone: only enrolling again helps.
    is GridwalkException.NotEnrolled, is GridwalkException.Unauthorised -> SyncDecision.Stop(error, reenrol = true)
    // Full disk, damaged data, a bug, the keystore: retrying hourly cannot fix these;
    // the user must see them now.
    is GridwalkException.Storage, is GridwalkException.Corrupt, is GridwalkException.Internal,
    is GridwalkException.SignerUnavailable, is GridwalkException.WrongKey,
    is SignerException, is StoreKeyUnavailable,
    -> SyncDecision.Stop(error, reenrol = false)
    // Store errors a sync should never raise (they answer a user's input); if one does, it
    // is a bug to show, not to retry.
    is GridwalkException -> SyncDecision.Stop(error, reenrol = false)
    // A platform failure (the worker interrupted, I/O): passing.
    else -> SyncDecision.RetryLater(error)
}

/**
 * One background sync with its decision: skipped (not an error) when the phone is not
 * enrolled with a server, the core's sync otherwise. Cancellation is not caught: the
 * scheduler that stopped the work decides what comes next.
 */
suspend fun syncOnce(repo: GridwalkRepository, listener: SyncListener?): SyncDecision {
    val enrolled = try {
        repo.enrolledServer() != null
    } catch (e: GridwalkException) {
        return decideAfter(e)
    }
    if (!enrolled) return SyncDecision.NotEnrolled
    return try {
        SyncDecision.Done(repo.sync(listener))
    } catch (e: kotlinx.coroutines.CancellationException) {
        throw e
    } catch (e: Exception) {
        decideAfter(e)
    }
}
