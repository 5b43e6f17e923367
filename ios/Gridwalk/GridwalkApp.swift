import SwiftUI

@main
struct GridwalkApp: App {
    @UIApplicationDelegateAdaptor(AppDelegate.self) private var delegate

    var body: some Scene {
        WindowGroup {
            if let sync = delegate.sync {
                // Screens reach the core through the coordinator: `sync.core`.
                ContentView().environment(sync)
            } else {
                // The store could not be opened (disk full, a newer schema): nothing to show.
                Text(delegate.openError ?? localized("app_starting")).padding()
            }
        }
    }
}

/// Opens the one store for the process and registers the background sync tasks, which
/// BGTaskScheduler requires before launch finishes.
final class AppDelegate: NSObject, UIApplicationDelegate {
    private(set) var sync: SyncCoordinator?
    private(set) var openError: String?

    func application(
        _ application: UIApplication,
        didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]? = nil
    ) -> Bool {
        do {
            let coordinator = SyncCoordinator(core: try Core())
            coordinator.registerBackgroundTasks()
            coordinator.startMonitoringNetwork()
            sync = coordinator
        } catch {
            openError = userMessage(error)
        }
        return true
    }
}
