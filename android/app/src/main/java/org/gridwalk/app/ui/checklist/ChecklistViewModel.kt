package org.gridwalk.app.ui.checklist

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import org.gridwalk.logic.ChecklistModel
import org.gridwalk.logic.GridwalkRepository
import org.gridwalk.logic.PendingCaptures
import org.gridwalk.logic.SubmittedModel

/** One inspection's checklist: keeps its plain-module model alive across rotation. */
class ChecklistViewModel(repo: GridwalkRepository, captures: PendingCaptures, inspectionId: String) : ViewModel() {
    val model = ChecklistModel(repo, captures, inspectionId, viewModelScope)
}

/** The submitted inspections (read-only). */
class SubmittedViewModel(repo: GridwalkRepository) : ViewModel() {
    val model = SubmittedModel(repo, viewModelScope)
}
