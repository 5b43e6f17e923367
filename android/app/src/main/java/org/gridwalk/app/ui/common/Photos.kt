package org.gridwalk.app.ui.common

import android.graphics.BitmapFactory
import androidx.compose.foundation.Image
import androidx.compose.foundation.background
import androidx.compose.foundation.horizontalScroll
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.rememberScrollState
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.produceState
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.ImageBitmap
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.layout.ContentScale
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import java.io.File
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.gridwalk.app.R
import org.gridwalk.core.PhotoSize
import org.gridwalk.core.PhotoView
import org.gridwalk.logic.PhotoSource
import org.gridwalk.logic.PhotoTile
import org.gridwalk.logic.photoTile

/**
 * A row of camera files still waiting for the core (captured, not yet ingested), decoded
 * off the main thread at an eighth of their size, enough for 64 dp.
 */
@Composable
fun PhotoStrip(files: List<File>, modifier: Modifier = Modifier) {
    if (files.isEmpty()) return
    Row(modifier.horizontalScroll(rememberScrollState()), horizontalArrangement = Arrangement.spacedBy(4.dp)) {
        files.forEach { file -> CameraThumbnail(file) }
    }
}

@Composable
private fun CameraThumbnail(file: File) {
    val bitmap by produceState<ImageBitmap?>(null, file) {
        value = withContext(Dispatchers.IO) {
            val options = BitmapFactory.Options().apply { inSampleSize = 8 }
            BitmapFactory.decodeFile(file.path, options)?.asImageBitmap()
        }
    }
    bitmap?.let { Image(it, contentDescription = null, contentScale = ContentScale.Crop, modifier = Modifier.size(64.dp)) }
}

/**
 * A row of evidence photos an answer or a case names, by their thumbnails, from the
 * core's bytes ([PhotoSource]: sealed key-groups photos show too). A photo whose full
 * file has not reached this phone carries the "full photo pending" badge (`photoTile`
 * decides which size to load and when to badge; tested on the JVM).
 */
@Composable
fun EvidenceStrip(photos: List<PhotoView>, source: PhotoSource, modifier: Modifier = Modifier) {
    if (photos.isEmpty()) return
    Row(modifier.horizontalScroll(rememberScrollState()), horizontalArrangement = Arrangement.spacedBy(4.dp)) {
        photos.forEach { photo -> EvidenceTile(photoTile(photo, PhotoSize.THUMBNAIL), source) }
    }
}

@Composable
private fun EvidenceTile(tile: PhotoTile, source: PhotoSource) {
    val bitmap by produceState<ImageBitmap?>(null, tile) {
        val bytes = source.bytes(tile)
        value = bytes?.let { withContext(Dispatchers.Default) { BitmapFactory.decodeByteArray(it, 0, it.size)?.asImageBitmap() } }
    }
    Box(Modifier.size(64.dp).background(MaterialTheme.colorScheme.surfaceVariant)) {
        bitmap?.let { Image(it, contentDescription = null, contentScale = ContentScale.Crop, modifier = Modifier.size(64.dp)) }
        if (tile.pending) {
            Text(
                stringResource(R.string.photo_full_pending),
                style = MaterialTheme.typography.labelSmall,
                color = MaterialTheme.colorScheme.onTertiary,
                modifier = Modifier.align(Alignment.BottomCenter).background(MaterialTheme.colorScheme.tertiary).padding(horizontal = 2.dp),
            )
        }
    }
}
