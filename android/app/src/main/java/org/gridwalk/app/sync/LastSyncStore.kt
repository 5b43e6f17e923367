package org.gridwalk.app.sync

import android.content.Context
import android.content.res.Resources
import androidx.annotation.StringRes
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import org.gridwalk.app.R
import org.gridwalk.app.data.words
import org.gridwalk.core.SyncReport
import org.gridwalk.logic.toUserMessage
import org.json.JSONArray
import org.json.JSONObject

/** The figures of a sync report the Sync screen lists, each with its words. */
enum class SyncCount(@StringRes val label: Int) {
    PUSHED(R.string.sync_count_pushed),
    ACCEPTED(R.string.sync_count_accepted),
    DUPLICATES(R.string.sync_count_duplicates),
    PULLED(R.string.sync_count_pulled),
    PULLED_NEW(R.string.sync_count_pulled_new),
    UPLOADED(R.string.sync_count_uploaded),
    DOWNLOADED(R.string.sync_count_downloaded),
}

/**
 * What the last sync did, as shown on the Sync screen. Display only; the core decides.
 * Counts are kept by [SyncCount], not by their words, so they show in the language of
 * the moment; [failure] is the sentence shown when the sync failed, and [reenrol] says
 * that enrolling again is the fix (the server no longer accepts this phone).
 */
data class LastSync(
    val atMs: Long,
    val failure: String? = null,
    val reenrol: Boolean = false,
    val counts: List<Pair<SyncCount, Long>> = emptyList(),
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

    /** Keeps [report]; refused records are worded now, in the language of this moment. */
    fun saveReport(report: SyncReport, res: Resources) = save(
        LastSync(
            atMs = System.currentTimeMillis(),
            counts = listOf(
                SyncCount.PUSHED to report.pushed.toLong(),
                SyncCount.ACCEPTED to report.accepted.toLong(),
                SyncCount.DUPLICATES to report.duplicates.toLong(),
                SyncCount.PULLED to report.pulled.toLong(),
                SyncCount.PULLED_NEW to report.pulledNew.toLong(),
                SyncCount.UPLOADED to report.uploadedBlobs.toLong(),
                SyncCount.DOWNLOADED to report.downloadedBlobs.toLong(),
            ),
            // Refused records stay on the phone; the user must see why they did not go.
            refused = (report.rejected + report.heldBack).map { it.toUserMessage().words(res) },
            problems = report.errors,
        ),
    )

    fun saveFailure(message: String, reenrol: Boolean) =
        save(LastSync(atMs = System.currentTimeMillis(), failure = message, reenrol = reenrol))

    private fun save(last: LastSync) {
        val json = JSONObject()
            .put("atMs", last.atMs)
            .put("failure", last.failure)
            .put("reenrol", last.reenrol)
            .put("counts", JSONObject().apply { last.counts.forEach { (k, v) -> put(k.name, v) } })
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
            reenrol = json.optBoolean("reenrol", false),
            // Keys are SyncCount names; a cache from an older app, keyed by English words,
            // shows no counts until the next sync rewrites it.
            counts = counts.keys().asSequence()
                .mapNotNull { key -> SyncCount.entries.find { it.name == key }?.let { it to counts.getLong(key) } }
                .toList(),
            refused = json.getJSONArray("refused").strings(),
            problems = json.getJSONArray("problems").strings(),
        )
    }

    private fun JSONArray.strings() = List(length()) { getString(it) }

    private companion object {
        const val KEY = "last"
    }
}
