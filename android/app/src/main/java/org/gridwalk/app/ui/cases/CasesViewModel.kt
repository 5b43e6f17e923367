package org.gridwalk.app.ui.cases

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import org.gridwalk.logic.CaseDetailModel
import org.gridwalk.logic.CasesModel
import org.gridwalk.logic.GridwalkRepository
import org.gridwalk.logic.OpenCaseModel
import org.gridwalk.logic.PendingCaptures
import org.gridwalk.logic.ReportModel

// The hazard screens' ViewModels: each only keeps its plain-module model
// (android/core-logic, tested on the JVM) alive across rotation, in its scope.

/** Hazard cases on this phone, filtered by the core. */
class CasesViewModel(repo: GridwalkRepository) : ViewModel() {
    val model = CasesModel(repo, viewModelScope)
}

/** One case, its actions, departments and re-inspections. */
class CaseDetailViewModel(repo: GridwalkRepository, captures: PendingCaptures, caseId: String) : ViewModel() {
    val model = CaseDetailModel(repo, captures, caseId, viewModelScope)
}

/** The form opening a case from a resident, hotline or online report. */
class OpenCaseViewModel(repo: GridwalkRepository, captures: PendingCaptures) : ViewModel() {
    val model = OpenCaseModel(repo, captures, viewModelScope)
}

/** The campaign report. */
class ReportViewModel(repo: GridwalkRepository) : ViewModel() {
    val model = ReportModel(repo, viewModelScope)
}
