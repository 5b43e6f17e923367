// Hazard cases, profiles and the campaign report through the real generated bindings:
// the actions a role is offered, a refusal naming its rule, and the report's counts.
package org.gridwalk.tests.hazards

import java.io.File
import org.gridwalk.core.CaseFilter
import org.gridwalk.model.EventKind
import org.gridwalk.model.HazardReport
import org.gridwalk.model.Level
import org.gridwalk.model.Payload
import org.gridwalk.model.Profile
import org.gridwalk.model.ReportSource
import org.gridwalk.model.Role
import org.gridwalk.model.Rule
import org.gridwalk.model.Severity
import org.gridwalk.model.Status
import org.gridwalk.ffi.GridwalkException
import org.gridwalk.ffi.GridwalkStore
import org.gridwalk.tests.Harness
import org.gridwalk.tests.openStore
import org.gridwalk.tests.assertEq
import org.gridwalk.tests.assertThrows

private fun hotlineReport(unit: String) = HazardReport(
    source = ReportSource.Hotline,
    category = "fire",
    item = "fire-02",
    severity = Severity.HIGH,
    unit = unit,
    siteId = null,
    description = "e-bikes charging in stairwell B",
    photos = emptyList(),
    suggestedDepartment = "fire-rescue",
)

fun main(args: Array<String>) {
    val h = Harness()
    val dir = File(args[0])
    dir.mkdirs()
    val store = openStore(File(dir, "device.db").path)
    var caseId = ""

    h.test("acting without a profile asks for one") {
        assertEq(null, store.profile(), "profile before enrolment")
        assertThrows<GridwalkException.NoProfile> { store.openCase(hotlineReport("c1")) }
        check(store.deviceId().isNotBlank()) { "device id" }
    }

    h.test("a profile is validated and stored") {
        val bad = Profile("Chen", Role.DEPARTMENT_OFFICER, "c1", null)
        assertThrows<GridwalkException.InvalidInput> { store.setProfile(bad) }
        val staff = store.setProfile(Profile("Wang Fang", Role.COMMUNITY_STAFF, "c1", null))
        assertEq(staff, store.profile(), "stored profile")
    }

    h.test("community staff open a hotline case and are offered their actions") {
        val reported = store.openCase(hotlineReport("c1"))
        caseId = reported.caseId
        val cases = store.listCases(CaseFilter(status = null, openOnly = true, contestedOnly = false))
        assertEq(listOf(caseId), cases.map { it.caseId }, "open cases")
        assertEq(Status.REPORTED, cases[0].status, "status")
        val view = store.hazardCase(caseId)
        assertEq(1, view.events.size, "events")
        val offered = view.allowedActions.map { it.kind }
        assertEq(listOf(EventKind.CALLED_IN, EventKind.PROGRESS, EventKind.RECTIFIED, EventKind.COMMENT), offered, "offered")
        assertEq(listOf(Level.STREET), view.allowedActions[0].levels, "call-in levels")
    }

    h.test("a call-in is recorded and moves the case up a level") {
        store.act(caseId, Payload.CalledIn(Level.STREET, "needs the fire brigade"))
        val view = store.hazardCase(caseId)
        assertEq(Level.STREET, view.state.level, "level")
        assertEq(2, view.events.size, "events")
    }

    h.test("a grid worker may not close: the refusal names the rule and records nothing") {
        store.setProfile(Profile("Li Wei", Role.GRID_WORKER, "c1", null))
        val e = assertThrows<GridwalkException.ActionRefused> { store.act(caseId, Payload.Closed("done")) }
        assertEq(Rule.CLOSE_BY_OFFICE, e.rule, "rule")
        assertEq(2, store.hazardCase(caseId).events.size, "events after refusal")
        assertThrows<GridwalkException.NotFound> { store.hazardCase("no-such-case") }
    }

    h.test("the campaign report counts the case under fire safety") {
        val report = store.campaignReport(System.currentTimeMillis())
        assertEq(1u, report.total.found, "found")
        assertEq(1u, report.total.open, "open")
        val fire = report.byCategory.single { it.key == "fire" }
        assertEq(1u, fire.found, "fire found")
        assertEq(9, report.byCategory.size, "categories")
    }

    h.finish()
}
