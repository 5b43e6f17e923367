package org.gridwalk.app.ui.sites

import androidx.compose.foundation.clickable
import androidx.compose.foundation.horizontalScroll
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material.icons.filled.Search
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.FilterChip
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwalk.app.R
import org.gridwalk.app.data.labelRes
import org.gridwalk.app.ui.common.ErrorText
import org.gridwalk.model.InspectionKind

/** Today's sites: search, scan a site's QR code, start or resume an inspection. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun SitesScreen(vm: SitesViewModel, onOpenInspection: (String) -> Unit, onSubmitted: () -> Unit) {
    val ui by vm.model.ui.collectAsStateWithLifecycle()
    // Re-read on every visit: an inspection or a sync elsewhere may have changed things.
    LaunchedEffect(Unit) { vm.model.refresh() }
    var scanning by remember { mutableStateOf(false) }

    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(ui.profile?.let { stringResource(R.string.sites_title_person, it.name) } ?: stringResource(R.string.sites_title)) },
                actions = {
                    TextButton(onClick = { scanning = true }) { Text(stringResource(R.string.sites_scan_qr)) }
                    TextButton(onClick = onSubmitted) { Text(stringResource(R.string.sites_submitted)) }
                    IconButton(onClick = { vm.model.refresh() }) { Icon(Icons.Default.Refresh, stringResource(R.string.action_refresh)) }
                },
            )
        },
    ) { padding ->
        Column(Modifier.padding(padding).fillMaxSize()) {
            OutlinedTextField(
                value = ui.query,
                onValueChange = vm.model::setQuery,
                leadingIcon = { Icon(Icons.Default.Search, null) },
                placeholder = { Text(stringResource(R.string.sites_search_hint)) },
                singleLine = true,
                modifier = Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 8.dp),
            )
            // The kind a new inspection gets; whether this person may do it is the core's call.
            Row(
                Modifier.horizontalScroll(rememberScrollState()).padding(horizontal = 16.dp),
                horizontalArrangement = Arrangement.spacedBy(8.dp),
            ) {
                InspectionKind.entries.forEach { kind ->
                    FilterChip(selected = ui.kind == kind, onClick = { vm.model.setKind(kind) }, label = { Text(stringResource(kind.labelRes)) })
                }
            }
            ErrorText(ui.error)
            if (!ui.loading && ui.sites.isEmpty()) {
                Text(stringResource(R.string.sites_empty), Modifier.padding(16.dp))
            }
            LazyColumn(Modifier.fillMaxSize()) {
                items(ui.visible, key = { it.id }) { site ->
                    val draft = ui.drafts[site.id]
                    ListItem(
                        headlineContent = { Text(site.name) },
                        supportingContent = { Text("${site.address} · ${site.kind}") },
                        trailingContent = {
                            Text(
                                if (draft != null) stringResource(R.string.sites_continue, draft.answered.toInt())
                                else stringResource(R.string.sites_start),
                            )
                        },
                        modifier = Modifier.clickable { vm.model.open(site.id, onOpenInspection) },
                    )
                    HorizontalDivider()
                }
            }
        }
    }

    if (scanning) {
        QrScanDialog(
            onCode = { code -> scanning = false; vm.model.scanned(code, onOpenInspection) },
            onDismiss = { scanning = false },
        )
    }
}
