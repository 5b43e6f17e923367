package org.gridwalk.logic

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwalk.core.*
import org.gridwalk.model.*

// The state machines of the list and read-only screens: each holds its screen's state in
// a StateFlow and runs its calls in the screen's scope. Failures stay typed (Throwable);
// the screen words them with toUserMessage() when it shows them.

/** Runs [block] in [scope], handing a failure (never a cancellation) to [failed]. */
internal fun <T> CoroutineScope.attempt(block: suspend () -> T, failed: (Throwable) -> Unit, done: (T) -> Unit): Job =
    launch {
        val result = try {
            block()
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            failed(e)
            return@launch
        }
        done(result)
    }

/** The hazard list's state: the core's filter, including a status, and its cases. */
data class CasesUi(
    val filter: CaseFilter = CaseFilter(status = null, openOnly = true, contestedOnly = false),
    val cases: List<CaseSummary> = emptyList(),
    val error: Throwable? = null,
)

/** Hazard cases on this phone; the filtering (open, contested, one status) is the core's. */
class CasesModel(private val repo: GridwalkRepository, private val scope: CoroutineScope) {
    private val state = MutableStateFlow(CasesUi())
    val ui: StateFlow<CasesUi> = state.asStateFlow()

    /** Shows only cases in [status] (null: any); a status choice implies "not only open". */
    fun setStatus(status: Status?): Job {
        state.update { it.copy(filter = it.filter.copy(status = status, openOnly = if (status != null) false else it.filter.openOnly)) }
        return refresh()
    }

    fun setOpenOnly(openOnly: Boolean): Job {
        state.update { it.copy(filter = it.filter.copy(openOnly = openOnly, status = if (openOnly) null else it.filter.status)) }
        return refresh()
    }

    fun setContestedOnly(contested: Boolean): Job {
        state.update { it.copy(filter = it.filter.copy(contestedOnly = contested)) }
        return refresh()
    }

    fun refresh(): Job = scope.attempt(
        { repo.cases(state.value.filter) },
        { e -> state.update { it.copy(error = e) } },
        { cases -> state.update { it.copy(cases = cases, error = null) } },
    )
}

/** One case's screen state. */
data class CaseDetailUi(
    val view: CaseView? = null,
    val actions: List<CaseAction> = emptyList(),
    /** The departments of the case's own template, for "assign". */
    val departments: List<Department> = emptyList(),
    /** Re-inspections of the case's site by this person, newest first, for "verify". */
    val reinspections: List<InspectionSummary> = emptyList(),
    val busy: Boolean = false,
    val error: Throwable? = null,
)

/**
 * One hazard case: its folded state and events, the actions the core allows now, the
 * departments of its template, and the re-inspections a verification can name. Evidence
 * photos for an action wait in [captures] until the core has them.
 */
