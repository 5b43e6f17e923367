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

    /// Whether sync stopped on a problem only the user can fix; `reenrol` when enrolling
    /// again is the fix (the Sync screen offers it).
    private(set) var stopped: (message: String, reenrol: Bool)?

    /// One sync now; a no-op until the phone is enrolled with a server (a profile alone is
    /// not enrolment). What a failure means is the package's `decideAfter`: a passing one
    /// is retried by the next trigger; one only the user can fix stops background sync
    /// until they act (`stopped`).
    @discardableResult
    func syncNow() async -> Bool {
        guard (try? await core.enrolledServer()) != nil else { return true }
        isSyncing = true
        defer { isSyncing = false; progress = nil }
        do {
            let report = try await core.sync(listener: ProgressRelay { [weak self] phase, done, total in
                Task { @MainActor in self?.progress = (phase, done, total) }
            })
            last = LastSync(report: report)
            stopped = nil
        } catch {
            last = LastSync(failure: userMessage(error))
            if case let .stop(_, reenrol) = decideAfter(error) {
                stopped = (userMessage(error), reenrol)
            }
        }
        last?.save()
        await refresh()
        return last?.failure == nil
    }

    /// Background and network triggers skip sync while it is stopped; "sync now" and
    /// enrolment try again.
    func syncIfRunning() async -> Bool {
        if stopped != nil { return false }
        return await syncNow()
    }

    func enroll(serverUrl: String, code: String) async throws {
        let enrolment = try await core.enroll(serverUrl: serverUrl, code: code)
        profile = enrolment.person
        stopped = nil
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
        if online && !wasOnline { Task { await syncIfRunning() } }
    }

}

/// Background sync: an app refresh (short, frequent) and a processing task (long, needs a
/// network) for photo uploads after a day offline. Registered at launch, before the store
/// is open (BGTaskScheduler requires it); a task that fires before then, or after the
/// store failed to open, completes at once.
@MainActor
final class BackgroundSync {
    static let refreshTask = "org.gridwalk.sync.refresh"
    static let processingTask = "org.gridwalk.sync.processing"
    var coordinator: SyncCoordinator?

    func register() {
        for id in [Self.refreshTask, Self.processingTask] {
            BGTaskScheduler.shared.register(forTaskWithIdentifier: id, using: nil) { [weak self] task in
                Task { @MainActor in
                    if let self { self.run(task) } else { task.setTaskCompleted(success: false) }
                }
            }
        }
        schedule()
    }

    func schedule() {
        let refresh = BGAppRefreshTaskRequest(identifier: Self.refreshTask)
        refresh.earliestBeginDate = Date(timeIntervalSinceNow: 60 * 60)
        let processing = BGProcessingTaskRequest(identifier: Self.processingTask)
        processing.requiresNetworkConnectivity = true
        processing.requiresExternalPower = false
        // Submitting again replaces the pending request of the same identifier.
        try? BGTaskScheduler.shared.submit(refresh)
        try? BGTaskScheduler.shared.submit(processing)
    }

    /// Runs one sync for `task` and completes it exactly once: when the sync ends, or at
    /// once when iOS says time is up. uniffi's Swift `async` calls cannot be cancelled, so
    /// waiting for the sync after expiry would overrun and get the app killed; the sync
    /// itself carries on while the app lives, and whatever it sent stays sent (every step
    /// is idempotent), the rest goes next time.
    private func run(_ task: BGTask) {
        schedule()
        guard let coordinator else { task.setTaskCompleted(success: false); return }
        let completion = Completion(task)
        task.expirationHandler = { completion.finish(success: false) }
        Task { @MainActor in completion.finish(success: await coordinator.syncIfRunning()) }
    }
}

/// Completes a background task once, whichever of the sync and the expiry comes first.
private final class Completion: @unchecked Sendable {
    private let task: BGTask
    private let lock = NSLock()
    private var done = false

    init(_ task: BGTask) { self.task = task }

    func finish(success: Bool) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        task.setTaskCompleted(success: success)
    }
}

/// Forwards the core's progress callbacks, which arrive on a core thread.
private final class ProgressRelay: SyncListener, @unchecked Sendable {
    private let forward: (SyncPhase, UInt64, UInt64) -> Void
    init(_ forward: @escaping (SyncPhase, UInt64, UInt64) -> Void) { self.forward = forward }
    func onProgress(phase: SyncPhase, done: UInt64, total: UInt64) { forward(phase, done, total) }
}
