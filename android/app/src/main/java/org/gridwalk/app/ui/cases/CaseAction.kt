package org.gridwalk.app.ui.cases

import androidx.annotation.StringRes
import androidx.compose.runtime.Composable
import androidx.compose.ui.res.stringResource
import org.gridwalk.app.R
import org.gridwalk.app.data.labelRes
import org.gridwalk.logic.CaseAction
import org.gridwalk.model.EventKind

// The words of a case button. What the buttons are, and the payload each records, is the
// plain module's CaseAction (android/core-logic), built only from the core's allowed actions.

/** The button's words, in the phone's language. */
@Composable
fun CaseAction.title(): String {
    val chosenLevel = level
    val verdict = passed
    return when {
        chosenLevel != null -> stringResource(R.string.action_call_in_to, stringResource(chosenLevel.labelRes))
        verdict != null -> stringResource(if (verdict) R.string.action_verify_fixed else R.string.action_verify_not_fixed)
        else -> stringResource(kindTitle)
    }
}

/** The verb for an action that makes no further choice. */
@get:StringRes
private val CaseAction.kindTitle: Int
    get() = when (kind) {
        EventKind.REPORTED -> R.string.action_report
        EventKind.CALLED_IN -> R.string.action_call_in
        EventKind.ASSIGNED -> R.string.action_assign
        EventKind.ACCEPTED -> R.string.action_accept
        EventKind.PROGRESS -> R.string.action_progress
        EventKind.RECTIFIED -> R.string.action_rectify
        EventKind.VERIFIED -> R.string.action_verify
        EventKind.REOPENED -> R.string.action_reopen
        EventKind.CLOSED -> R.string.action_close
        EventKind.COMMENT -> R.string.action_comment
    }

/** Text field label for the note this action carries. */
@get:StringRes
val CaseAction.noteLabel: Int
    get() = when (kind) {
        EventKind.REOPENED -> R.string.note_reason
        EventKind.COMMENT -> R.string.note_comment
        EventKind.CALLED_IN -> R.string.note_why
        EventKind.ASSIGNED -> R.string.note_instructions
        else -> R.string.field_note
    }
