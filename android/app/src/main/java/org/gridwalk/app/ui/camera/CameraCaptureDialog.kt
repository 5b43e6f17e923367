package org.gridwalk.app.ui.camera

import android.content.Context
import androidx.compose.runtime.saveable.rememberSaveable
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
import org.gridwalk.app.R
import org.gridwalk.logic.CaptureOwner
import org.gridwalk.logic.PendingCaptures

/**
 * Full-screen CameraX capture of one or more photos for [owner]. Each shot is written by
 * the camera straight into [captures] (app-private, persistent: never the cache the
 * system clears), so it survives rotation, a back press and process death until the core
 * has ingested it. "Cancel" deletes this session's shots; "Use" keeps them pending for the
 * screen that opened the camera. The camera is unbound whenever this dialog leaves.
 */
@Composable
fun CameraCaptureDialog(owner: CaptureOwner, captures: PendingCaptures, onDone: () -> Unit, onDismiss: () -> Unit) {
    val context = LocalContext.current
    val imageCapture = remember {
        ImageCapture.Builder().setCaptureMode(ImageCapture.CAPTURE_MODE_MINIMIZE_LATENCY).build()
    }
    // This session's shots, by path, saved across rotation (the files themselves are on disk).
    var shots by rememberSaveable { mutableStateOf(listOf<String>()) }
    var busy by remember { mutableStateOf(false) }
    // A failed shot: the camera's error, or no room for the file.
    var error by remember { mutableStateOf<Exception?>(null) }
    val cancel = {
        captures.discard(owner, shots.map(::File))
        onDismiss()
    }

    Dialog(onDismissRequest = cancel, properties = DialogProperties(usePlatformDefaultWidth = false)) {
        WithCameraPermission(onGiveUp = cancel) {
            Box(Modifier.fillMaxSize().background(Color.Black)) {
                CameraPreview(listOf(imageCapture), Modifier.fillMaxSize())
                Column(
                    Modifier.align(Alignment.BottomCenter).fillMaxWidth().safeDrawingPadding().padding(16.dp),
                    verticalArrangement = Arrangement.spacedBy(8.dp),
                ) {
                    error?.let {
                        Text(
                            stringResource(R.string.camera_capture_failed, it.message ?: it.javaClass.simpleName),
                            color = MaterialTheme.colorScheme.error,
                        )
                    }
                    Row(horizontalArrangement = Arrangement.spacedBy(12.dp)) {
                        OutlinedButton(onClick = cancel) { Text(stringResource(R.string.action_cancel)) }
                        Button(enabled = !busy, onClick = {
                            busy = true
                            takePhoto(context, imageCapture, captures, owner,
                                onSaved = { shots = shots + it.path; busy = false; error = null },
                                onError = { error = it; busy = false })
                        }) { Text(stringResource(R.string.camera_take_photo)) }
                        Button(enabled = shots.isNotEmpty() && !busy, onClick = onDone) {
                            Text(stringResource(R.string.camera_use, shots.size))
                        }
                    }
                }
            }
        }
    }
}

/**
 * One shot into a reserved `.part` file, kept once the camera has written all of it; a
 * failed or interrupted write is removed (a kill mid-write is swept at the next start).
 */
private fun takePhoto(
    context: Context,
    capture: ImageCapture,
    captures: PendingCaptures,
    owner: CaptureOwner,
    onSaved: (File) -> Unit,
    onError: (Exception) -> Unit,
) {
    val part = try {
        captures.reserve(owner)
    } catch (e: java.io.IOException) {
        // No folder for the shot (a full disk): said on the camera screen, nothing taken.
        return onError(e)
    }
    capture.takePicture(
        ImageCapture.OutputFileOptions.Builder(part).build(),
        ContextCompat.getMainExecutor(context),
        object : ImageCapture.OnImageSavedCallback {
            override fun onImageSaved(output: ImageCapture.OutputFileResults) {
                try {
                    onSaved(captures.keep(part))
                } catch (e: java.io.IOException) {
                    captures.abandon(part)
                    onError(e)
                }
            }
            override fun onError(exception: ImageCaptureException) {
                captures.abandon(part)
                onError(exception)
            }
        },
    )
}
