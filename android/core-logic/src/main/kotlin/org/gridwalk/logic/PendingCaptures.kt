package org.gridwalk.logic

import java.io.File
import java.net.URLEncoder
import java.util.UUID

/** What camera files are for: they wait in a folder of their own until the core has them. */
sealed class CaptureOwner {
    /** Photos for the answer to [item] of inspection [inspectionId]. */
    data class Answer(val inspectionId: String, val item: String) : CaptureOwner()

    /** Photos for an action on case [caseId] (rectification evidence). */
    data class Case(val caseId: String) : CaptureOwner()

    /** Photos for a case being opened from a resident, hotline or online report. */
    object NewCase : CaptureOwner()

    internal fun folder(): String = when (this) {
        is Answer -> listOf("answer", inspectionId, item)
        is Case -> listOf("case", caseId)
        NewCase -> listOf("new-case")
    }.joinToString(SEPARATOR) { URLEncoder.encode(it, "UTF-8") }

    internal companion object {
        // URLEncoder escapes '~', so it never appears inside an encoded part.
        const val SEPARATOR = "~"
    }
}

/**
 * Camera files between the shutter and the core, kept in app-private persistent storage
 * ([root], under the app's files folder, never the cache the system clears under storage
 * pressure). The folder is the state: the pending list survives rotation and process
 * death because it is read back from disk, not held in a screen.
 *
 * A shot's life: [reserve] names a `.part` file the camera writes; [keep] renames it
 * complete (a process killed mid-write leaves only a `.part`, removed by [sweepPartials]);
 * it then waits in [pending] until the core has ingested it ([ingested] deletes it) or the
 * user cancels ([discard] deletes it). A failed ingest deletes nothing.
 */
class PendingCaptures(private val root: File) {
    private var sequence = 0L

    private fun dir(owner: CaptureOwner): File = root.resolve(owner.folder())

    /** A new file for the camera to write one shot for [owner] into. */
    @Synchronized
    fun reserve(owner: CaptureOwner): File {
        val folder = dir(owner)
        if (!folder.isDirectory && !folder.mkdirs()) throw java.io.IOException("cannot create $folder")
        // Time then a counter: names sort in capture order, even within one millisecond.
        val name = "%013d-%06d-%s$PART".format(System.currentTimeMillis(), sequence++ % 1_000_000, UUID.randomUUID())
        return folder.resolve(name)
    }

    /** The camera finished writing [part]: it becomes a pending capture. */
    fun keep(part: File): File {
        require(part.name.endsWith(PART)) { "not a reserved capture: $part" }
        val done = part.resolveSibling(part.name.removeSuffix(PART) + JPG)
        if (!part.renameTo(done)) throw java.io.IOException("cannot keep $part")
        return done
    }

    /** The camera failed or was closed while writing [part]: remove what it left. */
    fun abandon(part: File) {
        part.delete()
    }

    /** [owner]'s captures waiting for the core, in capture order. */
    fun pending(owner: CaptureOwner): List<File> =
        dir(owner).listFiles { f -> f.isFile && f.name.endsWith(JPG) }?.sortedBy { it.name }.orEmpty()

    /** The core has its own copies of [files]: they go. */
    fun ingested(owner: CaptureOwner, files: List<File>) = remove(owner, files)

    /** The user cancelled: [files] (all of [owner]'s when null) are deleted. */
    fun discard(owner: CaptureOwner, files: List<File>? = null) = remove(owner, files ?: pending(owner))

    /** Deletes `.part` files a killed camera write left behind; returns how many. */
    fun sweepPartials(): Int =
        root.listFiles { f -> f.isDirectory }.orEmpty()
            .flatMap { it.listFiles { f -> f.name.endsWith(PART) }.orEmpty().toList() }
            .count { it.delete() }

    private fun remove(owner: CaptureOwner, files: List<File>) {
        val folder = dir(owner).canonicalFile
        // Only this owner's files: a path from elsewhere is never deleted through here.
        files.filter { it.canonicalFile.parentFile == folder }.forEach { it.delete() }
        if (pending(owner).isEmpty()) {
            folder.listFiles { f -> f.name.endsWith(PART) }.orEmpty().let { if (it.isEmpty()) folder.delete() }
        }
    }

    private companion object {
        const val PART = ".jpg.part"
        const val JPG = ".jpg"
    }
}
