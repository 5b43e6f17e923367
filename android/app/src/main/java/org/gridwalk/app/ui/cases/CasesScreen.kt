package org.gridwalk.app.ui.cases

import androidx.compose.foundation.clickable
import androidx.compose.foundation.horizontalScroll
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.FilterChip
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwalk.app.R
import org.gridwalk.model.Status
import org.gridwalk.app.data.formatMs
import org.gridwalk.app.data.labelRes
import org.gridwalk.app.ui.common.ErrorText
import org.gridwalk.core.CaseSummary

/** Hazard cases: open / contested filters, overdue as the core computed it. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun CasesScreen(vm: CasesViewModel, onOpenCase: (String) -> Unit, onNewCase: () -> Unit, onReport: () -> Unit) {
    val ui by vm.model.ui.collectAsStateWithLifecycle()
    // Re-read on every visit: an inspection or a sync elsewhere may have changed things.
    LaunchedEffect(Unit) { vm.model.refresh() }
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.cases_title)) },
                actions = {
                    TextButton(onClick = onNewCase) { Text(stringResource(R.string.cases_new)) }
                    TextButton(onClick = onReport) { Text(stringResource(R.string.cases_report)) }
                    IconButton(onClick = { vm.model.refresh() }) { Icon(Icons.Default.Refresh, stringResource(R.string.action_refresh)) }
                },
            )
        },
    ) { padding ->
        Column(Modifier.padding(padding).fillMaxSize()) {
            Row(
                Modifier.horizontalScroll(rememberScrollState()).padding(horizontal = 16.dp),
                horizontalArrangement = Arrangement.spacedBy(8.dp),
            ) {
                val f = ui.filter
                FilterChip(f.openOnly, { vm.model.setOpenOnly(!f.openOnly) }, label = { Text(stringResource(R.string.cases_open_only)) })
                FilterChip(f.contestedOnly, { vm.model.setContestedOnly(!f.contestedOnly) },
                    label = { Text(stringResource(R.string.cases_contested)) })
                // One status at a time, or any; the core filters.
                Status.entries.forEach { status ->
                    FilterChip(f.status == status, { vm.model.setStatus(if (f.status == status) null else status) },
                        label = { Text(stringResource(status.labelRes)) })
                }
            }
            ErrorText(ui.error)
            LazyColumn(Modifier.fillMaxSize()) {
                items(ui.cases, key = { it.caseId }) { case ->
                    CaseRow(case, Modifier.clickable { onOpenCase(case.caseId) })
                    HorizontalDivider()
                }
            }
        }
    }
}

@Composable
private fun CaseRow(case: CaseSummary, modifier: Modifier) {
    ListItem(
        modifier = modifier,
        overlineContent = {
            Text(listOfNotNull(case.category, case.item, case.severity?.let { stringResource(it.labelRes) }, case.unit).joinToString(" · "))
        },
        headlineContent = { Text(case.description) },
        supportingContent = {
            Text(
                listOfNotNull(
                    stringResource(case.status.labelRes),
                    stringResource(R.string.cases_level, stringResource(case.level.labelRes)),
                    case.department,
                    case.dueMs?.let { stringResource(R.string.cases_due, formatMs(it)) },
                ).joinToString(" · "),
            )
        },
        trailingContent = {
            Column {
                if (case.overdue) Text(stringResource(R.string.cases_overdue), color = MaterialTheme.colorScheme.error)
                if (case.contested) Text(stringResource(R.string.cases_contested_badge), color = MaterialTheme.colorScheme.tertiary)
                if (case.refusedEvents > 0u) Text(stringResource(R.string.cases_refused_badge), color = MaterialTheme.colorScheme.error)
            }
        },
    )
}
