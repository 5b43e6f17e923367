package org.gridwalk.app.ui.sites

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwalk.app.data.GridwalkRepository
import org.gridwalk.app.data.SiteNotOnPhone
import org.gridwalk.core.*
import org.gridwalk.model.*

data class SitesUi(
    val loading: Boolean = true,
    val profile: Profile? = null,
    val sites: List<Site> = emptyList(),
    /** The newest draft per site id, so a walk interrupted yesterday can be resumed. */
    val drafts: Map<String, InspectionSummary> = emptyMap(),
    val query: String = "",
    val kind: InspectionKind = InspectionKind.ROUTINE,
    /** The last failure; screens put it into words when they show it (see userMessage). */
    val error: Throwable? = null,
) {
    /** Sites matching the search box; those with a draft first, then the core's order. */
    val visible: List<Site>
        get() = sites
            .filter { query.isBlank() || listOf(it.name, it.address, it.id).any { f -> f.contains(query.trim(), ignoreCase = true) } }
            .sortedByDescending { it.id in drafts }
}

class SitesViewModel(private val repo: GridwalkRepository) : ViewModel() {
    private val state = MutableStateFlow(SitesUi())
    val ui: StateFlow<SitesUi> = state.asStateFlow()

    fun refresh() = viewModelScope.launch {
        runCatching {
            val profile = repo.profile()
            val drafts = profile?.let { repo.drafts(it.name) }.orEmpty()
            // Drafts arrive newest first: keep the first one per site.
            Triple(profile, repo.sites(), drafts.groupBy { it.siteId }.mapValues { it.value.first() })
        }.onSuccess { (profile, sites, drafts) ->
            state.update { it.copy(loading = false, profile = profile, sites = sites, drafts = drafts, error = null) }
        }.onFailure { e -> state.update { it.copy(loading = false, error = e) } }
    }

    fun setQuery(query: String) = state.update { it.copy(query = query) }
    fun setKind(kind: InspectionKind) = state.update { it.copy(kind = kind) }

    /** Resumes the site's draft, or starts a new inspection of the chosen kind. */
    fun open(siteId: String, onOpened: (inspectionId: String) -> Unit) = viewModelScope.launch {
        val ui = state.value
        ui.drafts[siteId]?.let { return@launch onOpened(it.id) }
        // The inspector is the enrolled person; the core refuses an empty name.
        runCatching { repo.startInspection(siteId, ui.kind, ui.profile?.name.orEmpty()) }
            .onSuccess(onOpened)
            .onFailure { e -> state.update { it.copy(error = e) } }
    }

    /** A scanned QR code holds a site id. */
    fun scanned(code: String, onOpened: (inspectionId: String) -> Unit) {
        if (state.value.sites.any { it.id == code }) open(code, onOpened)
        else state.update { it.copy(error = SiteNotOnPhone(code)) }
    }
}
