package org.gridwalk.app.ui.cases

import org.gridwalk.app.data.label
import org.gridwalk.core.*
import org.gridwalk.model.*

/**
 * One button on a case: an action the core allows now, with the one choice the button
 * itself makes (which level to call in to, pass or fail). Built only from
 * [CaseView.allowedActions]; the shell never adds or hides an action.
 */
data class CaseAction(val kind: EventKind, val level: Level? = null, val passed: Boolean? = null) {
    val title: String
        get() = when {
            level != null -> "Call in to ${level.label()}"
            passed != null -> if (passed) "Verify: fixed" else "Verify: not fixed"
            else -> kind.label().replaceFirstChar { it.uppercase() }
        }

    /** Text field label for the note this action carries. */
    val noteLabel: String
        get() = when (kind) {
            EventKind.REOPENED -> "Reason"
            EventKind.COMMENT -> "Comment"
            EventKind.CALLED_IN -> "Why"
            EventKind.ASSIGNED -> "Instructions"
            else -> "Note"
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
