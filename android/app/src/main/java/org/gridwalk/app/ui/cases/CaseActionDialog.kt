package org.gridwalk.app.ui.cases

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf

import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import org.gridwalk.app.R
import org.gridwalk.app.data.localized
import org.gridwalk.app.ui.common.PhotoStrip
import org.gridwalk.logic.CaseAction
import java.io.File
import org.gridwalk.app.ui.common.ErrorText
import org.gridwalk.model.Department
import org.gridwalk.model.EventKind
import org.gridwalk.core.InspectionSummary

/**
 * Collects what an action carries: a note; a department (of the case's own template) to
 * assign; rectification photos (camera files waiting on disk in [pending], deleted on
 * cancel); for a verification, the re-inspection that checked the fix, so the case and
 * that visit are linked. Nothing is pre-checked here: an empty note or a rectification
 * without a photo goes to the core, which refuses it naming the rule, shown in [error].
 */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun CaseActionDialog(
    action: CaseAction,
    departments: List<Department>,
    reinspections: List<InspectionSummary>,
    pending: List<File>,
    busy: Boolean,
    error: Throwable?,
    onTakePhotos: () -> Unit,
    onSubmit: (note: String, department: String?, reinspection: String?) -> Unit,
    onCancel: () -> Unit,
) {
    var note by rememberSaveable { mutableStateOf("") }
    var department by rememberSaveable { mutableStateOf<String?>(null) }
    // The newest re-inspection is the likely one; the inspector can pick another or none.
    var reinspection by rememberSaveable { mutableStateOf(reinspections.firstOrNull()?.id) }

    AlertDialog(
        onDismissRequest = onCancel,
        title = { Text(action.title()) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                if (action.kind == EventKind.ASSIGNED) {
                    FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        departments.forEach { d ->
                            FilterChip(department == d.code, { department = d.code }, label = { Text(localized(d.nameZh, d.nameEn)) })
                        }
                    }
                }
                if (action.kind == EventKind.VERIFIED) {
                    Text(stringResource(R.string.action_verify_reinspection), style = MaterialTheme.typography.labelMedium)
                    FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        FilterChip(reinspection == null, { reinspection = null }, label = { Text(stringResource(R.string.action_verify_no_reinspection)) })
                        reinspections.forEach { r ->
                            FilterChip(reinspection == r.id, { reinspection = r.id }, label = { Text(formatIso(r.submittedAt ?: r.startedAt)) })
                        }
                    }
                }
                if (action.kind == EventKind.RECTIFIED) {
                    PhotoStrip(pending)
                    OutlinedButton(onClick = onTakePhotos) { Text(stringResource(R.string.action_fix_photos, pending.size)) }
                }
                OutlinedTextField(note, { note = it }, label = { Text(stringResource(action.noteLabel)) }, modifier = Modifier.fillMaxWidth())
                ErrorText(error)
            }
        },
        confirmButton = {
            TextButton(enabled = !busy, onClick = { onSubmit(note.trim(), department, reinspection) }) { Text(stringResource(R.string.action_record)) }
        },
        dismissButton = { TextButton(onClick = onCancel) { Text(stringResource(R.string.action_cancel)) } },
    )
}

/** An inspection's RFC 3339 time, shown as the core wrote it but without the seconds' fraction. */
private fun formatIso(iso: String): String = iso.substringBefore('.').replace('T', ' ')
