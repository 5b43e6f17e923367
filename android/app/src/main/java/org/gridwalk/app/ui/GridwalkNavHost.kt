package org.gridwalk.app.ui

import androidx.activity.ComponentActivity
import androidx.annotation.StringRes
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Home
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material.icons.filled.Warning
import androidx.compose.material3.Icon
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.viewmodel.compose.viewModel
import androidx.navigation.NavGraph.Companion.findStartDestination
import androidx.navigation.NavHostController
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.currentBackStackEntryAsState
import androidx.navigation.compose.rememberNavController
import org.gridwalk.app.R
import org.gridwalk.logic.GridwalkRepository
import org.gridwalk.logic.PendingCaptures
import org.gridwalk.app.ui.cases.CaseDetailScreen
import org.gridwalk.app.ui.cases.CaseDetailViewModel
import org.gridwalk.app.ui.cases.CasesScreen
import org.gridwalk.app.ui.cases.CasesViewModel
import org.gridwalk.app.ui.cases.OpenCaseScreen
import org.gridwalk.app.ui.cases.OpenCaseViewModel
import org.gridwalk.app.ui.cases.ReportScreen
import org.gridwalk.app.ui.cases.ReportViewModel
import org.gridwalk.app.ui.checklist.ChecklistScreen
import org.gridwalk.app.ui.checklist.ChecklistViewModel
import org.gridwalk.app.ui.checklist.SubmittedScreen
import org.gridwalk.app.ui.checklist.SubmittedViewModel
import org.gridwalk.app.ui.sites.SitesScreen
import org.gridwalk.app.ui.sites.SitesViewModel
import org.gridwalk.app.ui.sync.EnrolScreen
import org.gridwalk.app.ui.sync.SyncScreen
import org.gridwalk.app.ui.sync.SyncViewModel

private enum class Tab(val route: String, @StringRes val title: Int, val icon: ImageVector) {
    Sites("sites", R.string.tab_sites, Icons.Default.Home),
    Cases("cases", R.string.tab_hazards, Icons.Default.Warning),
    Sync("sync", R.string.tab_sync, Icons.Default.Refresh),
}

/**
 * The screen map: three tabs (sites, hazards, sync) and the screens they open. ViewModels
 * get the repository and the pending captures through their constructors; navigation
 * arguments are record ids.
 */
@Composable
fun GridwalkNavHost(repository: GridwalkRepository, captures: PendingCaptures) {
    val nav = rememberNavController()
    // One SyncViewModel for the Sync tab and the enrol screen it opens.
    val activity = LocalContext.current as ComponentActivity
    val syncVm: SyncViewModel = viewModel(activity) { SyncViewModel(activity.application, repository) }

    Column(Modifier.fillMaxSize()) {
        Box(Modifier.weight(1f)) {
            NavHost(nav, startDestination = Tab.Sites.route) {
                composable(Tab.Sites.route) {
                    val vm = viewModel { SitesViewModel(repository) }
                    SitesScreen(vm, onOpenInspection = { nav.navigate("checklist/$it") }, onSubmitted = { nav.navigate("submitted") })
                }
                composable("checklist/{inspectionId}") { entry ->
                    val id = entry.arguments?.getString("inspectionId").orEmpty()
                    val vm = viewModel { ChecklistViewModel(repository, captures, id) }
                    ChecklistScreen(vm, captures, repository, onBack = { nav.popBackStack() })
                }
                composable("submitted") {
                    val vm = viewModel { SubmittedViewModel(repository) }
                    SubmittedScreen(vm, onOpen = { nav.navigate("checklist/$it") }, onBack = { nav.popBackStack() })
                }
                composable(Tab.Cases.route) {
                    val vm = viewModel { CasesViewModel(repository) }
                    CasesScreen(
                        vm,
                        onOpenCase = { nav.navigate("case/$it") },
                        onNewCase = { nav.navigate("open-case") },
                        onReport = { nav.navigate("report") },
                    )
                }
                composable("case/{caseId}") { entry ->
                    val id = entry.arguments?.getString("caseId").orEmpty()
                    val vm = viewModel { CaseDetailViewModel(repository, captures, id) }
                    CaseDetailScreen(vm, captures, repository, onOpenInspection = { nav.navigate("checklist/$it") }, onBack = { nav.popBackStack() })
                }
                composable("open-case") {
                    val vm = viewModel { OpenCaseViewModel(repository, captures) }
                    OpenCaseScreen(
                        vm,
                        captures,
                        onOpened = { id -> nav.navigate("case/$id") { popUpTo("open-case") { inclusive = true } } },
                        onBack = { nav.popBackStack() },
                    )
                }
                composable("report") {
                    val vm = viewModel { ReportViewModel(repository) }
                    ReportScreen(vm, onBack = { nav.popBackStack() })
                }
                composable(Tab.Sync.route) { SyncScreen(syncVm, onEnrol = { nav.navigate("enrol") }) }
                composable("enrol") { EnrolScreen(syncVm, onBack = { nav.popBackStack() }) }
            }
        }
        BottomTabs(nav)
    }
}

@Composable
private fun BottomTabs(nav: NavHostController) {
    val current by nav.currentBackStackEntryAsState()
    val route = current?.destination?.route
    NavigationBar {
        Tab.entries.forEach { tab ->
            NavigationBarItem(
                selected = route == tab.route,
                onClick = {
                    nav.navigate(tab.route) {
                        popUpTo(nav.graph.findStartDestination().id) { saveState = true }
                        launchSingleTop = true
                        restoreState = true
                    }
                },
                icon = { Icon(tab.icon, null) },
                label = { Text(stringResource(tab.title)) },
            )
        }
    }
}
