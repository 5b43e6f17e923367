package org.gridwalk.app.data

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext
// Wildcards on purpose: the records live in org.gridwalk.core and the objects in
// org.gridwalk.ffi, and regenerating the bindings may move a type between the two.
import org.gridwalk.core.*
import org.gridwalk.model.*
import org.gridwalk.ffi.*

/**
 * The shell's only door to the core. It forwards and moves work off the main thread; it
 * decides nothing. Store calls are short and synchronous (docs/adr/0002), so they run on
 * [io]; sync and enrolment are `suspend` functions of the core itself.
 */
class GridwalkRepository(
    private val store: GridwalkStore,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) {
    private suspend fun <T> call(block: GridwalkStore.() -> T): T = withContext(io) { store.block() }

    // Reference data and profile -------------------------------------------------------

    suspend fun profile(): Profile? = call { profile() }
    suspend fun sites(): List<Site> = call { listSites() }

    /** Departments of the newest checklist template, for the "assign" action. */
    suspend fun departments(): List<Department> = call {
        listTemplates().firstOrNull()?.let { template(it.id, null).departments }.orEmpty()
    }

    // Inspections ----------------------------------------------------------------------

    suspend fun drafts(inspector: String): List<InspectionSummary> =
        call { listInspections(inspector, InspectionStatus.DRAFT) }

    suspend fun startInspection(siteId: String, kind: InspectionKind, inspector: String): String =
        call { startInspection(siteId, kind, inspector) }

    suspend fun checklist(inspectionId: String): Checklist = call { checklist(inspectionId) }

    /** Answers an item; camera files, when given, are ingested and attached by the core. */
    suspend fun answer(inspectionId: String, item: String, outcome: Outcome, note: String?, photoPaths: List<String>) =
        call {
            if (photoPaths.isEmpty()) answer(inspectionId, item, outcome, note)
            else answerWithPhotos(inspectionId, item, outcome, note, photoPaths)
        }

    /** Adds one more photo to an item already answered. */
    suspend fun addPhoto(inspectionId: String, item: String, photoPath: String) = call {
        attachPhoto(inspectionId, item, ingestPhoto(photoPath).sha256)
    }

    suspend fun submit(inspectionId: String) = call { submit(inspectionId) }

    // Hazard cases ---------------------------------------------------------------------

    suspend fun cases(filter: CaseFilter): List<CaseSummary> = call { listCases(filter) }
    suspend fun case(caseId: String): CaseView = call { hazardCase(caseId) }
    suspend fun act(caseId: String, payload: Payload): Event = call { act(caseId, payload) }

    /** Ingests camera files (e.g. rectification evidence); returns their hashes, in order. */
    suspend fun ingest(photoPaths: List<String>): List<String> = call { photoPaths.map { ingestPhoto(it).sha256 } }

    // Sync -----------------------------------------------------------------------------

    suspend fun pendingSync(): PendingSync = call { pendingSync() }

    // Made from the store the screens use: sync works on the same connection, taking it
    // for one short step at a time, so it sees exactly what was recorded here.
    private val syncHandle = GridwalkSync(store)
    private val syncLock = Mutex()

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
