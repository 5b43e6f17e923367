package org.gridwalk.logic

import org.gridwalk.core.PhotoSize
import org.gridwalk.core.PhotoState
import org.gridwalk.core.PhotoView

/**
 * How a screen shows one photo an answer or a case names. Photos are shown from the
 * core's bytes ([PhotoSource]), never from a file path: a key-groups photo is sealed on
 * disk and only the core opens it.
 *
 * [load] is the size to ask the core for, `null` when nothing of the photo is on the
 * phone yet; [pending] says to badge it "full photo pending" (原图上传中): its author's
 * phone sends records and thumbnails first, so another phone may hold only the thumbnail.
 */
data class PhotoTile(val sha256: String, val load: PhotoSize?, val pending: Boolean)

/**
 * The tile for [photo] on a screen that wants [size] (a list wants [PhotoSize.THUMBNAIL],
 * an opened photo [PhotoSize.FULL]): a held photo at that size; a thumbnail-only one by
 * its thumbnail, badged; one not here at all as a badged placeholder.
 */
fun photoTile(photo: PhotoView, size: PhotoSize): PhotoTile = when (photo.state) {
    PhotoState.HELD -> PhotoTile(photo.sha256, size, pending = false)
    PhotoState.THUMBNAIL_ONLY -> PhotoTile(photo.sha256, PhotoSize.THUMBNAIL, pending = true)
    PhotoState.NOT_HELD -> PhotoTile(photo.sha256, null, pending = true)
}

/** The string resource under a pending photo ("原图上传中" / "Full photo pending"). */
const val PHOTO_PENDING_KEY = "photo_full_pending"

/** Where screens get a photo's bytes: the core, which opens sealed photos. */
fun interface PhotoSource {
    /** The JPEG bytes [tile] shows; `null` when nothing is to be loaded or it is not here yet. */
    suspend fun bytes(tile: PhotoTile): ByteArray?
}
