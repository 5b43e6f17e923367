import GridwalkKit
import SwiftUI
import UIKit

@main
struct GridwalkApp: App {
    @UIApplicationDelegateAdaptor(AppDelegate.self) private var delegate

    var body: some Scene {
        WindowGroup {
            switch delegate.launch {
            case let .ready(sync):
                // Screens reach the core through the coordinator: `sync.core`.
                ContentView().environment(sync)
            case let .failed(problem, error):
                LaunchFailedView(problem: problem, detail: userMessage(error)) { delegate.open() }
            case .opening:
                ProgressView(localized("app_starting")).padding()
            }
        }
    }
}

/// Where opening the store stands.
enum Launch {
    case opening
    case ready(SyncCoordinator)
    case failed(OpenProblem, Error)
}

/// Registers the background sync tasks (BGTaskScheduler requires it before launch
/// finishes) and opens the one store for the process off the main thread: a full disk or
/// a store from a newer app shows what to do instead of freezing or crashing the launch.
@Observable
final class AppDelegate: NSObject, UIApplicationDelegate {
    private(set) var launch = Launch.opening
    private let background = BackgroundSync()

    func application(
        _ application: UIApplication,
        didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]? = nil
    ) -> Bool {
        background.register()
        open()
        return true
    }

    /// Opens the store (again, after the user fixed what stopped it).
    @MainActor
    func open() {
        launch = .opening
        Task { @MainActor in
            do {
                let coordinator = SyncCoordinator(core: try await Core.open())
                coordinator.startMonitoringNetwork()
                background.coordinator = coordinator
                launch = .ready(coordinator)
            } catch {
                launch = .failed(openProblem(error), error)
            }
        }
    }
}

/// The store could not be opened: what happened, what to do, the core's detail, a retry.
/// The damaged store is never deleted from here: it is evidence to recover.
struct LaunchFailedView: View {
    let problem: OpenProblem
    let detail: String
    let retry: () -> Void

    var body: some View {
        VStack(spacing: 16) {
            Text(localized("launch_failed_title")).font(.title2)
            Text(advice)
            Text(verbatim: detail).font(.footnote)
            Button(localized("launch_retry"), action: retry)
        }
        .padding()
    }

    private var advice: String {
        switch problem {
        case .freeSpace: localized("launch_free_space")
        case .updateApp: localized("launch_update_app")
        case .damaged: localized("launch_damaged")
        case .keychain: localized("launch_keychain")
        case .other: localized("launch_other")
        }
    }
}
