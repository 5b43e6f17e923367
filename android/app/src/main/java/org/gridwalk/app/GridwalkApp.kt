package org.gridwalk.app

import android.app.Application
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import org.gridwalk.app.keys.KeystoreSigner
import org.gridwalk.app.keys.StoreKeys
import org.gridwalk.app.sync.LastSyncStore
import org.gridwalk.app.sync.SyncScheduler
import org.gridwalk.logic.GridwalkRepository
import org.gridwalk.logic.LaunchState
import org.gridwalk.logic.PendingCaptures
import org.gridwalk.logic.openInBackground
import org.gridwalk.logic.openStore

/**
 * Holds the one store of this device for the whole process: every screen and the sync
 * worker share it, so SQLite sees one writer and the core's mutex orders the calls.
 *
 * The store is opened off the main thread ([openInBackground]: loading the library,
 * SQLite, migrations, the keystore); until then the activity shows a progress screen, and
 * a failure (a full disk, a store from a newer app, a damaged file) shows what to do
 * instead of crashing every launch.
 */
class GridwalkApp : Application() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate)
    private val state = MutableStateFlow<LaunchState>(LaunchState.Opening)

    /** Where opening the store stands. */
    val launch: StateFlow<LaunchState> = state.asStateFlow()

    /** Camera files waiting for the core: app-private and persistent, never the cache. */
    lateinit var captures: PendingCaptures
        private set
    lateinit var lastSync: LastSyncStore
        private set

    // filesDir, not cacheDir: the store and its photos are evidence the system must
    // never evict. The core creates the file and its photo folders on first open.
    private val storePath by lazy { filesDir.resolve("gridwalk.sqlite").absolutePath }

    override fun onCreate() {
        super.onCreate()
        captures = PendingCaptures(filesDir.resolve("pending-captures"))
        lastSync = LastSyncStore(this)
        open()
    }

    /** Opens the store (again, after a failure the user has fixed). */
    fun open() {
        state.value = LaunchState.Opening
        scope.launch {
            val opened = openInBackground {
                // A process killed while the camera wrote leaves half files; never evidence.
                captures.sweepPartials()
                openStore(storePath, StoreKeys(this@GridwalkApp).storeKey(), KeystoreSigner())
            }
            state.value = opened
            // Idempotent (KEEP): re-running it on every start never stacks periodic syncs.
            if (opened is LaunchState.Ready) SyncScheduler.schedulePeriodic(this@GridwalkApp)
        }
    }

    /** The repository once the store is open, or null if it failed to open. */
    suspend fun repository(): GridwalkRepository? =
        (launch.first { it !is LaunchState.Opening } as? LaunchState.Ready)?.repository
}
