package org.gridwalk.logic

import org.gridwalk.core.RejectedItem
import org.gridwalk.ffi.GridwalkException
import org.gridwalk.ffi.SignerException
import org.gridwalk.model.Rule

/**
 * What a user is told about a failure, decided here and put into words by the shell.
 *
 * Each message names a key of the app's string tables (`res/values/strings.xml and res/values-zh-rCN/strings.xml` on
 * Android; the JVM test renders every message from those very files, in Chinese and in
 * English) and its arguments, each either the core's own detail (a record id, the server's
 * words) or another message (a rule's sentence inside a refusal). Screens keep the typed
 * failure and turn it into words only when shown, so a language change never leaves a
 * message in the old language. The Android renderer (`app/…/data/UserMessages.kt`) is an
 * exhaustive `when` over these classes; the JVM test checks it uses the same keys.
 */
sealed class UserMessage(
    /** The string resource's name. */
    val key: String,
    /** The values of its placeholders, in order: a [String] or a nested [UserMessage]. */
    val args: List<Any>,
    /** Sentences that follow this one (an incomplete inspection lists what is missing). */
    val more: List<UserMessage> = emptyList(),
) {
    /** A workflow rule refused the action; [rule] says which, [reason] is the core's detail. */
    class Refused(val rule: Rule, val reason: String) : UserMessage("error_refused", listOf(RuleText(rule), reason))

    /** A rule's own sentence ("a fix carries at least one photo"). */
    class RuleText(val rule: Rule) : UserMessage(ruleKey(rule), emptyList())

    /** An inspection cannot be submitted yet. */
    class Incomplete(val unanswered: List<String>, val missingPhotos: List<String>) : UserMessage(
        "error_incomplete",
        emptyList(),
        listOfNotNull(
            unanswered.takeIf { it.isNotEmpty() }?.let { Unanswered(it.joinToString()) },
            missingPhotos.takeIf { it.isNotEmpty() }?.let { MissingPhotos(it.joinToString()) },
        ),
    )

    /** The items still unanswered, listed. */
    class Unanswered(val items: String) : UserMessage("error_unanswered", listOf(items))

    /** The hazards still lacking a photo, listed. */
    class MissingPhotos(val items: String) : UserMessage("error_missing_photos", listOf(items))

    /** The core refused an input. */
    class InvalidInput(val reason: String) : UserMessage("error_invalid_input", listOf(reason))

    /** A record this phone does not hold. */
    class NotFound(val kind: String, val id: String) : UserMessage("error_not_found", listOf(kind, id))

    /** No profile yet: enrol first. */
    object NoProfile : UserMessage("error_no_profile", emptyList())

    /** Conflicting with what is recorded (a submitted inspection cannot change). */
    class Conflict(val reason: String) : UserMessage("error_conflict", listOf(reason))

    /** Sync needs an enrolled phone: offer enrolment. */
    object NotEnrolled : UserMessage("error_not_enrolled", emptyList())

    /** The server refused this phone's token (revoked, expired): offer re-enrolment. */
    class Unauthorised(val reason: String) : UserMessage("error_unauthorised", listOf(reason))

    /** The server could not be reached; a later sync retries. */
    class Network(val reason: String) : UserMessage("error_network", listOf(reason))

    /** The phone's storage failed: free space or update the app. */
    class Storage(val reason: String) : UserMessage("error_storage", listOf(reason))

    /** The data on the phone is damaged: never retry, contact the office. */
    class Corrupt(val reason: String) : UserMessage("error_corrupt", listOf(reason))

    /** The server's answer broke the protocol: sync later, update the app if it persists. */
    class ServerMalformed(val reason: String) : UserMessage("error_server_malformed", listOf(reason))

    /** A bug: report it. */
    class Internal(val reason: String) : UserMessage("error_internal", listOf(reason))

    /** A scanned QR code names a site this phone does not hold. */
    class SiteNotOnPhone(val code: String) : UserMessage("sites_not_on_phone", listOf(code))

    /** The phone's key store could not provide the store key or the device key. */
    class KeystoreUnavailable(val reason: String) : UserMessage("error_keystore", listOf(reason))

    /** The store key does not open the store at [path]: the file is kept; the keystore's key is wrong. */
    class WrongKey(val path: String) : UserMessage("error_wrong_key", listOf(path))

    /** A new photo was refused: [freeMb] MB free, below the floor of [floorMb] MB. */
    class LowStorage(val freeMb: String, val floorMb: String) : UserMessage("error_low_storage", listOf(freeMb, floorMb))

    /** A photo that has not reached this phone yet: it shows once a sync brings it. */
    object PhotoNotHeld : UserMessage("error_photo_not_held", emptyList())

    /** A platform failure that is neither the core's nor the shell's: its own words. */
    class Other(val text: String) : UserMessage("error_other", listOf(text))

    /** A record the server refused at sync, with the reason in words. */
    class Rejected(val record: String, val why: UserMessage) : UserMessage("sync_rejected", listOf(record, why))

    /** The server found a record invalid; its words follow. */
    class RejectedInvalid(val reason: String) : UserMessage("sync_rejected_invalid", listOf(reason))

    /** The server says this person may not record that. */
    class RejectedForbidden(val reason: String) : UserMessage("sync_rejected_forbidden", listOf(reason))

    /** The record conflicts with one the server already holds. */
    class RejectedConflict(val reason: String) : UserMessage("sync_rejected_conflict", listOf(reason))

    /** The record's signature did not verify against this phone's key. */
    object RejectedSignature : UserMessage("sync_rejected_signature", emptyList())

    companion object {
        /** The string resource of a workflow rule: `rule_` and its name in snake case. */
        fun ruleKey(rule: Rule): String = "rule_" + rule.name.lowercase()
    }
}