class CaseDetailModel(
    private val repo: GridwalkRepository,
    private val captures: PendingCaptures,
    val caseId: String,
    private val scope: CoroutineScope,
) {
    private val state = MutableStateFlow(CaseDetailUi())
    val ui: StateFlow<CaseDetailUi> = state.asStateFlow()
    private val owner = CaptureOwner.Case(caseId)

    init {
        refresh()
    }

    fun refresh(): Job = scope.attempt(
        { load() },
        { e -> state.update { it.copy(error = e) } },
        { loaded -> state.value = loaded.copy(busy = false, error = null) },
    )

    private suspend fun load(): CaseDetailUi {
        val view = repo.case(caseId)
        val inspector = repo.profile()?.name
        val site = view.state.report?.siteId
        return CaseDetailUi(
            view = view,
            actions = CaseAction.from(view.allowedActions),
            departments = repo.departmentsFor(view.state),
            reinspections = if (site != null && inspector != null) repo.reinspections(site, inspector) else emptyList(),
        )
    }

    /** Photos waiting for this case's next action. */
    fun pendingPhotos() = captures.pending(owner)

    /**
     * Starts a re-inspection of the case's site (to check a fix) and hands its id to
     * [onStarted], for the checklist screen; a later "verified" names it.
     */
    fun startReinspection(onStarted: (String) -> Unit): Job = scope.attempt(
        {
            val site = state.value.view?.state?.report?.siteId ?: throw org.gridwalk.ffi.GridwalkException.InvalidInput("this case has no site to re-inspect")
            val inspector = repo.profile()?.name ?: throw org.gridwalk.ffi.GridwalkException.NoProfile()
            repo.startInspection(site, InspectionKind.REINSPECTION, inspector)
        },
        { e -> state.update { it.copy(error = e) } },
        onStarted,
    )

    /**
     * Records [action] with the photos waiting for this case (rectification evidence,
     * ingested first and named by hash) and, for a verification, the re-inspection that
     * checked the fix. A refusal keeps the photos and shows the rule; success deletes them
     * and reloads the case, whose allowed actions may now differ.
     */
    fun act(action: CaseAction, note: String, department: String?, reinspection: String?, onDone: () -> Unit = {}): Job {
        val photos = captures.pending(owner)
        state.update { it.copy(busy = true, error = null) }
        return scope.attempt(
            {
                val hashes = repo.ingest(photos.map { it.path })
                repo.act(caseId, action.payload(note, department, hashes, reinspection))
                load()
            },
            { e -> state.update { it.copy(busy = false, error = e) } },
            { loaded ->
                captures.ingested(owner, photos)
                state.value = loaded
                onDone()
            },
        )
    }

    /** The action dialog was cancelled: its photos are deleted. */
    fun cancelAction() {
        captures.discard(owner)
        dismissError()
    }

    fun dismissError() = state.update { it.copy(error = null) }
}

/** The "open a case" form: a report from a resident, the hotline or an online platform. */
data class OpenCaseUi(
    val sites: List<Site> = emptyList(),
    val units: List<OrgUnit> = emptyList(),
    val templates: List<Template> = emptyList(),
    val busy: Boolean = false,
    val error: Throwable? = null,
)

/** The sources a public report can come from (an inspection opens its own cases). */
val PUBLIC_SOURCES: List<ReportSource> = listOf(ReportSource.Resident, ReportSource.Hotline, ReportSource.OnlinePlatform)

/**
 * Opens a case from a public report. What the form offers (categories and items from the
 * templates, the sites and units on the phone) is read from the core; whether this person
 * may open one is the core's rule (`public_reports_by_community_staff`), shown if refused.
 */
class OpenCaseModel(
    private val repo: GridwalkRepository,
    private val captures: PendingCaptures,
    private val scope: CoroutineScope,
) {
    private val state = MutableStateFlow(OpenCaseUi())
    val ui: StateFlow<OpenCaseUi> = state.asStateFlow()

    init {
        scope.attempt(
            { Triple(repo.sites(), repo.units(), repo.templates()) },
            { e -> state.update { it.copy(error = e) } },
            { (sites, units, templates) -> state.update { it.copy(sites = sites, units = units, templates = templates) } },
        )
    }

    /** Photos waiting for the report. */
    fun pendingPhotos() = captures.pending(CaptureOwner.NewCase)

    /**
     * Records the report: a site's unit is the site's own (the server derives it the same
     * way); without a site, [unit] is the unit the report names. Returns the case id.
     */
    fun submit(
        source: ReportSource,
        category: String,
        item: String?,
        severity: Severity,
        siteId: String?,
        unit: String?,
        description: String,
        onOpened: (String) -> Unit = {},
    ): Job {
        val photos = captures.pending(CaptureOwner.NewCase)
        state.update { it.copy(busy = true, error = null) }
        return scope.attempt(
            {
                val site = siteId?.let { id -> state.value.sites.find { it.id == id } }
                val hashes = repo.ingest(photos.map { it.path })
                repo.openCase(
                    HazardReport(
                        source = source,
                        category = category,
                        item = item,
                        severity = severity,
                        unit = site?.unit ?: unit.orEmpty(),
                        siteId = site?.id,
                        description = description.trim(),
                        photos = hashes,
                        suggestedDepartment = null,
                    ),
                )
            },
            { e -> state.update { it.copy(busy = false, error = e) } },
            { caseId ->
                captures.ingested(CaptureOwner.NewCase, photos)
                state.update { it.copy(busy = false) }
                onOpened(caseId)
            },
        )
    }

    /** The form was abandoned: its photos are deleted. */
    fun cancel() = captures.discard(CaptureOwner.NewCase)
}

