package org.gridwalk.app.ui.common

import android.graphics.BitmapFactory
import androidx.compose.foundation.Image
import androidx.compose.foundation.horizontalScroll
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.rememberScrollState
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.produceState
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.ImageBitmap
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.layout.ContentScale
import androidx.compose.ui.unit.dp
import java.io.File
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

/**
 * A row of photos: evidence by their thumbnails (named by hash, found by `PhotoFiles`),
 * or camera files still waiting for the core. Decoded off the main thread; a file that
 * is not there (a pulled photo not yet downloaded) shows nothing rather than failing.
 */
@Composable
fun PhotoStrip(files: List<File>, modifier: Modifier = Modifier) {
    if (files.isEmpty()) return
    Row(modifier.horizontalScroll(rememberScrollState()), horizontalArrangement = Arrangement.spacedBy(4.dp)) {
        files.forEach { file -> Thumbnail(file) }
    }
}

@Composable
private fun Thumbnail(file: File) {
    val bitmap by produceState<ImageBitmap?>(null, file) {
        value = withContext(Dispatchers.IO) {
            // Camera files are full-size: decode them at an eighth, enough for 64 dp.
            val options = BitmapFactory.Options().apply { inSampleSize = if (file.name.endsWith(".thumb.jpg")) 1 else 8 }
            BitmapFactory.decodeFile(file.path, options)?.asImageBitmap()
        }
    }
    bitmap?.let { Image(it, contentDescription = null, contentScale = ContentScale.Crop, modifier = Modifier.size(64.dp)) }
}
