package org.gridwalk.logic

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext
// Wildcards on purpose: the records live in org.gridwalk.core and the objects in
// org.gridwalk.ffi, and regenerating the bindings may move a type between the two.
import org.gridwalk.core.*
import org.gridwalk.ffi.*
import org.gridwalk.model.*

/**
 * The shell's only door to the core. It forwards and moves work off the main thread; it
 * decides nothing the core decides. Store calls are short and synchronous
 * (docs/adr/0002), so they run on [io]; sync and enrolment are the core's own `suspend`
 * functions, serialised here so two never overlap.
 */
class GridwalkRepository(
    private val store: GridwalkStore,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) : PhotoSource {
    private suspend fun <T> call(block: GridwalkStore.() -> T): T = withContext(io) { store.block() }

    // Reference data and profile -------------------------------------------------------

    suspend fun profile(): Profile? = call { profile() }
    suspend fun sites(): List<Site> = call { listSites() }
    suspend fun units(): List<OrgUnit> = call { listUnits() }

    /** The newest version of every checklist template on the phone. */
    suspend fun templates(): List<Template> = call {
        listTemplates().map { it.id }.distinct().map { template(it, null) }
    }

    /**
     * The departments a case may be assigned to: those of the template its inspection was
     * made with; for a case opened from a resident, hotline or online report (no
     * inspection), those of the newest template whose categories include the case's.
     */
    suspend fun departmentsFor(case: CaseState): List<Department> = call {
        val report = case.report ?: return@call emptyList()
        val source = report.source
        val fromInspection = (source as? ReportSource.Inspection)?.let { s ->
            runCatching { inspection(s.inspectionId) }.getOrNull()
                ?.let { template(it.templateId, it.templateVersion) }
        }
        val template = fromInspection ?: listTemplates().map { it.id }.distinct()
            .map { template(it, null) }
            .firstOrNull { t -> t.categories.any { it.code == report.category } }
        template?.departments.orEmpty()
    }

    // Inspections ----------------------------------------------------------------------

    suspend fun drafts(inspector: String): List<InspectionSummary> =
        call { listInspections(inspector, InspectionStatus.DRAFT) }

    /** Submitted inspections on this phone (this person's and those pulled), newest first. */
    suspend fun submitted(): List<InspectionSummary> = call { listInspections(null, InspectionStatus.SUBMITTED) }

    suspend fun startInspection(siteId: String, kind: InspectionKind, inspector: String): String =
        call { startInspection(siteId, kind, inspector) }

    suspend fun checklist(inspectionId: String): Checklist = call { checklist(inspectionId) }

    /** Answers an item; camera files, when given, are ingested and attached by the core. */
    suspend fun answer(inspectionId: String, item: String, outcome: Outcome, note: String?, photoPaths: List<String>) =
        call {
            if (photoPaths.isEmpty()) answer(inspectionId, item, outcome, note)
            else answerWithPhotos(inspectionId, item, outcome, note, photoPaths)
            Unit
        }

    /** Adds more photos to an item already answered, each ingested then attached. */
    suspend fun addPhotos(inspectionId: String, item: String, photoPaths: List<String>) = call {
        photoPaths.forEach { attachPhoto(inspectionId, item, ingestPhoto(it).sha256) }
    }

    suspend fun submit(inspectionId: String) = call { submit(inspectionId) }

    // Hazard cases ---------------------------------------------------------------------

    suspend fun cases(filter: CaseFilter): List<CaseSummary> = call { listCases(filter) }
    suspend fun case(caseId: String): CaseView = call { hazardCase(caseId) }
    suspend fun act(caseId: String, payload: Payload): Event = call { act(caseId, payload) }

    /** Opens a case from a resident, hotline or online report; returns the new case's id. */
    suspend fun openCase(report: HazardReport): String = call { openCase(report).caseId }

    /** The campaign report over the cases on this phone, as of [asOfMs]. */
    suspend fun campaignReport(asOfMs: Long): CampaignReport = call { campaignReport(asOfMs) }

    /**
     * A photo's or thumbnail's plaintext JPEG from the core (sealed photos included), for
     * [tile]; `null` when the tile loads nothing or the photo has not reached this phone
     * (`PhotoNotHeld`: it shows as pending until a sync brings it).
     */
    override suspend fun bytes(tile: PhotoTile): ByteArray? {
        val size = tile.load ?: return null
        return try {
            call { photoBytes(tile.sha256, size) }
        } catch (e: GridwalkException.PhotoNotHeld) {
            null
        }
    }

    /** Ingests camera files (e.g. rectification evidence); returns their hashes, in order. */
    suspend fun ingest(photoPaths: List<String>): List<String> = call { photoPaths.map { ingestPhoto(it).sha256 } }

    /**
     * Re-inspections of [siteId] by [inspector], newest first: the ones a verification of a
     * case at that site can name (`Verified.inspectionId`), so the case and the visit that
     * checked the fix are linked.
     */
    suspend fun reinspections(siteId: String, inspector: String): List<InspectionSummary> = call {
        listInspections(inspector, null).filter { it.kind == InspectionKind.REINSPECTION && it.siteId == siteId }
    }

    // Sync -----------------------------------------------------------------------------

    suspend fun pendingSync(): PendingSync = call { pendingSync() }

    // Made from the store the screens use: sync works on the same connection, taking it
    // for one short step at a time, so it sees exactly what was recorded here.
    private val syncHandle = GridwalkSync(store)
    private val syncLock = Mutex()

    /** The server this phone is enrolled with: enrolled means this, not "has a profile". */
    suspend fun enrolledServer(): String? = call { syncHandle.enrolledServer() }

    /** Enrols this device with a server using a one-time code; sets the profile. */
    suspend fun enroll(serverUrl: String, code: String): Enrolment =
        syncLock.withLock { syncHandle.enroll(serverUrl, code) }

    /**
     * One sync. Serialised here so the periodic worker and "sync now" never run two at
     * once; the second caller waits and then syncs whatever arrived meanwhile.
     */
    suspend fun sync(listener: SyncListener?): SyncReport =
        syncLock.withLock { syncHandle.sync(listener) }
}
