package org.gridwalk.app.data

import android.content.res.Resources
import androidx.compose.runtime.Composable
import androidx.compose.ui.platform.LocalConfiguration
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import org.gridwalk.app.R
import org.gridwalk.ffi.*

/**
 * A failure the shell itself finds: a scanned QR code naming a site this phone does not
 * hold. Typed like the core's errors, so screens keep failures and only turn them into
 * words when shown, in the language of that moment.
 */
class SiteNotOnPhone(val code: String) : Exception(code)

/**
 * The sentence a user sees for a failure. The core's typed error already says what went
 * wrong; this lays it out in the phone's language, with the core's own detail (record
 * ids, item codes, the server's words) filled in. Refusals name the rule, so a user can
 * tell "not your role" from "not yet".
 */
fun Throwable.userMessage(res: Resources): String = when (this) {
    is GridwalkException.ActionRefused -> res.getString(R.string.error_refused, res.getString(rule.labelRes), reason)
    is GridwalkException.IncompleteInspection -> buildList {
        add(res.getString(R.string.error_incomplete))
        if (unanswered.isNotEmpty()) add(res.getString(R.string.error_unanswered, unanswered.joinToString()))
        if (missingPhotos.isNotEmpty()) add(res.getString(R.string.error_missing_photos, missingPhotos.joinToString()))
    }.joinToString(" ")
    is GridwalkException.InvalidInput -> res.getString(R.string.error_invalid_input, reason)
    is GridwalkException.NotFound -> res.getString(R.string.error_not_found, kind, id)
    is GridwalkException.NoProfile -> res.getString(R.string.error_no_profile)
    is GridwalkException.Conflict -> res.getString(R.string.error_conflict, reason)
    is GridwalkException.NotEnrolled -> res.getString(R.string.error_not_enrolled)
    is GridwalkException.Unauthorised -> res.getString(R.string.error_unauthorised, reason)
    is GridwalkException.Network -> res.getString(R.string.error_network, reason)
    is GridwalkException.Storage -> res.getString(R.string.error_storage, reason)
    is GridwalkException.Corrupt -> res.getString(R.string.error_corrupt, reason)
    is GridwalkException.ServerMalformed -> res.getString(R.string.error_server_malformed, reason)
    is GridwalkException.Internal -> res.getString(R.string.error_internal, reason)
    is SiteNotOnPhone -> res.getString(R.string.sites_not_on_phone, code)
    // Not from the core or the shell (a platform failure): its own words are all there is.
    else -> message ?: javaClass.simpleName
}

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
