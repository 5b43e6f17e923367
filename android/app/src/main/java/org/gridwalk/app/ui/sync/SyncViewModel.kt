package org.gridwalk.app.ui.sync

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import androidx.work.WorkInfo
import androidx.work.WorkManager
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.combine
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwalk.app.GridwalkApp
import org.gridwalk.app.sync.LastSync
import org.gridwalk.app.sync.SyncScheduler
import org.gridwalk.app.sync.SyncWorker
import org.gridwalk.core.PendingSync
import org.gridwalk.core.SyncPhase
import org.gridwalk.logic.GridwalkRepository
import org.gridwalk.model.Profile

/** A sync in flight, from the worker's progress: "pushing 3 of 10"; no phase until the first step. */
data class SyncRunning(val phase: SyncPhase?, val done: Long, val total: Long)

data class SyncUi(
    val profile: Profile? = null,
    val pending: PendingSync? = null,
    val running: SyncRunning? = null,
    val waitingForNetwork: Boolean = false,
    val last: LastSync? = null,
    val enrolling: Boolean = false,
    /** The last failure; screens put it into words when they show it (see userMessage). */
    val error: Throwable? = null,
)

class SyncViewModel(application: Application, private val repo: GridwalkRepository) : AndroidViewModel(application) {
    private val app = application as GridwalkApp
    private val state = MutableStateFlow(SyncUi())
    val ui: StateFlow<SyncUi> = state.asStateFlow()

    init {
        refresh()
        val work = WorkManager.getInstance(application)
        viewModelScope.launch {
            combine(
                work.getWorkInfosForUniqueWorkFlow(SyncScheduler.NOW),
                work.getWorkInfosForUniqueWorkFlow(SyncScheduler.PERIODIC),
            ) { now, periodic ->
                val running = (now + periodic).firstOrNull { it.state == WorkInfo.State.RUNNING }?.progress?.let {
                    val phase = it.getString(SyncWorker.PHASE)?.let { name -> SyncPhase.entries.find { p -> p.name == name } }
                    SyncRunning(phase, it.getLong(SyncWorker.DONE, 0), it.getLong(SyncWorker.TOTAL, 0))
                }
                // A queued "sync now" waits for its network constraint (or a retry back-off);
                // the periodic request is always queued, so it says nothing.
                running to (running == null && now.any { it.state == WorkInfo.State.ENQUEUED })
            }.collect { (running, waiting) ->
                val wasRunning = state.value.running != null
                state.update { it.copy(running = running, waitingForNetwork = waiting) }
                // A sync just ended: the outbox and the profile may have changed.
                if (wasRunning && running == null) refresh()
            }
        }
        viewModelScope.launch { app.lastSync.last.collect { last -> state.update { it.copy(last = last) } } }
    }

    fun refresh() = viewModelScope.launch {
        runCatching { repo.profile() to repo.pendingSync() }
            .onSuccess { (profile, pending) -> state.update { it.copy(profile = profile, pending = pending, error = null) } }
            .onFailure { e -> state.update { it.copy(error = e) } }
    }

    fun syncNow() = SyncScheduler.syncNow(getApplication())

    /** Enrols with a server and a one-time code, then syncs to fetch sites and templates. */
    fun enroll(serverUrl: String, code: String, onEnrolled: () -> Unit) = viewModelScope.launch {
        state.update { it.copy(enrolling = true, error = null) }
        runCatching { repo.enroll(serverUrl.trim(), code.trim()) }
            .onSuccess { enrolment ->
                state.update { it.copy(enrolling = false, profile = enrolment.person) }
                // A stop after "unauthorised" cancelled the periodic sync; enrolled again, resume it.
                SyncScheduler.schedulePeriodic(getApplication())
                syncNow()
                onEnrolled()
            }
            .onFailure { e -> state.update { it.copy(enrolling = false, error = e) } }
    }
}
