package org.gridwalk.app.data

import org.gridwalk.ffi.*

/**
 * The sentence a user sees for a failure. The core's typed error already says what went
 * wrong; this only lays it out. Refusals name the rule, so a user can tell "not your
 * role" from "not yet".
 */
fun Throwable.userMessage(): String = when (this) {
    is GridwalkException.ActionRefused -> "Refused (${rule.name.lowercase()}): $reason"
    is GridwalkException.IncompleteInspection -> buildString {
        append("Cannot submit yet.")
        if (unanswered.isNotEmpty()) append(" Unanswered: ${unanswered.joinToString()}.")
        if (missingPhotos.isNotEmpty()) append(" Need a photo: ${missingPhotos.joinToString()}.")
    }
    is GridwalkException.InvalidInput -> reason
    is GridwalkException.NotFound -> "$kind not found: $id"
    is GridwalkException.NoProfile -> "This device is not enrolled yet: enrol it on the Sync tab."
    is GridwalkException.Conflict -> reason
    is GridwalkException.Storage -> "Storage problem: $reason"
    // Kinds added with sync (network, server) carry their own message.
    is GridwalkException -> message?.takeIf { it.isNotBlank() } ?: javaClass.simpleName
    else -> message ?: javaClass.simpleName
}

/** Enum names as words: "SPOT_CHECK" -> "spot check". Labels only, no meaning added. */
fun Enum<*>.label(): String = name.lowercase().replace('_', ' ')

/** Milliseconds since the epoch as local date and time, for deadlines and events. */
fun formatMs(ms: Long): String =
    java.text.DateFormat.getDateTimeInstance(java.text.DateFormat.MEDIUM, java.text.DateFormat.SHORT)
        .format(java.util.Date(ms))
