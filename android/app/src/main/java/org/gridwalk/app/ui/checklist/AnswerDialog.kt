package org.gridwalk.app.ui.checklist

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
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
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import org.gridwalk.app.R
import org.gridwalk.app.data.labelRes
import org.gridwalk.app.data.localized
import org.gridwalk.app.ui.common.EvidenceStrip
import org.gridwalk.app.ui.common.PhotoStrip
import java.io.File
import org.gridwalk.app.ui.common.ErrorText
import org.gridwalk.core.ChecklistEntry
import org.gridwalk.logic.PhotoSource
import org.gridwalk.model.Outcome

/**
 * Answers one item: ok / hazard / not applicable, a note, and photos. The item's title is
 * the template's, in the app's language; its guidance is the template's words, shown as
 * given. The answer's evidence shows from the core's bytes ([photos]), [pending] are the camera files waiting
 * for this answer (on disk, so they survive rotation and restarts); cancelling deletes
 * the waiting ones ([onCancel]), saving hands them to the core.
 */
@Composable
fun AnswerDialog(
    entry: ChecklistEntry,
    photos: PhotoSource,
    pending: List<File>,
    busy: Boolean,
    error: Throwable?,
    onTakePhotos: () -> Unit,
    onSave: (Outcome, String?) -> Unit,
    onCancel: () -> Unit,
) {
    val item = entry.item
    var outcome by rememberSaveable { mutableStateOf(entry.answer?.outcome) }
    var note by rememberSaveable { mutableStateOf(entry.answer?.note.orEmpty()) }

    AlertDialog(
        onDismissRequest = onCancel,
        title = { Text(localized(item.titleZh, item.titleEn)) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                if (item.guidance.isNotBlank()) Text(item.guidance, style = MaterialTheme.typography.bodySmall)
                if (item.photoRequired) Text(stringResource(R.string.answer_photo_required), style = MaterialTheme.typography.labelMedium)
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    Outcome.entries.forEach { o ->
                        FilterChip(selected = outcome == o, onClick = { outcome = o }, label = { Text(stringResource(o.labelRes)) })
                    }
                }
                OutlinedTextField(note, { note = it }, label = { Text(stringResource(R.string.field_note)) }, modifier = Modifier.fillMaxWidth())
                EvidenceStrip(entry.photos, photos)
                PhotoStrip(pending)
                OutlinedButton(onClick = onTakePhotos) {
                    Text(stringResource(R.string.answer_take_photos, entry.photos.size + pending.size))
                }
                ErrorText(error)
            }
        },
        confirmButton = {
            TextButton(enabled = outcome != null && !busy, onClick = {
                outcome?.let { onSave(it, note.trim().ifEmpty { null }) }
            }) { Text(stringResource(R.string.action_save)) }
        },
        dismissButton = { TextButton(onClick = onCancel) { Text(stringResource(R.string.action_cancel)) } },
    )
}
