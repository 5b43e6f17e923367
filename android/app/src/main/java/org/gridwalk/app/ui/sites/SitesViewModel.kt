package org.gridwalk.app.ui.sites

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import org.gridwalk.logic.GridwalkRepository
import org.gridwalk.logic.SitesModel

/** Sites, drafts and QR codes: keeps its plain-module model alive across rotation. */
class SitesViewModel(repo: GridwalkRepository) : ViewModel() {
    val model = SitesModel(repo, viewModelScope)
}
