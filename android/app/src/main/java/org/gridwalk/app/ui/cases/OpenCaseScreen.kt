package org.gridwalk.app.ui.cases

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material3.Button
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.FilterChip
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwalk.app.R
import org.gridwalk.app.data.labelRes
import org.gridwalk.app.data.localized
import org.gridwalk.app.ui.camera.CameraCaptureDialog
import org.gridwalk.app.ui.common.ErrorText
import org.gridwalk.app.ui.common.PhotoStrip
import org.gridwalk.logic.CaptureOwner
import org.gridwalk.logic.PUBLIC_SOURCES
import org.gridwalk.logic.PendingCaptures
import org.gridwalk.model.ReportSource
import org.gridwalk.model.Severity

/** The words for where a public report came from. */
@Composable
private fun sourceTitle(source: ReportSource): String = stringResource(
    when (source) {
        ReportSource.Resident -> R.string.source_resident
        ReportSource.Hotline -> R.string.source_hotline
        ReportSource.OnlinePlatform -> R.string.source_online
        is ReportSource.Inspection -> R.string.source_inspection
    },
)

/**
 * Opens a case from a resident, hotline or online report: source, category and item (from
 * the templates, in the app's language), severity, the site (its unit follows) or else a
 * unit, a description and photos. Whether this person may record it is the core's rule;
 * a refusal is shown with the rule's words and the form keeps everything.
 */
@OptIn(ExperimentalMaterial3Api::class, ExperimentalLayoutApi::class)
@Composable
fun OpenCaseScreen(vm: OpenCaseViewModel, captures: PendingCaptures, onOpened: (String) -> Unit, onBack: () -> Unit) {
    val ui by vm.model.ui.collectAsStateWithLifecycle()
    var sourceIndex by rememberSaveable { mutableStateOf(0) }
    var category by rememberSaveable { mutableStateOf<String?>(null) }
    var item by rememberSaveable { mutableStateOf<String?>(null) }
    var severity by rememberSaveable { mutableStateOf(Severity.MEDIUM) }
    var site by rememberSaveable { mutableStateOf<String?>(null) }
    var unit by rememberSaveable { mutableStateOf<String?>(null) }
    var description by rememberSaveable { mutableStateOf("") }
    var capturing by remember { mutableStateOf(false) }
    var capturesSeen by remember { mutableStateOf(0) }
    val pending = remember(capturesSeen, ui.busy) { vm.model.pendingPhotos() }
    val categories = ui.templates.firstOrNull()?.categories.orEmpty()

    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.open_case_title)) },
                navigationIcon = {
                    IconButton(onClick = { vm.model.cancel(); onBack() }) { Icon(Icons.AutoMirrored.Filled.ArrowBack, stringResource(R.string.action_back)) }
                },
            )
        },
    ) { padding ->
        Column(
            Modifier.padding(padding).fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(8.dp),
        ) {
            Text(stringResource(R.string.open_case_source), style = MaterialTheme.typography.labelLarge)
            FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                PUBLIC_SOURCES.forEachIndexed { i, s -> FilterChip(sourceIndex == i, { sourceIndex = i }, label = { Text(sourceTitle(s)) }) }
            }
            Text(stringResource(R.string.open_case_category), style = MaterialTheme.typography.labelLarge)
            FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                categories.forEach { c ->
                    FilterChip(category == c.code, { category = c.code; item = null }, label = { Text(localized(c.titleZh, c.titleEn)) })
                }
            }
            categories.find { it.code == category }?.let { c ->
                Text(stringResource(R.string.open_case_item), style = MaterialTheme.typography.labelLarge)
                FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    c.items.forEach { i -> FilterChip(item == i.code, { item = if (item == i.code) null else i.code }, label = { Text(localized(i.titleZh, i.titleEn)) }) }
                }
            }
            Text(stringResource(R.string.open_case_severity), style = MaterialTheme.typography.labelLarge)
            FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                Severity.entries.forEach { s -> FilterChip(severity == s, { severity = s }, label = { Text(stringResource(s.labelRes)) }) }
            }
            Text(stringResource(R.string.open_case_site), style = MaterialTheme.typography.labelLarge)
            FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                ui.sites.forEach { s -> FilterChip(site == s.id, { site = if (site == s.id) null else s.id }, label = { Text(s.name) }) }
            }
            if (site == null) {
                Text(stringResource(R.string.open_case_unit), style = MaterialTheme.typography.labelLarge)
                FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    ui.units.forEach { u -> FilterChip(unit == u.id, { unit = u.id }, label = { Text(u.name) }) }
                }
            }
            OutlinedTextField(description, { description = it }, label = { Text(stringResource(R.string.open_case_description)) }, modifier = Modifier.fillMaxWidth())
            PhotoStrip(pending)
            OutlinedButton(onClick = { capturing = true }) { Text(stringResource(R.string.answer_take_photos, pending.size)) }
            ErrorText(ui.error)
            Button(
                enabled = !ui.busy && category != null,
                onClick = {
                    category?.let { c ->
                        vm.model.submit(PUBLIC_SOURCES[sourceIndex], c, item, severity, site, unit, description, onOpened)
                    }
                },
                modifier = Modifier.fillMaxWidth(),
            ) { Text(stringResource(R.string.open_case_submit)) }
        }
    }
    if (capturing) {
        CameraCaptureDialog(
            owner = CaptureOwner.NewCase,
            captures = captures,
            onDone = { capturing = false; capturesSeen++ },
            onDismiss = { capturing = false; capturesSeen++ },
        )
    }
}
