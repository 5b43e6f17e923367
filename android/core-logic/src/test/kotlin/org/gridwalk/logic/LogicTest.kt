// The shell's logic (android/core-logic) on the JVM against the real generated bindings,
// the real Rust library and real store files, JPEGs and string tables. Run by
// bindings/tests/android_logic.rs: args are a scratch folder and the repository root.
package org.gridwalk.logic

import java.awt.Color
import java.awt.image.BufferedImage
import java.io.File
import java.security.KeyPairGenerator
import java.security.SecureRandom
import java.security.Signature
import java.security.spec.ECGenParameterSpec
import java.util.Locale
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.spec.GCMParameterSpec
import javax.imageio.ImageIO
import kotlinx.coroutines.runBlocking
import org.gridwalk.core.*
import org.gridwalk.ffi.*
import org.gridwalk.model.*

/** A software P-256 signer with the contract of the phones' keystore signers. */
private class SoftwareSigner : DeviceSigner {
    private val pair = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()
    override fun sign(message: ByteArray): ByteArray =
        Signature.getInstance("SHA256withECDSA").run { initSign(pair.private); update(message); sign() }
    override fun publicKey(): ByteArray = sec1FromX509(pair.public.encoded)
}

/** A JDK AES-GCM key standing where the AndroidKeyStore key stands on a phone. */
private class JdkKeyWrapper : KeyWrapper {
    private val key = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
    override fun wrap(key: ByteArray): Pair<ByteArray, ByteArray> {
        val cipher = Cipher.getInstance("AES/GCM/NoPadding").apply { init(Cipher.ENCRYPT_MODE, this@JdkKeyWrapper.key) }
        return cipher.iv to cipher.doFinal(key)
    }
    override fun unwrap(iv: ByteArray, sealed: ByteArray): ByteArray =
        Cipher.getInstance("AES/GCM/NoPadding").apply { init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(128, iv)) }.doFinal(sealed)
}

/**
 * An empty plain SQLite database of one 4096-byte page whose `user_version` is
 * [userVersion], written byte by byte (the JVM has no SQLite): the 100-byte header of the
 * file format, then page 1 as an empty table b-tree leaf.
 */
private fun plainSqliteFile(file: File, userVersion: Int) {
    val page = java.nio.ByteBuffer.allocate(4096)
    page.put("SQLite format 3\u0000".toByteArray(Charsets.US_ASCII))
    page.putShort(16, 4096.toShort()) // page size
    page.put(18, 1); page.put(19, 1) // legacy file format versions
    page.put(21, 64); page.put(22, 32); page.put(23, 32) // payload fractions, fixed
    page.putInt(24, 1) // change counter
    page.putInt(28, 1) // pages in the file
    page.putInt(44, 4) // schema format
    page.putInt(56, 1) // UTF-8
    page.putInt(60, userVersion)
    page.putInt(92, 1) // version-valid-for, equal to the change counter
    page.putInt(96, 3_046_000) // the SQLite version that wrote it
    page.put(100, 0x0D) // page 1: a table b-tree leaf with no cells
    page.putShort(105, 4096.toShort()) // cell content area starts at the page's end (4096 is stored as 0x1000)
    file.writeBytes(page.array())
}

/** A camera-sized JPEG with some structure. */
private fun cameraJpeg(file: File, seed: Int) {
    val image = BufferedImage(1600, 1200, BufferedImage.TYPE_INT_RGB)
    val g = image.createGraphics()
    for (i in 0 until 30) {
        g.color = Color((i * 37 + seed) % 256, (i * 91) % 256, (i * 53 + seed * 7) % 256)
        g.fillRect((i * 97) % 1600, (i * 61) % 1200, 320, 170)
    }
    g.dispose()
    check(ImageIO.write(image, "jpg", file)) { "no JPEG writer" }
}

/** A shot through the capture bookkeeping, as the camera screen takes it. */
private fun shoot(captures: PendingCaptures, owner: CaptureOwner, seed: Int): File {
    val part = captures.reserve(owner)
    cameraJpeg(part, seed)
    // ImageIO picks the format by name, not extension; the part file holds a JPEG.
    return captures.keep(part)
}

