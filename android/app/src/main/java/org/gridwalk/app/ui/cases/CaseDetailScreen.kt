package org.gridwalk.app.ui.cases

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwalk.app.data.formatMs
import org.gridwalk.app.data.label
import org.gridwalk.app.ui.common.ErrorText
import org.gridwalk.core.*
import org.gridwalk.model.*

/** A hazard case: state, deadline, flags, history, and exactly the core's allowed actions. */
@OptIn(ExperimentalMaterial3Api::class, ExperimentalLayoutApi::class)
@Composable
fun CaseDetailScreen(vm: CaseDetailViewModel, onBack: () -> Unit) {
    val ui by vm.ui.collectAsStateWithLifecycle()
    var acting by remember { mutableStateOf<CaseAction?>(null) }
    val view = ui.view

    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(view?.state?.report?.description ?: "Case") },
                navigationIcon = { IconButton(onClick = onBack) { Icon(Icons.AutoMirrored.Filled.ArrowBack, "Back") } },
            )
        },
    ) { padding ->
        LazyColumn(Modifier.padding(padding).fillMaxSize()) {
            if (acting == null) item { ErrorText(ui.error) }
            if (view == null) return@LazyColumn
            item { StateSummary(view) }
            item {
                FlowRow(Modifier.padding(16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    ui.actions.forEach { action -> OutlinedButton(onClick = { acting = action }) { Text(action.title) } }
                }
            }
            item { Text("History", style = MaterialTheme.typography.titleSmall, modifier = Modifier.padding(16.dp, 8.dp)) }
            items(view.events, key = { it.id }) { event ->
                EventRow(
                    event,
                    ignoredBy = view.state.ignored.find { it.event == event.id }?.rule,
                    refused = view.refused.find { it.event == event.id },
                )
                HorizontalDivider()
            }
        }
    }

    acting?.let { action ->
        CaseActionDialog(
            action = action,
            departments = ui.departments,
            busy = ui.busy,
            error = ui.error,
            onSubmit = { note, department, photos -> vm.act(action, note, department, photos) { acting = null } },
            onDismiss = { acting = null; vm.dismissError() },
        )
    }
}

@Composable
private fun StateSummary(view: CaseView) {
    val s = view.state
    val lines = listOfNotNull(
        "Status: ${s.status.label()} · level ${s.level.label()}",
        s.department?.let { "Department: $it" },
        s.report?.let { "${it.category}${it.item?.let { i -> " / $i" } ?: ""} · ${it.severity.label()} · ${it.unit}" },
        view.deadline?.let { "Due ${formatMs(it.dueMs)}${if (it.overdue) " — OVERDUE" else ""}" },
        s.solved?.let { "Solved at ${it.level.label()} level, ${formatMs(it.atMs)}" },
        "Rectification photos: ${s.rectificationPhotos.size}".takeIf { s.rectificationPhotos.isNotEmpty() },
    )
    ListItem(
        headlineContent = { Text(lines.joinToString("\n")) },
        supportingContent = {
            // Flags the core raised for a human: concurrent edits, clocks that disagree.
            val flags = s.conflicts.map { "Conflict: ${it.kind::class.simpleName}" } +
                view.skew.map { "Clock skew ${it.skewMs / 1000}s on device ${it.device} (${it.kind.label()})" }
            if (flags.isNotEmpty()) Text(flags.joinToString("\n"), color = MaterialTheme.colorScheme.error)
        },
    )
}

@Composable
private fun EventRow(event: Event, ignoredBy: Rule?, refused: ServerRefusal?) {
    ListItem(
        overlineContent = { Text("${formatMs(event.wallMs)} · ${event.actor.name} (${event.actor.role.label()})") },
        headlineContent = { Text(describe(event.payload)) },
        supportingContent = {
            ignoredBy?.let { Text("Not applied: rule ${it.label()}", color = MaterialTheme.colorScheme.error) }
            // The server refused this event: shown, but not counted in the case's state.
            refused?.let { Text("Refused by the server: ${it.reason}", color = MaterialTheme.colorScheme.error) }
        },
    )
}

private fun describe(payload: Payload): String = when (payload) {
    is Payload.Reported -> "Reported: ${payload.v1.description}"
    is Payload.CalledIn -> "Called in to ${payload.level.label()}: ${payload.note}"
    is Payload.Assigned -> "Assigned to ${payload.department}: ${payload.note}"
    is Payload.Accepted -> "Accepted: ${payload.note}"
    is Payload.Progress -> "Progress: ${payload.note}"
    is Payload.Rectified -> "Rectified (${payload.photos.size} photo(s)): ${payload.note}"
    is Payload.Verified -> "Verified ${if (payload.passed) "fixed" else "NOT fixed"}: ${payload.note}"
    is Payload.Reopened -> "Reopened: ${payload.reason}"
    is Payload.Closed -> "Closed: ${payload.note}"
    is Payload.Comment -> payload.text
}
