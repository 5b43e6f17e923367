package org.gridwalk.app.ui.checklist

import androidx.compose.foundation.clickable
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
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwalk.app.R
import org.gridwalk.app.data.labelRes
import org.gridwalk.app.ui.common.ErrorText

/**
 * Submitted inspections on this phone, this person's and those pulled from others,
 * newest first. Opening one shows its checklist read-only (the core freezes submitted
 * inspections; the checklist screen offers no edits for them).
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun SubmittedScreen(vm: SubmittedViewModel, onOpen: (String) -> Unit, onBack: () -> Unit) {
    val ui by vm.model.ui.collectAsStateWithLifecycle()
    LaunchedEffect(Unit) { vm.model.refresh() }
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.submitted_title)) },
                navigationIcon = { IconButton(onClick = onBack) { Icon(Icons.AutoMirrored.Filled.ArrowBack, stringResource(R.string.action_back)) } },
            )
        },
    ) { padding ->
        LazyColumn(Modifier.padding(padding).fillMaxSize()) {
            item { ErrorText(ui.error) }
            if (ui.inspections.isEmpty()) item { ListItem(headlineContent = { Text(stringResource(R.string.submitted_empty)) }) }
            items(ui.inspections, key = { it.id }) { inspection ->
                ListItem(
                    headlineContent = { Text(inspection.siteName) },
                    supportingContent = {
                        Text(
                            stringResource(
                                R.string.submitted_row,
                                stringResource(inspection.kind.labelRes),
                                inspection.inspector,
                                inspection.submittedAt.orEmpty().substringBefore('.').replace('T', ' '),
                            ),
                        )
                    },
                    modifier = Modifier.clickable { onOpen(inspection.id) },
                )
                HorizontalDivider()
            }
        }
    }
}
