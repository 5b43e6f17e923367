package org.gridwalk.logic

import org.gridwalk.model.AllowedAction
import org.gridwalk.model.EventKind
import org.gridwalk.model.Level
import org.gridwalk.model.Payload

/**
 * One button on a case: an action the core allows now, with the one choice the button
 * itself makes (which level to call in to, pass or fail). Built only from the case's
 * `allowedActions`; the shell never adds or hides an action.
 */
data class CaseAction(val kind: EventKind, val level: Level? = null, val passed: Boolean? = null) {
    /**
     * The payload the core records. [photos] are the hashes of ingested rectification
     * photos; [reinspection] is the re-inspection that checked the fix, which a
     * verification names so the case and that visit are linked.
     */
    fun payload(note: String, department: String?, photos: List<String>, reinspection: String? = null): Payload =
        when (kind) {
            EventKind.CALLED_IN -> Payload.CalledIn(requireNotNull(level) { "a call-in button names its level" }, note)
            EventKind.ASSIGNED -> Payload.Assigned(department.orEmpty(), note)
            EventKind.ACCEPTED -> Payload.Accepted(note)
            EventKind.PROGRESS -> Payload.Progress(note)
            EventKind.RECTIFIED -> Payload.Rectified(photos, note)
            EventKind.VERIFIED -> Payload.Verified(requireNotNull(passed) { "a verify button says pass or fail" }, reinspection, note)
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
