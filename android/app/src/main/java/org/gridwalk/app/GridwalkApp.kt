package org.gridwalk.app

import android.app.Application
import org.gridwalk.app.data.GridwalkRepository
import org.gridwalk.app.sync.LastSyncStore
import org.gridwalk.app.sync.SyncScheduler
import org.gridwalk.ffi.GridwalkStore

/**
 * Holds the one [GridwalkStore] of this device for the whole process: every screen and the
 * sync worker share it, so SQLite sees one writer and the core's mutex orders the calls.
 */
class GridwalkApp : Application() {
    lateinit var repository: GridwalkRepository
        private set
    lateinit var lastSync: LastSyncStore
        private set

    override fun onCreate() {
        super.onCreate()
        // filesDir, not cacheDir: the store and its photos are evidence the system must
        // never evict. The core creates the file and its photo folders on first open.
        val storePath = filesDir.resolve("gridwalk.sqlite").absolutePath
        repository = GridwalkRepository(GridwalkStore.open(storePath))
        lastSync = LastSyncStore(this)
        // Idempotent (KEEP): re-running it on every start never stacks periodic syncs.
        SyncScheduler.schedulePeriodic(this)
    }
}
