import SwiftUI

/// The screen map: three tabs, each a navigation stack.
struct ContentView: View {
    var body: some View {
        TabView {
            NavigationStack { SitesView() }
                .tabItem { Label("Sites", systemImage: "building.2") }
            NavigationStack { CasesView() }
                .tabItem { Label("Hazards", systemImage: "exclamationmark.triangle") }
            NavigationStack { SyncView() }
                .tabItem { Label("Sync", systemImage: "arrow.triangle.2.circlepath") }
        }
    }
}
