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
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwalk.app.R
import org.gridwalk.app.data.formatMs
import org.gridwalk.app.data.labelRes
import org.gridwalk.app.ui.common.ErrorText
import org.gridwalk.app.data.localized
import org.gridwalk.app.ui.camera.CameraCaptureDialog
import org.gridwalk.app.ui.common.EvidenceStrip
import org.gridwalk.logic.CaptureOwner
import org.gridwalk.logic.CaseAction
import org.gridwalk.logic.PendingCaptures
import org.gridwalk.logic.PhotoSource
import org.gridwalk.core.*
import org.gridwalk.model.*

/** A hazard case: state, deadline, flags, history, and exactly the core's allowed actions. */
@OptIn(ExperimentalMaterial3Api::class, ExperimentalLayoutApi::class)
@Composable
fun CaseDetailScreen(
    vm: CaseDetailViewModel,
    captures: PendingCaptures,
    photos: PhotoSource,
    onOpenInspection: (String) -> Unit,
    onBack: () -> Unit,
) {
    val ui by vm.model.ui.collectAsStateWithLifecycle()
    var acting by remember { mutableStateOf<CaseAction?>(null) }
    var capturing by remember { mutableStateOf(false) }
    // Bumped when the camera closes, so the waiting photos are read from disk again.
    var capturesSeen by remember { mutableStateOf(0) }
    val view = ui.view

    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(view?.state?.report?.description ?: stringResource(R.string.case_title)) },
                navigationIcon = { IconButton(onClick = onBack) { Icon(Icons.AutoMirrored.Filled.ArrowBack, stringResource(R.string.action_back)) } },
            )
        },
    ) { padding ->
        LazyColumn(Modifier.padding(padding).fillMaxSize()) {
            if (acting == null) item { ErrorText(ui.error) }
            if (view == null) return@LazyColumn
            item { StateSummary(view, ui.departments) }
            // Every photo the case's events name (the report's, the fix's), as thumbnails
            // from the core's bytes, a pulled one badged while its full photo is pending.
            item { EvidenceStrip(view.photos, photos, Modifier.padding(horizontal = 16.dp)) }
            item {
                FlowRow(Modifier.padding(16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    ui.actions.forEach { action -> OutlinedButton(onClick = { acting = action }) { Text(action.title()) } }
                    // Checking a fix on site: a re-inspection, which "verified" then names.
                    if (ui.actions.any { it.kind == EventKind.VERIFIED } && view.state.report?.siteId != null) {
                        OutlinedButton(onClick = { vm.model.startReinspection(onOpenInspection) }) {
                            Text(stringResource(R.string.action_start_reinspection))
                        }
                    }
                }
            }
            item { Text(stringResource(R.string.case_history), style = MaterialTheme.typography.titleSmall, modifier = Modifier.padding(16.dp, 8.dp)) }
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
        val pending = remember(capturesSeen, ui.view) { vm.model.pendingPhotos() }
        CaseActionDialog(
            action = action,
            departments = ui.departments,
            reinspections = ui.reinspections,
            pending = pending,
            busy = ui.busy,
            error = ui.error,
            onTakePhotos = { capturing = true },
            onSubmit = { note, department, reinspection -> vm.model.act(action, note, department, reinspection) { acting = null } },
            onCancel = { vm.model.cancelAction(); acting = null },
        )
    }
    if (capturing) {
        CameraCaptureDialog(
            owner = CaptureOwner.Case(vm.model.caseId),
            captures = captures,
            onDone = { capturing = false; capturesSeen++ },
            onDismiss = { capturing = false; capturesSeen++ },
        )
    }
}

@Composable
private fun StateSummary(view: CaseView, departments: List<Department>) {
    val s = view.state
    val lines = listOfNotNull(
        stringResource(R.string.case_status, stringResource(s.status.labelRes), stringResource(s.level.labelRes)),
        s.department?.let { code ->
            // The department's name from the case's template; its code if the phone lacks it.
            val name = departments.find { it.code == code }?.let { localized(it.nameZh, it.nameEn) } ?: code
            stringResource(R.string.case_department, name)
        },
        s.report?.let { r ->
            listOfNotNull(r.category + (r.item?.let { i -> " / $i" } ?: ""), stringResource(r.severity.labelRes), r.unit)
                .joinToString(" · ")
        },
        view.deadline?.let {
            stringResource(if (it.overdue) R.string.case_due_overdue else R.string.case_due, formatMs(it.dueMs))
        },
        s.solved?.let { stringResource(R.string.case_solved, stringResource(it.level.labelRes), formatMs(it.atMs)) },
        s.rectificationPhotos.size.takeIf { it > 0 }?.let { stringResource(R.string.case_rectification_photos, it) },
    )
    // Flags the core raised for a human: concurrent edits, clocks that disagree.
    val flags = s.conflicts.map { stringResource(R.string.case_conflict, describe(it.kind)) } +
        view.skew.map {
            stringResource(R.string.case_clock_skew, it.skewMs / 1000, it.device, stringResource(it.kind.labelRes))
        }
    ListItem(
        headlineContent = { Text(lines.joinToString("\n")) },
        supportingContent = {
            if (flags.isNotEmpty()) Text(flags.joinToString("\n"), color = MaterialTheme.colorScheme.error)
        },
    )
}

@Composable
private fun EventRow(event: Event, ignoredBy: Rule?, refused: ServerRefusal?) {
    ListItem(
        overlineContent = {
            Text(
                stringResource(
                    R.string.case_event_actor,
                    formatMs(event.wallMs),
                    event.actor.name,
                    stringResource(event.actor.role.labelRes),
                ),
            )
        },
        headlineContent = { Text(describe(event.payload)) },
        supportingContent = {
            ignoredBy?.let {
                Text(stringResource(R.string.case_not_applied, stringResource(it.labelRes)), color = MaterialTheme.colorScheme.error)
            }
            // The server refused this event: shown, but not counted in the case's state.
            refused?.let {
                Text(stringResource(R.string.case_refused_by_server, it.reason), color = MaterialTheme.colorScheme.error)
            }
        },
    )
}

/** Why concurrent events conflict, in words. */
@Composable
private fun describe(kind: ConflictKind): String = when (kind) {
    is ConflictKind.TwoCloses -> stringResource(R.string.conflict_two_closes)
    is ConflictKind.CloseAndReopen -> stringResource(R.string.conflict_close_and_reopen)
    is ConflictKind.DifferentDepartments -> stringResource(R.string.conflict_different_departments)
    is ConflictKind.VerificationsDisagree -> stringResource(R.string.conflict_verifications_disagree)
    is ConflictKind.Refused -> stringResource(R.string.conflict_refused, stringResource(kind.rule.labelRes))
}

/** One event of the history, in words; notes and reasons are the users' own. */
@Composable
private fun describe(payload: Payload): String = when (payload) {
    is Payload.Reported -> stringResource(R.string.event_reported, payload.v1.description)
    is Payload.CalledIn -> stringResource(R.string.event_called_in, stringResource(payload.level.labelRes), payload.note)
    is Payload.Assigned -> stringResource(R.string.event_assigned, payload.department, payload.note)
    is Payload.Accepted -> stringResource(R.string.event_accepted, payload.note)
    is Payload.Progress -> stringResource(R.string.event_progress, payload.note)
    is Payload.Rectified -> stringResource(
        R.string.event_rectified,
        pluralStringResource(R.plurals.photo_count, payload.photos.size, payload.photos.size),
        payload.note,
    )
    is Payload.Verified ->
        stringResource(if (payload.passed) R.string.event_verified_fixed else R.string.event_verified_not_fixed, payload.note)
    is Payload.Reopened -> stringResource(R.string.event_reopened, payload.reason)
    is Payload.Closed -> stringResource(R.string.event_closed, payload.note)
    is Payload.Comment -> payload.text
}
