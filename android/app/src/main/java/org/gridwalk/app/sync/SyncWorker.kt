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
import org.gridwalk.core.*
import org.gridwalk.model.*
import org.gridwalk.ffi.*

/**
 * One sync through the core. The core's sync is resumable and idempotent, so a worker the
 * system stops half-way simply runs again later and nothing is sent twice.
 */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {

    private data class Step(val phase: SyncPhase, val done: ULong, val total: ULong)

    override suspend fun doWork(): Result = coroutineScope {
        val app = applicationContext as GridwalkApp
        // No profile means not enrolled: there is no server to talk to yet. Not a failure.
        if (app.repository.profile() == null) return@coroutineScope Result.success()

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
            app.lastSync.saveReport(app.repository.sync(listener))
            Result.success()
        } catch (e: GridwalkException) {
            // Kept as words in the language of the failure: it is a record of what happened.
            app.lastSync.saveFailure(e.userMessage(applicationContext.resources))
            // The core already retried inside this sync; let WorkManager back off and retry.
            Result.retry()
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
