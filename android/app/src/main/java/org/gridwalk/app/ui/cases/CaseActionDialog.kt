package org.gridwalk.app.ui.cases

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.FilterChip
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import org.gridwalk.app.R
import org.gridwalk.app.data.localized
import org.gridwalk.app.ui.camera.CameraCaptureDialog
import org.gridwalk.app.ui.camera.discard
import org.gridwalk.app.ui.common.ErrorText
import org.gridwalk.model.Department
import org.gridwalk.model.EventKind

/**
 * Collects what an action carries (a note; a department to assign; rectification photos)
 * and forwards it. Nothing is checked here: an empty note or a rectification without a
 * photo goes to the core, which refuses it naming the rule, shown in [error].
 */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun CaseActionDialog(
    action: CaseAction,
    departments: List<Department>,
    busy: Boolean,
    error: Throwable?,
    onSubmit: (note: String, department: String?, photoPaths: List<String>) -> Unit,
    onDismiss: () -> Unit,
) {
    var note by rememberSaveable { mutableStateOf("") }
    var department by rememberSaveable { mutableStateOf<String?>(null) }
    val photos = remember { mutableStateListOf<String>() }
    var capturing by remember { mutableStateOf(false) }
    val cancel = { discard(photos); onDismiss() }

    AlertDialog(
        onDismissRequest = cancel,
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
                if (action.kind == EventKind.RECTIFIED) {
                    OutlinedButton(onClick = { capturing = true }) { Text(stringResource(R.string.action_fix_photos, photos.size)) }
                }
                OutlinedTextField(note, { note = it }, label = { Text(stringResource(action.noteLabel)) }, modifier = Modifier.fillMaxWidth())
                ErrorText(error)
            }
        },
        confirmButton = {
            TextButton(enabled = !busy, onClick = { onSubmit(note.trim(), department, photos.toList()) }) { Text(stringResource(R.string.action_record)) }
        },
        dismissButton = { TextButton(onClick = cancel) { Text(stringResource(R.string.action_cancel)) } },
    )

    if (capturing) {
        CameraCaptureDialog(onDone = { photos += it; capturing = false }, onDismiss = { capturing = false })
    }
}
