package org.gridwalk.app.data

import android.content.res.Resources
import androidx.compose.runtime.Composable
import androidx.compose.ui.platform.LocalConfiguration
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import org.gridwalk.app.R
import org.gridwalk.logic.UserMessage
import org.gridwalk.logic.toUserMessage

/**
 * A [UserMessage] (decided in the plain module, android/core-logic) in the phone's
 * language: one branch per message, each with its string resource. The JVM test of the
 * plain module checks that every branch uses the key the message names and renders every
 * message from these same strings.xml files, in both languages.
 */
fun UserMessage.words(res: Resources): String {
    val sentence = when (this) {
        is UserMessage.Refused -> res.getString(R.string.error_refused, RuleText(rule).words(res), reason)
        is UserMessage.RuleText -> res.getString(rule.labelRes)
        is UserMessage.Incomplete -> res.getString(R.string.error_incomplete)
        is UserMessage.Unanswered -> res.getString(R.string.error_unanswered, items)
        is UserMessage.MissingPhotos -> res.getString(R.string.error_missing_photos, items)
        is UserMessage.InvalidInput -> res.getString(R.string.error_invalid_input, reason)
        is UserMessage.NotFound -> res.getString(R.string.error_not_found, kind, id)
        UserMessage.NoProfile -> res.getString(R.string.error_no_profile)
        is UserMessage.Conflict -> res.getString(R.string.error_conflict, reason)
        UserMessage.NotEnrolled -> res.getString(R.string.error_not_enrolled)
        is UserMessage.Unauthorised -> res.getString(R.string.error_unauthorised, reason)
        is UserMessage.Network -> res.getString(R.string.error_network, reason)
        is UserMessage.Storage -> res.getString(R.string.error_storage, reason)
        is UserMessage.Corrupt -> res.getString(R.string.error_corrupt, reason)
        is UserMessage.ServerMalformed -> res.getString(R.string.error_server_malformed, reason)
        is UserMessage.Internal -> res.getString(R.string.error_internal, reason)
        is UserMessage.SiteNotOnPhone -> res.getString(R.string.sites_not_on_phone, code)
        is UserMessage.KeystoreUnavailable -> res.getString(R.string.error_keystore, reason)
        is UserMessage.WrongKey -> res.getString(R.string.error_wrong_key, path)
        is UserMessage.LowStorage -> res.getString(R.string.error_low_storage, freeMb, floorMb)
        is UserMessage.PhotoNotHeld -> res.getString(R.string.error_photo_not_held)
        is UserMessage.Other -> res.getString(R.string.error_other, text)
        is UserMessage.Rejected -> res.getString(R.string.sync_rejected, record, why.words(res))
        is UserMessage.RejectedInvalid -> res.getString(R.string.sync_rejected_invalid, reason)
        is UserMessage.RejectedForbidden -> res.getString(R.string.sync_rejected_forbidden, reason)
        is UserMessage.RejectedConflict -> res.getString(R.string.sync_rejected_conflict, reason)
        UserMessage.RejectedSignature -> res.getString(R.string.sync_rejected_signature)
    }
    return (listOf(sentence) + more.map { it.words(res) }).joinToString(" ")
}

/** The sentence a user sees for a failure, in the phone's language of this moment. */
fun Throwable.userMessage(res: Resources): String = toUserMessage().words(res)

/** [userMessage] in a composable, read again when the phone's language changes. */
@Composable
fun Throwable.userMessage(): String {
    // As stringResource does: reading the configuration recomposes on a language change.
    LocalConfiguration.current
    return userMessage(LocalContext.current.resources)
}

/**
 * A template's Chinese or English title (or a department's name), in the language the
 * app's own strings resolved to (`values-zh-rCN/` or the English `values/`). Deciding by
 * the resources, not by the phone's first locale, keeps the titles and the screen around
 * them in one language for every locale list (a phone in Japanese, then Chinese, shows
 * Chinese strings, so Chinese titles).
 */
@Composable
fun localized(zh: String, en: String): String =
    if (stringResource(R.string.template_title_language) == "en") en else zh

/** Milliseconds since the epoch as local date and time, for deadlines and events. */
fun formatMs(ms: Long): String =
    java.text.DateFormat.getDateTimeInstance(java.text.DateFormat.MEDIUM, java.text.DateFormat.SHORT)
        .format(java.util.Date(ms))
