package org.gridwalk.app.ui.common

import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import org.gridwalk.app.data.userMessage

/** A failure from the core, shown where it happened, in the error colour and the phone's language. */
@Composable
fun ErrorText(error: Throwable?, modifier: Modifier = Modifier) {
    if (error == null) return
    Text(
        error.userMessage(),
        color = MaterialTheme.colorScheme.error,
        style = MaterialTheme.typography.bodyMedium,
        modifier = modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 8.dp),
    )
}
