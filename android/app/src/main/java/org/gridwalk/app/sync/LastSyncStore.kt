package org.gridwalk.app.sync

import android.content.Context
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import org.gridwalk.core.*
import org.gridwalk.model.*
import org.gridwalk.ffi.*
import org.json.JSONArray
import org.json.JSONObject

/** What the last sync did, as shown on the Sync screen. Display only; the core decides. */
data class LastSync(
    val atMs: Long,
    val failure: String? = null,
    val counts: List<Pair<String, Long>> = emptyList(),
    val refused: List<String> = emptyList(),
    val problems: List<String> = emptyList(),
)

/**
 * Keeps the last sync's report across restarts (WorkManager keeps no output for periodic
 * work). A display cache only: losing it loses no record.
 */
class LastSyncStore(context: Context) {
    private val prefs = context.getSharedPreferences("last-sync", Context.MODE_PRIVATE)
    private val state = MutableStateFlow(read())
    val last: StateFlow<LastSync?> = state.asStateFlow()

    fun saveReport(report: SyncReport) = save(
        LastSync(
            atMs = System.currentTimeMillis(),
            counts = listOf(
                "records sent" to report.pushed.toLong(),
                "accepted by server" to report.accepted.toLong(),
                "already on server" to report.duplicates.toLong(),
                "records received" to report.pulled.toLong(),
                "new to this phone" to report.pulledNew.toLong(),
                "photos uploaded" to report.uploadedBlobs.toLong(),
                "photos downloaded" to report.downloadedBlobs.toLong(),
            ),
            // Refused records stay on the phone; the user must see why they did not go.
            refused = (report.rejected + report.heldBack).map { "${it.kind} ${it.id}: ${it.reason}" },
            problems = report.errors,
        ),
    )

    fun saveFailure(message: String) = save(LastSync(atMs = System.currentTimeMillis(), failure = message))

    private fun save(last: LastSync) {
        val json = JSONObject()
            .put("atMs", last.atMs)
            .put("failure", last.failure)
            .put("counts", JSONObject().apply { last.counts.forEach { (k, v) -> put(k, v) } })
            .put("refused", JSONArray(last.refused))
            .put("problems", JSONArray(last.problems))
        prefs.edit().putString(KEY, json.toString()).apply()
        state.value = last
    }

    private fun read(): LastSync? {
        val json = prefs.getString(KEY, null)?.let(::JSONObject) ?: return null
        val counts = json.getJSONObject("counts")
        return LastSync(
            atMs = json.getLong("atMs"),
            failure = json.optString("failure").takeIf { json.has("failure") && !json.isNull("failure") },
            counts = counts.keys().asSequence().map { it to counts.getLong(it) }.toList(),
            refused = json.getJSONArray("refused").strings(),
            problems = json.getJSONArray("problems").strings(),
        )
    }

    private fun JSONArray.strings() = List(length()) { getString(it) }

    private companion object {
        const val KEY = "last"
    }
}
