package org.gridwalk.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.compose.material3.MaterialTheme
import androidx.compose.runtime.getValue
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwalk.app.ui.GridwalkNavHost
import org.gridwalk.app.ui.LaunchScreen
import org.gridwalk.logic.LaunchState

/** The one activity: the launch screen until the store is open, then the app's screens. */
class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        enableEdgeToEdge()
        val app = application as GridwalkApp
        setContent {
            MaterialTheme {
                val launch by app.launch.collectAsStateWithLifecycle()
                when (val state = launch) {
                    is LaunchState.Ready -> GridwalkNavHost(state.repository, app.captures)
                    else -> LaunchScreen(state, onRetry = app::open)
                }
            }
        }
    }
}