/** The campaign report screen's state. */
data class ReportUi(val report: CampaignReport? = null, val error: Throwable? = null)

/** The campaign report over the cases on this phone, as of now (or a chosen time). */
class ReportModel(private val repo: GridwalkRepository, private val scope: CoroutineScope, private val now: () -> Long = System::currentTimeMillis) {
    private val state = MutableStateFlow(ReportUi())
    val ui: StateFlow<ReportUi> = state.asStateFlow()

    fun refresh(asOfMs: Long = now()): Job = scope.attempt(
        { repo.campaignReport(asOfMs) },
        { e -> state.update { it.copy(error = e) } },
        { report -> state.value = ReportUi(report) },
    )
}

/** Submitted inspections; one opens read-only in the checklist screen ([ChecklistUi.editable]). */
data class SubmittedUi(
    val inspections: List<InspectionSummary> = emptyList(),
    val error: Throwable? = null,
)

/** The list of submitted inspections. */
class SubmittedModel(private val repo: GridwalkRepository, private val scope: CoroutineScope) {
    private val state = MutableStateFlow(SubmittedUi())
    val ui: StateFlow<SubmittedUi> = state.asStateFlow()

    fun refresh(): Job = scope.attempt(
        { repo.submitted() },
        { e -> state.update { it.copy(error = e) } },
        { list -> state.update { it.copy(inspections = list, error = null) } },
    )
}

/** The sites screen's state. */
data class SitesUi(
    val loading: Boolean = true,
    val profile: Profile? = null,
    val sites: List<Site> = emptyList(),
    /** The newest draft per site id, so a walk interrupted yesterday can be resumed. */
    val drafts: Map<String, InspectionSummary> = emptyMap(),
    val query: String = "",
    val kind: InspectionKind = InspectionKind.ROUTINE,
    val error: Throwable? = null,
) {
    /** Sites matching the search box; those with a draft first, then the core's order. */
    val visible: List<Site>
        get() = sites
            .filter { query.isBlank() || listOf(it.name, it.address, it.id).any { f -> f.contains(query.trim(), ignoreCase = true) } }
            .sortedByDescending { it.id in drafts }
}

/** Sites to inspect, resuming drafts, and opening a site from its QR code. */
class SitesModel(private val repo: GridwalkRepository, private val scope: CoroutineScope) {
    private val state = MutableStateFlow(SitesUi())
    val ui: StateFlow<SitesUi> = state.asStateFlow()

    fun refresh(): Job = scope.attempt(
        {
            val profile = repo.profile()
            val drafts = profile?.let { repo.drafts(it.name) }.orEmpty()
            // Drafts arrive newest first: keep the first one per site.
            Triple(profile, repo.sites(), drafts.groupBy { it.siteId }.mapValues { it.value.first() })
        },
        { e -> state.update { it.copy(loading = false, error = e) } },
        { (profile, sites, drafts) ->
            state.update { it.copy(loading = false, profile = profile, sites = sites, drafts = drafts, error = null) }
        },
    )

    fun setQuery(query: String) = state.update { it.copy(query = query) }
    fun setKind(kind: InspectionKind) = state.update { it.copy(kind = kind) }

    /** Resumes the site's draft, or starts a new inspection of the chosen kind. */
    fun open(siteId: String, onOpened: (inspectionId: String) -> Unit): Job {
        val ui = state.value
        ui.drafts[siteId]?.let { draft -> return scope.launch { onOpened(draft.id) } }
        // The inspector is the enrolled person; the core refuses an empty name.
        return scope.attempt(
            { repo.startInspection(siteId, ui.kind, ui.profile?.name.orEmpty()) },
            { e -> state.update { it.copy(error = e) } },
            onOpened,
        )
    }

    /** A scanned QR code holds a site id; one this phone does not hold is said so. */
    fun scanned(code: String, onOpened: (inspectionId: String) -> Unit): Job? {
        if (state.value.sites.any { it.id == code }) return open(code, onOpened)
        state.update { it.copy(error = SiteNotOnPhone(code)) }
        return null
    }
}
