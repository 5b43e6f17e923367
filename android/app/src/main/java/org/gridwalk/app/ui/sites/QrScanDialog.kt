package org.gridwalk.app.ui.sites

import androidx.camera.core.ExperimentalGetImage
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.safeDrawingPadding
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberUpdatedState
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.compose.ui.window.Dialog
import androidx.compose.ui.window.DialogProperties
import com.google.mlkit.vision.barcode.BarcodeScanner
import com.google.mlkit.vision.barcode.BarcodeScannerOptions
import com.google.mlkit.vision.barcode.BarcodeScanning
import com.google.mlkit.vision.barcode.common.Barcode
import com.google.mlkit.vision.common.InputImage
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicBoolean
import org.gridwalk.app.R
import org.gridwalk.app.ui.camera.CameraPreview
import org.gridwalk.app.ui.camera.WithCameraPermission

/**
 * Scans a site's QR code with CameraX + ML Kit (bundled model: works offline) and reports
 * the text it holds, the site id, exactly once.
 */
@Composable
fun QrScanDialog(onCode: (String) -> Unit, onDismiss: () -> Unit) {
    val currentOnCode by rememberUpdatedState(onCode)
    val delivered = remember { AtomicBoolean(false) }
    val executor = remember { Executors.newSingleThreadExecutor() }
    val scanner = remember {
        BarcodeScanning.getClient(BarcodeScannerOptions.Builder().setBarcodeFormats(Barcode.FORMAT_QR_CODE).build())
    }
    val analysis = remember {
        ImageAnalysis.Builder()
            // Only the newest frame matters; older ones are dropped instead of queued.
            .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
            .build()
            .also { use ->
                use.setAnalyzer(executor) { frame ->
                    analyse(scanner, frame) { code -> if (delivered.compareAndSet(false, true)) currentOnCode(code) }
                }
            }
    }
    DisposableEffect(Unit) {
        onDispose {
            analysis.clearAnalyzer()
            scanner.close()
            executor.shutdown()
        }
    }

    Dialog(onDismissRequest = onDismiss, properties = DialogProperties(usePlatformDefaultWidth = false)) {
        WithCameraPermission(onGiveUp = onDismiss) {
            Box(Modifier.fillMaxSize().background(Color.Black)) {
                CameraPreview(listOf(analysis), Modifier.fillMaxSize())
                Text(stringResource(R.string.qr_point_at_code), color = Color.White,
                    modifier = Modifier.align(Alignment.TopCenter).safeDrawingPadding().padding(16.dp))
                OutlinedButton(onClick = onDismiss,
                    modifier = Modifier.align(Alignment.BottomCenter).safeDrawingPadding().padding(16.dp)) {
                    Text(stringResource(R.string.action_cancel), color = Color.White)
                }
            }
        }
    }
}

// ML Kit delivers results on the main thread; the frame is closed only when it is done.
@androidx.annotation.OptIn(ExperimentalGetImage::class)
private fun analyse(scanner: BarcodeScanner, frame: ImageProxy, onCode: (String) -> Unit) {
    val image = frame.image ?: return frame.close()
    scanner.process(InputImage.fromMediaImage(image, frame.imageInfo.rotationDegrees))
        .addOnSuccessListener { codes -> codes.firstNotNullOfOrNull { it.rawValue?.trim() }?.let(onCode) }
        .addOnCompleteListener { frame.close() }
}