private fun isJpeg(bytes: ByteArray) = bytes.size > 2 && bytes[0] == 0xFF.toByte() && bytes[1] == 0xD8.toByte()

private fun hasChinese(text: String) = text.any { it in '\u4e00'..'\u9fff' }

/** One of every GridwalkException variant; the exhaustive `when` breaks when one is added. */
private val everyError: List<GridwalkException> = listOf(
    GridwalkException.InvalidInput("bad"),
    GridwalkException.NotFound("site", "S9"),
    GridwalkException.IncompleteInspection(listOf("F1"), listOf("F2")),
    GridwalkException.ActionRefused(Rule.CLOSE_AFTER_VERIFY, "detail"),
    GridwalkException.NoProfile(),
    GridwalkException.Conflict("submitted"),
    GridwalkException.NotEnrolled(),
    GridwalkException.Unauthorised("token revoked"),
    GridwalkException.Network("connection refused"),
    GridwalkException.Storage("disk full"),
    GridwalkException.Corrupt("not a database"),
    GridwalkException.ServerMalformed("bad json"),
    GridwalkException.Internal("bug"),
    GridwalkException.WrongKey("/data/device.db"),
    GridwalkException.SignerUnavailable("the keystore is locked"),
    GridwalkException.LowStorage(150_000_000uL, 200_000_000uL),
    GridwalkException.PhotoNotHeld("ab".repeat(32)),
)

private fun variant(e: GridwalkException): String = when (e) {
    is GridwalkException.InvalidInput -> "InvalidInput"
    is GridwalkException.NotFound -> "NotFound"
    is GridwalkException.IncompleteInspection -> "IncompleteInspection"
    is GridwalkException.ActionRefused -> "ActionRefused"
    is GridwalkException.NoProfile -> "NoProfile"
    is GridwalkException.Conflict -> "Conflict"
    is GridwalkException.NotEnrolled -> "NotEnrolled"
    is GridwalkException.Unauthorised -> "Unauthorised"
    is GridwalkException.Network -> "Network"
    is GridwalkException.Storage -> "Storage"
    is GridwalkException.Corrupt -> "Corrupt"
    is GridwalkException.ServerMalformed -> "ServerMalformed"
    is GridwalkException.Internal -> "Internal"
    is GridwalkException.WrongKey -> "WrongKey"
    is GridwalkException.SignerUnavailable -> "SignerUnavailable"
    is GridwalkException.LowStorage -> "LowStorage"
    is GridwalkException.PhotoNotHeld -> "PhotoNotHeld"
}

