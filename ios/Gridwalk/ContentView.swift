import SwiftUI

/// The screen map: three tabs, each a navigation stack.
struct ContentView: View {
    var body: some View {
        TabView {
            NavigationStack { SitesView() }
                .tabItem { Label(localized("tab_sites"), systemImage: "building.2") }
            NavigationStack { CasesView() }
                .tabItem { Label(localized("tab_hazards"), systemImage: "exclamationmark.triangle") }
            NavigationStack { SyncView() }
                .tabItem { Label(localized("tab_sync"), systemImage: "arrow.triangle.2.circlepath") }
        }
    }
}
