// Enrolment and sync through the real generated bindings against a real gridwalk-server
// on 127.0.0.1 (started by bindings/tests/kotlin_jvm.rs, which passes its URL and
// one-time codes in the environment): a grid worker's inspection with a hazard photo
// reaches a street officer, who acts on the case, and the action comes back; a sealed
// key-groups photo reads back as the JPEG, and its thumbnail reaches the officer ahead
// of the full photo, shown as pending.
package org.gridwalk.tests.sync

import java.awt.Color
import java.awt.image.BufferedImage
import java.io.File
import java.util.Collections
import javax.imageio.ImageIO
import kotlinx.coroutines.runBlocking
import org.gridwalk.core.CaseFilter
import org.gridwalk.core.PhotoSize
import org.gridwalk.core.PhotoState
import org.gridwalk.core.PhotoView
import org.gridwalk.model.EventKind
import org.gridwalk.model.InspectionKind
import org.gridwalk.model.Level
import org.gridwalk.model.Outcome
import org.gridwalk.model.Payload
import org.gridwalk.model.Role
import org.gridwalk.model.Status
import org.gridwalk.core.SyncPhase
import org.gridwalk.ffi.GridwalkException
import org.gridwalk.ffi.GridwalkStore
import org.gridwalk.ffi.GridwalkSync
import org.gridwalk.ffi.SyncListener
import org.gridwalk.tests.Harness
import org.gridwalk.tests.openStore
import org.gridwalk.tests.signerFor
import org.gridwalk.tests.assertEq
import org.gridwalk.tests.assertThrows

private class Recorder : SyncListener {
    val phases: MutableList<SyncPhase> = Collections.synchronizedList(mutableListOf())
    override fun onProgress(phase: SyncPhase, done: ULong, total: ULong) {
        check(done <= total) { "progress $done of $total" }
        phases.add(phase)
    }
}

private fun env(name: String): String = System.getenv(name) ?: error("$name is not set: run through kotlin_jvm.rs")

