package org.gridwalk.app.ui.checklist

import androidx.compose.foundation.ExperimentalFoundationApi
import androidx.compose.foundation.background
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material3.Button
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwalk.app.R
import org.gridwalk.app.data.labelRes
import org.gridwalk.app.data.localized
import org.gridwalk.app.ui.camera.CameraCaptureDialog
import org.gridwalk.app.ui.common.ErrorText
import org.gridwalk.core.CategoryProgress
import org.gridwalk.core.ChecklistEntry
import org.gridwalk.app.ui.common.EvidenceStrip
import org.gridwalk.logic.CaptureOwner
import org.gridwalk.logic.PendingCaptures
import org.gridwalk.logic.PhotoSource
import org.gridwalk.model.Outcome

/**
 * The checklist of one inspection, grouped by the template's categories, with progress.
 * Category and item titles are the template's, in the app's language (see [localized]).
 */
@OptIn(ExperimentalMaterial3Api::class, ExperimentalFoundationApi::class)
@Composable
fun ChecklistScreen(vm: ChecklistViewModel, captures: PendingCaptures, photos: PhotoSource, onBack: () -> Unit) {
    val ui by vm.model.ui.collectAsStateWithLifecycle()
    val checklist = ui.checklist
    val editable = ui.editable
    // Item codes, saved so an open dialog survives rotation.
    var answering by rememberSaveable { mutableStateOf<String?>(null) }
    var addingPhotoTo by rememberSaveable { mutableStateOf<String?>(null) }
    // The item whose answer dialog has the camera open on top of it.
    var capturingFor by rememberSaveable { mutableStateOf<String?>(null) }
    // Bumped when the camera closes, so the waiting photos are read from disk again.
    var capturesSeen by remember { mutableStateOf(0) }

    Scaffold(
        topBar = {
            TopAppBar(
                title = {
                    Text(
                        checklist?.let {
                            stringResource(R.string.checklist_title_progress, it.answered.toInt(), it.applicable.toInt())
                        } ?: stringResource(R.string.checklist_title),
                    )
                },
                navigationIcon = { IconButton(onClick = onBack) { Icon(Icons.AutoMirrored.Filled.ArrowBack, stringResource(R.string.action_back)) } },
            )
        },
        bottomBar = {
            if (editable) {
                Button(
                    onClick = { vm.model.submit(onBack) },
                    enabled = !ui.busy,
                    modifier = Modifier.fillMaxWidth().padding(16.dp),
                ) { Text(stringResource(R.string.checklist_submit)) }
            }
        },
    ) { padding ->
        Column(Modifier.padding(padding).fillMaxSize()) {
            if (answering == null) ErrorText(ui.error)
            if (checklist == null) return@Column
            if (!editable) Text(stringResource(R.string.checklist_submitted), Modifier.padding(16.dp))
            LazyColumn(Modifier.fillMaxSize()) {
                checklist.categories.forEach { category ->
                    stickyHeader(key = category.code) { CategoryHeader(category) }
                    items(category.entries, key = { it.item.code }) { entry ->
                        EntryRow(
                            entry,
                            photos = photos,
                            onClick = { if (editable) answering = entry.item.code },
                            onAddPhoto = { addingPhotoTo = entry.item.code }.takeIf { editable && entry.answer != null },
                        )
                        HorizontalDivider()
                    }
                }
            }
        }
    }

    val entry = checklist?.categories?.flatMap { it.entries }?.find { it.item.code == answering }
    if (entry != null) {
        val item = entry.item.code
        val pending = remember(item, capturesSeen, ui.checklist) { vm.model.pendingPhotos(item) }
        AnswerDialog(
            entry = entry,
            photos = photos,
            pending = pending,
            busy = ui.busy,
            error = ui.error,
            onTakePhotos = { capturingFor = item },
            onSave = { outcome, note -> vm.model.answer(item, outcome, note) { answering = null } },
            onCancel = { vm.model.cancel(item); answering = null },
        )
    }
    capturingFor?.let { item ->
        CameraCaptureDialog(
            owner = CaptureOwner.Answer(vm.model.inspectionId, item),
            captures = captures,
            onDone = { capturingFor = null; capturesSeen++ },
            onDismiss = { capturingFor = null; capturesSeen++ },
        )
    }
    addingPhotoTo?.let { item ->
        CameraCaptureDialog(
            owner = CaptureOwner.Answer(vm.model.inspectionId, item),
            captures = captures,
            onDone = { vm.model.addPhotos(item); addingPhotoTo = null },
            onDismiss = { addingPhotoTo = null },
        )
    }
}

@Composable
private fun CategoryHeader(category: CategoryProgress) {
    Column(Modifier.fillMaxWidth().background(MaterialTheme.colorScheme.surfaceVariant).padding(16.dp, 8.dp)) {
        Text(
            "${localized(category.titleZh, category.titleEn)}  ${category.answered}/${category.applicable}",
            style = MaterialTheme.typography.titleSmall,
        )
        LinearProgressIndicator(
            progress = { if (category.applicable == 0u) 1f else category.answered.toFloat() / category.applicable.toFloat() },
            modifier = Modifier.fillMaxWidth().padding(top = 4.dp),
        )
    }
}

@Composable
private fun EntryRow(entry: ChecklistEntry, photos: PhotoSource, onClick: () -> Unit, onAddPhoto: (() -> Unit)?) {
    val answer = entry.answer
    ListItem(
        headlineContent = { Text(localized(entry.item.titleZh, entry.item.titleEn)) },
        supportingContent = {
            val parts = listOfNotNull(
                stringResource(answer?.outcome?.labelRes ?: R.string.checklist_not_answered),
                answer?.note,
                answer?.photos?.size?.takeIf { it > 0 }?.let { pluralStringResource(R.plurals.photo_count, it, it) },
            )
            Column {
                Text(parts.joinToString(" · "))
                EvidenceStrip(entry.photos, photos)
            }
        },
        trailingContent = {
            Row {
                if (answer?.outcome == Outcome.HAZARD) {
                    Text(stringResource(R.string.checklist_hazard), color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(end = 8.dp))
                }
                onAddPhoto?.let { TextButton(onClick = it) { Text(stringResource(R.string.checklist_add_photo)) } }
            }
        },
        modifier = Modifier.clickable(onClick = onClick),
    )
}
