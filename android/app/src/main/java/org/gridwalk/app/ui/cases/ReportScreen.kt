package org.gridwalk.app.ui.cases

import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwalk.app.R
import org.gridwalk.app.data.formatMs
import org.gridwalk.app.ui.common.ErrorText
import org.gridwalk.model.ReportRow

/**
 * The campaign report over the cases on this phone, as the core computes it: totals, then
 * per category and per unit (found, open, overdue, rectified, verified, closed, and at
 * which level they were solved), with the cases still awaiting a report.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun ReportScreen(vm: ReportViewModel, onBack: () -> Unit) {
    val ui by vm.model.ui.collectAsStateWithLifecycle()
    LaunchedEffect(Unit) { vm.model.refresh() }
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.report_title)) },
                navigationIcon = { IconButton(onClick = onBack) { Icon(Icons.AutoMirrored.Filled.ArrowBack, stringResource(R.string.action_back)) } },
                actions = { IconButton(onClick = { vm.model.refresh() }) { Icon(Icons.Default.Refresh, stringResource(R.string.action_refresh)) } },
            )
        },
    ) { padding ->
        LazyColumn(Modifier.padding(padding).fillMaxSize()) {
            item { ErrorText(ui.error) }
            val report = ui.report ?: return@LazyColumn
            item {
                Text(
                    stringResource(R.string.report_as_of, formatMs(report.asOfMs), report.awaitingReport.toInt()),
                    modifier = Modifier.padding(16.dp),
                )
            }
            item { ReportRowItem(report.total) }
            item { Text(stringResource(R.string.report_by_category), style = MaterialTheme.typography.titleSmall, modifier = Modifier.padding(16.dp, 8.dp)) }
            items(report.byCategory, key = { "c-" + it.key }) { ReportRowItem(it); HorizontalDivider() }
            item { Text(stringResource(R.string.report_by_unit), style = MaterialTheme.typography.titleSmall, modifier = Modifier.padding(16.dp, 8.dp)) }
            items(report.byUnit, key = { "u-" + it.key }) { ReportRowItem(it); HorizontalDivider() }
        }
    }
}

@Composable
private fun ReportRowItem(row: ReportRow) {
    ListItem(
        headlineContent = { Text(row.name) },
        supportingContent = {
            Text(
                stringResource(
                    R.string.report_row,
                    row.found.toInt(), row.open.toInt(), row.overdue.toInt(), row.rectified.toInt(),
                    row.verified.toInt(), row.closed.toInt(),
                    row.solvedCommunity.toInt(), row.solvedStreet.toInt(), row.solvedDistrict.toInt(),
                ),
            )
        },
    )
}
