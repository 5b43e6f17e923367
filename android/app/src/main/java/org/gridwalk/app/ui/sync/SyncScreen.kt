package org.gridwalk.app.ui.sync

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwalk.app.data.formatMs
import org.gridwalk.app.data.label

/** Who this phone is, what waits to be sent, the running and the last sync, "sync now". */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun SyncScreen(vm: SyncViewModel, onEnrol: () -> Unit) {
    val ui by vm.ui.collectAsStateWithLifecycle()
    // Re-read on every visit: an inspection or a sync elsewhere may have changed things.
    LaunchedEffect(Unit) { vm.refresh() }
    Scaffold(topBar = { TopAppBar(title = { Text("Sync") }) }) { padding ->
        Column(
            Modifier.padding(padding).fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) {
            val profile = ui.profile
            if (profile == null) {
                Text("This phone is not enrolled. Ask your office for a server address and an enrolment code.")
                Button(onClick = onEnrol) { Text("Enrol this phone") }
            } else {
                Text("${profile.name} · ${profile.role.label()} · ${profile.unit}", style = MaterialTheme.typography.titleMedium)
            }

            ui.pending?.let {
                Text("Waiting to be sent: ${it.records} record(s), ${it.photos} photo(s)")
            }

            ui.running?.let { run ->
                Text("Syncing: ${run.phase?.lowercase() ?: "starting"} ${run.done} of ${run.total}")
                if (run.total > 0) LinearProgressIndicator({ run.done.toFloat() / run.total }, Modifier.fillMaxWidth())
                else LinearProgressIndicator(Modifier.fillMaxWidth())
            }
            if (ui.waitingForNetwork) Text("Sync queued: it starts when the phone has a network.")

            Button(onClick = vm::syncNow, enabled = profile != null && ui.running == null) { Text("Sync now") }
            OutlinedButton(onClick = { vm.refresh() }) { Text("Refresh counts") }
            ui.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }

            ui.last?.let { last ->
                Text("Last sync ${formatMs(last.atMs)}", style = MaterialTheme.typography.titleSmall)
                last.failure?.let { Text("Failed: $it", color = MaterialTheme.colorScheme.error) }
                last.counts.forEach { (name, count) -> Text("$name: $count") }
                if (last.refused.isNotEmpty()) {
                    Text("Refused by the server (kept on this phone):", color = MaterialTheme.colorScheme.error)
                    last.refused.forEach { Text(it, style = MaterialTheme.typography.bodySmall) }
                }
                last.problems.forEach { Text(it, style = MaterialTheme.typography.bodySmall) }
            }
        }
    }
}