fun main(args: Array<String>) {
    val h = Harness()
    val dir = File(args[0])
    dir.mkdirs()
    val server = env("GRIDWALK_SERVER")
    val workerPath = File(dir, "worker.db").path
    val officerPath = File(dir, "officer.db").path
    val worker = openStore(workerPath)
    val workerSync = GridwalkSync(worker)
    val officer = openStore(officerPath)
    val officerSync = GridwalkSync(officer)
    var inspectionId = ""

    h.test("sync before enrolment and a wrong code are typed errors") {
        assertEq(null, workerSync.enrolledServer(), "server before enrolment")
        assertThrows<GridwalkException.NotEnrolled> { runBlocking { workerSync.sync(null) } }
        assertThrows<GridwalkException.Unauthorised> { runBlocking { workerSync.enroll(server, "WRONG-CODE-0000") } }
        val nowhere = GridwalkSync(openStore(File(dir, "nowhere.db").path))
        assertThrows<GridwalkException.Network> { runBlocking { nowhere.enroll("http://127.0.0.1:9", "ABCD-EFGH") } }
    }

    h.test("enrolment makes the person the profile and brings the reference data") {
        val enrolment = runBlocking { workerSync.enroll(server, env("GRIDWALK_CODE_WORKER")) }
        assertEq(Role.GRID_WORKER, enrolment.person.role, "role")
        assertEq(enrolment.person, worker.profile(), "profile")
        assertEq(server, workerSync.enrolledServer(), "enrolled server")
        assertEq(enrolment.deviceId, worker.deviceId(), "events name the device the server knows")
        check(worker.listSites().any { it.id == "HX-002" }) { "the worker's sites arrived" }
    }

    h.test("an inspection with a hazard photo is pushed and uploaded, with progress") {
        val id = worker.startInspection("HX-002", InspectionKind.ROUTINE, worker.profile()!!.name)
        inspectionId = id
        val items = worker.checklist(id).categories.flatMap { c -> c.entries.map { it.item } }
        for (item in items) worker.answer(id, item.code, Outcome.OK, null)
        val photo = File(dir, "IMG_0100.jpg")
        val image = BufferedImage(1200, 900, BufferedImage.TYPE_INT_RGB)
        image.createGraphics().apply { color = Color(200, 40, 40); fillRect(100, 100, 600, 400); dispose() }
        ImageIO.write(image, "jpg", photo)
        worker.answerWithPhotos(id, "fire-02", Outcome.HAZARD, "e-bikes charging in the hall", listOf(photo.path))
        worker.submit(id)
        val pending = worker.pendingSync()
        assertEq(3u, pending.records, "inspection + the hazard's reported event + the photo's record")
        assertEq(1u, pending.photos, "photo")
        // Queuing chains the records unsigned (ADR 12): the keystore is asked only at push.
        val signedBefore = signerFor(workerPath).signatures

        val recorder = Recorder()
        val report = runBlocking { workerSync.sync(recorder) }
        assertEq(3u, report.accepted, "accepted")
        assertEq(1u, report.uploadedBlobs, "uploaded")
        assertEq(emptyList<String>(), report.errors, "errors")
        check(recorder.phases.contains(SyncPhase.PUSHING)) { "progress: ${recorder.phases}" }
        assertEq(0u, worker.pendingSync().records, "records left")
        assertEq(0u, worker.pendingSync().photos, "photos left")
        val again = runBlocking { workerSync.sync(null) }
        assertEq(0u, again.pushed, "nothing to push twice")
        // One signature by the Kotlin signer sealed the push's three records, and the
        // server accepted it (the Rust runner re-verifies the server's whole store
        // afterwards); the empty second sync signed nothing.
        assertEq(signedBefore + 1, signerFor(workerPath).signatures, "one signature for the push")
    }

    h.test("a locked signer holds the push back and loses nothing") {
        val signer = signerFor(workerPath)
        val before = worker.pendingSync().records
        val id = worker.startInspection("HX-002", InspectionKind.ROUTINE, worker.profile()!!.name)
        for (item in worker.checklist(id).categories.flatMap { c -> c.entries.map { it.item } }) {
            worker.answer(id, item.code, Outcome.OK, null)
        }
        signer.locked = true
        try {
            // Queuing chains the record without the keystore (ADR 12), so the inspector
            // can submit with it locked; the push, which must seal, is refused instead.
            worker.submit(id)
            assertEq(before + 1u, worker.pendingSync().records, "queued, chained")
            val e = assertThrows<GridwalkException.SignerUnavailable> { runBlocking { workerSync.sync(null) } }
            check(e.reason.contains("locked")) { e.reason }
            assertEq(before + 1u, worker.pendingSync().records, "still queued, nothing sent unsealed")
        } finally {
            signer.locked = false
        }
        val report = runBlocking { workerSync.sync(null) }
        assertEq(1u, report.accepted, "accepted once the keystore is open")
        assertEq(0u, worker.pendingSync().records, "accepted")
    }

    h.test("the street officer pulls the case and calls it in; the worker sees it") {
        val enrolment = runBlocking { officerSync.enroll(server, env("GRIDWALK_CODE_STREET")) }
        assertEq(Role.STREET_OFFICER, enrolment.person.role, "role")
        val pulled = runBlocking { officerSync.sync(null) }
        check(pulled.pulled >= 2u) { "pulled ${pulled.pulled}" }
        assertEq(inspectionId, officer.inspection(inspectionId).id, "the inspection arrived")
        val case = officer.listCases(CaseFilter(null, true, false)).single()
        val offered = officer.hazardCase(case.caseId).allowedActions
        check(offered.any { it.kind == EventKind.CALLED_IN }) { "offered $offered" }
        officer.act(case.caseId, Payload.CalledIn(Level.STREET, "fire brigade to inspect"))
        runBlocking { officerSync.sync(null) }
        runBlocking { workerSync.sync(null) }
        assertEq(Level.STREET, worker.hazardCase(case.caseId).state.level, "level on the worker's phone")
    }

    h.test("an event the server refuses is marked on the case and no longer counts") {
        val case = worker.listCases(CaseFilter(null, false, false)).single()
        val own = worker.profile()!!
        // A role the person does not have: the server refuses what it records.
        worker.setProfile(own.copy(role = Role.SUPERVISOR, unit = "JJ-CX"))
        val close = worker.act(case.caseId, Payload.Closed("closed on the spot"))
        assertEq(Status.CLOSED, worker.hazardCase(case.caseId).state.status, "closed before the sync")
        val report = runBlocking { workerSync.sync(null) }
        assertEq(listOf(close.id), report.rejected.map { it.id }, "refused in the report")
        val view = worker.hazardCase(case.caseId)
        assertEq(Status.REPORTED, view.state.status, "the refused close does not count")
        check(view.events.any { it.id == close.id }) { "the refused event is still shown" }
        val refusal = view.refused.single()
        assertEq(close.id, refusal.event, "refused event")
        assertEq("forbidden", refusal.code, "code")
        check(refusal.reason.contains("not you")) { "reason: ${refusal.reason}" }
        assertEq(1u, worker.listCases(CaseFilter(null, false, false)).single().refusedEvents, "marked in the list")
        worker.setProfile(own)
    }

    h.test("a sealed photo reads back as the JPEG; a pulled thumbnail-only photo shows pending") {
        // A key-groups answer's photo: sealed on the worker's disk, plaintext through
        // photoBytes. Noise, so the full photo is larger than this server takes from a
        // device (kotlin_jvm.rs caps it): the thumbnail goes up, the full photo cannot.
        // A second worker's phone, so the first one's chain still ends with its refused event.
        val worker = openStore(File(dir, "keygroups.db").path)
        val workerSync = GridwalkSync(worker)
        runBlocking { workerSync.enroll(server, env("GRIDWALK_CODE_KEYGROUPS")) }
        val id = worker.startInspection("HX-001", InspectionKind.ROUTINE, worker.profile()!!.name)
        for (item in worker.checklist(id).categories.flatMap { c -> c.entries.map { it.item } }) {
            worker.answer(id, item.code, Outcome.OK, null)
        }
        val camera = File(dir, "IMG_0200.jpg")
        val random = java.util.Random(7)
        val image = BufferedImage(1600, 1200, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until 1200) for (x in 0 until 1600) image.setRGB(x, y, random.nextInt(0x1000000))
        ImageIO.write(image, "jpg", camera)
        val photo = worker.answerWithPhotos(id, "key-groups-03", Outcome.HAZARD, "lives alone", listOf(camera.path)).single()
        check(!File(photo.path).readBytes().startsWith(JPEG)) { "the photo is plain on disk" }
        val full = worker.photoBytes(photo.sha256, PhotoSize.FULL)
        check(full.startsWith(JPEG)) { "the sealed photo reads back as a JPEG" }
        assertEq(photo.sha256, sha256Hex(full), "its name is the plaintext's SHA-256")
        val thumbnail = worker.photoBytes(photo.sha256, PhotoSize.THUMBNAIL)
        check(thumbnail.startsWith(JPEG) && thumbnail.size < full.size) { "thumbnail ${thumbnail.size}" }
        worker.submit(id)
        assertThrows<GridwalkException.Network> { runBlocking { workerSync.sync(null) } }

        runBlocking { officerSync.sync(null) }
        val entry = officer.checklist(id).categories.flatMap { it.entries }.single { it.item.code == "key-groups-03" }
        assertEq(listOf(PhotoView(photo.sha256, PhotoState.THUMBNAIL_ONLY)), entry.photos, "the answer's photo")
        val case = officer.listCases(CaseFilter(null, false, false)).single { it.category == "key-groups" }
        assertEq(PhotoState.THUMBNAIL_ONLY, officer.hazardCase(case.caseId).photos.single().state, "the case's photo")
        check(officer.photoBytes(photo.sha256, PhotoSize.THUMBNAIL).contentEquals(thumbnail)) { "the author's thumbnail" }
        val e = assertThrows<GridwalkException.PhotoNotHeld> { officer.photoBytes(photo.sha256, PhotoSize.FULL) }
        assertEq(photo.sha256, e.sha256, "names the photo")
    }

    h.finish()
}

private val JPEG = byteArrayOf(0xFF.toByte(), 0xD8.toByte())

private fun ByteArray.startsWith(prefix: ByteArray): Boolean =
    size >= prefix.size && prefix.indices.all { this[it] == prefix[it] }

private fun sha256Hex(bytes: ByteArray): String =
    java.security.MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }
