// What the phone shows of its sync queue, and the storage guard, through the real
// generated bindings: a submitted inspection's photo and records are listed with the
// bytes left to send; a floor above the free space refuses a new photo with a typed
// error and deletes nothing.
package org.gridwalk.tests.queue

import java.awt.Color
import java.awt.image.BufferedImage
import java.io.File
import javax.imageio.ImageIO
import org.gridwalk.core.QueueItemKind
import org.gridwalk.model.InspectionKind
import org.gridwalk.model.Outcome
import org.gridwalk.model.Profile
import org.gridwalk.model.Role
import org.gridwalk.ffi.GridwalkException
import org.gridwalk.ffi.GridwalkStore
import org.gridwalk.tests.Harness
import org.gridwalk.tests.assertEq
import org.gridwalk.tests.assertThrows
import org.gridwalk.tests.openStore

private fun jpeg(file: File, seed: Int) {
    val image = BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB)
    val g = image.createGraphics()
    for (i in 0 until 20) {
        g.color = Color((i * 37 + seed) % 256, (i * 91) % 256, (i * 53) % 256)
        g.fillRect((i * 97) % 640, (i * 61) % 480, 120, 70)
    }
    g.dispose()
    ImageIO.write(image, "jpg", file)
}

fun main(args: Array<String>) {
    val h = Harness()
    val dir = File(args[0])
    dir.mkdirs()
    val store = openStore(File(dir, "device.db").path)
    val sites = File(dir, "sites.csv")
    sites.writeText("id,name,kind,unit,address,lat,lon\nP1,Fish pond,water-body,G1,,,\n")
    store.importSitesCsv(sites.path)
    store.setProfile(Profile("李伟", Role.GRID_WORKER, "G1", null))
    val camera = File(dir, "IMG_0001.jpg")
    jpeg(camera, 1)

    h.test("a submitted inspection's photo and records are queued with their bytes") {
        val id = store.startInspection("P1", InspectionKind.ROUTINE, "李伟")
        val items = store.checklist(id).categories.flatMap { c -> c.entries.map { it.item } }
        val hazard = items.first { it.photoRequired }
        for (item in items) store.answer(id, item.code, Outcome.OK, null)
        val photo = store.answerWithPhotos(id, hazard.code, Outcome.HAZARD, "护栏缺失", listOf(camera.path))[0]
        store.submit(id)
        val queue = store.syncQueue()
        assertEq(
            listOf(QueueItemKind.PHOTO, QueueItemKind.INSPECTION, QueueItemKind.PHOTO_RECORD, QueueItemKind.HAZARD_EVENT),
            queue.map { it.kind },
            "kinds in sending order",
        )
        assertEq(photo.sha256, queue[0].id, "the photo")
        assertEq(photo.bytes, queue[0].bytesLeft, "a photo's bytes left")
        assertEq(id, queue[1].id, "the inspection")
        assertEq("P1", queue[1].subject, "its site")
        assertEq(photo.sha256, queue[2].subject, "the photo's record names it")
        check(queue[1].bytesLeft > 300u && queue[2].bytesLeft > 200u && queue[3].bytesLeft > 200u) { "record bodies: $queue" }
        check(queue.all { it.lastError == null && !it.heldBack && !it.started }) { "$queue" }
    }

    h.test("below the free-space floor a new photo is refused and nothing is deleted") {
        val before = store.syncQueue()
        check(store.freeBytes() > 0u) { "free bytes" }
        assertEq(200uL * 1024uL * 1024uL, store.minFreeBytes(), "default floor")
        store.setMinFreeBytes(ULong.MAX_VALUE)
        val second = File(dir, "IMG_0002.jpg")
        jpeg(second, 2)
        val refused = assertThrows<GridwalkException.LowStorage> { store.ingestPhoto(second.path) }
        check(refused.freeBytes < refused.floorBytes) { "$refused" }
        assertEq(before, store.syncQueue(), "the queue is unchanged")
        store.setMinFreeBytes(0uL)
        store.ingestPhoto(second.path)
    }

    h.finish()
}
