import Foundation
import GridwalkKit

/// The shell's only door to the core: forwards calls off the main thread and decides
/// nothing. Store calls are short and synchronous (docs/adr/0002); sync and enrolment are
/// the core's own `async` functions.
actor Core {
    private let store: GridwalkStore
    /// Made from `store`: sync works on the same connection, one short step at a time.
    private let syncHandle: GridwalkSync
    private var runningSync: Task<SyncReport, Error>?

    /// Camera files waiting for the core, beside the store (persistent, not backed up).
    nonisolated let captures: PendingCaptures

    private init(store: GridwalkStore, captures: PendingCaptures) {
        self.store = store
        self.captures = captures
        syncHandle = GridwalkSync(store: store)
    }

    /// Opens the device's one store in Application Support — kept by the system, never
    /// evicted like Caches, and excluded from backup so a restored phone never shares this
    /// one's device id and outbox — off the main thread (loading, SQLite, migrations and
    /// the keychain can take long enough to freeze a launch). Throws what `openProblem`
    /// turns into the launch screen's advice.
    static func open() async throws -> Core {
        try await Task.detached(priority: .userInitiated) {
            var folder = try FileManager.default.url(
                for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
            var values = URLResourceValues()
            values.isExcludedFromBackup = true
            try folder.setResourceValues(values)
            let storePath = folder.appendingPathComponent("gridwalk.sqlite").path
            let store = try openStore(path: storePath, key: try StoreKeychain.storeKey(), signer: try KeychainSigner())
            let captures = PendingCaptures(root: folder.appendingPathComponent("pending-captures", isDirectory: true))
            return Core(store: store, captures: captures)
        }.value
    }

    // Reference data and profile

    func profile() throws -> Profile? { try store.profile() }
    func sites() throws -> [Site] { try store.listSites() }
    func units() throws -> [OrgUnit] { try store.listUnits() }

    /// The newest version of every checklist template on the phone.
    func templates() throws -> [Template] {
        try Set(store.listTemplates().map(\.id)).sorted().map { try store.template(id: $0, version: nil) }
    }

    /// Opens a case from a resident, hotline or online report; returns the new case's id.
    func openCase(_ report: HazardReport) throws -> String { try store.openCase(report: report).caseId }

    /// The departments a case may be assigned to: those of the template its inspection
    /// was made with; for a public report, the newest template holding its category.
    func departments(for state: CaseState) throws -> [Department] {
        guard let report = state.report else { return [] }
        if case let .inspection(inspectionId, _) = report.source,
           let inspection = try? store.inspection(inspectionId: inspectionId) {
            return try store.template(id: inspection.templateId, version: inspection.templateVersion).departments
        }
        for id in Set(try store.listTemplates().map(\.id)) {
            let template = try store.template(id: id, version: nil)
            if template.categories.contains(where: { $0.code == report.category }) { return template.departments }
        }
        return []
    }

    // Inspections

    func drafts(inspector: String) throws -> [InspectionSummary] {
        try store.listInspections(inspector: inspector, status: .draft)
    }

    func startInspection(siteId: String, kind: InspectionKind, inspector: String) throws -> String {
        try store.startInspection(siteId: siteId, kind: kind, inspector: inspector)
    }

    /// Submitted inspections on this phone, this person's and those pulled, newest first.
    func submitted() throws -> [InspectionSummary] { try store.listInspections(inspector: nil, status: .submitted) }

    /// Re-inspections of `siteId` by `inspector`, newest first: those a verification can name.
    func reinspections(siteId: String, inspector: String) throws -> [InspectionSummary] {
        try store.listInspections(inspector: inspector, status: nil).filter { $0.kind == .reinspection && $0.siteId == siteId }
    }

    func checklist(_ inspectionId: String) throws -> Checklist { try store.checklist(inspectionId: inspectionId) }

    /// Answers an item; JPEG files, when given, are ingested and attached by the core.
    func answer(_ inspectionId: String, item: String, outcome: Outcome, note: String?, photoPaths: [String]) throws {
        if photoPaths.isEmpty {
            try store.answer(inspectionId: inspectionId, item: item, outcome: outcome, note: note)
        } else {
            try store.answerWithPhotos(
                inspectionId: inspectionId, item: item, outcome: outcome, note: note, photoPaths: photoPaths)
        }
    }

    func addPhoto(_ inspectionId: String, item: String, photoPath: String) throws {
        let photo = try store.ingestPhoto(path: photoPath)
        try store.attachPhoto(inspectionId: inspectionId, item: item, sha256: photo.sha256)
    }

    func submit(_ inspectionId: String) throws { try store.submit(inspectionId: inspectionId) }

    // Hazard cases

    func cases(_ filter: CaseFilter) throws -> [CaseSummary] { try store.listCases(filter: filter) }
    func hazardCase(_ caseId: String) throws -> CaseView { try store.hazardCase(caseId: caseId) }
    func act(_ caseId: String, _ payload: Payload) throws -> Event { try store.act(caseId: caseId, payload: payload) }

    /// The campaign report over the cases on this phone, as of `asOfMs`.
    func campaignReport(asOfMs: Int64) throws -> CampaignReport { try store.campaignReport(asOfMs: asOfMs) }

    /// Ingests JPEG files (rectification evidence); returns their hashes in order.
    /// The JPEG bytes `tile` shows, from the core (sealed photos included); `nil` when the
    /// tile loads nothing or the photo has not reached this phone (`PhotoNotHeld`).
    func photoBytes(_ tile: PhotoTile) throws -> Data? {
        guard let size = tile.load else { return nil }
        do {
            return try store.photoBytes(sha256: tile.sha256, size: size)
        } catch GridwalkError.PhotoNotHeld {
            return nil
        }
    }

    func ingest(_ photoPaths: [String]) throws -> [String] {
        try photoPaths.map { try store.ingestPhoto(path: $0).sha256 }
    }

    // Sync

    func pendingSync() throws -> PendingSync { try store.pendingSync() }

    /// The server this phone is enrolled with: enrolled means this, not "has a profile".
    func enrolledServer() throws -> String? { try syncHandle.enrolledServer() }

    func enroll(serverUrl: String, code: String) async throws -> Enrolment {
        try await syncHandle.enroll(serverUrl: serverUrl, code: code)
    }

    /// One sync. A second request while one runs joins it instead of starting another,
    /// so the background task, the network monitor and "sync now" never overlap.
    func sync(listener: SyncListener?) async throws -> SyncReport {
        if let runningSync { return try await runningSync.value }
        let handle = syncHandle
        let task = Task { try await handle.sync(listener: listener) }
        runningSync = task
        defer { runningSync = nil }
        return try await task.value
    }
}