fun main(args: Array<String>) {
    val c = Check()
    val dir = File(args[0]).apply { mkdirs() }
    val repoRoot = File(args[1])
    val res = repoRoot.resolve("android/app/src/main/res")
    val english = StringTable(res.resolve("values/strings.xml"), Locale.ENGLISH)
    val chinese = StringTable(res.resolve("values-zh-rCN/strings.xml"), Locale.SIMPLIFIED_CHINESE)
    val appSources = repoRoot.resolve("android/app/src/main/java/org/gridwalk/app")
    val key = ByteArray(STORE_KEY_BYTES).also(SecureRandom()::nextBytes)
    val signer = SoftwareSigner()

    // Messages ---------------------------------------------------------------------------

    val samples: List<UserMessage> = everyError.map { it.toUserMessage() } + listOf(
        SiteNotOnPhone("S9").toUserMessage(),
        SignerException.Unavailable("locked").toUserMessage(),
        StoreKeyUnavailable("gone").toUserMessage(),
        IllegalStateException("camera busy").toUserMessage(),
    ) + listOf("invalid", "forbidden", "conflict", "bad_signature").map {
        RejectedItem("rec-1", "hazard-event", it, "the server said no", 1u).toUserMessage()
    }

    c.test("every GridwalkException variant is covered by the samples") {
        val declared = GridwalkException::class.java.declaredClasses.filter { GridwalkException::class.java.isAssignableFrom(it) }
        assertEq(declared.map { it.simpleName }.toSet(), everyError.map(::variant).toSet(), "variants")
    }

    c.test("every error is a sentence in Chinese and in English, from the app's string tables") {
        for (m in samples) {
            val zh = chinese.render(m)
            val en = english.render(m)
            assertTrue(hasChinese(zh)) { "${m.key} is not Chinese: $zh" }
            assertTrue(!hasChinese(en) && en.isNotBlank()) { "${m.key} is not English: $en" }
            for (raw in listOf("NotEnrolled", "GridwalkException", "reason=")) {
                assertTrue(raw !in zh && raw !in en) { "${m.key} shows the identifier $raw: $en" }
            }
        }
        val incomplete = english.render(GridwalkException.IncompleteInspection(listOf("F1"), listOf("F2")).toUserMessage())
        assertTrue("F1" in incomplete && "F2" in incomplete) { incomplete }
    }

    c.test("every workflow rule is a sentence, never its identifier") {
        for (rule in Rule.entries) {
            val m = GridwalkException.ActionRefused(rule, "x").toUserMessage()
            val zh = chinese.render(m)
            val en = english.render(m)
            assertTrue(hasChinese(zh)) { "$rule: $zh" }
            assertTrue(rule.name.lowercase() !in en && rule.name !in en) { "$rule: $en" }
        }
    }

    c.test("a rule named in a server refusal becomes its sentence") {
        val m = RejectedItem("rec-7", "hazard-event", "invalid", "refused by rule close_after_verify: no note", 2u).toUserMessage()
        val en = english.render(m)
        assertTrue("rec-7" in en) { en }
        assertTrue(en.contains(english.render(UserMessage.RuleText(Rule.CLOSE_AFTER_VERIFY)))) { en }
    }

    c.test("the Android renderer and labels use the same keys as the plain module") {
        val renderer = appSources.resolve("data/UserMessages.kt").readText()
        val byClass = samples.flatMap { listOf(it) + it.args.filterIsInstance<UserMessage>() + it.more }.distinctBy { it.javaClass }
        for (m in byClass) {
            val name = m.javaClass.simpleName
            val line = renderer.lines().firstOrNull { Regex("(is )?UserMessage\\.$name\\b.*->").containsMatchIn(it) }
                ?: throw AssertionError("UserMessages.kt has no branch for UserMessage.$name")
            if (m !is UserMessage.RuleText) {
                assertTrue("R.string.${m.key}" in line) { "UserMessage.$name: expected R.string.${m.key} in `$line`" }
            }
        }
        val labels = appSources.resolve("data/Labels.kt").readText()
        for (rule in Rule.entries) {
            assertTrue(labels.contains("Rule.${rule.name} -> R.string.${UserMessage.ruleKey(rule)}")) { "Labels.kt: $rule" }
        }
    }

    // Keys -------------------------------------------------------------------------------

    c.test("a P-256 public key's X.509 encoding gives its 65-byte SEC1 point; anything else is refused") {
        val point = signer.publicKey()
        assertEq(65, point.size, "length")
        assertEq(0x04.toByte(), point[0], "uncompressed")
        val rsa = KeyPairGenerator.getInstance("RSA").apply { initialize(1024) }.generateKeyPair().public.encoded
        var refused = false
        try { sec1FromX509(rsa) } catch (e: SignerException.Unavailable) { refused = true }
        assertTrue(refused) { "an RSA key was accepted" }
    }

    c.test("the store key is made once, read back the same, and a damaged file is an error, never a new key") {
        val wrapper = JdkKeyWrapper()
        val file = dir.resolve("store.key")
        val first = StoreKeyFile(file, wrapper).getOrCreate()
        assertEq(STORE_KEY_BYTES, first.size, "size")
        assertTrue(first.contentEquals(StoreKeyFile(file, wrapper).getOrCreate())) { "a second read differs" }
        val bytes = file.readBytes()
        bytes[bytes.size - 1] = (bytes[bytes.size - 1].toInt() xor 1).toByte()
        file.writeBytes(bytes)
        var failed = false
        try { StoreKeyFile(file, wrapper).getOrCreate() } catch (e: StoreKeyUnavailable) { failed = true }
        assertTrue(failed) { "a tampered key file was accepted" }
        assertTrue(file.readBytes().contentEquals(bytes)) { "the damaged file was replaced" }
    }

    // Launch -----------------------------------------------------------------------------

    val storePath = dir.resolve("device.db").path
    c.test("the store opens off the calling thread and a failure is a state, never a crash") { runBlocking {
        val caller = Thread.currentThread()
        var openedOn: Thread? = null
        val ready = openInBackground { openedOn = Thread.currentThread(); openStore(storePath, key, signer) }
        assertTrue(ready is LaunchState.Ready) { "$ready" }
        assertTrue(openedOn != caller) { "opened on the calling thread" }

        val missingLibrary = openInBackground { throw UnsatisfiedLinkError("libgridwalk_ffi.so") }
        assertTrue(missingLibrary is LaunchState.Failed && missingLibrary.problem == OpenProblem.OTHER) { "$missingLibrary" }

        val shortKey = openInBackground { openStore(storePath, ByteArray(16), signer) }
        assertTrue(shortKey is LaunchState.Failed && shortKey.problem == OpenProblem.KEYSTORE) { "$shortKey" }

        val blocker = dir.resolve("not-a-folder").apply { writeText("x") }
        val unwritable = openInBackground { openStore(blocker.resolve("device.db").path, key, signer) }
        assertTrue(unwritable is LaunchState.Failed && unwritable.problem == OpenProblem.FREE_SPACE) { "$unwritable" }

        // A store from a newer app: its schema version (SQLite's user_version, bytes 60..63
        // of the header) ahead of this build's. An encrypted store's header cannot be
        // edited, so this is a plain one (as an app before encryption left it), which the
        // core encrypts in place on first open and then refuses as newer.
        val newer = dir.resolve("newer.db")
        plainSqliteFile(newer, userVersion = 9999)
        val tooNew = openInBackground { openStore(newer.path, key, signer) }
        assertTrue(tooNew is LaunchState.Failed && tooNew.problem == OpenProblem.UPDATE_APP) { "$tooNew ${(tooNew as? LaunchState.Failed)?.error}" }

        val garbage = dir.resolve("garbage.db").apply { writeBytes(ByteArray(8192) { 7 }) }
        val damaged = openInBackground { openStore(garbage.path, key, signer) }
        // SQLCipher cannot tell a damaged file from one under another key: both are
        // `WrongKey`, a keystore problem for the user, and the file is kept either way.
        assertTrue(damaged is LaunchState.Failed && damaged.problem == OpenProblem.KEYSTORE) { "$damaged ${(damaged as? LaunchState.Failed)?.error}" }
        assertEq(8192L, garbage.length(), "the damaged file is kept as it was")
    } }

    val repo = runBlocking { (openInBackground { openStore(storePath, key, signer) } as LaunchState.Ready).repository }
    val store = GridwalkStore.open(storePath, key, signer)
    dir.resolve("units.csv").writeText(
        "id,name,level,parent\nG1,Grid 1,grid,C1\nC1,Hongxing,community,ST1\nST1,Chunxi street,street,D1\nD1,Jinjiang district,district,\n",
    )
    dir.resolve("sites.csv").writeText("id,name,kind,unit,address,lat,lon\nS1,Jinjiang Garden,residential,G1,12 Hongxing Rd,30.65,104.08\n")
    store.importUnitsCsv(dir.resolve("units.csv").path)
    store.importSitesCsv(dir.resolve("sites.csv").path)

    // Sync decisions ---------------------------------------------------------------------

    c.test("sync decisions: retry passing problems, stop and offer enrolment, surface storage") {
        assertTrue(decideAfter(GridwalkException.Network("x")) is SyncDecision.RetryLater) { "network" }
        assertTrue(decideAfter(GridwalkException.ServerMalformed("x")) is SyncDecision.RetryLater) { "malformed" }
        for (e in listOf(GridwalkException.NotEnrolled(), GridwalkException.Unauthorised("revoked"))) {
            val d = decideAfter(e)
            assertTrue(d is SyncDecision.Stop && d.reenrol) { "$e: $d" }
        }
        for (e in listOf(GridwalkException.Storage("full"), GridwalkException.Corrupt("bad"), GridwalkException.Internal("bug"))) {
            val d = decideAfter(e)
            assertTrue(d is SyncDecision.Stop && !d.reenrol) { "$e: $d" }
        }
        // Every variant has a decision that is not "retry forever" unless it is passing.
        val retried = everyError.filter { decideAfter(it) is SyncDecision.RetryLater }.map(::variant).toSet()
        assertEq(setOf("Network", "ServerMalformed"), retried, "variants retried")
    }

    c.test("enrolled means enrolled: a profile alone does not start a sync; an unreachable server retries") { runBlocking {
        store.setProfile(Profile("Li Wei", Role.GRID_WORKER, "G1", null))
        assertTrue(syncOnce(repo, null) is SyncDecision.NotEnrolled) { "synced with a profile but no enrolment" }
        // A real connection refused on 127.0.0.1 (a port nobody listens on).
        val port = java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()).use { it.localPort }
        val error = try { repo.enroll("http://127.0.0.1:$port", "CODE"); null } catch (e: GridwalkException) { e }
        assertTrue(error is GridwalkException.Network) { "$error" }
        assertTrue(decideAfter(error!!) is SyncDecision.RetryLater) { "not retried" }
    } }

    // Pending captures -------------------------------------------------------------------

    val captures = PendingCaptures(dir.resolve("pending-captures"))

    c.test("captures wait on disk in capture order, survive a new screen, and partial writes are swept") {
        val owner = CaptureOwner.Answer("insp-1", "F/1 ~x")
        val a = shoot(captures, owner, 1)
        val b = shoot(captures, owner, 2)
        val part = captures.reserve(owner).apply { writeText("half a jpeg") }
        // A new instance over the same folder: what a restarted process sees.
        val again = PendingCaptures(dir.resolve("pending-captures"))
        assertEq(listOf(a, b), again.pending(owner), "pending after restart")
        // Another owner's files are another folder's.
        assertEq(emptyList<File>(), again.pending(CaptureOwner.Answer("insp-1", "F/1")), "other owner")
        assertEq(1, again.sweepPartials(), "partials swept")
        assertTrue(!part.exists()) { "partial left" }
        assertEq(listOf(a, b), again.pending(owner), "kept files untouched by the sweep")
        // Only the owner's own files are removed through it.
        val outsider = dir.resolve("outsider.jpg").apply { writeText("x") }
        again.discard(owner, listOf(outsider, a))
        assertTrue(outsider.exists() && !a.exists()) { "discard crossed owners" }
        again.discard(owner)
        assertEq(emptyList<File>(), again.pending(owner), "after cancel")
    }

    // Screens over a real store -----------------------------------------------------------

    var inspectionId = ""
    c.test("an answer's photos stay until the core has them; a bad one keeps all and says why") { runBlocking {
        val sites = SitesModel(repo, this)
        sites.refresh().join()
        sites.scanned("NOPE") {}
        assertTrue(sites.ui.value.error is SiteNotOnPhone) { "${sites.ui.value.error}" }
        var opened = ""
        sites.open("S1") { opened = it }.join()
        inspectionId = opened
        val model = ChecklistModel(repo, captures, opened, this)
        model.refresh().join()
        val entries = model.ui.value.checklist!!.categories.flatMap { it.entries }
        val hazardItem = entries.first().item.code
        val owner = CaptureOwner.Answer(opened, hazardItem)

        val good = shoot(captures, owner, 3)
        val bad = captures.keep(captures.reserve(owner).apply { writeText("not a jpeg") })
        model.answer(hazardItem, Outcome.HAZARD, "blocked exit").join()
        assertTrue(model.ui.value.error is GridwalkException.InvalidInput) { "${model.ui.value.error}" }
        assertEq(listOf(good, bad), model.pendingPhotos(hazardItem), "nothing deleted after a refusal")

        captures.discard(owner, listOf(bad))
        model.dismissError()
        var saved = false
        model.answer(hazardItem, Outcome.HAZARD, "blocked exit") { saved = true }.join()
        assertTrue(saved && model.ui.value.error == null) { "${model.ui.value.error}" }
        assertEq(emptyList<File>(), model.pendingPhotos(hazardItem), "deleted once ingested")
        val answer = model.ui.value.checklist!!.categories.flatMap { it.entries }.first { it.item.code == hazardItem }.answer!!
        assertEq(1, answer.photos.size, "photos on the answer")
        val shown = model.ui.value.checklist!!.categories.flatMap { it.entries }.first { it.item.code == hazardItem }.photos
        assertEq(listOf(PhotoView(answer.photos[0], PhotoState.HELD)), shown, "the answer's photo, held")
        val thumbnail = repo.bytes(photoTile(shown[0], PhotoSize.THUMBNAIL))!!
        val full = repo.bytes(photoTile(shown[0], PhotoSize.FULL))!!
        assertTrue(isJpeg(thumbnail) && isJpeg(full) && thumbnail.size < full.size) { "thumbnail ${thumbnail.size}, full ${full.size}" }

        // A second photo added later, then a cancelled one.
        shoot(captures, owner, 4)
        model.addPhotos(hazardItem).join()
        shoot(captures, owner, 5)
        model.cancel(hazardItem)
        assertEq(emptyList<File>(), model.pendingPhotos(hazardItem), "cancelled photo deleted")
        val after = model.ui.value.checklist!!.categories.flatMap { it.entries }.first { it.item.code == hazardItem }.answer!!
        assertEq(2, after.photos.size, "photos after adding one")

        for (entry in entries.drop(1)) model.answer(entry.item.code, Outcome.OK, null).join()
        var submitted = false
        model.submit { submitted = true }.join()
        assertTrue(submitted && !model.ui.value.editable) { "${model.ui.value}" }
    } }

    c.test("photo tiles: the size asked when held, the thumbnail badged pending, a badged placeholder when not here") { runBlocking {
        val photo = dir.resolve("check.jpg").also { cameraJpeg(it, 9) }
        val sha = store.ingestPhoto(photo.path).sha256
        val held = photoTile(PhotoView(sha, PhotoState.HELD), PhotoSize.FULL)
        assertEq(PhotoTile(sha, PhotoSize.FULL, pending = false), held, "held, opened")
        assertEq(PhotoSize.THUMBNAIL, photoTile(PhotoView(sha, PhotoState.HELD), PhotoSize.THUMBNAIL).load, "held, listed")
        assertEq(PhotoTile(sha, PhotoSize.THUMBNAIL, pending = true), photoTile(PhotoView(sha, PhotoState.THUMBNAIL_ONLY), PhotoSize.FULL), "thumbnail only, opened")
        assertEq(PhotoTile(sha, null, pending = true), photoTile(PhotoView(sha, PhotoState.NOT_HELD), PhotoSize.THUMBNAIL), "not here")
        assertTrue(isJpeg(repo.bytes(held)!!)) { "a held photo's bytes" }
        // A photo this phone has never seen: the core says PhotoNotHeld, the tile stays empty.
        val stranger = "ab".repeat(32)
        assertEq(null, repo.bytes(PhotoTile(stranger, PhotoSize.THUMBNAIL, pending = true)), "not held")
        assertEq(null, repo.bytes(photoTile(PhotoView(stranger, PhotoState.NOT_HELD), PhotoSize.FULL)), "nothing to load")
        val e = try {
            store.photoBytes(stranger, PhotoSize.FULL)
            null
        } catch (e: GridwalkException.PhotoNotHeld) {
            e
        }
        assertEq(stranger, e?.sha256, "PhotoNotHeld names the photo")
        // The badge's words, in both string tables.
        for ((folder, words) in listOf("values" to "Full photo pending", "values-zh-rCN" to "原图上传中")) {
            val table = repoRoot.resolve("android/app/src/main/res/$folder/strings.xml").readText()
            assertTrue(table.contains("<string name=\"$PHOTO_PENDING_KEY\">$words</string>")) { "$folder lacks $PHOTO_PENDING_KEY" }
        }
    } }

    var caseId = ""
    c.test("cases filter by status; a case's departments are its template's; a re-inspection is linked by verify") { runBlocking {
        val cases = CasesModel(repo, this)
        cases.refresh().join()
        assertEq(1, cases.ui.value.cases.size, "open cases")
        caseId = cases.ui.value.cases.single().caseId
        cases.setStatus(Status.CLOSED).join()
        assertEq(0, cases.ui.value.cases.size, "closed cases")
        cases.setStatus(Status.REPORTED).join()
        assertEq(1, cases.ui.value.cases.size, "reported cases")

        val detail = CaseDetailModel(repo, captures, caseId, this)
        detail.refresh().join()
        val template = store.template(store.inspection(inspectionId).templateId, null)
        assertEq(template.departments, detail.ui.value.departments, "departments")
        assertTrue(detail.ui.value.departments.isNotEmpty()) { "no departments" }

        var started = ""
        detail.startReinspection { started = it }.join()
        assertEq(InspectionKind.REINSPECTION, store.inspection(started).kind, "kind")
        detail.refresh().join()
        assertEq(listOf(started), detail.ui.value.reinspections.map { it.id }, "re-inspections of the site")
        val verified = CaseAction(EventKind.VERIFIED, passed = true).payload("fixed", null, emptyList(), started)
        assertEq(started, (verified as Payload.Verified).inspectionId, "verify names the re-inspection")

        // A comment the grid worker may make; its dialog's photos go once recorded.
        shoot(captures, CaptureOwner.Case(caseId), 6)
        val comment = detail.ui.value.actions.first { it.kind == EventKind.COMMENT }
        var done = false
        detail.act(comment, "checked again", null, null) { done = true }.join()
        assertTrue(done && detail.ui.value.error == null) { "${detail.ui.value.error}" }
        assertEq(emptyList<File>(), detail.pendingPhotos(), "photos after the action")
    } }

    c.test("opening a case from a public report: refused for a grid worker by rule, recorded for community staff") { runBlocking {
        val form = OpenCaseModel(repo, captures, this)
        val template = repo.templates().first()
        val category = template.categories.first().code
        shoot(captures, CaptureOwner.NewCase, 7)
        form.submit(ReportSource.Resident, category, null, Severity.HIGH, "S1", null, "resident: blocked stairwell").join()
        val refused = form.ui.value.error
        assertTrue(refused is GridwalkException.ActionRefused && refused.rule == Rule.PUBLIC_REPORTS_BY_COMMUNITY_STAFF) { "$refused" }
        assertEq(1, form.pendingPhotos().size, "photo kept after the refusal")

        store.setProfile(Profile("Wang Fang", Role.COMMUNITY_STAFF, "C1", null))
        var opened = ""
        form.submit(ReportSource.Hotline, category, null, Severity.HIGH, "S1", null, "hotline: blocked stairwell") { opened = it }.join()
        assertTrue(opened.isNotEmpty()) { "${form.ui.value.error}" }
        val view = store.hazardCase(opened)
        assertEq(ReportSource.Hotline, view.state.report!!.source, "source")
        assertEq("G1", view.state.report!!.unit, "unit from the site")
        assertEq(1, view.state.report!!.photos.size, "photo")
        assertEq(0, form.pendingPhotos().size, "photo deleted once recorded")
    } }

    c.test("the campaign report, and submitted inspections listed and opened read-only") { runBlocking {
        val report = ReportModel(repo, this) { System.currentTimeMillis() }
        report.refresh().join()
        assertEq(2u, report.ui.value.report!!.total.found, "found")
        val submitted = SubmittedModel(repo, this)
        submitted.refresh().join()
        assertEq(listOf(inspectionId), submitted.ui.value.inspections.map { it.id }, "submitted")
        // Opened, it is the checklist, read-only.
        val readOnly = ChecklistModel(repo, captures, inspectionId, this)
        readOnly.refresh().join()
        assertEq(InspectionStatus.SUBMITTED, readOnly.ui.value.checklist!!.status, "status")
        assertTrue(!readOnly.ui.value.editable) { "a submitted inspection is editable" }
    } }

    c.finish()
}
