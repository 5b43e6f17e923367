package org.gridwalk.app.ui.cases

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

data class CaseDetailUi(
    val view: CaseView? = null,
    val actions: List<CaseAction> = emptyList(),
    val departments: List<Department> = emptyList(),
    val busy: Boolean = false,
    /** The last failure; screens put it into words when they show it (see userMessage). */
    val error: Throwable? = null,
)

/** One hazard case: its folded state and events, and the actions the core allows now. */
class CaseDetailViewModel(private val repo: GridwalkRepository, val caseId: String) : ViewModel() {
    private val state = MutableStateFlow(CaseDetailUi())
    val ui: StateFlow<CaseDetailUi> = state.asStateFlow()

    init {
        refresh()
        viewModelScope.launch {
            runCatching { repo.departments() }.onSuccess { d -> state.update { it.copy(departments = d) } }
        }
    }

    fun refresh() = viewModelScope.launch {
        runCatching { repo.case(caseId) }
            .onSuccess { view -> state.update { it.copy(view = view, actions = CaseAction.from(view.allowedActions), error = null) } }
            .onFailure { e -> state.update { it.copy(error = e) } }
    }

    /**
     * Records [action]. Rectification photos are ingested first and referred to by hash.
     * A refusal leaves the dialog open with the rule's words; success reloads the case,
     * whose allowed actions may now differ.
     */
    fun act(action: CaseAction, note: String, department: String?, photoPaths: List<String>, onDone: () -> Unit) =
        viewModelScope.launch {
            state.update { it.copy(busy = true, error = null) }
            runCatching {
                val hashes = repo.ingest(photoPaths)
                repo.act(caseId, action.payload(note, department, hashes))
                repo.case(caseId)
            }.onSuccess { view ->
                discard(photoPaths)
                state.update { it.copy(view = view, actions = CaseAction.from(view.allowedActions), busy = false) }
                onDone()
            }.onFailure { e -> state.update { it.copy(busy = false, error = e) } }
        }

    fun dismissError() = state.update { it.copy(error = null) }
}
