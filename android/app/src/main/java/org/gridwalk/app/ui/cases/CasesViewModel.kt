package org.gridwalk.app.ui.cases

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwalk.app.data.GridwalkRepository
import org.gridwalk.core.*
import org.gridwalk.model.*

data class CasesUi(
    val filter: CaseFilter = CaseFilter(status = null, openOnly = true, contestedOnly = false),
    val cases: List<CaseSummary> = emptyList(),
    /** The last failure; screens put it into words when they show it (see userMessage). */
    val error: Throwable? = null,
)

/** Hazard cases on this phone; the filtering is done by the core's [CaseFilter]. */
class CasesViewModel(private val repo: GridwalkRepository) : ViewModel() {
    private val state = MutableStateFlow(CasesUi())
    val ui: StateFlow<CasesUi> = state.asStateFlow()

    fun setFilter(filter: CaseFilter) {
        state.update { it.copy(filter = filter) }
        refresh()
    }

    fun refresh() = viewModelScope.launch {
        runCatching { repo.cases(state.value.filter) }
            .onSuccess { cases -> state.update { it.copy(cases = cases, error = null) } }
            .onFailure { e -> state.update { it.copy(error = e) } }
    }
}
