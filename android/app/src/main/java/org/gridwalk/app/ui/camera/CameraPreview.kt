package org.gridwalk.app.ui.camera

import androidx.camera.core.CameraSelector
import androidx.camera.core.Preview
import androidx.camera.core.UseCase
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.viewinterop.AndroidView
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.LocalLifecycleOwner

/**
 * The back camera's preview with extra CameraX use cases (photo capture, QR analysis)
 * bound to the screen's lifecycle, and unbound when the composable leaves: also when the
 * camera provider arrives only after it left (a quickly closed dialog), which would
 * otherwise bind a camera nobody shows and keep it busy.
 */
@Composable
fun CameraPreview(useCases: List<UseCase>, modifier: Modifier = Modifier) {
    val context = LocalContext.current
    val lifecycleOwner = LocalLifecycleOwner.current
    val providerFuture = remember { ProcessCameraProvider.getInstance(context) }
    val preview = remember { Preview.Builder().build() }
    // Set when the composable leaves; read on the main thread, where both run.
    val gone = remember { booleanArrayOf(false) }

    AndroidView(
        modifier = modifier,
        factory = { ctx ->
            PreviewView(ctx).also { view ->
                preview.setSurfaceProvider(view.surfaceProvider)
                providerFuture.addListener(
                    {
                        if (!gone[0]) {
                            providerFuture.get().bindToLifecycle(
                                lifecycleOwner,
                                CameraSelector.DEFAULT_BACK_CAMERA,
                                preview,
                                *useCases.toTypedArray(),
                            )
                        }
                    },
                    ContextCompat.getMainExecutor(ctx),
                )
            }
        },
    )
    DisposableEffect(Unit) {
        onDispose {
            gone[0] = true
            if (providerFuture.isDone) providerFuture.get().unbind(preview, *useCases.toTypedArray())
        }
    }
}
