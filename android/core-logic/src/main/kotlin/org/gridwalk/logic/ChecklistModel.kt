package org.gridwalk.logic

import java.io.File
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwalk.core.Checklist
import org.gridwalk.model.InspectionStatus
import org.gridwalk.model.Outcome

/** The checklist screen's state. */
data class ChecklistUi(
    val checklist: Checklist? = null,
    val busy: Boolean = false,
    /** Whether the inspection can still change (a submitted one is shown read-only). */
    val editable: Boolean = false,
    /** The last failure; screens put it into words when they show it ([toUserMessage]). */
    val error: Throwable? = null,
)

/**
 * One inspection's checklist. What applies and what is answered come from the core;
 * camera files wait in [captures] until the core has ingested them, and only then go.
 * [scope] is the screen's (a ViewModel's scope on Android).
 */
class ChecklistModel(
    private val repo: GridwalkRepository,
    private val captures: PendingCaptures,
    val inspectionId: String,
    private val scope: CoroutineScope,
) {
    private val state = MutableStateFlow(ChecklistUi())
    val ui: StateFlow<ChecklistUi> = state.asStateFlow()

    init {
        refresh()
    }

    fun refresh(): Job = run { repo.checklist(inspectionId) }

    /** Photos taken for [item] and not yet given to the core (they survive restarts). */
    fun pendingPhotos(item: String): List<File> = captures.pending(CaptureOwner.Answer(inspectionId, item))

    /**
     * Records an answer with the photos waiting for [item]. They are deleted only after
     * the core has its own copies; on failure they stay, with the error shown.
     */
    fun answer(item: String, outcome: Outcome, note: String?, onSaved: () -> Unit = {}): Job {
        val owner = CaptureOwner.Answer(inspectionId, item)
        val photos = captures.pending(owner)
        return run(then = { captures.ingested(owner, photos); onSaved() }) {
            repo.answer(inspectionId, item, outcome, note, photos.map { it.path })
            repo.checklist(inspectionId)
        }
    }

    /** Adds the photos waiting for an item already answered. */
    fun addPhotos(item: String, onSaved: () -> Unit = {}): Job {
        val owner = CaptureOwner.Answer(inspectionId, item)
        val photos = captures.pending(owner)
        return run(then = { captures.ingested(owner, photos); onSaved() }) {
            repo.addPhotos(inspectionId, item, photos.map { it.path })
            repo.checklist(inspectionId)
        }
    }

    /** The user cancelled the answer: its waiting photos are deleted. */
    fun cancel(item: String) {
        captures.discard(CaptureOwner.Answer(inspectionId, item))
        dismissError()
    }

    /** Submits; an incomplete inspection comes back naming the items still to do. */
    fun submit(onSubmitted: () -> Unit = {}): Job = run(then = onSubmitted) {
        repo.submit(inspectionId)
        repo.checklist(inspectionId)
    }

    fun dismissError() = state.update { it.copy(error = null) }

    private fun run(then: () -> Unit = {}, block: suspend () -> Checklist): Job = scope.launch {
        state.update { it.copy(busy = true) }
        try {
            val checklist = block()
            state.value = ChecklistUi(checklist = checklist, editable = checklist.status == InspectionStatus.DRAFT)
            then()
        } catch (e: kotlinx.coroutines.CancellationException) {
            throw e
        } catch (e: Exception) {
            state.update { it.copy(busy = false, error = e) }
        }
    }
}