/** A failure in the user's terms: every [GridwalkException] variant has its sentence. */
fun Throwable.toUserMessage(): UserMessage = when (this) {
    is GridwalkException.ActionRefused -> UserMessage.Refused(rule, reason)
    is GridwalkException.IncompleteInspection -> UserMessage.Incomplete(unanswered, missingPhotos)
    is GridwalkException.InvalidInput -> UserMessage.InvalidInput(reason)
    is GridwalkException.NotFound -> UserMessage.NotFound(kind, id)
    is GridwalkException.NoProfile -> UserMessage.NoProfile
    is GridwalkException.Conflict -> UserMessage.Conflict(reason)
    is GridwalkException.NotEnrolled -> UserMessage.NotEnrolled
    is GridwalkException.Unauthorised -> UserMessage.Unauthorised(reason)
    is GridwalkException.Network -> UserMessage.Network(reason)
    is GridwalkException.Storage -> UserMessage.Storage(reason)
    is GridwalkException.Corrupt -> UserMessage.Corrupt(reason)
    is GridwalkException.ServerMalformed -> UserMessage.ServerMalformed(reason)
    is GridwalkException.Internal -> UserMessage.Internal(reason)
    is GridwalkException.WrongKey -> UserMessage.WrongKey(path)
    is GridwalkException.SignerUnavailable -> UserMessage.KeystoreUnavailable(reason)
    is GridwalkException.PhotoNotHeld -> UserMessage.PhotoNotHeld
    is GridwalkException.LowStorage ->
        UserMessage.LowStorage((freeBytes / 1_000_000uL).toString(), (floorBytes / 1_000_000uL).toString())
    is SiteNotOnPhone -> UserMessage.SiteNotOnPhone(code)
    is SignerException.Unavailable -> UserMessage.KeystoreUnavailable(reason)
    is StoreKeyUnavailable -> UserMessage.KeystoreUnavailable(reason)
    else -> UserMessage.Other(message ?: javaClass.simpleName)
}

/**
 * Why the server refused a pushed record, in words: the server's stable code picks the
 * sentence, and a workflow rule named in its reason (`close_after_verify`) becomes that
 * rule's sentence instead of the bare identifier.
 */
fun RejectedItem.toUserMessage(): UserMessage {
    val rule = Rule.entries.firstOrNull { reason.contains(it.name.lowercase()) }
    val why = when {
        rule != null -> UserMessage.Refused(rule, reason)
        code == "forbidden" -> UserMessage.RejectedForbidden(reason)
        code == "conflict" -> UserMessage.RejectedConflict(reason)
        code == "bad_signature" -> UserMessage.RejectedSignature
        else -> UserMessage.RejectedInvalid(reason)
    }
    return UserMessage.Rejected(id, why)
}

/**
 * A failure the shell itself finds: a scanned QR code naming a site this phone does not
 * hold. Typed like the core's errors, so screens keep it and word it when shown.
 */
class SiteNotOnPhone(val code: String) : Exception(code)
