// The Android app's string tables (res/values/strings.xml, English, and
// res/values-zh-rCN/strings.xml, Chinese), read as Android reads them, so the tests can
// put every UserMessage into words exactly as the app will.
package org.gridwalk.logic

import java.io.File
import java.util.Locale
import javax.xml.parsers.DocumentBuilderFactory
import org.w3c.dom.Element

class StringTable(file: File, private val locale: Locale) {
    private val strings: Map<String, String>

    init {
        val doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file)
        val nodes = doc.getElementsByTagName("string")
        strings = (0 until nodes.length).associate { i ->
            val e = nodes.item(i) as Element
            e.getAttribute("name") to unescape(e.textContent)
        }
    }

    /** Whether the table has [key]. */
    fun has(key: String) = key in strings

    /** How many `%n$…` placeholders the text of [key] has. */
    fun placeholders(key: String): Int =
        Regex("%(\\d+)\\$").findAll(strings.getValue(key)).map { it.groupValues[1] }.toSet().size

    /** [message] in words, with its arguments (nested messages worded first) and what follows. */
    fun render(message: UserMessage): String {
        val text = strings[message.key] ?: throw AssertionError("no string `${message.key}` in the $locale table")
        val wanted = placeholders(message.key)
        if (wanted != message.args.size) {
            throw AssertionError("`${message.key}` has $wanted placeholder(s), the message gives ${message.args.size}")
        }
        val args = message.args.map { if (it is UserMessage) render(it) else it.toString() }.toTypedArray()
        val sentence = String.format(locale, text, *args)
        return (listOf(sentence) + message.more.map(::render)).joinToString(" ")
    }

    private fun unescape(raw: String) = raw.trim().replace("\\'", "'").replace("\\\"", "\"").replace("\\n", "\n")
}
