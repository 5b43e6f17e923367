// Photo evidence through the real generated bindings: a real JPEG written by the JVM's
// ImageIO is ingested by path, deduplicated, attached to a hazard answer, and bad files
// are refused with a typed error.
package org.gridwalk.tests.photos

import java.awt.Color
import java.awt.image.BufferedImage
import java.io.File
import javax.imageio.ImageIO
import org.gridwalk.model.InspectionKind
import org.gridwalk.model.InspectionStatus
import org.gridwalk.model.Outcome
import org.gridwalk.model.Profile
import org.gridwalk.model.Role
import org.gridwalk.ffi.GridwalkException
import org.gridwalk.ffi.GridwalkStore
import org.gridwalk.tests.Harness
import org.gridwalk.tests.openStore
import org.gridwalk.tests.assertEq
import org.gridwalk.tests.assertThrows

/** A camera-sized JPEG with some structure, so the encoder has real work to do. */
private fun cameraJpeg(file: File, width: Int, height: Int, seed: Int) {
    val image = BufferedImage(width, height, BufferedImage.TYPE_INT_RGB)
    val g = image.createGraphics()
    for (i in 0 until 40) {
        g.color = Color((i * 37 + seed) % 256, (i * 91) % 256, (i * 53 + seed * 7) % 256)
        g.fillRect((i * 97) % width, (i * 61) % height, width / 5, height / 7)
    }
    g.dispose()
    ImageIO.write(image, "jpg", file)
}

fun main(args: Array<String>) {
    val h = Harness()
    val dir = File(args[0])
    dir.mkdirs()
    val store = openStore(File(dir, "device.db").path)
    val camera = File(dir, "IMG_0001.jpg")
    cameraJpeg(camera, 2400, 1800, 1)
    var sha = ""

    h.test("a camera JPEG becomes evidence with a thumbnail, scaled to the long edge") {
        val photo = store.ingestPhoto(camera.path)
        sha = photo.sha256
        check(Regex("[0-9a-f]{64}").matches(sha)) { sha }
        assertEq(1600u, photo.width, "long edge")
        assertEq(1200u, photo.height, "short edge")
        check(File(photo.path).length().toULong() == photo.bytes) { "stored size" }
        check(File(photo.thumbnailPath).exists()) { "thumbnail" }
        assertEq(false, photo.alreadyStored, "first time")
    }

    h.test("the same photo twice is stored once") {
        val again = store.ingestPhoto(camera.path)
        assertEq(sha, again.sha256, "hash")
        assertEq(true, again.alreadyStored, "deduplicated")
    }

    h.test("a text file named .jpg and a missing file are refused") {
        val fake = File(dir, "fake.jpg")
        fake.writeText("not a photo at all")
        assertThrows<GridwalkException.InvalidInput> { store.ingestPhoto(fake.path) }
        assertThrows<GridwalkException.InvalidInput> { store.ingestPhoto(File(dir, "none.jpg").path) }
    }

    h.test("a hazard needing a photo is submitted with one attached") {
        val sites = File(dir, "sites.csv")
        sites.writeText("id,name,kind,unit,address,lat,lon\nP1,Fish pond,water-body,G1,,,\n")
        store.importSitesCsv(sites.path)
        store.setProfile(Profile("Li Wei", Role.GRID_WORKER, "G1", null))
        val id = store.startInspection("P1", InspectionKind.ROUTINE, "Li Wei")
        val items = store.checklist(id).categories.flatMap { c -> c.entries.map { it.item } }
        val hazard = items.first { it.photoRequired }
        for (item in items) store.answer(id, item.code, Outcome.OK, null)

        val broken = File(dir, "broken.jpg")
        broken.writeBytes(camera.readBytes().copyOf(300))
        assertThrows<GridwalkException.InvalidInput> {
            store.answerWithPhotos(id, hazard.code, Outcome.HAZARD, "no fence", listOf(camera.path, broken.path))
        }
        assertEq(Outcome.OK, store.inspection(id).answers.first { it.item == hazard.code }.outcome, "unchanged")

        val second = File(dir, "IMG_0002.jpg")
        cameraJpeg(second, 1200, 1600, 2)
        val attached = store.answerWithPhotos(id, hazard.code, Outcome.HAZARD, "no fence", listOf(second.path))
        assertEq(1, attached.size, "attached")
        store.attachPhoto(id, hazard.code, sha)
        store.submit(id)
        val answer = store.inspection(id).answers.first { it.item == hazard.code }
        assertEq(setOf(sha, attached[0].sha256), answer.photos.toSet(), "evidence on the answer")
        assertEq(InspectionStatus.SUBMITTED, store.inspection(id).status, "status")
    }

    h.finish()
}
