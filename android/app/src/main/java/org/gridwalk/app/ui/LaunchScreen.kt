package org.gridwalk.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.safeDrawingPadding
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import org.gridwalk.app.R
import org.gridwalk.app.data.userMessage
import org.gridwalk.logic.LaunchState
import org.gridwalk.logic.OpenProblem

/**
 * What shows while the store opens, and if it cannot: what happened, what to do about it
 * (free space, update the app, call the office), the core's own detail, and a retry. The
 * damaged store is never deleted from here: it is evidence to recover.
 */
@Composable
fun LaunchScreen(state: LaunchState, onRetry: () -> Unit) {
    Column(
        Modifier.fillMaxSize().safeDrawingPadding().padding(24.dp),
        verticalArrangement = Arrangement.spacedBy(16.dp, Alignment.CenterVertically),
        horizontalAlignment = Alignment.CenterHorizontally,
    ) {
        when (state) {
            is LaunchState.Failed -> {
                Text(stringResource(R.string.launch_failed_title), style = MaterialTheme.typography.titleLarge)
                Text(
                    stringResource(
                        when (state.problem) {
                            OpenProblem.FREE_SPACE -> R.string.launch_free_space
                            OpenProblem.UPDATE_APP -> R.string.launch_update_app
                            OpenProblem.DAMAGED -> R.string.launch_damaged
                            OpenProblem.KEYSTORE -> R.string.launch_keystore
                            OpenProblem.OTHER -> R.string.launch_other
                        },
                    ),
                )
                Text(state.error.userMessage(), style = MaterialTheme.typography.bodySmall)
                Button(onClick = onRetry) { Text(stringResource(R.string.launch_retry)) }
            }
            else -> {
                CircularProgressIndicator()
                Text(stringResource(R.string.app_starting))
            }
        }
    }
}
