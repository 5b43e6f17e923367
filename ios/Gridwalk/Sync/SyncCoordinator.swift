import BackgroundTasks
import Foundation
import GridwalkKit
import Network
import Observation

/// When and how sync runs, and what the Sync screen shows about it. Sync itself is the
/// core's: resumable, idempotent, safe to cut off at any byte, which is what lets iOS
/// suspend a background task half-way without losing or duplicating anything.
@MainActor @Observable
final class SyncCoordinator {
    static let refreshTask = "org.gridwalk.sync.refresh"
    static let processingTask = "org.gridwalk.sync.processing"

    let core: Core
    private(set) var profile: Profile?
    private(set) var pending: PendingSync?
    private(set) var progress: (phase: SyncPhase, done: UInt64, total: UInt64)?
    private(set) var isSyncing = false
    private(set) var last: LastSync? = LastSync.load()
    private(set) var error: String?

    private let monitor = NWPathMonitor()
    private var wasOnline = false

    init(core: Core) { self.core = core }

    func refresh() async {
        do {
            profile = try await core.profile()
            pending = try await core.pendingSync()
            error = nil
        } catch {
            self.error = userMessage(error)
        }
    }

    /// One sync now; a no-op until the phone is enrolled (there is no server yet).
    @discardableResult
    func syncNow() async -> Bool {
        guard (try? await core.profile()) != nil else { return true }
        isSyncing = true
        defer { isSyncing = false; progress = nil }
        do {
            let report = try await core.sync(listener: ProgressRelay { [weak self] phase, done, total in
                Task { @MainActor in self?.progress = (phase, done, total) }
            })
            last = LastSync(report: report)
        } catch {
            last = LastSync(failure: userMessage(error))
        }
        last?.save()
        await refresh()
        return last?.failure == nil
    }

    func enroll(serverUrl: String, code: String) async throws {
        let enrolment = try await core.enroll(serverUrl: serverUrl, code: code)
        profile = enrolment.person
        // Fetch this person's sites and templates straight away.
        Task { await syncNow() }
    }

    // Network: sync when the path comes back after being down.

    func startMonitoringNetwork() {
        monitor.pathUpdateHandler = { [weak self] path in
            Task { @MainActor in self?.pathChanged(online: path.status == .satisfied) }
        }
        monitor.start(queue: DispatchQueue(label: "org.gridwalk.network"))
    }

    private func pathChanged(online: Bool) {
        defer { wasOnline = online }
        if online && !wasOnline { Task { await syncNow() } }
    }

    // Background tasks: an app refresh (short, frequent) and a processing task (long,
    // needs a network) for photo uploads after a day offline.

    func registerBackgroundTasks() {
        for id in [Self.refreshTask, Self.processingTask] {
            BGTaskScheduler.shared.register(forTaskWithIdentifier: id, using: nil) { [weak self] task in
                Task { @MainActor in self?.run(task) }
            }
        }
        scheduleBackgroundTasks()
    }

    func scheduleBackgroundTasks() {
        let refresh = BGAppRefreshTaskRequest(identifier: Self.refreshTask)
        refresh.earliestBeginDate = Date(timeIntervalSinceNow: 60 * 60)
        let processing = BGProcessingTaskRequest(identifier: Self.processingTask)
        processing.requiresNetworkConnectivity = true
        processing.requiresExternalPower = false
        // Submitting again replaces the pending request of the same identifier.
        try? BGTaskScheduler.shared.submit(refresh)
        try? BGTaskScheduler.shared.submit(processing)
    }

    private func run(_ task: BGTask) {
        scheduleBackgroundTasks()
        let work = Task { await syncNow() }
        // Out of time: stop waiting. Whatever was sent stays sent; the rest goes next time.
        task.expirationHandler = { work.cancel() }
        Task { task.setTaskCompleted(success: await work.value) }
    }
}

/// Forwards the core's progress callbacks, which arrive on a core thread.
private final class ProgressRelay: SyncListener, @unchecked Sendable {
    private let forward: (SyncPhase, UInt64, UInt64) -> Void
    init(_ forward: @escaping (SyncPhase, UInt64, UInt64) -> Void) { self.forward = forward }
    func onProgress(phase: SyncPhase, done: UInt64, total: UInt64) { forward(phase, done, total) }
}
