// The foundation through the real generated bindings: open a store, start an inspection,
// answer items, catch the typed error of a premature submit, then submit.
// Run by bindings/tests/kotlin_jvm.rs on the JVM with JNA against the debug cdylib.
package org.gridwalk.tests

import java.io.File
import kotlin.system.exitProcess
import org.gridwalk.core.InspectionKind
import org.gridwalk.core.InspectionStatus
import org.gridwalk.core.Outcome
import org.gridwalk.ffi.GridwalkException
import org.gridwalk.ffi.GridwalkStore

private var passed = 0
private var failed = 0

private fun test(name: String, body: () -> Unit) {
    try {
        body()
        passed++
        println("PASS $name")
    } catch (e: Throwable) {
        failed++
        println("FAIL $name: $e")
    }
}

private fun <T> assertEq(expected: T, actual: T, what: String) {
    if (expected != actual) throw AssertionError("$what: expected $expected, got $actual")
}

private inline fun <reified E : Throwable> assertThrows(body: () -> Unit): E {
    try {
        body()
    } catch (e: Throwable) {
        if (e is E) return e
        throw AssertionError("expected ${E::class.simpleName}, got $e")
    }
    throw AssertionError("expected ${E::class.simpleName}, nothing was thrown")
}

fun main(args: Array<String>) {
    val dir = File(args[0])
    dir.mkdirs()
    val sites = File(dir, "sites.csv")
    sites.writeText(
        "id,name,kind,unit,address,lat,lon\n" +
            "S1,Jinjiang Garden,residential,G1,12 Hongxing Rd,30.65,104.08\n" +
            "P1,Fish pond,water-body,G1,,30.70,104.10\n",
    )
    val dbPath = File(dir, "device.db").path

    test("the built-in template has 9 categories and 29 items") {
        val store = GridwalkStore.open(dbPath)
        val summary = store.listTemplates().single()
        assertEq("safe-community", summary.id, "template id")
        assertEq(29u, summary.items, "items")
        val template = store.template("safe-community", null)
        assertEq(9, template.categories.size, "categories")
        assertEq("消防安全", template.categories[0].titleZh, "first category")
    }

    test("sites import and list") {
        val store = GridwalkStore.open(dbPath)
        assertEq(2u, store.importSitesCsv(sites.path), "imported")
        assertEq(listOf("Fish pond", "Jinjiang Garden"), store.listSites().map { it.name }, "names")
    }

    test("a bad site file is refused with a typed error") {
        val bad = File(dir, "bad.csv")
        bad.writeText("id,name,kind,unit,address,lat,lon\nX1,Castle,castle,G1,,,\n")
        val store = GridwalkStore.open(dbPath)
        val e = assertThrows<GridwalkException.InvalidInput> { store.importSitesCsv(bad.path) }
        check(e.reason.contains("castle")) { e.reason }
        assertEq(2, store.listSites().size, "sites after refused import")
    }

    test("inspect, refuse a premature submit, then submit") {
        val store = GridwalkStore.open(dbPath)
        val id = store.startInspection("P1", InspectionKind.ROUTINE, "Li Wei")
        val checklist = store.checklist(id)
        val items = checklist.categories.flatMap { c -> c.entries.map { it.item } }
        check(items.any { it.code == "production-01" }) { "water safety applies to a pond" }
        assertEq(0u, checklist.answered, "answered at start")

        store.answer(id, items[0].code, Outcome.OK, null)
        val early = assertThrows<GridwalkException.IncompleteInspection> { store.submit(id) }
        assertEq(items.drop(1).map { it.code }, early.unanswered, "unanswered items")

        val hazardItem = items.drop(1).first { it.photoRequired }
        for (item in items.drop(1)) {
            val outcome = if (item == hazardItem) Outcome.HAZARD else Outcome.OK
            store.answer(id, item.code, outcome, "checked")
        }
        val noPhoto = assertThrows<GridwalkException.IncompleteInspection> { store.submit(id) }
        assertEq(listOf(hazardItem.code), noPhoto.missingPhotos, "hazards lacking a photo")

        store.answer(id, hazardItem.code, Outcome.NOT_APPLICABLE, "pond fenced off last week")
        store.submit(id)
        val inspection = store.inspection(id)
        assertEq(InspectionStatus.SUBMITTED, inspection.status, "status")
        assertEq(items.size, inspection.answers.size, "answers")
        assertThrows<GridwalkException.Conflict> { store.answer(id, items[0].code, Outcome.HAZARD, null) }
    }

    test("a draft survives reopening the store") {
        val first = GridwalkStore.open(dbPath)
        val id = first.startInspection("S1", InspectionKind.SPOT_CHECK, "Supervisor Zhang")
        first.answer(id, "fire-02", Outcome.OK, null)
        first.close()
        val again = GridwalkStore.open(dbPath)
        val drafts = again.listInspections("Supervisor Zhang", InspectionStatus.DRAFT)
        assertEq(listOf(id), drafts.map { it.id }, "drafts")
        assertEq(1u, again.checklist(id).answered, "answered after reopen")
    }

    test("unknown records are NotFound") {
        val store = GridwalkStore.open(dbPath)
        val e = assertThrows<GridwalkException.NotFound> { store.startInspection("nowhere", InspectionKind.ROUTINE, "x") }
        assertEq("site", e.kind, "kind")
        assertThrows<GridwalkException.NotFound> { store.inspection("missing") }
    }

    println("$passed passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
