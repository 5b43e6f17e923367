import Gridwalk
import SwiftUI

/// Who this phone is, what waits to be sent, the running and the last sync, "sync now".
struct SyncView: View {
    @Environment(SyncCoordinator.self) private var app

    var body: some View {
        List {
            Section {
                if let profile = app.profile {
                    Text("\(profile.name) · \(label(profile.role)) · \(profile.unit)")
                } else {
                    Text("This phone is not enrolled. Ask your office for a server address and an enrolment code.")
                    NavigationLink("Enrol this phone") { EnrolView() }
                }
            }
            Section("Now") {
                if let pending = app.pending {
                    Text("Waiting to be sent: \(pending.records) record(s), \(pending.photos) photo(s)")
                }
                if let progress = app.progress {
                    Text("Syncing: \(label(progress.phase)) \(progress.done) of \(progress.total)")
                    if progress.total > 0 { ProgressView(value: Double(progress.done), total: Double(progress.total)) }
                } else if app.isSyncing {
                    ProgressView("Syncing…")
                }
                Button("Sync now") { Task { await app.syncNow() } }
                    .disabled(app.profile == nil || app.isSyncing)
                if let error = app.error { Text(error).foregroundStyle(.red) }
            }
            if let last = app.last {
                Section("Last sync \(last.at.formatted(date: .abbreviated, time: .shortened))") {
                    if let failure = last.failure { Text("Failed: \(failure)").foregroundStyle(.red) }
                    ForEach(last.counts, id: \.self) { LabeledContent($0.name, value: "\($0.value)") }
                    if !last.refused.isEmpty {
                        Text("Refused by the server (kept on this phone):").foregroundStyle(.red)
                        ForEach(last.refused, id: \.self) { Text($0).font(.caption) }
                    }
                    ForEach(last.problems, id: \.self) { Text($0).font(.caption) }
                }
            }
        }
        .navigationTitle("Sync")
        .refreshable { await app.refresh() }
        .task { await app.refresh() }
    }
}
