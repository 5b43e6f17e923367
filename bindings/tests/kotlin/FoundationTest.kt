// The foundation through the real generated bindings: open a store, start an inspection,
// answer items, catch the typed error of a premature submit, then submit.
// Run by bindings/tests/kotlin_jvm.rs on the JVM with JNA against the debug cdylib.
package org.gridwalk.tests.foundation

import org.gridwalk.tests.Harness
import org.gridwalk.tests.openStore
import org.gridwalk.tests.TEST_STORE_KEY
import org.gridwalk.tests.assertEq
import org.gridwalk.tests.assertThrows

import java.io.File
import org.gridwalk.model.InspectionKind
import org.gridwalk.model.InspectionStatus
import org.gridwalk.model.Outcome
import org.gridwalk.ffi.GridwalkException
import org.gridwalk.ffi.GridwalkStore

fun main(args: Array<String>) {
    val h = Harness()
    val dir = File(args[0])
    dir.mkdirs()
    val sites = File(dir, "sites.csv")
    sites.writeText(
        "id,name,kind,unit,address,lat,lon\n" +
            "S1,Jinjiang Garden,residential,G1,12 Hongxing Rd,30.65,104.08\n" +
            "P1,Fish pond,water-body,G1,,30.70,104.10\n",
    )
    val dbPath = File(dir, "device.db").path

    h.test("the built-in template has 9 categories and 29 items") {
        val store = openStore(dbPath)
        val summary = store.listTemplates().single()
        assertEq("safe-community", summary.id, "template id")
        assertEq(29u, summary.items, "items")
        val template = store.template("safe-community", null)
        assertEq(9, template.categories.size, "categories")
        assertEq("消防安全", template.categories[0].titleZh, "first category")
    }

    h.test("org units import as a tree, refusing a broken one") {
        val units = File(dir, "units.csv")
        units.writeText(
            "id,name,level,parent\nG1,Grid 1,grid,C1\nC1,Hongxing,community,ST1\n" +
                "ST1,Chunxi street,street,D1\nD1,Jinjiang district,district,\n",
        )
        val store = openStore(dbPath)
        assertEq(4u, store.importUnitsCsv(units.path), "imported")
        assertEq(listOf("district", "street", "community", "grid"), store.listUnits().map { it.level }, "levels")
        val orphan = File(dir, "orphan.csv")
        orphan.writeText("id,name,level,parent\nG9,Grid 9,grid,NOPE\n")
        val e = assertThrows<GridwalkException.InvalidInput> { store.importUnitsCsv(orphan.path) }
        check(e.reason.contains("line 2")) { e.reason }
        assertEq(4, store.listUnits().size, "units after refused import")
    }

    h.test("sites import and list") {
        val store = openStore(dbPath)
        assertEq(2u, store.importSitesCsv(sites.path), "imported")
        assertEq(listOf("Fish pond", "Jinjiang Garden"), store.listSites().map { it.name }, "names")
    }

    h.test("a bad site file is refused with a typed error") {
        val bad = File(dir, "bad.csv")
        bad.writeText("id,name,kind,unit,address,lat,lon\nX1,Castle,castle,G1,,,\n")
        val store = openStore(dbPath)
        val e = assertThrows<GridwalkException.InvalidInput> { store.importSitesCsv(bad.path) }
        check(e.reason.contains("castle")) { e.reason }
        assertEq(2, store.listSites().size, "sites after refused import")
    }

    h.test("inspect, refuse a premature submit, then submit") {
        val store = openStore(dbPath)
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

    h.test("a draft survives reopening the store") {
        val first = openStore(dbPath)
        val id = first.startInspection("S1", InspectionKind.SPOT_CHECK, "Supervisor Zhang")
        first.answer(id, "fire-02", Outcome.OK, null)
        first.close()
        val again = openStore(dbPath)
        val drafts = again.listInspections("Supervisor Zhang", InspectionStatus.DRAFT)
        assertEq(listOf(id), drafts.map { it.id }, "drafts")
        assertEq(1u, again.checklist(id).answered, "answered after reopen")
    }

    h.test("unknown records are NotFound") {
        val store = openStore(dbPath)
        val e = assertThrows<GridwalkException.NotFound> { store.startInspection("nowhere", InspectionKind.ROUTINE, "x") }
        assertEq("site", e.kind, "kind")
        assertThrows<GridwalkException.NotFound> { store.inspection("missing") }
    }

    h.test("a wrong store key is WrongKey, and the store is left as it was") {
        val before = File(dbPath).readBytes()
        val wrong = ByteArray(32) { (TEST_STORE_KEY[it] + 1).toByte() }
        val e = assertThrows<GridwalkException.WrongKey> { openStore(dbPath, wrong) }
        assertEq(dbPath, e.path, "path")
        check(File(dbPath).readBytes().contentEquals(before)) { "the store was changed" }
        assertThrows<GridwalkException.InvalidInput> { openStore(dbPath, ByteArray(16)) }
        check(openStore(dbPath).listInspections(null, null).isNotEmpty()) { "the right key opens it" }
    }

    h.test("a store file overwritten with garbage is refused and left alone") {
        val damaged = File(dir, "damaged.db")
        openStore(damaged.path).close()
        val garbage = ByteArray(damaged.length().toInt()) { (it * 7 + 13).toByte() }
        damaged.writeBytes(garbage)
        // Encrypted, a garbled file and a wrong key look the same to SQLCipher.
        val e = assertThrows<GridwalkException.WrongKey> { openStore(damaged.path) }
        assertEq(damaged.path, e.path, "path")
        check(damaged.readBytes().contentEquals(garbage)) { "the damaged file was changed" }
    }

    h.finish()
}
