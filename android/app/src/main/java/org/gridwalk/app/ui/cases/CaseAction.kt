package org.gridwalk.app.ui.cases

import androidx.annotation.StringRes
import androidx.compose.runtime.Composable
import androidx.compose.ui.res.stringResource
import org.gridwalk.app.R
import org.gridwalk.app.data.labelRes
import org.gridwalk.core.*
import org.gridwalk.model.*

/**
 * One button on a case: an action the core allows now, with the one choice the button
 * itself makes (which level to call in to, pass or fail). Built only from
 * [CaseView.allowedActions]; the shell never adds or hides an action.
 */
data class CaseAction(val kind: EventKind, val level: Level? = null, val passed: Boolean? = null) {
    /** The button's words, in the phone's language. */
    @Composable
    fun title(): String = when {
        level != null -> stringResource(R.string.action_call_in_to, stringResource(level.labelRes))
        passed != null -> stringResource(if (passed) R.string.action_verify_fixed else R.string.action_verify_not_fixed)
        else -> stringResource(kindTitle)
    }

    /** The verb for an action that makes no further choice. */
    @get:StringRes
    private val kindTitle: Int
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
    val noteLabel: Int
        get() = when (kind) {
            EventKind.REOPENED -> R.string.note_reason
            EventKind.COMMENT -> R.string.note_comment
            EventKind.CALLED_IN -> R.string.note_why
            EventKind.ASSIGNED -> R.string.note_instructions
            else -> R.string.field_note
        }

    /** The payload the core records; [photos] are the hashes of ingested rectification photos. */
    fun payload(note: String, department: String?, photos: List<String>): Payload = when (kind) {
        EventKind.CALLED_IN -> Payload.CalledIn(level!!, note)
        EventKind.ASSIGNED -> Payload.Assigned(department.orEmpty(), note)
        EventKind.ACCEPTED -> Payload.Accepted(note)
        EventKind.PROGRESS -> Payload.Progress(note)
        EventKind.RECTIFIED -> Payload.Rectified(photos, note)
        EventKind.VERIFIED -> Payload.Verified(passed!!, null, note)
        EventKind.REOPENED -> Payload.Reopened(note)
        EventKind.CLOSED -> Payload.Closed(note)
        EventKind.COMMENT -> Payload.Comment(note)
        EventKind.REPORTED -> error("a case is reported once, when it is opened")
    }

    companion object {
        /** The buttons for what the core allows: one per level for call-in, two for verify. */
        fun from(allowed: List<AllowedAction>): List<CaseAction> = allowed.flatMap { a ->
            when (a.kind) {
                EventKind.CALLED_IN -> a.levels.map { CaseAction(a.kind, level = it) }
                EventKind.VERIFIED -> listOf(CaseAction(a.kind, passed = true), CaseAction(a.kind, passed = false))
                // Opening a case is not an action on an existing one.
                EventKind.REPORTED -> emptyList()
                else -> listOf(CaseAction(a.kind))
            }
        }
    }
}
