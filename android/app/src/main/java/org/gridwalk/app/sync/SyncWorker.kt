package org.gridwalk.app.sync

import android.content.Context
import androidx.work.CoroutineWorker
import androidx.work.WorkerParameters
import androidx.work.workDataOf
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.filterNotNull
import kotlinx.coroutines.launch
import org.gridwalk.app.GridwalkApp
import org.gridwalk.app.data.userMessage
import org.gridwalk.core.SyncPhase
import org.gridwalk.ffi.SyncListener
import org.gridwalk.logic.SyncDecision
import org.gridwalk.logic.syncOnce

/**
 * One sync through the core. The core's sync is resumable and idempotent, so a worker the
 * system stops half-way simply runs again later and nothing is sent twice. What happens
 * after a failure is the plain module's decision ([syncOnce], tested on the JVM): retry a
 * passing problem with WorkManager's back-off; stop on what only the user can fix.
 */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {

    private data class Step(val phase: SyncPhase, val done: ULong, val total: ULong)

    override suspend fun doWork(): Result = coroutineScope {
        val app = applicationContext as GridwalkApp
        // The store failed to open: the launch screen says why; nothing to sync.
        val repository = app.repository() ?: return@coroutineScope Result.failure()

        // The core calls the listener on its own thread and expects it back at once, so the
        // listener only drops the latest step here and a coroutine publishes it.
        val latest = MutableStateFlow<Step?>(null)
        val publisher = launch {
            latest.filterNotNull().collect {
                setProgress(workDataOf(PHASE to it.phase.name, DONE to it.done.toLong(), TOTAL to it.total.toLong()))
            }
        }
        val listener = object : SyncListener {
            override fun onProgress(phase: SyncPhase, done: ULong, total: ULong) {
                latest.value = Step(phase, done, total)
            }
        }
        try {
            when (val decision = syncOnce(repository, listener)) {
                is SyncDecision.Done -> {
                    app.lastSync.saveReport(decision.report, applicationContext.resources)
                    Result.success()
                }
                // Nothing to sync with yet; enrolment schedules sync again.
                SyncDecision.NotEnrolled -> Result.success()
                is SyncDecision.RetryLater -> {
                    app.lastSync.saveFailure(decision.error.userMessage(applicationContext.resources), reenrol = false)
                    Result.retry()
                }
                is SyncDecision.Stop -> {
                    // Kept as words in the language of the failure: a record of what happened.
                    app.lastSync.saveFailure(decision.error.userMessage(applicationContext.resources), decision.reenrol)
                    // Retrying hourly cannot fix this; the Sync screen shows it (and offers
                    // enrolment when that is the fix), and enrolling schedules sync again.
                    if (decision.reenrol) SyncScheduler.stopPeriodic(applicationContext)
                    Result.failure()
                }
            }
        } finally {
            publisher.cancel()
        }
    }

    companion object {
        const val PHASE = "phase"
        const val DONE = "done"
        const val TOTAL = "total"
    }
}
