package org.gridwalk.app.ui.camera

import android.content.Context
import androidx.camera.core.ImageCapture
import androidx.camera.core.ImageCaptureException
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.safeDrawingPadding
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.compose.ui.window.Dialog
import androidx.compose.ui.window.DialogProperties
import androidx.core.content.ContextCompat
import java.io.File
import java.util.UUID
import org.gridwalk.app.R

/**
 * Full-screen CameraX capture of one or more photos. Each shot is written as a JPEG file
 * (the camera's own bytes and EXIF) and handed back as a path: photos cross into the core
 * as files, where they are oriented, shrunk, stripped and hashed.
 */
@Composable
fun CameraCaptureDialog(onDone: (List<String>) -> Unit, onDismiss: () -> Unit) {
    val context = LocalContext.current
    val imageCapture = remember {
        ImageCapture.Builder().setCaptureMode(ImageCapture.CAPTURE_MODE_MINIMIZE_LATENCY).build()
    }
    val shots = remember { mutableStateListOf<String>() }
    var busy by remember { mutableStateOf(false) }
    var error by remember { mutableStateOf<ImageCaptureException?>(null) }

    Dialog(onDismissRequest = onDismiss, properties = DialogProperties(usePlatformDefaultWidth = false)) {
        WithCameraPermission {
            Box(Modifier.fillMaxSize().background(Color.Black)) {
                CameraPreview(listOf(imageCapture), Modifier.fillMaxSize())
                Column(
                    Modifier.align(Alignment.BottomCenter).fillMaxWidth().safeDrawingPadding().padding(16.dp),
                    verticalArrangement = Arrangement.spacedBy(8.dp),
                ) {
                    error?.let {
                        Text(
                            stringResource(R.string.camera_capture_failed, it.message ?: it.imageCaptureError.toString()),
                            color = MaterialTheme.colorScheme.error,
                        )
                    }
                    Row(horizontalArrangement = Arrangement.spacedBy(12.dp)) {
                        OutlinedButton(onClick = { discard(shots); onDismiss() }) { Text(stringResource(R.string.action_cancel)) }
                        Button(enabled = !busy, onClick = {
                            busy = true
                            takePhoto(context, imageCapture,
                                onSaved = { shots += it; busy = false; error = null },
                                onError = { error = it; busy = false })
                        }) { Text(stringResource(R.string.camera_take_photo)) }
                        Button(enabled = shots.isNotEmpty() && !busy, onClick = { onDone(shots.toList()) }) {
                            Text(stringResource(R.string.camera_use, shots.size))
                        }
                    }
                }
            }
        }
    }
}

/** Camera files wait in the cache until the core has ingested them; see [discard]. */
private fun takePhoto(
    context: Context,
    capture: ImageCapture,
    onSaved: (String) -> Unit,
    onError: (ImageCaptureException) -> Unit,
) {
    val file = File(context.cacheDir, "camera").apply { mkdirs() }.resolve("${UUID.randomUUID()}.jpg")
    capture.takePicture(
        ImageCapture.OutputFileOptions.Builder(file).build(),
        ContextCompat.getMainExecutor(context),
        object : ImageCapture.OnImageSavedCallback {
            override fun onImageSaved(output: ImageCapture.OutputFileResults) = onSaved(file.absolutePath)
            override fun onError(exception: ImageCaptureException) = onError(exception)
        },
    )
}

/**
 * Deletes camera files. Call only once the core has ingested them (it keeps its own
 * processed copy) or when the user abandons them: never before, or evidence is lost.
 */
fun discard(paths: List<String>) = paths.forEach { File(it).delete() }
