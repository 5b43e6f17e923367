package org.gridwalk.app.ui.checklist

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwalk.app.data.GridwalkRepository
import org.gridwalk.app.ui.camera.discard
import org.gridwalk.core.*
import org.gridwalk.model.*

data class ChecklistUi(
    val checklist: Checklist? = null,
    val busy: Boolean = false,
    /** The last failure; screens put it into words when they show it (see userMessage). */
    val error: Throwable? = null,
)

/** One inspection's checklist. What applies and what is answered come from the core. */
class ChecklistViewModel(private val repo: GridwalkRepository, val inspectionId: String) : ViewModel() {
    private val state = MutableStateFlow(ChecklistUi())
    val ui: StateFlow<ChecklistUi> = state.asStateFlow()

    init { refresh() }

    fun refresh() = run { repo.checklist(inspectionId) }

    /**
     * Records an answer; camera files are ingested by the core in the same call. They are
     * deleted only after the core has its own copy, and [onSaved] closes the dialog; on
     * failure the dialog stays open with its photos so nothing captured is lost.
     */
    fun answer(item: String, outcome: Outcome, note: String?, photoPaths: List<String>, onSaved: () -> Unit) =
        run(then = { discard(photoPaths); onSaved() }) {
            repo.answer(inspectionId, item, outcome, note, photoPaths)
            repo.checklist(inspectionId)
        }

    fun addPhotos(item: String, photoPaths: List<String>) = run(then = { discard(photoPaths) }) {
        photoPaths.forEach { repo.addPhoto(inspectionId, item, it) }
        repo.checklist(inspectionId)
    }

    /** Submits; an incomplete inspection comes back naming the items still to do. */
    fun submit(onSubmitted: () -> Unit) = run(then = onSubmitted) {
        repo.submit(inspectionId)
        repo.checklist(inspectionId)
    }

    fun dismissError() = state.update { it.copy(error = null) }

    private fun run(then: () -> Unit = {}, block: suspend () -> Checklist) = viewModelScope.launch {
        state.update { it.copy(busy = true) }
        runCatching { block() }
            .onSuccess { checklist -> state.update { ChecklistUi(checklist = checklist) }; then() }
            .onFailure { e -> state.update { it.copy(busy = false, error = e) } }
    }
}
