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
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwalk.app.data.formatMs
import org.gridwalk.app.R
import org.gridwalk.app.data.labelRes
import org.gridwalk.app.data.userMessage

/** Who this phone is, what waits to be sent, the running and the last sync, "sync now". */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun SyncScreen(vm: SyncViewModel, onEnrol: () -> Unit) {
    val ui by vm.ui.collectAsStateWithLifecycle()
    // Re-read on every visit: an inspection or a sync elsewhere may have changed things.
    LaunchedEffect(Unit) { vm.refresh() }
    Scaffold(topBar = { TopAppBar(title = { Text(stringResource(R.string.sync_title)) }) }) { padding ->
        Column(
            Modifier.padding(padding).fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) {
            val profile = ui.profile
            if (profile == null) {
                Text(stringResource(R.string.sync_not_enrolled))
                Button(onClick = onEnrol) { Text(stringResource(R.string.sync_enrol_phone)) }
            } else {
                Text("${profile.name} · ${stringResource(profile.role.labelRes)} · ${profile.unit}", style = MaterialTheme.typography.titleMedium)
            }

            ui.pending?.let {
                val records = it.records.toInt()
                val photos = it.photos.toInt()
                Text(
                    stringResource(
                        R.string.sync_pending,
                        pluralStringResource(R.plurals.record_count, records, records),
                        pluralStringResource(R.plurals.photo_count, photos, photos),
                    ),
                )
            }

            ui.running?.let { run ->
                val phase = stringResource(run.phase?.labelRes ?: R.string.sync_starting)
                Text(stringResource(R.string.sync_running, phase, run.done, run.total))
                if (run.total > 0) LinearProgressIndicator({ run.done.toFloat() / run.total }, Modifier.fillMaxWidth())
                else LinearProgressIndicator(Modifier.fillMaxWidth())
            }
            if (ui.waitingForNetwork) Text(stringResource(R.string.sync_waiting_network))

            Button(onClick = vm::syncNow, enabled = profile != null && ui.running == null) { Text(stringResource(R.string.sync_now)) }
            OutlinedButton(onClick = { vm.refresh() }) { Text(stringResource(R.string.sync_refresh_counts)) }
            ui.error?.let { Text(it.userMessage(), color = MaterialTheme.colorScheme.error) }

            ui.last?.let { last ->
                Text(stringResource(R.string.sync_last, formatMs(last.atMs)), style = MaterialTheme.typography.titleSmall)
                last.failure?.let { Text(stringResource(R.string.sync_failed, it), color = MaterialTheme.colorScheme.error) }
                // The server no longer accepts this phone: sync stopped; enrolling again is the fix.
                if (last.failure != null && last.reenrol) {
                    Button(onClick = onEnrol) { Text(stringResource(R.string.sync_enrol_again)) }
                }
                last.counts.forEach { (count, value) -> Text(stringResource(R.string.sync_count_line, stringResource(count.label), value)) }
                if (last.refused.isNotEmpty()) {
                    Text(stringResource(R.string.sync_refused_header), color = MaterialTheme.colorScheme.error)
                    last.refused.forEach { Text(it, style = MaterialTheme.typography.bodySmall) }
                }
                last.problems.forEach { Text(it, style = MaterialTheme.typography.bodySmall) }
            }
        }
    }
}
